"""build_specifications: one specification per provider per month from the ledger (hand-built here)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import Specification
from invoicing.services.specifications import build_specifications
from tests.invoicing.money_world import NOW, build, ledger
from tests.support.factories import RegionFactory

MARCH = date(2026, 3, 1)


async def _specs(s: AsyncSession, region_id: int) -> dict[int, Specification]:
    rows = (await s.execute(select(Specification).where(Specification.region_id == region_id))).scalars()
    return {r.provider_id: r for r in rows}


async def test_build_totals_per_provider_from_the_ledger(session: AsyncSession, regions: RegionFactory) -> None:
    region = await regions.create()
    w = await build(session, region, providers=3)
    p1, p2, p3 = w.providers
    m1, m2 = region.municipality_ids[:2]
    await ledger(session, w, provider_id=p1, municipality_id=m1, amount_cents=50_000)
    await ledger(session, w, provider_id=p1, municipality_id=m2, amount_cents=12_345)
    await ledger(session, w, provider_id=p1, municipality_id=m2, amount_cents=-2_345, kind="month")
    await ledger(session, w, provider_id=p2, municipality_id=m1, amount_cents=70_001)
    # another month and another provider's other month do not count
    await ledger(session, w, provider_id=p2, municipality_id=m1, amount_cents=999, period=date(2026, 2, 1))
    await ledger(session, w, provider_id=p3, municipality_id=m1, amount_cents=999, period=date(2026, 4, 1))

    count = await build_specifications(session, region_id=region.id, period=MARCH, run_id=None, now=NOW)

    assert count == 2
    specs = await _specs(session, region.id)
    assert set(specs) == {p1, p2}
    assert specs[p1].total_cents == 60_000 and specs[p1].lines == 3
    assert specs[p2].total_cents == 70_001 and specs[p2].lines == 1
    assert specs[p1].status == "draft"
    assert specs[p1].number == f"SP-2026-03-{p1:05d}"
    # a rerun over the same ledger changes nothing
    assert await build_specifications(session, region_id=region.id, period=MARCH, run_id=None, now=NOW) == 0


async def test_rebuild_refreshes_drafts_and_never_touches_approved(
    session: AsyncSession, regions: RegionFactory
) -> None:
    region = await regions.create()
    w = await build(session, region, providers=2)
    p1, p2 = w.providers
    m1 = region.municipality_ids[0]
    await ledger(session, w, provider_id=p1, municipality_id=m1, amount_cents=10_000)
    await ledger(session, w, provider_id=p2, municipality_id=m1, amount_cents=20_000)
    await build_specifications(session, region_id=region.id, period=MARCH, run_id=None, now=NOW)
    await session.execute(
        update(Specification)
        .where(Specification.region_id == region.id, Specification.provider_id == p2)
        .values(status="approved")
    )
    await ledger(session, w, provider_id=p1, municipality_id=m1, amount_cents=5_000)
    await ledger(session, w, provider_id=p2, municipality_id=m1, amount_cents=7_000)

    count = await build_specifications(session, region_id=region.id, period=date(2026, 3, 17), run_id=None, now=NOW)

    assert count == 1
    session.expire_all()
    specs = await _specs(session, region.id)
    assert (specs[p1].total_cents, specs[p1].lines) == (15_000, 2)
    assert (specs[p2].total_cents, specs[p2].lines, specs[p2].status) == (20_000, 1, "approved")
