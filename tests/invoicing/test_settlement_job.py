"""The worker's monthly settlement job: settles the previous month once the region's settlement day has come."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from invoicing.jobs import previous_month, settle_previous_month
from invoicing.models import SettlementRun
from jeugdregio.scheduler import schedule
from tests.invoicing.test_settlement import seed
from tests.support.invoicing_factories import at, set_policy


async def test_the_job_settles_the_previous_month_on_the_settlement_day(maker, regions) -> None:
    early, default = await regions.create(), await regions.create()
    await seed(early)
    await seed(default)
    async with maker() as s:
        await set_policy(s, early.id, settlement_day=2)
        await s.commit()
    ids = [early.id, default.id]
    async with maker() as s:
        summary = await settle_previous_month(s, now=at(2026, 3, 3), only_regions=ids)
    assert summary == {"period": "2026-02", "settled": 1, "entries": 11}
    async with maker() as s:
        summary = await settle_previous_month(s, now=at(2026, 3, 6), only_regions=ids)
    assert summary["settled"] == 1  # the default region (day 5); the early one is done and final
    async with maker() as s:
        runs = (await s.execute(select(SettlementRun.region_id, SettlementRun.period, SettlementRun.status)
                                .where(SettlementRun.region_id.in_(ids)))).all()  # type: ignore[union-attr]
    assert sorted(runs) == sorted([(early.id, date(2026, 2, 1), "done"), (default.id, date(2026, 2, 1), "done")])
    async with maker() as s:
        assert (await settle_previous_month(s, now=at(2026, 3, 7), only_regions=ids))["settled"] == 0


def test_the_job_is_scheduled_with_a_lock_per_settled_month() -> None:
    job = next(j for j in schedule() if j.name == "settle_previous_month")
    assert job.period(at(2026, 3, 3)) == previous_month(at(2026, 3, 3)) == "2026-02"
    assert job.period(at(2026, 1, 10)) == "2025-12"
