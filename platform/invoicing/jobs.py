"""Scheduled entry points of invoicing: thin and idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.rules import month_start
from jeugdregio.clock import today


def previous_month(now: datetime) -> str:
    """The lock key part of the settlement job: the month it settles (YYYY-MM)."""
    return f"{month_start(month_start(today(now)) - timedelta(days=1)):%Y-%m}"


async def settle_previous_month(session: AsyncSession, *, now: datetime, only_regions: list[int] | None = None
                                ) -> dict[str, Any]:  # fmt: skip
    """Every region whose settlement day (PaymentPolicy.settlement_day, default 5) has come settles the previous
    month, unless that month is already done (a done run is final). Runs daily, so a missed day catches up.
    The settlement commits per step on its own connections (it must survive a kill); this job's session only
    reads the regions."""
    from invoicing.models import SettlementRun
    from invoicing.services.settlement import run_settlement, settlement_day
    from jeugdregio.audit import Actor
    from jeugdregio.db import make_sessionmaker
    from jeugdregio.tables import Region

    day = today(now)
    period = month_start(month_start(day) - timedelta(days=1))
    q = select(Region.id).order_by(Region.id)
    if only_regions is not None:  # tests
        q = q.where(Region.id.in_(only_regions))  # type: ignore[union-attr]
    region_ids = [int(r) for r in (await session.execute(q)).scalars()]
    done = set((await session.execute(
        select(SettlementRun.region_id).where(SettlementRun.period == period, SettlementRun.status == "done")
    )).scalars())  # fmt: skip
    due = [r for r in region_ids if r not in done and day.day >= await settlement_day(session, r)]
    await session.commit()  # nothing written: end the read transaction before the long work
    if not due:
        return {"period": f"{period:%Y-%m}", "settled": 0}
    maker = make_sessionmaker(session.bind)  # type: ignore[arg-type]
    entries = 0
    for region_id in due:
        result = await run_settlement(maker, region_id=region_id, period=period,
                                      actor=Actor.system("settlement", region_id), now=now)  # fmt: skip
        entries += result.entries
    return {"period": f"{period:%Y-%m}", "settled": len(due), "entries": entries}
