"""Budget figures on a hand-built fixture: realisation reconciles with the ledger, commitments and the
inflow trend by hand, the forecast, the solidarity rule; the chart; the budget form; municipality scoping."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import Budget, LedgerEntry, LumpSum, PopulationBudget, PopulationFigure
from invoicing.rules import Policy
from invoicing.services.budgets import budget_figures, commitment_of, parse_euros
from invoicing.services.charts import budget_chart_svg
from jeugdregio.errors import ValidationFailed
from tests.invoicing.money_world import NOW, arrangement, build, declaration, ledger
from tests.support.factories import RegionFactory, csrf, login

TODAY = date(2026, 4, 15)  # months left in 2026: April–December = 9


async def _fixture(s: AsyncSession, regions: RegionFactory):  # type: ignore[no-untyped-def]
    region = await regions.create()
    w = await build(s, region, providers=1)
    p = w.providers[0]
    m1, m2, m3 = region.municipality_ids

    async def arr(**kw):  # type: ignore[no-untyped-def]
        return await arrangement(s, w, provider_id=p, municipality_id=kw.pop("m", m1), **kw)

    async def pay(amount: int, period: date, kind: str = "start_half", m: int = m1, **kw) -> int:  # type: ignore[no-untyped-def]
        return await ledger(s, w, provider_id=p, municipality_id=m, amount_cents=amount, period=period, kind=kind, **kw)

    a = await arr(tariff_cents=100_001)  # started, start paid: the second half 50_001 is still to come
    await pay(50_000, date(2026, 2, 1), arrangement_id=a)
    await arr(status="agreed", tariff_cents=80_000, start=None)  # nothing paid yet: 40_000 + 40_000
    c = await arr(status="ended", tariff_cents=240_000, end=date(2026, 3, 1))
    await pay(120_000, date(2025, 12, 1), arrangement_id=c)  # last year: inflow, not realisation
    from contracts.models import Arrangement

    (await s.get(Arrangement, c)).result = "not"  # type: ignore[union-attr]  # not achieved: no second half
    d = await arr(status="ended", tariff_cents=60_000, end=date(2026, 3, 20))
    (await s.get(Arrangement, d)).result = "achieved"  # type: ignore[union-attr]  # second half 30_000 due
    await pay(30_000, date(2026, 3, 1), arrangement_id=d)
    e = await arr(payment_model="monthly", tariff_cents=30_000, start=date(2026, 1, 10), max_months=6)
    await pay(30_000, date(2026, 2, 1), kind="month", arrangement_id=e)
    await pay(30_000, date(2026, 3, 1), kind="month", arrangement_id=e)  # 2 paid: 4 left of 6 → 120_000
    f = await arr(payment_model="monthly", tariff_cents=10_000, start=date(2026, 2, 1), end=date(2026, 6, 20))
    x = await pay(5_000, date(2026, 3, 1), kind="month", arrangement_id=f)
    await pay(-5_000, date(2026, 3, 1), kind="reversal", arrangement_id=f, reverses_id=x, reason="dubbel")
    # f: April, May, June → 30_000
    g = await arr(payment_model="pxq", tariff_cents=2_500, units=40)
    decl = await declaration(s, w, arrangement_id=g, provider_id=p, municipality_id=m1, kind="pxq", amount_cents=25_000)
    from invoicing.models import Declaration

    (await s.get(Declaration, decl)).units = 10  # type: ignore[union-attr]  # 30 units left → 75_000
    await arr(status="confirmed", tariff_cents=1_000_000)  # confirmed: nothing more to pay
    await arr(m=m2, tariff_cents=500_000)  # another municipality
    ls = LumpSum(region_id=region.id, provider_id=p, municipality_id=m1, year=2026, yearly_cents=120_000,
                 created_at=NOW)  # fmt: skip
    s.add(ls)
    await s.flush()
    for month in (1, 2, 3):
        await pay(10_000, date(2026, month, 1), kind="lump_sum", lump_sum_id=ls.id)  # 90_000 left
    pb = PopulationBudget(region_id=region.id, provider_id=p, year=2026, cents_per_youth=1_000, weighted=True,
                          created_at=NOW)  # fmt: skip
    s.add(pb)
    s.add(PopulationFigure(region_id=region.id, municipality_id=m1, year=2026, inhabitants=1_000, youths=100,
                           weight_basis_points=12_000, imported_at=NOW))  # fmt: skip
    await s.flush()
    await pay(10_000, date(2026, 3, 1), kind="population", population_budget_id=pb.id)  # 120_000 − 10_000 left
    await pay(105_000, date(2026, 1, 1), kind="month", m=m3)
    await pay(777, date(2026, 2, 1), kind="month", m=m2)
    for mid, cents in ((m1, 800_000), (m2, 1_000_000), (m3, 100_000)):
        s.add(Budget(region_id=region.id, municipality_id=mid, year=2026, amount_cents=cents, updated_at=NOW))
    await s.flush()
    return region, (m1, m2, m3)


async def test_figures_by_hand_and_reconciled_with_the_ledger(session: AsyncSession, regions: RegionFactory) -> None:
    region, (m1, m2, m3) = await _fixture(session, regions)

    rows = {f.municipality_id: f for f in await budget_figures(session, region.id, year=2026, today=TODAY)}

    f = rows[m1]
    ledger_sum = (await session.execute(select(func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.region_id == region.id, LedgerEntry.municipality_id == m1,
        LedgerEntry.period >= date(2026, 1, 1), LedgerEntry.period < date(2027, 1, 1)))).scalar_one()  # fmt: skip
    assert f.realisation_cents == ledger_sum == 180_000
    assert f.realisation_by_month[:4] == [10_000, 90_000, 80_000, 0]
    assert f.commitments == {"result_50_50": 50_001 + 80_000 + 0 + 30_000, "monthly": 120_000 + 30_000,
                             "pxq": 75_000, "lump_sum": 90_000, "population": 110_000}  # fmt: skip
    assert f.commitments_cents == 585_001
    assert f.inflow_monthly_cents == (50_000 + 120_000 + 30_000) // 12 == 16_666
    assert f.months_left == 9 and f.inflow_cents == 149_994
    assert f.forecast_cents == 180_000 + 585_001 + 149_994
    assert f.over_cents == 914_995 - 800_000 and str(f.over_percent) == "14.4"
    assert f.exceeds_budget and f.solidarity
    # the forecast by month adds up to the year forecast
    assert sum(fc for _, _, fc in f.by_month()) == f.forecast_cents
    assert rows[m2].realisation_cents == 777 and not rows[m2].exceeds_budget
    # above the budget, but by 5 %: a warning, not the solidarity rule
    assert rows[m3].forecast_cents == 105_000 and rows[m3].exceeds_budget and not rows[m3].solidarity


async def test_a_past_year_is_its_realisation(session: AsyncSession, regions: RegionFactory) -> None:
    region, (m1, _m2, _m3) = await _fixture(session, regions)
    rows = {f.municipality_id: f for f in await budget_figures(session, region.id, year=2025, today=TODAY)}
    assert rows[m1].realisation_cents == 120_000
    assert rows[m1].commitments_cents == 0 and rows[m1].inflow_cents == 0 and rows[m1].forecast_cents == 120_000


def test_euro_amounts_parse_with_dutch_errors() -> None:
    assert parse_euros("bedrag", "1.250.000,50", "het budget") == 125_000_050
    assert parse_euros("bedrag", "€ 300", "het budget") == 30_000
    for bad, word in (("-5", "negatief"), ("twaalf", "geen bedrag"), ("1,234", "geen bedrag"), ("", "Vul")):
        try:
            parse_euros("bedrag", bad, "het budget")
        except ValidationFailed as exc:
            assert word in exc.errors[0].message and exc.errors[0].field == "bedrag"
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_chart_is_an_svg_without_scripts() -> None:
    svg = budget_chart_svg([(m, 1000 * m, 2000 * m) for m in range(1, 13)], 50_000, title="Test 2026").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<script" not in svg.lower()
    assert "Realisatie per maand" in svg or "Realisatie" in svg


async def test_budget_form_and_pages(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    region = await regions.create()
    m1 = region.municipality_ids[0]
    await login(client, await region.user("team_finance"))
    token = await csrf(client, f"/team/budgetten/{m1}")

    negative = await client.post(f"/team/budgetten/{m1}", data={"_csrf_token": token, "jaar": "2026", "bedrag": "-10"})
    words = await client.post(f"/team/budgetten/{m1}", data={"_csrf_token": token, "jaar": "2026", "bedrag": "veel"})
    assert negative.status_code == 422 and "kan niet negatief zijn" in negative.text
    assert words.status_code == 422 and "is geen bedrag" in words.text
    ok = await client.post(f"/team/budgetten/{m1}", data={"_csrf_token": token, "jaar": "2026", "bedrag": "1.500,25"})
    assert ok.status_code == 303
    async with region.maker() as s:
        query = select(Budget.amount_cents).where(Budget.region_id == region.id, Budget.municipality_id == m1)
        stored = (await s.execute(query)).scalar_one()
    assert stored == 150_025

    detail = await client.get(f"/team/budgetten/{m1}?jaar=2026")
    assert detail.status_code == 200
    assert '<img src="data:image/svg+xml;base64,' in detail.text
    assert "style=" not in detail.text and "<script>" not in detail.text  # the CSP allows neither inline
    assert "€ 1.500,25" in detail.text and "Prognose = realisatie + verplichtingen + instroomtrend" in detail.text
    overview = await client.get("/team/budgetten?jaar=2026")
    assert overview.status_code == 200 and f"/team/budgetten/{m1}?jaar=2026" in overview.text
    csv = await client.get("/team/budgetten.csv?jaar=2026")
    assert csv.status_code == 200 and ";2026;1500,25;" in csv.content.decode("utf-8-sig")
    xlsx = await client.get(f"/team/budgetten/{m1}/xlsx?jaar=2026")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad_year = await client.get("/team/budgetten?jaar=ooit")
    assert bad_year.status_code == 422


async def test_municipality_sees_only_its_own_budget(client: httpx.AsyncClient, regions: RegionFactory) -> None:
    region = await regions.create()
    own, other = region.municipality_ids[:2]
    await login(client, await region.user("municipality", municipality_id=own))

    mine = await client.get("/gemeente/budget")
    mine_direct = await client.get(f"/team/budgetten/{own}")
    theirs = await client.get(f"/team/budgetten/{other}")
    theirs_csv = await client.get(f"/team/budgetten/{other}/csv")
    overview = await client.get("/team/budgetten")
    token = await csrf(client, "/gemeente/budget")
    write = await client.post(f"/team/budgetten/{own}", data={"_csrf_token": token, "jaar": "2026", "bedrag": "1"})

    assert mine.status_code == 200 and mine_direct.status_code == 200
    assert "Budget vaststellen" not in mine.text  # reading only
    assert theirs.status_code == 404 and theirs_csv.status_code == 404
    assert overview.status_code == 403 and write.status_code == 403
    own_csv = await client.get("/gemeente/budget/csv")
    assert own_csv.status_code == 200


async def test_a_budget_for_another_regions_municipality_is_404(
    client: httpx.AsyncClient, regions: RegionFactory
) -> None:
    region = await regions.create()
    foreign = await regions.create()
    await login(client, await region.user("team_finance"))
    token = await csrf(client, "/team/budgetten")
    target = foreign.municipality_ids[0]
    form = {"_csrf_token": token, "jaar": "2026", "bedrag": "5"}
    response = await client.post(f"/team/budgetten/{target}", data=form)
    page = await client.get(f"/team/budgetten/{target}")
    assert response.status_code == 404 and page.status_code == 404


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (dict(payment_model="result_50_50", status="started", start_paid=True), 50_000),
        (dict(payment_model="result_50_50", status="agreed"), 100_000),
        (dict(payment_model="result_50_50", status="ended", start_paid=True, end_reason="32"), 0),  # early end
        (dict(payment_model="result_50_50", status="ended", start_paid=True, end_reason="change"), 0),
        (dict(payment_model="result_50_50", status="ended", start_paid=True, result="partly"), 50_000),
        (dict(payment_model="result_50_50", status="started", start_paid=True, result_paid=True), 0),
        # monthly: April–December = 9 months, capped by what is left of max_months
        (dict(payment_model="monthly", status="started", tariff_cents=1_000), 9_000),
        (dict(payment_model="monthly", status="started", tariff_cents=1_000, max_months=5, months_paid=3), 2_000),
        (dict(payment_model="monthly", status="started", tariff_cents=1_000, end=date(2026, 3, 31)), 0),
        (dict(payment_model="monthly", status="agreed", tariff_cents=1_000, start=date(2027, 2, 1)), 0),
        (dict(payment_model="pxq", status="started", tariff_cents=250, assigned_units=10, declared_units=4), 1_500),
        (dict(payment_model="pxq", status="started", tariff_cents=250, assigned_units=10, declared_units=12), 0),
        (dict(payment_model="pxq", status="ended", tariff_cents=250, assigned_units=10), 0),
    ],
)
def test_commitment_of_one_arrangement(case: dict, expected: int) -> None:  # type: ignore[type-arg]
    args = dict(
        payment_model="result_50_50", status="started", tariff_cents=100_000, start=date(2026, 1, 1), end=None,
        max_months=None, assigned_units=None, declared_units=0, result=None, end_reason=None, start_paid=False,
        result_paid=False, months_paid=0, policy=Policy(), today=TODAY, year=2026,
    )  # fmt: skip
    args.update(case)
    assert commitment_of(**args) == expected  # type: ignore[arg-type]
