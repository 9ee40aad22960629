"""The `jeugdregio` command as a newcomer uses it: demo on an embedded PostgreSQL, db upgrade, user create."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.factories import login

BIN = Path(sys.executable).parent / "jeugdregio"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JEUGDREGIO_DATA_DIR")}
    env.update(extra)
    return env


def _start_demo(data_dir: Path, port: int, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [str(BIN), "demo", "--port", str(port), *args],
        env=_env(JEUGDREGIO_DATA_DIR=str(data_dir)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 300
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError("demo exited early:\n" + "".join(lines))
        lines.append(line)
        if f"Uvicorn running on http://127.0.0.1:{port}" in line:  # printed only once the port is bound
            return proc, lines
    proc.kill()
    raise AssertionError("demo did not start in time:\n" + "".join(lines))


def _stop(proc: subprocess.Popen[str], sig: int, lines: list[str]) -> str:
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    return "".join(lines) + out


def test_demo_serves_prints_logins_reuses_data_and_stops_its_database(tmp_path: Path) -> None:
    port = _port()
    proc, lines = _start_demo(tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/", timeout=10).status_code == 200
        assert "Aanmelden als aanbieder" in httpx.get(base + "/aanmelden", timeout=10).text
        # the demo's quality data reaches the public catalogue (ratings seeded, published, sortable)
        rated = httpx.get(base + "/catalogus", params={"sorteer": "beoordeling"}, timeout=30).text
        assert "Gemiddeld cijfer" in rated and "beoordelingen" in rated
    finally:
        output = _stop(proc, signal.SIGTERM, lines)
    assert proc.returncode == 0, output
    assert "Demodata aangemaakt." in output
    for role_email in ("beheer@wbw.example", "gemeente@roosendaal.example", "verwijzer@wbw.example",
                       "aanbieder@demo.example", "aanvrager@demo.example"):  # fmt: skip
        assert role_email in output
    assert "netjes afgesloten" in output
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "the embedded PostgreSQL is still running"

    proc, lines = _start_demo(tmp_path, port)
    output = _stop(proc, signal.SIGINT, lines)
    assert "hergebruikt" in output
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


async def test_db_upgrade_and_user_create_against_database_url(db_url: str, regions, client) -> None:
    region = await regions.create()
    env = _env(DATABASE_URL=db_url, JEUGDREGIO_DATA_DIR=os.environ["JEUGDREGIO_DATA_DIR"])
    up = subprocess.run([str(BIN), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert up.returncode == 0, up.stderr
    email = f"nieuw-{region.slug}@example.org"
    made = subprocess.run(
        [str(BIN), "user", "create", "--email", email, "--name", "Nieuwe Beheerder", "--role", "team_admin",
         "--region", region.slug, "--password", "een-lang-wachtwoord"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    await login(client, email, "een-lang-wachtwoord")
    bad = subprocess.run(
        [str(BIN), "user", "create", "--email", "x@example.org", "--name", "X", "--role", "koning",
         "--region", region.slug, "--password", "een-lang-wachtwoord"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "Onbekende rol" in bad.stderr


async def test_region_create_gives_a_usable_tenant(db_url: str, client) -> None:
    import secrets

    slug = f"r{secrets.token_hex(3)}"
    env = _env(DATABASE_URL=db_url, JEUGDREGIO_DATA_DIR=os.environ["JEUGDREGIO_DATA_DIR"])
    bad = subprocess.run(
        [str(BIN), "region", "create", "--slug", slug, "--name", "Regio X", "--municipality", "748:Bergen op Zoom"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2 and "4 cijfers" in bad.stderr
    ok = subprocess.run([str(BIN), "region", "create", "--slug", slug, "--name", "Regio X", "--municipality",
                         "0748:Bergen op Zoom", "--municipality", "0777:Etten-Leur"],
                        env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    made = subprocess.run(
        [str(BIN), "user", "create", "--email", f"beheer@{slug}.example", "--name", "B", "--role", "municipality",
         "--municipality", "0777", "--region", slug, "--password", "een-lang-wachtwoord"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
    await login(client, f"beheer@{slug}.example", "een-lang-wachtwoord")
