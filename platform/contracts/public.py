"""What other domains may use from contracts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Provider


async def provider_id_by_agb(session: AsyncSession, region_id: int, agb: str) -> int | None:
    return (
        await session.execute(select(Provider.id).where(Provider.region_id == region_id, Provider.agb == agb))
    ).scalar_one_or_none()


async def seed_region_register(session: AsyncSession, region_id: int) -> int:
    """Give a new region the default requirements of the open-house register."""
    from contracts.defaults import seed_default_requirements

    return await seed_default_requirements(session, region_id)


async def link_applicant(session: AsyncSession, application_id: int, user_id: int) -> None:
    """Record which account follows an application (used when an account is made for an existing one)."""
    from sqlalchemy import update

    from contracts.models import Application

    await session.execute(update(Application).where(Application.id == application_id).values(applicant_user_id=user_id))
