"""The hot-path pool pings a connection only after it sat idle (db.ping_when_idle): a connection the server
dropped while idle is replaced before use; within the idle window nothing is pinged, a dropped connection fails
its first statement and is then replaced."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jeugdregio.db import make_engine, ping_when_idle


def _engine(db_url: str, idle_seconds: float, pings: list[int], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    engine = ping_when_idle(make_engine(db_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0,
                                        pool_pre_ping=False), idle_seconds=idle_seconds)  # fmt: skip
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return engine


async def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(db_url: str, pid: int) -> None:
    killer = make_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        async with killer.connect() as conn:
            assert (await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})).scalar_one()
    finally:
        await killer.dispose()


async def test_an_idle_connection_is_pinged_and_a_dropped_one_replaced_before_use(db_url, monkeypatch) -> None:
    pings: list[int] = []
    engine = _engine(db_url, 0.0, pings, monkeypatch)  # every checkout counts as "idle long enough"
    try:
        first = await _backend_pid(engine)
        assert pings == []  # a new connection is not pinged
        await _terminate(db_url, first)
        second = await _backend_pid(engine)  # no error: the ping found it dead and the pool reconnected
        assert second != first and len(pings) == 1
    finally:
        await engine.dispose()


async def test_within_the_idle_window_nothing_is_pinged(db_url, monkeypatch) -> None:
    pings: list[int] = []
    engine = _engine(db_url, 3600.0, pings, monkeypatch)
    try:
        pids = {await _backend_pid(engine) for _ in range(5)}
        assert len(pids) == 1 and pings == []  # one pooled connection, five checkouts, no round trip added
        await _terminate(db_url, pids.pop())
        with pytest.raises(DBAPIError) as failed:  # the trade-off: a connection dropped in the window fails once
            await _backend_pid(engine)
        assert failed.value.connection_invalidated
        assert await _backend_pid(engine) > 0  # and the pool has replaced it
    finally:
        await engine.dispose()
