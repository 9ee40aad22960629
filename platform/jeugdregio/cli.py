"""The `jeugdregio` command: demo, serve, worker, db upgrade/downgrade/check, user create."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from jeugdregio.settings import get_settings

log = logging.getLogger("jeugdregio")


@contextmanager
def database(*, reset: bool = False, dbname: str = "jeugdregio") -> Iterator[str]:
    """DATABASE_URL if set; otherwise an embedded PostgreSQL in the data folder, stopped cleanly on exit."""
    settings = get_settings()
    if settings.database_url:
        yield settings.database_url
        return
    from jeugdregio.embedded import EmbeddedPostgres

    pgdata = settings.data_dir / "pgdata"
    if reset and pgdata.exists():
        _stop_leftover(pgdata)
        shutil.rmtree(pgdata)
    server = EmbeddedPostgres(pgdata)
    server.start()
    try:
        yield server.create_database(dbname)
    finally:
        server.stop()


def _stop_leftover(pgdata: object) -> None:
    from pathlib import Path

    from jeugdregio.embedded import EmbeddedPostgres

    try:
        server = EmbeddedPostgres(Path(str(pgdata)))
        server.start()
        server.stop()
    except Exception:  # noqa: S110 - a broken folder is removed anyway
        pass


def _serve(url: str, host: str, port: int, *, workers: int = 1, access_log: bool = True) -> None:
    import uvicorn

    options: dict[str, object] = {
        "host": host, "port": port, "log_level": "info", "proxy_headers": False, "server_header": False,
        "access_log": access_log,
    }  # fmt: skip
    if workers > 1:  # worker processes import the app factory and read DATABASE_URL from the environment
        os.environ["DATABASE_URL"] = url
        uvicorn.run("jeugdregio.asgi:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]
        return
    from jeugdregio.asgi import create_app

    uvicorn.Server(uvicorn.Config(create_app(database_url=url), **options)).run()  # type: ignore[arg-type]


def cmd_demo(args: argparse.Namespace) -> int:
    from jeugdregio import migrate
    from jeugdregio.demo import ensure_demo, print_logins

    # SIGTERM behaves like Ctrl-C so the embedded database is stopped cleanly
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with database(reset=args.reset) as url:
            print("Database bijwerken (migraties)…", flush=True)
            migrate.upgrade(url)
            created = asyncio.run(ensure_demo(url, seed=args.seed))
            print("Demodata aangemaakt." if created else "Bestaande demodata hergebruikt (--reset begint opnieuw).")
            print_logins(args.host, args.port)
            _serve(url, args.host, args.port)
    except KeyboardInterrupt:
        pass
    print("Gestopt; de database is netjes afgesloten.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    with database() as url:
        _serve(url, args.host, args.port, workers=args.workers, access_log=not args.no_access_log)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from jeugdregio.scheduler import run_worker

    with database() as url:
        run_worker(url, once=args.once)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from jeugdregio import migrate

    with database() as url:
        if args.action == "upgrade":
            migrate.upgrade(url, args.revision or "head")
        elif args.action == "downgrade":
            migrate.downgrade(url, args.revision or "-1")
        else:
            migrate.check(url)
    print(f"db {args.action}: klaar")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from jeugdregio.accounts import create_user_cli

    password = args.password or os.environ.get("JEUGDREGIO_NEW_PASSWORD") or getpass.getpass("Wachtwoord: ")
    with database() as url:
        asyncio.run(
            create_user_cli(
                url, email=args.email, name=args.name, password=password, role=args.role, region=args.region,
                municipality=args.municipality, provider_agb=args.provider_agb,
            )
        )  # fmt: skip
    print(f"Gebruiker {args.email} aangemaakt met rol {args.role}.")
    return 0


def cmd_region_create(args: argparse.Namespace) -> int:
    from jeugdregio.accounts import create_region_cli

    with database() as url:
        asyncio.run(
            create_region_cli(
                url, slug=args.slug, name=args.name, municipalities=args.municipality,
                admission_mode=args.admission_mode, letterhead=args.letterhead,
            )
        )  # fmt: skip
    print(f"Regio {args.slug} aangemaakt met {len(args.municipality)} gemeenten.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jeugdregio", description="Jeugdregio: inkoop en contractbeheer jeugdhulp")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="embedded PostgreSQL + demo region + web server")
    demo.add_argument("--reset", action="store_true", help="start with a fresh demo database")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--seed", type=int, default=2026)
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (2 on a 2-core machine)")
    serve.add_argument("--no-access-log", action="store_true", help="no log line per request")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="scheduled jobs (APScheduler)")
    worker.add_argument("--once", action="store_true", help="run every job once and exit")
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "check"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=cmd_db)

    region = sub.add_parser("region", help="regions (tenants)")
    region_sub = region.add_subparsers(dest="region_command", required=True)
    rcreate = region_sub.add_parser("create", help="create a region with its member municipalities")
    rcreate.add_argument("--slug", required=True)
    rcreate.add_argument("--name", required=True)
    rcreate.add_argument(
        "--municipality", action="append", default=[], help="CBS code and name, e.g. 0748:Bergen op Zoom"
    )
    rcreate.add_argument("--admission-mode", default="open", choices=["open", "windows"])
    rcreate.add_argument("--letterhead", default="", help="address line for letters and contracts")
    rcreate.set_defaults(func=cmd_region_create)

    user = sub.add_parser("user", help="accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create a user with a role in a region")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True)
    create.add_argument("--region", default="wbw", help="region slug")
    create.add_argument("--municipality", help="CBS code, for the municipality role")
    create.add_argument("--provider-agb", help="AGB code, for the provider role")
    create.add_argument("--password", help="(default: asked, or JEUGDREGIO_NEW_PASSWORD)")
    create.set_defaults(func=cmd_user_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("weasyprint", "fontTools", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as exc:  # a clear message, not a traceback, for expected problems
        from jeugdregio.errors import DomainError, ValidationFailed

        if isinstance(exc, ValidationFailed):
            for error in exc.errors:
                print(f"Fout ({error.field}): {error.message}", file=sys.stderr)
            return 2
        if isinstance(exc, DomainError):
            print(f"Fout: {exc.message}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
