"""Test fixtures: one embedded PostgreSQL (or DATABASE_URL) per session, schema from the migrations.

Isolation: service tests run inside a transaction that is rolled back (savepoints); HTTP tests commit for
real and isolate by giving every test its own region (which also exercises tenancy)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

os.environ.setdefault("JEUGDREGIO_DATA_DIR", tempfile.mkdtemp(prefix="jr-test-data-"))
os.environ.setdefault("JEUGDREGIO_ALLOWED_HOSTS", "testserver.local,127.0.0.1,localhost")
# every test client comes from the same address: the public-search rate limit is tested on its own app
os.environ.setdefault("JEUGDREGIO_PUBLIC_RATE_LIMIT", "0")

from jeugdregio import migrate
from jeugdregio.db import make_engine, make_sessionmaker
from tests.support.factories import RegionFactory

BASE_URL = "https://testserver.local"


@pytest.fixture(scope="session")
def db_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        migrate.upgrade(url)
        yield url
        return
    from jeugdregio.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="jr-test-pg-")) / "pgdata")
    server.start()
    try:
        url = server.create_database("jeugdregio_test", drop=True)
        migrate.upgrade(url)
        os.environ["JR_TEST_DB_URL"] = url
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test (services never commit)."""
    async with engine.connect() as conn:
        trans = await conn.begin()
        s = AsyncSession(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        try:
            yield s
        finally:
            await s.close()
            await trans.rollback()


@pytest.fixture(scope="session")
async def app(db_url: str) -> AsyncIterator[Litestar]:
    from jeugdregio.asgi import close_database, create_app, open_database

    application = create_app(database_url=db_url)
    await open_database(application, db_url)  # in the tests' own event loop
    yield application
    await close_database(application)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, follow_redirects=False) as c:
        yield c


@pytest.fixture
def new_client(app: Litestar) -> Iterator[object]:
    """A factory for extra clients (each with its own cookie jar)."""
    clients: list[httpx.AsyncClient] = []

    def make() -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL, follow_redirects=False)
        clients.append(c)
        return c

    yield make


@pytest.fixture
async def regions(maker: async_sessionmaker[AsyncSession]) -> RegionFactory:
    return RegionFactory(maker)
