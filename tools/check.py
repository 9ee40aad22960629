"""The static half of the full check: ruff, mypy, import-linter, alembic check. CI (and `make check`) runs
it and then pytest: `.venv/bin/python tools/check.py && .venv/bin/python -m pytest`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(name: str, cmd: list[str]) -> None:
    started = time.monotonic()
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    verdict = "ok" if result.returncode == 0 else "FAILED"
    print(f"=== {name}: {verdict} ({time.monotonic() - started:.1f} s)", flush=True)
    if result.returncode != 0:
        sys.exit(result.returncode)


def alembic_check() -> None:
    """Migrations apply from empty and match the models (no pending autogenerate operations)."""
    sys.path.insert(0, str(ROOT / "platform"))
    from jeugdregio import migrate
    from jeugdregio.embedded import EmbeddedPostgres

    print("\n=== alembic check (embedded PostgreSQL)", flush=True)
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="jr-check-")) / "pg")
    server.start()
    try:
        url = server.create_database("jr_check", drop=True)
        migrate.upgrade(url)
        migrate.check(url)
    finally:
        server.stop()
    print("=== alembic check: ok", flush=True)


def main() -> None:
    run("ruff", [str(BIN / "ruff"), "check", "platform", "tests", "tools", "bench", "migrations"])
    run("mypy", [str(BIN / "mypy")])
    run("import-linter", [str(BIN / "lint-imports")])
    alembic_check()


if __name__ == "__main__":
    main()
