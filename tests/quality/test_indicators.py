"""Indicators on a small hand-built fixture (tests/support/quality_factories.half_year_fixture), period 2026-H1.

The fixture, worked out by hand (P = provider, Q = other provider, M1/M2 municipalities, profile 1 = low, norm
182 days; early closure: within 8 weeks = 56 days without all goals achieved):

 #  prov mun youth agreed      start       end         reason result   goals  wait  duration
 1  P    M1  y1    2025-12-01  2026-01-05  2026-05-01  31     achieved a a    35    116
 2  P    M1  y2    2026-01-10  2026-01-20  2026-02-10  34     partly   a n    10     21  (early closure)
 3  P    M2  y3    2025-06-01  2025-07-01  2026-03-01  32     not      n n    (2025) 243 (dropout, over norm,
                                                                                       re-entry: #6)
 4  Q    M1  y4    2026-02-01  2026-02-15  2026-04-15  38     partly   a p    14     59  (transfer → #5)
 5  P    M1  y4    2026-04-10  2026-04-16  started (successor of #4 by transfer: not a re-entry)  6
 6  Q/p9 M2  y3    2026-05-20  2026-06-01  started                             12
 7  P    M1  y5    ended by 'change' on 2026-03-01: not an outcome; started 2025: not in the period
 8  P    M1  y6    2026-02-20  2026-03-01  2026-08-01 (ends after the period)  9
 9  P    M1  y7    agreed, not started: nowhere
Ratings: #1 parent 8 (03), youth 6 (04); #2 parent 5 (01).

Region: started 6 (#1 #2 #4 #5 #6 #8), ended 4 (#1–#4), all goals achieved 1, goals 4 of 8, dropout 1, early
closure 1, transfer 1, over norm 1, re-entry 1; waits 6 9 10 12 14 35 → median 11, p90 14 + 0.5 × 21 = 24.5;
mean duration (116 + 21 + 243 + 59) / 4 = 109.75; ratings 3, mean 19 / 3.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from quality.models import ConversationSettings, IndicatorSettings, ProfileNorm
from quality.rules import parse_period
from quality.services.indicators import IndicatorRow, compute_indicators
from tests.support.factories import RegionFactory
from tests.support.quality_factories import GOAL_RESULTS, half_year_fixture

H1 = parse_period("2026-H1")


def bench(rows: list[IndicatorRow]) -> IndicatorRow:
    (b,) = [r for r in rows if r.benchmark]
    return b


async def test_region_benchmark_by_hand(session: AsyncSession, regions: RegionFactory) -> None:
    fx = await half_year_fixture(session, await regions.create())
    rows = await compute_indicators(session, region_id=fx.w.region_id, period=H1, goal_results=GOAL_RESULTS)
    b = bench(rows)
    assert b.counts == {
        "n_started": 6, "n_ended": 4, "n_achieved": 1, "n_goals": 8, "n_goals_achieved": 4, "n_dropout": 1,
        "n_early_closure": 1, "n_transfer": 1, "n_over_norm": 1, "n_reentry": 1, "n_waiting": 6, "n_ratings": 3,
    }  # fmt: skip
    assert b.value("share_achieved") == 0.25
    assert b.value("share_goals_achieved") == 0.5
    assert b.value("share_dropout") == 0.25
    assert b.wait_median_days == 11.0
    assert b.wait_p90_days == pytest.approx(24.5)
    assert b.mean_duration_days == pytest.approx(109.75)
    assert b.value("rating_mean") == pytest.approx(19 / 3)
    assert b.help_again == {"01": 1, "02": 0, "03": 1, "04": 1}


async def test_per_provider_beside_the_benchmark(session: AsyncSession, regions: RegionFactory) -> None:
    fx = await half_year_fixture(session, await regions.create())
    w = fx.w
    rows = await compute_indicators(session, region_id=w.region_id, period=H1, by=("provider",),
                                    goal_results=GOAL_RESULTS)  # fmt: skip
    by = {r.provider_id: r for r in rows if not r.benchmark}
    assert set(by) == {w.p, w.q}
    p, q = by[w.p], by[w.q]
    assert (p.counts["n_started"], p.counts["n_ended"], p.counts["n_achieved"]) == (4, 3, 1)
    assert (p.counts["n_goals"], p.counts["n_goals_achieved"]) == (6, 3)
    assert (p.counts["n_dropout"], p.counts["n_early_closure"], p.counts["n_transfer"]) == (1, 1, 0)
    assert (p.counts["n_over_norm"], p.counts["n_reentry"]) == (1, 1)
    assert p.wait_median_days == 9.5  # waits 35, 10, 6, 9
    assert (q.counts["n_started"], q.counts["n_ended"], q.counts["n_transfer"]) == (2, 1, 1)
    assert q.wait_median_days == 13.0  # waits 14, 12
    assert q.counts["n_reentry"] == 0  # #4's successor #5 came by transfer
    assert bench(rows).counts["n_ended"] == 4


async def test_per_profile_and_municipality(session: AsyncSession, regions: RegionFactory) -> None:
    fx = await half_year_fixture(session, await regions.create())
    w = fx.w
    rows = await compute_indicators(session, region_id=w.region_id, period=H1, by=("profile", "municipality"),
                                    goal_results=GOAL_RESULTS)  # fmt: skip
    cells = {(r.profile_id, r.municipality_id): r.counts for r in rows if not r.benchmark}
    assert cells[(w.profile(1), w.m1)]["n_ended"] == 3  # #1 #2 #4
    assert cells[(w.profile(1), w.m2)]["n_ended"] == 1  # #3
    assert cells[(w.profile(9), w.m2)]["n_started"] == 1  # #6
    only_m2 = await compute_indicators(session, region_id=w.region_id, period=H1, municipality_id=w.m2,
                                       goal_results=GOAL_RESULTS)  # fmt: skip
    assert (bench(only_m2).counts["n_ended"], bench(only_m2).counts["n_started"]) == (1, 1)


async def test_region_settings_change_early_closure_reentry_and_norm(
    session: AsyncSession, regions: RegionFactory
) -> None:
    fx = await half_year_fixture(session, await regions.create())
    w = fx.w
    # 9 weeks = 63 days: #4 (59 days, partly) is now an early closure too
    await session.execute(insert(ConversationSettings).values(region_id=w.region_id, early_closure_weeks=9))
    # re-entry within 2 months: #6 starts 3 months after #3 ended → no longer a re-entry
    await session.execute(insert(IndicatorSettings).values(region_id=w.region_id, reentry_months=2))
    # norm of profile 1 = 100 days: #1 (116) and #3 (243) are over it
    await session.execute(insert(ProfileNorm).values(region_id=w.region_id, profile_id=w.profile(1), norm_days=100))
    b = bench(await compute_indicators(session, region_id=w.region_id, period=H1, goal_results=GOAL_RESULTS))
    assert b.counts["n_early_closure"] == 2
    assert b.counts["n_reentry"] == 0
    assert b.counts["n_over_norm"] == 2


async def test_quarter_and_year(session: AsyncSession, regions: RegionFactory) -> None:
    fx = await half_year_fixture(session, await regions.create())
    w = fx.w
    q1 = bench(await compute_indicators(session, region_id=w.region_id, period=parse_period("2026-K1"),
                                        goal_results=GOAL_RESULTS))  # fmt: skip
    assert (q1.counts["n_started"], q1.counts["n_ended"]) == (4, 2)  # started #1 #2 #4 #8; ended #2 #3
    year = bench(await compute_indicators(session, region_id=w.region_id, period=parse_period("2026"),
                                          goal_results=GOAL_RESULTS))  # fmt: skip
    assert (year.counts["n_started"], year.counts["n_ended"]) == (6, 5)  # + #8 ended in August


async def test_another_region_sees_nothing(session: AsyncSession, regions: RegionFactory) -> None:
    await half_year_fixture(session, await regions.create())
    other = await regions.create()
    b = bench(await compute_indicators(session, region_id=other.id, period=H1, goal_results=GOAL_RESULTS))
    assert b.counts["n_ended"] == 0 and b.counts["n_started"] == 0
