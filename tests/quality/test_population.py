"""Population figures per municipality per half year on a hand-built fixture (expected values stated by hand).

M1: 10,000 inhabitants, 2,000 youths 0–17 (2026); M2: 5,000 / 1,000; M3: no population figures.
Arrangements (any provider):  M1 y1 2026-01-10..2026-03-01 (H1); M1 y2 from 2025-12-01, still running (H1, H2);
M1 y2 again from 2026-02-01 (H1: y2 counts once); M1 y3 from 2026-08-01 (H2); M2 y4 2026-05-01..2026-07-15
(H1, H2); M1 y9 agreed, never started (nowhere).
Ledger: M1 Jan +1,000.00, Jun +500.00 and a reversal −100.00 (H1: 1,400.00), Jul +2,800.00 (H2); M2 Mar +300.00.

M1 H1: users 2, share 2/2000, cost per user 700.00, per inhabitant 0.14; H2: users 2, per user 1,400.00, per
inhabitant 0.28 → index (H1 = 100): share 100, per inhabitant 200, per user 200.
M2 H1: users 1, per user 300.00, per inhabitant 0.06; H2: users 1, cost 0 → per inhabitant index 0."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.models import LedgerEntry, PopulationFigure
from quality.rules import half_years, parse_period
from quality.services.population import population_figures
from tests.support.factories import RegionFactory
from tests.support.invoicing_factories import ledger_source
from tests.support.quality_factories import QualityWorld, add, build_quality


async def _ledger(s: AsyncSession, w: QualityWorld, mid: int, month: date, cents: int, key: str,
                  reverses: int | None = None) -> int:  # fmt: skip
    source = await ledger_source(s, w.region_id, w.p, mid)
    return int(
        (
            await s.execute(
                insert(LedgerEntry).values(
                    region_id=w.region_id, period=month, provider_id=w.p, municipality_id=mid,
                    kind="reversal" if reverses else "start_half", amount_cents=cents, dedupe_key=key,
                    reverses_id=reverses, reason="test" if reverses else "", created_at=datetime.now(UTC), **source,
                ).returning(LedgerEntry.id)  # type: ignore[arg-type]
            )
        ).scalar_one()
    )  # fmt: skip


async def _fixture(s: AsyncSession, regions: RegionFactory) -> QualityWorld:
    w = await build_quality(s, await regions.create())
    for mid, inh, youths in ((w.m1, 10_000, 2_000), (w.m2, 5_000, 1_000)):
        await s.execute(insert(PopulationFigure).values(region_id=w.region_id, municipality_id=mid, year=2026,
                                                        inhabitants=inh, youths=youths,
                                                        imported_at=datetime.now(UTC)))  # fmt: skip
    await add(s, w, youth="y1", start=date(2026, 1, 10), end=date(2026, 3, 1), reason="31", result="achieved")
    await add(s, w, youth="y2", status="started", start=date(2025, 12, 1))
    await add(s, w, youth="y2", status="started", start=date(2026, 2, 1))
    await add(s, w, youth="y3", status="started", start=date(2026, 8, 1))
    await add(s, w, youth="y4", municipality_id=w.m2, start=date(2026, 5, 1), end=date(2026, 7, 15), reason="31")
    await add(s, w, youth="y9", status="agreed", agreed_on=date(2026, 3, 1))
    first = await _ledger(s, w, w.m1, date(2026, 1, 1), 100_000, "t:1")
    await _ledger(s, w, w.m1, date(2026, 6, 1), 50_000, "t:2")
    await _ledger(s, w, w.m1, date(2026, 6, 1), -10_000, "t:3", reverses=first)
    await _ledger(s, w, w.m1, date(2026, 7, 1), 280_000, "t:4")
    await _ledger(s, w, w.m2, date(2026, 3, 1), 30_000, "t:5")
    return w


async def test_population_figures_by_hand(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    periods = half_years(parse_period("2026-H1"), parse_period("2026-H2"))
    assert [p.label for p in periods] == ["2026-H1", "2026-H2"]
    fig = await population_figures(session, region_id=w.region_id, periods=periods)
    rows = {(r.municipality_id, r.period): r for r in fig.rows}
    m1h1, m1h2 = rows[(w.m1, "2026-H1")], rows[(w.m1, "2026-H2")]
    assert (m1h1.users, m1h1.cost_cents, m1h1.youths, m1h1.inhabitants) == (2, 140_000, 2_000, 10_000)
    assert m1h1.share_in_care == pytest.approx(0.001)
    assert m1h1.cost_per_user_cents == 70_000
    assert m1h1.cost_per_inhabitant_cents == pytest.approx(14)
    assert (m1h2.users, m1h2.cost_cents) == (2, 280_000)
    assert m1h2.cost_per_user_cents == 140_000 and m1h2.cost_per_inhabitant_cents == pytest.approx(28)
    assert fig.base_period == "2026-H1"
    assert fig.index_share[(w.m1, "2026-H1")] == pytest.approx(100)
    assert fig.index_share[(w.m1, "2026-H2")] == pytest.approx(100)
    assert fig.index_cost_per_inhabitant[(w.m1, "2026-H2")] == pytest.approx(200)
    assert fig.index_cost_per_user[(w.m1, "2026-H2")] == pytest.approx(200)
    m2h1, m2h2 = rows[(w.m2, "2026-H1")], rows[(w.m2, "2026-H2")]
    assert (m2h1.users, m2h1.cost_cents, m2h2.users, m2h2.cost_cents) == (1, 30_000, 1, 0)
    assert m2h1.cost_per_user_cents == 30_000 and m2h1.cost_per_inhabitant_cents == pytest.approx(6)
    assert fig.index_cost_per_inhabitant[(w.m2, "2026-H2")] == pytest.approx(0)
    m3 = rows[(w.inv.municipality_ids[2], "2026-H1")]
    assert (m3.users, m3.youths, m3.share_in_care, m3.cost_per_inhabitant_cents) == (0, None, None, None)


async def test_one_municipality_and_a_chosen_base(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    periods = half_years(parse_period("2026-H1"), parse_period("2026-H2"))
    fig = await population_figures(session, region_id=w.region_id, periods=periods, municipality_id=w.m1,
                                   base_period="2026-H2")  # fmt: skip
    assert {r.municipality_id for r in fig.rows} == {w.m1}
    assert fig.base_period == "2026-H2"
    assert fig.index_cost_per_inhabitant[(w.m1, "2026-H1")] == pytest.approx(50)


def test_half_years_cross_the_year() -> None:
    labels = [p.label for p in half_years(parse_period("2025-K4"), parse_period("2026-K3"))]
    assert labels == ["2025-H2", "2026-H1", "2026-H2"]
    assert parse_period("2026-K4").end == date(2027, 1, 1)
    assert parse_period("2026-H1").previous().label == "2025-H2"
    with pytest.raises(ValueError):
        parse_period("2026-H3")


async def test_index_base_is_the_first_half_year_with_users(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    periods = half_years(parse_period("2025-H1"), parse_period("2026-H2"))  # 2025-H1: nobody in care yet
    fig = await population_figures(session, region_id=w.region_id, periods=periods)
    assert fig.base_period == "2025-H2"  # y2 started 2025-12-01
    assert fig.index_share[(w.m1, "2025-H1")] is None
