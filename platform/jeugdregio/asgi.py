"""The app factory: Litestar wired with CSRF, allowed hosts, security headers, errors and every domain's routes."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from sqlalchemy import select

from jeugdregio import all_models  # noqa: F401  (registers every table)
from jeugdregio.db import make_engine, make_sessionmaker, ping_when_idle
from jeugdregio.settings import Settings, get_settings
from jeugdregio.tables import Region
from jeugdregio.templating import templates_dir
from jeugdregio.web import (
    PublicRateLimit,
    add_security_headers,
    allowed_hosts_middleware,
    dependencies,
    document_idempotency,
    handle_exception,
    idempotency_middleware,
    principal_middleware,
    public_rate_limit_middleware,
)

log = logging.getLogger("jeugdregio")

# Paths that carry a secret (the one-time rating link's token): access logs show the prefix only.
SECRET_PATH = re.compile(r"(/beoordelen/)(?!bedankt\b)[^\s?\"/]+")


class RedactSecretPaths(logging.Filter):
    """Replaces the token in a one-time link's path in a log record (uvicorn's access log puts the path in
    the record's arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                SECRET_PATH.sub(r"\1[verborgen]", a) if isinstance(a, str) else a for a in record.args
            )
        if isinstance(record.msg, str):
            record.msg = SECRET_PATH.sub(r"\1[verborgen]", record.msg)
        return True


def redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecretPaths) for f in access.filters):
        access.addFilter(RedactSecretPaths())


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> Litestar:
    from catalogue.public import listen_for_catalogue_changes, size_search_caches
    from jeugdregio.routes import all_routes

    redact_access_log()

    settings = settings or get_settings()
    size_search_caches(settings.search_cache_mb)
    url = database_url or settings.database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set (use `jeugdregio demo` for an embedded PostgreSQL)")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await open_database(app, url)
        engine, stop = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0), asyncio.Event()
        listener = asyncio.create_task(listen_for_catalogue_changes(engine, stop))  # other processes' commits
        freeze_startup_objects()
        yield
        stop.set()
        await listener
        await engine.dispose()
        await close_database(app)

    handlers = all_routes()
    document_idempotency(handlers)
    static = create_static_files_router(
        path="/static", directories=[templates_dir() / "static"], opt={"exclude_from_csrf": True},
        cache_control=CacheControlHeader(max_age=3600, public=True), include_in_schema=False,
    )  # fmt: skip
    app = Litestar(
        route_handlers=[*handlers, static],
        lifespan=[lifespan],
        dependencies=dependencies(),
        middleware=[
            allowed_hosts_middleware, public_rate_limit_middleware, principal_middleware, idempotency_middleware,
        ],
        before_send=[add_security_headers],
        exception_handlers={Exception: handle_exception},
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="jr_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="strict",
            header_name="x-csrftoken",
            # the JSON API accepts only Bearer tokens, never cookies, so it cannot be driven cross-site
            exclude=["^/api/"],
        ),
        openapi_config=OpenAPIConfig(
            title="Jeugdregio API",
            version="1.0.0",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")},
            ),
            security=[{"bearer": []}],
        ),
        request_max_body_size=1_000_000,
        debug=False,
        logging_config=None,
    )
    app.state.public_rate_limit = PublicRateLimit(settings.public_requests_per_minute)
    return app


async def open_database(app: Litestar, url: str) -> None:
    """Engine and sessionmaker on app.state (called by the lifespan; tests call it in their own loop)."""
    engine = make_engine(url)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    # Its own small pool, in AUTOCOMMIT from the moment a connection is made: single statements without
    # BEGIN/COMMIT (the principal lookup on every request, public search misses). A connection is pinged only
    # after 10 s idle in the pool (db.ping_when_idle), not on every checkout: a ping per request was a second
    # round trip for every authenticated request.
    app.state.autocommit_engine = ping_when_idle(
        make_engine(url, isolation_level="AUTOCOMMIT", pool_size=16, max_overflow=4, pool_pre_ping=False)
    )
    try:
        async with app.state.sessionmaker() as session:
            region = (await session.execute(select(Region).order_by(Region.id).limit(1))).scalar_one_or_none()  # type: ignore[arg-type]
            app.state.region_name = region.name if region else "Jeugdregio"
    except Exception:  # the app must start even while the database is briefly unreachable
        log.warning("could not read the region at start-up")


def freeze_startup_objects() -> None:
    """Move everything made at start-up (modules, routes, SQLAlchemy and Litestar internals) out of the cyclic
    garbage collector's reach: a full collection otherwise scans them all and stalls the worker's event loop
    for 100+ ms now and then (seen as the catalogue search's p99). Long-lived by nature, never freed anyway."""
    gc.collect()
    gc.freeze()


async def close_database(app: Litestar) -> None:
    await app.state.autocommit_engine.dispose()
    await app.state.engine.dispose()


def app_from_env(**kwargs: Any) -> Litestar:
    return create_app(**kwargs)
