"""Regenerate the initial schema migration from the models (only while nothing has been released).

Usage: .venv/bin/python tools/regen_initial_migration.py
Starts a scratch embedded PostgreSQL, autogenerates `0001` against an empty database and keeps the
hand-written migrations that follow it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))


def main() -> None:
    from alembic import command

    from jeugdregio.embedded import EmbeddedPostgres
    from jeugdregio.migrate import alembic_config

    versions = ROOT / "migrations" / "versions"
    for old in versions.glob("*_0001_*.py"):
        old.unlink()
    parked = Path(tempfile.mkdtemp(prefix="jr-parked-"))
    later = [p for p in versions.glob("*.py")]
    for path in later:  # the hand-written migrations after 0001 wait outside while 0001 is generated
        path.rename(parked / path.name)
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="jr-regen-")) / "pg")
    server.start()
    try:
        url = server.create_database("regen", drop=True)
        cfg = alembic_config(url)
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    finally:
        server.stop()
        for path in later:
            (parked / path.name).rename(path)
    for new in (ROOT / "migrations" / "versions").glob("*_0001_*.py"):
        fixed = new.with_name("2026_11_23_0001_initial_schema.py")
        new.rename(fixed)
        print("wrote", fixed.relative_to(ROOT))


if __name__ == "__main__":
    main()
