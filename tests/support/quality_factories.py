"""Hand-made fixtures for quality tests: arrangements with end reasons, results, goal results and ratings,
inserted directly through the contracts/quality tables (TEST code only: the lifecycle belongs to contracts).

`QualityWorld` reuses invoicing_factories.build_invoicing (two providers, a referrer, a plan with two goals)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Arrangement, ArrangementGoalResult
from quality.models import Rating, RatingInvitation
from tests.support.factories import TestRegion
from tests.support.invoicing_factories import InvoicingWorld, build_invoicing

GOAL_RESULTS = ArrangementGoalResult.__table__  # type: ignore[attr-defined]
_refs = itertools.count(1)


@dataclass
class QualityWorld:
    inv: InvoicingWorld

    @property
    def region_id(self) -> int:
        return self.inv.region.id

    @property
    def p(self) -> int:
        return self.inv.provider_id

    @property
    def q(self) -> int:
        return self.inv.other_provider_id

    @property
    def m1(self) -> int:
        return self.inv.municipality_ids[0]

    @property
    def m2(self) -> int:
        return self.inv.municipality_ids[1]

    def profile(self, number: int) -> int:
        return self.inv.region.profile_ids[number]


async def build_quality(s: AsyncSession, region: TestRegion) -> QualityWorld:
    return QualityWorld(await build_invoicing(s, region))


async def add(
    s: AsyncSession, w: QualityWorld, *, youth: str, provider_id: int | None = None, profile: int = 1,
    municipality_id: int | None = None, status: str = "confirmed", agreed_on: date | None = None,
    start: date | None = None, end: date | None = None, reason: str | None = None, result: str | None = None,
    goals: tuple[str, ...] = (), previous_id: int | None = None, link_kind: str | None = None,
    tariff_cents: int = 100_000,
) -> int:  # fmt: skip
    """One arrangement; `goals`: the outcome per goal of the plan (at most two), written as goal results."""
    now = datetime.now(UTC)
    values: dict[str, Any] = dict(
        region_id=w.region_id, reference=f"AR-Q-{next(_refs):06d}{secrets.token_hex(2)}", plan_id=w.inv.plan_id,
        provider_id=provider_id or w.p, arrangement_type_id=w.inv.type_ids["result_50_50"],
        profile_id=w.profile(profile), payment_model="result_50_50",
        paying_municipality_id=municipality_id or w.m1, youth_pseudonym=youth, status=status,
        planned_start=start or agreed_on or date(2026, 1, 1), subcontractors=[], agreed_on=agreed_on,
        tariff_cents=tariff_cents, start_date=start, end_date=end, end_reason=reason, result=result,
        previous_arrangement_id=previous_id, link_kind=link_kind, created_at=now, updated_at=now,
    )  # fmt: skip
    aid = int((await s.execute(insert(Arrangement).values(**values).returning(Arrangement.id))).scalar_one())
    for goal_id, outcome in zip(w.inv.goal_ids, goals, strict=False):
        await s.execute(
            insert(ArrangementGoalResult).values(region_id=w.region_id, arrangement_id=aid, goal_id=goal_id,
                                                 outcome=outcome)
        )
    return aid


async def rate(
    s: AsyncSession, w: QualityWorld, arrangement_id: int, *, usefulness: int, help_again: str,
    informant: str = "parent", provider_id: int | None = None, profile: int = 1,
) -> None:  # fmt: skip
    now = datetime.now(UTC)
    inv_id = (
        await s.execute(
            insert(RatingInvitation).values(
                region_id=w.region_id, arrangement_id=arrangement_id, provider_id=provider_id or w.p,
                profile_id=w.profile(profile), informant=informant, created_at=now, used_at=now,
            ).returning(RatingInvitation.id)  # type: ignore[arg-type]
        )
    ).scalar_one()  # fmt: skip
    await s.execute(
        insert(Rating).values(
            region_id=w.region_id, invitation_id=inv_id, arrangement_id=arrangement_id,
            provider_id=provider_id or w.p, profile_id=w.profile(profile), informant=informant,
            usefulness=usefulness, help_again=help_again, submitted_at=now,
        )
    )  # fmt: skip


@dataclass
class HalfYearFixture:
    """The hand-built fixture of tests/quality/test_indicators.py (period 2026-H1); ids by number."""

    w: QualityWorld
    ids: dict[int, int]


async def half_year_fixture(s: AsyncSession, region: TestRegion) -> HalfYearFixture:
    """Nine arrangements whose indicators for 2026-H1 are worked out by hand in the test module's docstring."""
    w = await build_quality(s, region)
    ids: dict[int, int] = {}
    ids[1] = await add(s, w, youth="y1", agreed_on=date(2025, 12, 1), start=date(2026, 1, 5), end=date(2026, 5, 1),
                       reason="31", result="achieved", goals=("achieved", "achieved"))  # fmt: skip
    ids[2] = await add(s, w, youth="y2", agreed_on=date(2026, 1, 10), start=date(2026, 1, 20),
                       end=date(2026, 2, 10), reason="34", result="partly", goals=("achieved", "not"),
                       status="ended")  # fmt: skip
    ids[3] = await add(s, w, youth="y3", municipality_id=w.m2, agreed_on=date(2025, 6, 1), start=date(2025, 7, 1),
                       end=date(2026, 3, 1), reason="32", result="not", goals=("not", "not"))  # fmt: skip
    ids[4] = await add(s, w, youth="y4", provider_id=w.q, agreed_on=date(2026, 2, 1), start=date(2026, 2, 15),
                       end=date(2026, 4, 15), reason="38", result="partly", goals=("achieved", "partly"))  # fmt: skip
    ids[5] = await add(s, w, youth="y4", status="started", agreed_on=date(2026, 4, 10), start=date(2026, 4, 16),
                       previous_id=ids[4], link_kind="transfer")  # fmt: skip
    ids[6] = await add(s, w, youth="y3", provider_id=w.q, profile=9, municipality_id=w.m2, status="started",
                       agreed_on=date(2026, 5, 20), start=date(2026, 6, 1))  # fmt: skip
    ids[7] = await add(s, w, youth="y5", agreed_on=date(2025, 10, 20), start=date(2025, 11, 1),
                       end=date(2026, 3, 1), reason="change", result=None)  # fmt: skip
    ids[8] = await add(s, w, youth="y6", status="ended", agreed_on=date(2026, 2, 20), start=date(2026, 3, 1),
                       end=date(2026, 8, 1), reason="31", result="achieved")  # fmt: skip
    ids[9] = await add(s, w, youth="y7", status="agreed", agreed_on=date(2026, 6, 1))
    await rate(s, w, ids[1], usefulness=8, help_again="03")
    await rate(s, w, ids[1], usefulness=6, help_again="04", informant="youth")
    await rate(s, w, ids[2], usefulness=5, help_again="01")
    return HalfYearFixture(w, ids)
