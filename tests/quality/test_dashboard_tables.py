"""Dashboard tables on a hand-built fixture (team scope: true values): care paths with re-entry, referrer types,
provider size classes; and the same tables for a provider, through the publication rules.

2026-H1; P = provider, Q = other provider:
  y1: P profile 1 2026-01-10..2026-02-10, then P profile 2 from 2026-05-01 (no link: a re-entry)
  y2: P profile 1 2026-02-01..2026-03-01 (38), then Q profile 2 from 2026-03-02 by transfer (linked)
  y3: P profile 1 from 2026-03-01
  y4: P profile 1 from 2025-10-01 (first start before the period: not in the H1 cohort)
  y5: Q profile 9 from 2026-04-01
Paths: P1 → P2 (opnieuw): 1; P1 → P2: 1; P1: 1; P9: 1 (total 4).
Referrers (the plan's type is 01): 6 arrangements started in H1.
Size classes: P has 4 youths running in H1 (y1–y4), Q 2 (y2, y5): two providers in '1–10'."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import FamilyPlan
from quality.rules import parse_period
from quality.services.dashboard import DashTable, Scope, build_dashboard
from tests.support.factories import RegionFactory
from tests.support.quality_factories import QualityWorld, add, build_quality

H1 = parse_period("2026-H1")
NOW = datetime(2026, 7, 15, tzinfo=UTC)
PLAN_REFERRERS = select(FamilyPlan.id, FamilyPlan.referrer_type).subquery("plan_referrers")  # type: ignore[call-overload]


async def _fixture(s: AsyncSession, regions: RegionFactory) -> QualityWorld:
    w = await build_quality(s, await regions.create())
    await add(s, w, youth="y1", start=date(2026, 1, 10), end=date(2026, 2, 10), reason="31", result="achieved")
    await add(s, w, youth="y1", profile=2, status="started", start=date(2026, 5, 1))
    first = await add(s, w, youth="y2", start=date(2026, 2, 1), end=date(2026, 3, 1), reason="38", result="partly")
    await add(s, w, youth="y2", provider_id=w.q, profile=2, status="started", start=date(2026, 3, 2),
              previous_id=first, link_kind="transfer")  # fmt: skip
    await add(s, w, youth="y3", status="started", start=date(2026, 3, 1))
    await add(s, w, youth="y4", status="started", start=date(2025, 10, 1))
    await add(s, w, youth="y5", provider_id=w.q, profile=9, status="started", start=date(2026, 4, 1))
    return w


def cells(t: DashTable) -> dict[str, list[str]]:
    return {str(row[0].text): [c.text for c in row[1:]] for row in t.rows}


async def test_care_paths_with_reentry(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    dash = await build_dashboard(session, Scope("region", w.region_id), H1, now=NOW, only={"zorgpaden"})
    assert cells(dash.tables["zorgpaden"]) == {
        "P1 → P2 (opnieuw)": ["1"], "P1 → P2": ["1"], "P1": ["1"], "P9": ["1"], "Totaal": ["4"],
    }  # fmt: skip


async def test_referrer_types(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    dash = await build_dashboard(session, Scope("region", w.region_id), H1, now=NOW, only={"verwijzers"},
                                 plan_referrers=PLAN_REFERRERS)  # fmt: skip
    got = cells(dash.tables["verwijzers"])
    assert got["Gemeente (jeugdprofessional)"] == ["6"]
    assert got["Huisarts"] == ["0"] and got["Totaal"] == ["6"]


async def test_size_classes(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    dash = await build_dashboard(session, Scope("provider", w.region_id, provider_id=w.p), H1, now=NOW,
                                 only={"grootteklassen"})  # fmt: skip
    assert dash.own_size_class == "1–10 jeugdigen"
    # published for a provider: 2 providers is below 8 → '<8'
    assert cells(dash.tables["grootteklassen"])["1–10 jeugdigen"] == ["<8"]
    team = await build_dashboard(session, Scope("region", w.region_id), H1, now=NOW, only={"grootteklassen"})
    assert cells(team.tables["grootteklassen"])["1–10 jeugdigen"] == ["2"]


async def test_provider_paths_hold_only_its_own_arrangements(session: AsyncSession, regions: RegionFactory) -> None:
    w = await _fixture(session, regions)
    # Q's own arrangements: y2 (profile 2, first at Q in March) and y5 (profile 9)
    q = Scope("region", w.region_id, provider_id=w.q)  # region kind: true values, provider filter
    dash = await build_dashboard(session, q, H1, now=NOW, only={"zorgpaden"})
    assert cells(dash.tables["zorgpaden"]) == {"P2": ["1"], "P9": ["1"], "Totaal": ["2"]}


async def test_help_again_distribution(session: AsyncSession, regions: RegionFactory) -> None:
    """Ratings of arrangements ended in H1: 9 × 'Nee' (04) and 1 × 'Ja, maar minder' (02) at P; nothing else."""
    from tests.support.quality_factories import rate

    w = await build_quality(session, await regions.create())
    for i in range(10):
        aid = await add(session, w, youth=f"h{i}", start=date(2026, 1, 10), end=date(2026, 3, 1), reason="31",
                        result="achieved")  # fmt: skip
        await rate(session, w, aid, usefulness=8, help_again="02" if i == 0 else "04")
    team = await build_dashboard(session, Scope("region", w.region_id), H1, now=NOW, only={"hulpvraag"})
    got = cells(team.tables["hulpvraag"])
    assert got["Nee"] == ["9", "90,0%"] and got["Ja, maar minder hulp"] == ["1", "10,0%"]
    assert got["Totaal"] == ["10", "100,0%"]
    mine = await build_dashboard(session, Scope("provider", w.region_id, provider_id=w.p), H1, now=NOW,
                                 only={"hulpvraag"})  # fmt: skip
    got = cells(mine.tables["hulpvraag"])
    # published: 9 and 1 are in one column whose total (10) is shown: 1 is hidden, so 9 must go too
    assert got["Nee"][0] == "<8" and got["Ja, maar minder hulp"][0] == "<8"
    assert got["Totaal"][0] == "10"
