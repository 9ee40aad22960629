"""The floor: a bare Litestar + asyncpg app with one GET that fetches one row by primary key.

Served exactly like the real app (same uvicorn, worker count and flags) and driven by the same load generator,
so `our figure / floor` shows what the app's own layers (middleware, ORM session, templating, ...) cost.

    BENCH_FLOOR_DSN=postgresql://... uvicorn --factory bench.floor_app:create_floor_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, get
from litestar.exceptions import NotFoundException

QUERY = "SELECT id, name, email, active FROM jeugdregio_user WHERE id = $1"


def create_floor_app() -> Litestar:
    dsn = os.environ["BENCH_FLOOR_DSN"]
    pool_max = int(os.environ.get("BENCH_FLOOR_POOL", "20"))  # the real app: pool_size 16 + max_overflow 4 per engine

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=pool_max)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    @get("/floor/{row_id:int}")
    async def one_row(row_id: int) -> dict[str, Any]:
        async with app.state.pool.acquire() as conn:
            row = await conn.fetchrow(QUERY, row_id)
        if row is None:
            raise NotFoundException()
        return dict(row)

    app = Litestar(route_handlers=[one_row], lifespan=[lifespan], debug=False, logging_config=None)
    return app
