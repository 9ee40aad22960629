"""Database access: one async engine per process, request-scoped sessions, and a retrying transaction."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
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
