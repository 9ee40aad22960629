"""The invoicing test builders themselves work (other test modules rely on them)."""

from __future__ import annotations

from datetime import date

from tests.support.invoicing_factories import (
    add_arrangement,
    add_lump_sum,
    add_population,
    arrangement_row,
    build_invoicing,
    set_policy,
)  # fmt: skip


async def test_builders_make_arrangements_in_any_state(session, regions) -> None:
    region = await regions.create()
    world = await build_invoicing(session, region)
    aid = await add_arrangement(session, world, model="monthly", status="started", start_date=date(2026, 1, 10))
    row = await arrangement_row(session, aid)
    assert row.status == "started" and row.max_months == 12 and row.provider_id == world.provider_id
    pxq = await arrangement_row(session, await add_arrangement(session, world, model="pxq"))
    assert pxq.assigned_units == 100 and pxq.payment_model == "pxq"
    await set_policy(session, region.id, pay_not_achieved=True)
    assert await add_lump_sum(session, world, year=2026, yearly_cents=1200_00) > 0
    assert await add_population(session, world, year=2026, cents_per_youth=100, youths=[10, 20]) > 0
