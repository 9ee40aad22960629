"""Server processes for the benchmarks: uvicorn on 127.0.0.1, a free port, its own process group, always stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn_command(factory: str, port: int, *, workers: int = WORKERS) -> list[str]:
    """The same command for the real app and the floor: only the factory differs."""
    return [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(ROOT),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "info", "--no-server-header",
    ]  # fmt: skip


class Server:
    """One uvicorn (parent + workers) in its own session; `stop()` ends that process group and nothing else."""

    def __init__(self, name: str, factory: str, env: dict[str, str], log_dir: Path, *, workers: int = WORKERS):
        self.name = name
        self.factory = factory
        self.env = env
        self.workers = workers
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        for _attempt in range(3):  # a port picked free can be taken before uvicorn binds it
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    uvicorn_command(self.factory, self.port, workers=self.workers), cwd=ROOT, env=self.env,
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
            if self._wait_ready():
                return self.base_url
            self.stop()
            if "address already in use" not in self.log_path.read_text(errors="replace").lower():
                break
        raise RuntimeError(f"{self.name} did not start; its log:\n{self._log_tail()}")

    def _wait_ready(self) -> bool:
        """Every worker has finished its lifespan start-up (uvicorn logs it once per worker)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            text = self.log_path.read_text(errors="replace")
            if "Application startup failed" in text:
                return False
            if text.count("Application startup complete") >= self.workers:
                return True
            time.sleep(0.1)
        return False

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(self.base_url + path, headers=headers or {}, timeout=10.0, follow_redirects=False)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the group id is the parent's pid
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                proc.wait(timeout=10)
        # workers left behind by a parent that died first are in the same group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
