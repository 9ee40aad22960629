"""Run the benchmarks: own embedded PostgreSQL, own data, every figure beside a floor measured in this run.

    .venv/bin/python bench/run.py [--quick] [--only NAME ...] [--list] [--no-record]

Prints one markdown table row per workload and appends a dated section to bench/RESULTS.md. Exits non-zero
only when the harness (or a workload's setup) fails; a missed target is printed as "below target".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/ on the path, not the repository root
    sys.path.insert(0, str(ROOT))

from bench import machine  # noqa: E402
from bench.loadgen import LoadGenerator, ensure_wrk  # noqa: E402
from bench.profiling import Recorder, find_pyspy  # noqa: E402
from bench.servers import WORKERS  # noqa: E402
from bench.workloads import REGISTRY, Context, Row, Workload  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
HEADER = ["workload", "our figure", "floor", "ratio", "target"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="short runs (1 s warm-up + 3 s measured instead of 2 + 10)")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only these workloads (key or title; repeat or separate with commas)")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--connections", type=int, default=32, help="concurrent connections for HTTP workloads")
    p.add_argument("--providers", type=int, default=150, help="providers in the bench region")
    p.add_argument("--loadgen", choices=["auto", "wrk", "python"], default="auto",
                   help="auto: wrk (installed with apt-get when missing), else the Python client")  # fmt: skip
    p.add_argument("--app-factory", default="jeugdregio.asgi:create_app", metavar="MODULE:FN",
                   help="serve another app factory as 'the app' (to A/B a change; must be importable)")  # fmt: skip
    p.add_argument("--quiet-wait", type=float, default=None, metavar="SECONDS",
                   help="before each workload wait up to this long for other processes to go quiet "
                        "(default 60, 0 with --quick)")  # fmt: skip
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="sample the app's workers with py-spy (must be installed) while measuring; stacks go to DIR")
    p.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    return p.parse_args(argv)


def select(only: list[str]) -> list[Workload]:
    if not only:
        return list(REGISTRY.values())
    wanted = [w.strip().lower() for item in only for w in item.split(",") if w.strip()]
    chosen: list[Workload] = []
    for name in wanted:
        match = [w for w in REGISTRY.values() if name in (w.key.lower(), w.title.lower())]
        if not match:
            raise SystemExit(f"unknown workload {name!r}; known: {', '.join(REGISTRY)}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen


def md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def table(rows: list[Row]) -> str:
    lines = [md_row(HEADER), md_row(["---"] * len(HEADER))]
    lines += [md_row(r.cells()) for r in rows]
    return "\n".join(lines)


# ---- recording -----------------------------------------------------------------------------------------


def command_line(argv: list[str] | None) -> str:
    exe = Path(sys.executable)
    try:
        exe_text = str(exe.relative_to(Path.cwd())) if exe.is_relative_to(Path.cwd()) else str(exe)
    except ValueError:
        exe_text = str(exe)
    return shlex.join([exe_text, sys.argv[0], *(sys.argv[1:] if argv is None else argv)])


def record(rows: list[Row], facts: dict[str, str], *, command: str, started: datetime, quick: bool, data: str,
           settings: str, notes: list[str]) -> None:  # fmt: skip
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by `bench/run.py` (newest last). Every figure stands beside a floor "
            "measured in the same run on the same machine; compare ratios across machines, not absolute figures.\n"
        )
    lines = [
        "",
        f"## {started:%Y-%m-%d %H:%M} UTC — {'quick' if quick else 'full'} run",
        "",
        f"- command: `{command}`",
        *(f"- {k}: {v}" for k, v in facts.items()),
        f"- settings: {settings}",
        f"- data: {data}",
        "",
        table(rows),
        "",
    ]
    extra = notes + [f"{r.workload}: {n}" for r in rows for n in r.notes]
    lines += [f"- {n}" for n in extra] + ([""] if extra else [])
    with RESULTS.open("a") as f:
        f.write("\n".join(lines))


# ---- main ----------------------------------------------------------------------------------------------


QUIET_CORES = 0.15


def wait_for_quiet(meter: machine.CpuMeter, limit: float, title: str, notes: list[str]) -> None:
    """Wait (bounded) until other processes use < QUIET_CORES for 3 s in a row; note it when they never do."""
    deadline = time.monotonic() + limit
    quiet = 0
    last = 0.0
    while time.monotonic() < deadline:
        last = meter.sample(1.0).cores
        quiet = quiet + 1 if last < QUIET_CORES else 0
        if quiet >= 3:
            return
    notes.append(f"{title}: the machine did not go quiet within {limit:g} s (other processes: {last:.2f} cores)")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for w in REGISTRY.values():
            print(f"{w.key:12} {w.title}\n{'':12} measures: {w.measures}\n{'':12} floor: {w.floor}\n"
                  f"{'':12} target: {w.target}")  # fmt: skip
        return 0
    chosen = select(args.only)
    signal.signal(signal.SIGTERM, _interrupt)  # so `finally` stops the servers and PostgreSQL
    started = datetime.now(UTC)
    notes: list[str] = []
    wrk = ensure_wrk(notes) if args.loadgen in ("auto", "wrk") else None
    if args.loadgen == "wrk" and wrk is None:
        print("wrk is not available", file=sys.stderr)
        return 2
    loadgen = LoadGenerator(wrk)
    profiler = None
    if args.profile:
        pyspy = find_pyspy()
        if pyspy is None:
            print("--profile needs py-spy (pip install py-spy)", file=sys.stderr)
            return 2
        profiler = Recorder(pyspy, args.profile.resolve())

    from jeugdregio import migrate
    from jeugdregio.embedded import EmbeddedPostgres

    tmp = Path(tempfile.mkdtemp(prefix="jr-bench-"))
    os.environ["JEUGDREGIO_DATA_DIR"] = str(tmp / "data")  # before any get_settings(): secrets stay in tmp
    pg = EmbeddedPostgres(tmp / "pgdata")
    ctx: Context | None = None
    rows: list[Row] = []
    try:
        t0 = time.perf_counter()
        pg.start()
        # the app, its bench variants and the floor run as separate two-worker servers side by side, each worker
        # with its own pools (up to 40 connections): more than PostgreSQL's default 100
        pg.configure(max_connections=400)
        url = pg.create_database("jeugdregio_bench")
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        migrate.upgrade(url)
        print(f"PostgreSQL started and migrated in {time.perf_counter() - t0:.1f} s", flush=True)

        from bench.data import build

        data = asyncio.run(build(url, providers=args.providers))
        print(f"data: {data.summary()}", flush=True)
        facts = machine.facts(dsn, loadgen=loadgen.name, workers=WORKERS)
        meter = machine.CpuMeter(tmp / "pgdata")
        ctx = Context(url=url, dsn=dsn, data=data, loadgen=loadgen, tmp=tmp, quick=args.quick, meter=meter,
                      connections=args.connections, app_factory=args.app_factory, profiler=profiler,
                      notes=notes)  # fmt: skip
        if args.app_factory != "jeugdregio.asgi:create_app":
            notes.append(f"the app served was {args.app_factory}, not jeugdregio.asgi:create_app")
        busy = meter.sample(1.0).cores
        if busy >= 0.15:
            notes.append(f"before the run other processes were using {busy:.2f} cores (a shared machine)")
        settings = ctx.settings_text()
        print(f"{facts['machine']}\n{facts['software']}\nload generator: {loadgen.name}; {settings}\n", flush=True)
        print(md_row(HEADER) + "\n" + md_row(["---"] * len(HEADER)), flush=True)
        quiet_wait = args.quiet_wait if args.quiet_wait is not None else (0.0 if args.quick else 60.0)
        for w in chosen:
            if quiet_wait > 0:
                wait_for_quiet(meter, quiet_wait, w.title, notes)
            try:
                row = w.fn(ctx)
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                row = Row(w.title, "", "", "", w.target, error=" ".join(f"{type(exc).__name__}: {exc}".split())[:300])
            rows.append(row)
            print(md_row(row.cells()), flush=True)
        for r in rows:
            for n in r.notes:
                print(f"note: {r.workload}: {n}")
        for n in notes:
            print(f"note: {n}")
        if not args.no_record:
            record(rows, facts, command=command_line(argv), started=started, quick=args.quick,
                   data=data.summary(), settings=settings, notes=notes)  # fmt: skip
            print(f"\nappended to {RESULTS.relative_to(ROOT)}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if ctx is not None:
            ctx.close()
        try:
            pg.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if any(r.error for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
