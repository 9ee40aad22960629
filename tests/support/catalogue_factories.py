"""Builders for catalogue tests: a region's default catalogue (45 arrangement types with tariffs)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.models import ArrangementType
from catalogue.services.catalogue_setup import seed_catalogue
from jeugdregio.audit import Actor
from tests.support.factories import TestRegion

SEED_FROM = date(2025, 1, 1)


def team_actor(region_id: int, user_id: int | None = None) -> Actor:
    return Actor(user_id=user_id, label="test-team", role="team_admin", region_id=region_id)


def provider_actor(region_id: int) -> Actor:
    return Actor(user_id=None, label="test-aanbieder", role="provider", region_id=region_id)


def moment(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


async def type_ids(session: AsyncSession, region_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(ArrangementType.code, ArrangementType.id).where(ArrangementType.region_id == region_id)
    )
    return {code: i for code, i in rows.all()}


async def seed_in(session: AsyncSession, region: TestRegion, valid_from: date = SEED_FROM) -> dict[str, int]:
    """Seed the default catalogue inside the given session (not committed); returns code -> type id."""
    await seed_catalogue(session, region_id=region.id, profile_ids=region.profile_ids, valid_from=valid_from)
    return await type_ids(session, region.id)


async def seed_committed(region: TestRegion, valid_from: date = SEED_FROM) -> dict[str, int]:
    """Seed and commit (for HTTP tests); returns code -> type id."""
    async with region.maker() as s:
        ids = await seed_in(s, region, valid_from)
        await s.commit()
    return ids
