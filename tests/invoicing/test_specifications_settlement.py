"""End to end: a real settlement run (engineer B's) builds the month's specifications; their totals and their
PDF text match the ledger per municipality; paying one sets paid_at on exactly the declarations behind it."""

from __future__ import annotations

import io
from datetime import date

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from invoicing.models import Declaration, LedgerEntry, Specification
from invoicing.rules import halves, instalments
from invoicing.services.settlement import run_settlement
from jeugdregio.templating import euro
from tests.support.factories import RegionFactory, csrf, login
from tests.support.invoicing_factories import (
    add_arrangement,
    add_declaration,
    add_lump_sum,
    at,
    finance_actor,
    invoicing_committed,
)  # fmt: skip

FEB = date(2026, 2, 1)


async def test_settled_month_reconciles_with_specifications_and_pdf(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    region = await regions.create()
    world = await invoicing_committed(region, users=True)
    m1, m2 = world.municipality_ids[:2]
    async with region.maker() as s:
        a = await add_arrangement(s, world, status="started", tariff_cents=100_001, start_date=date(2026, 2, 3))
        d_start = await add_declaration(s, world, a, kind="start", period=date(2026, 2, 3),
                                        amount_cents=halves(100_001)[0])  # fmt: skip
        q = await add_arrangement(s, world, model="pxq", status="started", tariff_cents=1_500,
                                  start_date=date(2026, 1, 5), municipality_id=m2)  # fmt: skip
        d_pxq = await add_declaration(s, world, q, kind="pxq", period=FEB, units=10, amount_cents=15_000,
                                      municipality_id=m2)  # fmt: skip
        await add_lump_sum(s, world, year=2026, yearly_cents=1_200_000)
        o = await add_arrangement(s, world, status="started", tariff_cents=50_000, start_date=date(2026, 2, 1),
                                  provider_id=world.other_provider_id)  # fmt: skip
        d_other = await add_declaration(s, world, o, kind="start", period=date(2026, 2, 1), amount_cents=25_000,
                                        provider_id=world.other_provider_id)  # fmt: skip
        await s.commit()

    await run_settlement(region.maker, region_id=region.id, period=FEB, actor=finance_actor(region.id),
                         now=at(2026, 3, 5))  # fmt: skip

    async with region.maker() as s:
        sums = {
            (p, m): int(c) for p, m, c in await s.execute(
                select(LedgerEntry.provider_id, LedgerEntry.municipality_id, func.sum(LedgerEntry.amount_cents))
                .where(LedgerEntry.region_id == region.id, LedgerEntry.period == FEB)
                .group_by(LedgerEntry.provider_id, LedgerEntry.municipality_id)
            )
        }  # fmt: skip
        specs = {sp.provider_id: sp for sp in (await s.execute(
            select(Specification).where(Specification.region_id == region.id))).scalars()}  # fmt: skip
    own = world.provider_id
    assert sums[(own, m1)] == halves(100_001)[0] + instalments(1_200_000)[1]  # first 50 % + February's instalment
    assert sums[(own, m2)] == 15_000
    assert specs[own].total_cents == sums[(own, m1)] + sums[(own, m2)]
    assert specs[world.other_provider_id].total_cents == 25_000

    await login(client, world.users["team_finance"])
    pdf = await client.get(f"/team/specificaties/{specs[own].id}/pdf")
    assert pdf.status_code == 200
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert euro(sums[(own, m1)]) in text and euro(sums[(own, m2)]) in text
    assert f"Totaal {euro(specs[own].total_cents)}" in text
    assert "lump sum" in text and "P×Q" in text and "eerste 50 %" in text

    base = f"/team/specificaties/{specs[own].id}"
    token = await csrf(client, base)
    assert (await client.post(f"{base}/goedkeuren", data={"_csrf_token": token})).status_code == 303
    paid = await client.post(f"{base}/betaald", data={"_csrf_token": token, "paid_on": date.today().isoformat()})
    assert paid.status_code == 303
    async with region.maker() as s:
        paid_at = dict((await s.execute(select(Declaration.id, Declaration.paid_at).where(
            Declaration.region_id == region.id))).all())  # fmt: skip
    assert paid_at[d_start] is not None and paid_at[d_pxq] is not None
    assert paid_at[d_other] is None  # another provider's specification is not paid yet
