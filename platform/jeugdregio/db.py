"""Database access: one async engine per process, request-scoped sessions, and a retrying transaction."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel

from jeugdregio.settings import async_url

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
UNAVAILABLE_SQLSTATES_PREFIXES = ("08", "57P")  # connection exceptions, operator intervention (shutdown)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        # per worker process: 32 concurrent requests over 2 workers stay within the pool (an overflow connection
        # is opened and closed per use). With the autocommit engine's 16 + 4 (asgi.open_database), two workers
        # hold at most 80 of PostgreSQL's default 100 connections.
        "pool_size": 16,
        "max_overflow": 4,
        "connect_args": {
            "server_settings": {
                "statement_timeout": "30000",
                "lock_timeout": "10000",
                "idle_in_transaction_session_timeout": "60000",
                "application_name": "jeugdregio",
            },
            "timeout": 5,
        },
    }
    options.update(kwargs)
    return create_async_engine(async_url(url), **options)


PING_AFTER_IDLE_SECONDS = 10.0


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> AsyncEngine:
    """For an engine made with `pool_pre_ping=False`: ping a pooled connection on checkout only when it has been
    idle in the pool for more than `idle_seconds`, instead of on every checkout (a round trip per request on the
    hot path). A connection that does not answer is replaced before anyone uses it. One that broke within the
    last seconds (a server restart under load) fails its first statement instead: SQLAlchemy then drops it from
    the pool and the request gets the usual 503 (`is_unavailable`)."""

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            alive = engine.sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the dialect raises on a dead connection
            raise DisconnectionError("idle connection did not answer the ping") from exc
        if not alive:
            raise DisconnectionError("idle connection did not answer the ping")

    return engine


async def driver(conn: AsyncConnection | AsyncSession) -> Any:
    """The asyncpg connection under a SQLAlchemy connection or session (in its current transaction, if any), for
    the few hot-path reads that skip SQLAlchemy's statement and result layers. asyncpg prepares and caches each
    statement per connection; parameters are `$n`, never text pasted into SQL."""
    sa_conn = conn if isinstance(conn, AsyncConnection) else await conn.connection()
    return (await sa_conn.get_raw_connection()).driver_connection


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None), exc):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def is_unavailable(exc: BaseException) -> bool:
    """True when the database cannot be reached (maps to 503, not 500)."""
    if isinstance(exc, (OSError, ConnectionError, asyncio.TimeoutError)):
        return True
    if isinstance(exc, (OperationalError, InterfaceError, DBAPIError)):
        if getattr(exc, "connection_invalidated", False):
            return True
        code = sqlstate(exc)
        if code is None:
            return isinstance(exc, InterfaceError)
        return code.startswith(UNAVAILABLE_SQLSTATES_PREFIXES)
    return False


async def run_in_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    isolation: str = "SERIALIZABLE",
    retries: int = 5,
) -> T:
    """Run `work` in one transaction; retry the whole unit on serialization failure or deadlock."""
    attempt = 0
    while True:
        attempt += 1
        async with sessionmaker() as session:
            try:
                await session.connection(execution_options={"isolation_level": isolation})
                result = await work(session)
                await session.commit()
                return result
            except DBAPIError as exc:
                await session.rollback()
                if sqlstate(exc) in RETRYABLE_SQLSTATES and attempt < retries:
                    await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
                    continue
                raise


@asynccontextmanager
async def advisory_lock(session: AsyncSession, key: str) -> AsyncIterator[bool]:
    """A transaction-scoped advisory lock on a text key; yields False when another holder has it."""
    got = (await session.execute(text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": key})).scalar()
    yield bool(got)
