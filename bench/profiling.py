"""`--profile DIR`: sample the app's workers with py-spy while a workload is measured, and say where time goes.

py-spy is not a project dependency: install it where you like (`pip install py-spy`) so that `py-spy` is on PATH
or in the venv's bin. The raw (collapsed) stacks are kept in DIR for a flame graph (e.g. speedscope, inferno).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

# first match wins, tested against the whole stack of a sample
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("pool pre-ping", ("_async_ping", "do_ping")),
    ("BEGIN/COMMIT/ROLLBACK", ("Transaction.start", "_start_transaction", "Transaction.__commit",
                               "Transaction.__rollback", "Session.commit", "AsyncSession.commit",
                               "AsyncSession.rollback")),
    ("asyncpg queries", ("asyncpg/",)),
    ("SQLAlchemy (statements, ORM, session, pool)", ("sqlalchemy/",)),
    ("Jinja templates", ("jinja2/", "templating.py")),
    ("uvicorn send (socket writes)", ("RequestResponseCycle.send",)),
    ("Litestar route handling (guards, DI, handler, response)", ("HTTPRoute.handle",)),
    ("CSRF middleware", ("middleware/csrf.py:",)),
    ("jeugdregio middleware (own code)", ("jeugdregio/web.py",)),
    ("Litestar (routing, middleware)", ("litestar/",)),
    ("uvicorn + httptools", ("uvicorn/", "httptools")),
]


def find_pyspy() -> str | None:
    return shutil.which("py-spy") or (str(p) if (p := Path(sys.executable).with_name("py-spy")).exists() else None)


def child_pids(parent: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == parent:
            pids.append(int(entry))
    return pids


class Recorder:
    def __init__(self, pyspy: str, out_dir: Path) -> None:
        self.pyspy = pyspy
        self.out_dir = out_dir
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, pids: list[int], seconds: float, label: str) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for pid in pids:
            out = self.out_dir / f"{label}-{pid}.txt"
            cmd = [self.pyspy, "record", "--nonblocking", "-r", "200", "-d", str(max(1, round(seconds))),
                   "-f", "raw", "-o", str(out), "-p", str(pid)]  # fmt: skip
            self.procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out))

    def finish(self) -> list[Path]:
        done = []
        for proc, out in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if out.exists() and out.stat().st_size:
                done.append(out)
        self.procs = []
        return done


def summarize(files: list[Path], top: int = 6) -> str:
    counts: Counter[str] = Counter()
    total = 0
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, n = line.rpartition(" ")
            if not stack or not n.isdigit():
                continue
            total += int(n)
            bucket = next((name for name, keys in BUCKETS if any(k in stack for k in keys)), "other")
            counts[bucket] += int(n)
    if not total:
        return "no samples"
    return ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in counts.most_common(top))
