"""Load generators: Debian's `wrk` (preferred), or a bounded asyncio client when wrk cannot be had.

Only loopback URLs are accepted. Every run is bounded in time (and the Python client also in request count).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
PY_CLIENT_MAX_REQUESTS = 2_000_000  # hard bound for the Python client, whatever the duration


@dataclass(frozen=True)
class LoadResult:
    tool: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    bad_status: int  # non-2xx/3xx responses
    socket_errors: int  # connect/read/write errors and timeouts

    def brief(self) -> str:
        return f"{self.rps:,.0f} req/s, p99 {self.p99_ms:.1f} ms"


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"refusing to send load to a non-loopback address: {host!r}")


def ensure_wrk(log: list[str]) -> str | None:
    """Path of wrk; installs Debian's package when missing and apt-get can. None: use the Python client."""
    path = shutil.which("wrk")
    if path:
        return path
    if not shutil.which("apt-get") or os.geteuid() != 0:
        log.append("wrk missing and apt-get unavailable: using the Python load generator")
        return None
    if not _apt("install", "-y", "-qq", "wrk"):
        _ = _apt("update", "-qq") and _apt("install", "-y", "-qq", "wrk")
    path = shutil.which("wrk")
    log.append("installed wrk with apt-get" if path else "could not install wrk: using the Python load generator")
    return path


def _apt(*args: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(["apt-get", *args], env=env, capture_output=True, timeout=300, check=False)
        return done.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def wrk_version(path: str) -> str:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "wrk"


class LoadGenerator:
    def __init__(self, wrk: str | None, *, threads: int = 2) -> None:
        self.wrk = wrk
        self.threads = threads
        self.name = wrk_version(wrk) if wrk else "python asyncio HTTP/1.1 keep-alive client"

    def run(self, url: str, *, headers: dict[str, str], connections: int, seconds: float) -> LoadResult:
        check_loopback(url)
        if self.wrk:
            return run_wrk(self.wrk, url, headers=headers, connections=connections, seconds=seconds,
                           threads=self.threads)  # fmt: skip
        return run_python_sync(url, headers=headers, connections=connections, seconds=seconds)


# ---- wrk -----------------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(f"cannot read wrk latency {value!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def run_wrk(path: str, url: str, *, headers: dict[str, str], connections: int, seconds: float,
            threads: int) -> LoadResult:  # fmt: skip
    duration = max(1, round(seconds))
    cmd = [path, f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    return parse_wrk(out.stdout, connections=connections)


def parse_wrk(text: str, *, connections: int) -> LoadResult:
    pct = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", text, re.M)}
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", text, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not (total and rps and "99" in pct):
        raise RuntimeError(f"cannot read wrk output:\n{text}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return LoadResult(
        tool="wrk", connections=connections, seconds=_ms(total.group(2) + total.group(3)) / 1000,
        requests=int(total.group(1)), rps=float(rps.group(1)), p50_ms=pct["50"], p90_ms=pct.get("90", 0.0),
        p99_ms=pct["99"], bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
    )  # fmt: skip


# ---- the Python fallback -------------------------------------------------------------------------------
# A raw HTTP/1.1 keep-alive client on asyncio (uvloop when installed): httpx tops out near 250 req/s on two
# shared cores, which would make the client, not the servers, the thing measured.


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one response; returns (status, keep-alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if fields.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(fields.get("content-length", "0")))
    return status, fields.get("connection", "").lower() != "close"


async def run_python(url: str, *, headers: dict[str, str], connections: int, seconds: float) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    latencies: list[float] = []
    bad = errors = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        nonlocal bad, errors
        writer: asyncio.StreamWriter | None = None
        try:
            while time.perf_counter() < deadline and len(latencies) < PY_CLIENT_MAX_REQUESTS:
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
                    t0 = time.perf_counter()
                    writer.write(request)
                    status, keep = await asyncio.wait_for(_read_response(reader), 5)
                except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                    errors += 1
                    if writer is not None:
                        writer.close()
                    writer = None
                    continue
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    bad += 1
                if not keep:
                    writer.close()
                    writer = None
        finally:
            if writer is not None:
                writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def q(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    return LoadResult(
        tool="python", connections=connections, seconds=elapsed, requests=len(latencies),
        rps=len(latencies) / elapsed if elapsed else 0.0, p50_ms=q(0.50), p90_ms=q(0.90), p99_ms=q(0.99),
        bad_status=bad, socket_errors=errors,
    )  # fmt: skip


def run_python_sync(url: str, *, headers: dict[str, str], connections: int, seconds: float) -> LoadResult:
    coro = run_python(url, headers=headers, connections=connections, seconds=seconds)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
