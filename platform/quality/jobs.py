"""Scheduled entry points of quality (registered in jeugdregio.scheduler). Each runs in one transaction under
the scheduler's advisory lock per (job, period) and is idempotent, so a rerun or a second worker changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.clock import today


def batch_month(now: datetime) -> str:
    """The lock period and batch month of the monthly publication: 'YYYY-MM' in Dutch time."""
    return today(now).strftime("%Y-%m")


async def rating_invitations(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    """One invitation per informant for every arrangement whose result was confirmed (all regions)."""
    from quality.services.invitations import create_invitations

    return {"created": await create_invitations(session, now=now)}


async def publish_catalogue_figures(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    """The monthly batch: every region's quality figures into the catalogue, through the publication rules."""
    from quality.services.publication_batch import publish_all_regions

    month = batch_month(now)
    return {"month": month, "rows": await publish_all_regions(session, month=month, now=now)}


async def refresh_dashboards(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    """Nightly: the dashboard snapshots in use are rebuilt when outdated (the team's daily, the published ones at
    a new month), and the default period is ready for the team and every municipality."""
    from quality.services.dashboard_snapshots import refresh_snapshots

    return await refresh_snapshots(session, now=now)
