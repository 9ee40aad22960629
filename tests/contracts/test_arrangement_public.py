"""contracts.public for invoicing: arrangement facts, start and end reports (single and bulk), concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from contracts.models import ArrangementGoalResult
from contracts.public import (
    arrangement_facts,
    goals_of,
    mark_ended,
    mark_ended_many,
    mark_started,
    mark_started_many,
)
from jeugdregio.audit import Actor
from jeugdregio.clock import today, utcnow
from jeugdregio.errors import InvalidTransition, NotFound, ValidationFailed
from tests.support.arrangement_factories import make_arrangement, make_plan
from tests.support.world import build_world


@pytest.fixture
async def setup(regions):
    region = await regions.create()
    world = await build_world(region, catalogue=True)
    return region, world


def _actor(region_id: int) -> Actor:
    return Actor(user_id=None, label="test", role="provider", region_id=region_id)


async def test_facts_by_id_and_reference_scoped_to_region_and_provider(setup, regions) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    aid = await make_arrangement(region, world, plan_id, status="agreed")
    async with region.maker() as s:
        facts = await arrangement_facts(s, region_id=region.id, arrangement_id=aid)
        assert facts.status == "agreed" and facts.tariff_cents and facts.tariff_cents > 0
        assert facts.agreed_on == today(utcnow()) and facts.payment_model == "result_50_50"
        assert facts.reference.startswith("AR-") and len(facts.youth_pseudonym) == 24
        by_ref = await arrangement_facts(s, region_id=region.id, reference=facts.reference,
                                         provider_id=world.provider_id, lock=True)  # fmt: skip
        assert by_ref == facts
        with pytest.raises(NotFound):
            await arrangement_facts(s, region_id=region.id, arrangement_id=aid, provider_id=world.provider_id + 999)
        other = await regions.create()
        with pytest.raises(NotFound):
            await arrangement_facts(s, region_id=other.id, arrangement_id=aid)
        assert await goals_of(s, region_id=region.id, arrangement_id=aid) == [(1, "Doel nummer 1"),
                                                                             (2, "Doel nummer 2")]  # fmt: skip


async def test_start_then_end_with_outcomes(setup) -> None:
    region, world = setup
    aid = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    now = utcnow()
    async with region.maker() as s:
        with pytest.raises(InvalidTransition):  # not started yet
            await mark_ended(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                             end_date=today(now), end_reason="31", outcomes={1: "achieved", 2: "achieved"},
                             actor=_actor(region.id), now=now)  # fmt: skip
    async with region.maker() as s:
        with pytest.raises(ValidationFailed) as exc:
            await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                               start_date=today(now) - timedelta(days=60), actor=_actor(region.id),
                               now=now)  # fmt: skip
        assert exc.value.by_field().keys() == {"startdatum"}
    async with region.maker() as s:
        facts = await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                                   start_date=today(now), actor=_actor(region.id), now=now)  # fmt: skip
        assert facts.status == "started" and facts.start_date == today(now)
        await s.commit()
    async with region.maker() as s:
        with pytest.raises(InvalidTransition):
            await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                               start_date=today(now), actor=_actor(region.id), now=now)  # fmt: skip
    async with region.maker() as s:
        with pytest.raises(ValidationFailed) as exc:
            await mark_ended(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                             end_date=today(now) - timedelta(days=1), end_reason="change", outcomes={1: "achieved"},
                             actor=_actor(region.id), now=now)  # fmt: skip
        fields = exc.value.by_field()
        assert {"einddatum", "reden", "doel_2"} <= fields.keys()
        assert "doel 2" in fields["doel_2"]
    async with region.maker() as s:
        facts = await mark_ended(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                                 end_date=today(now), end_reason="31", outcomes={1: "achieved", 2: "not"},
                                 actor=_actor(region.id), now=now)  # fmt: skip
        assert facts.status == "ended" and facts.result == "partly" and facts.end_reason == "31"
        outcomes = (await s.execute(select(ArrangementGoalResult.outcome)
                                    .where(ArrangementGoalResult.arrangement_id == aid))).scalars().all()  # fmt: skip
        assert sorted(outcomes) == ["achieved", "not"]
        await s.commit()


async def test_another_providers_arrangement_is_not_found(setup) -> None:
    region, world = setup
    aid = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    async with region.maker() as s:
        with pytest.raises(NotFound):
            await mark_started(s, region_id=region.id, provider_id=world.provider_id + 1000, arrangement_id=aid,
                               start_date=today(utcnow()), actor=_actor(region.id), now=utcnow())  # fmt: skip


async def test_bulk_start_and_end_report_refused_ids(setup) -> None:
    region, world = setup
    a1 = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    a2 = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    a3 = await make_arrangement(region, world, await make_plan(region, world), status="proposed")
    now = utcnow()
    d = today(now)
    async with region.maker() as s:
        refused = await mark_started_many(
            s, region_id=region.id, provider_id=world.provider_id,
            rows=[(a1, d), (a2, d - timedelta(days=400)), (a3, d), (999_999_999, d)], actor=_actor(region.id), now=now,
        )  # fmt: skip
        assert refused == {a2, a3, 999_999_999}
        await s.commit()
    async with region.maker() as s:
        assert (await arrangement_facts(s, region_id=region.id, arrangement_id=a1)).status == "started"
        refused = await mark_ended_many(
            s, region_id=region.id, provider_id=world.provider_id,
            rows=[(a1, d, "31", {1: "achieved", 2: "achieved"}), (a2, d, "31", {1: "achieved", 2: "achieved"})],
            actor=_actor(region.id), now=now,
        )  # fmt: skip
        assert refused == {a2}
        await s.commit()
    async with region.maker() as s:
        facts = await arrangement_facts(s, region_id=region.id, arrangement_id=a1)
        assert facts.status == "ended" and facts.result == "achieved"
        n = len((await s.execute(select(ArrangementGoalResult).where(
            ArrangementGoalResult.arrangement_id == a1))).scalars().all())  # fmt: skip
        assert n == 2


async def test_bulk_end_refuses_missing_goal(setup) -> None:
    region, world = setup
    aid = await make_arrangement(region, world, await make_plan(region, world), status="started")
    async with region.maker() as s:
        refused = await mark_ended_many(s, region_id=region.id, provider_id=world.provider_id,
                                        rows=[(aid, today(utcnow()), "31", {1: "achieved"})],
                                        actor=_actor(region.id), now=utcnow())  # fmt: skip
        assert refused == {aid}


async def test_eight_concurrent_starts_exactly_one_wins(setup) -> None:
    region, world = setup
    aid = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    now = utcnow()

    async def attempt() -> str:
        async with region.maker() as s:
            try:
                await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                                   start_date=today(now), actor=_actor(region.id), now=now)  # fmt: skip
                await s.commit()
                return "ok"
            except InvalidTransition:
                await s.rollback()
                return "409"

    outcomes = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sorted(outcomes) == ["409"] * 7 + ["ok"]


async def test_read_handles_and_provider_helpers(setup) -> None:
    from contracts.public import (
        ARRANGEMENTS,
        GOAL_RESULTS,
        PLAN_REFERRERS,
        PROVIDERS,
        provider_lot_profiles,
        provider_names,
    )

    region, world = setup
    aid = await make_arrangement(region, world, await make_plan(region, world), status="ended")
    async with region.maker() as s:
        names = await provider_names(s, region.id, [world.provider_id, 999_999_999])
        assert list(names) == [world.provider_id] and names[world.provider_id].startswith("Testaanbieder")
        assert (await provider_lot_profiles(s, region.id)) == {world.provider_id: [region.profile_ids[1]]}
        row = (await s.execute(
            select(ARRANGEMENTS.c.id, PLAN_REFERRERS.c.referrer_type, PROVIDERS.c.name)
            .join(PLAN_REFERRERS, PLAN_REFERRERS.c.id == ARRANGEMENTS.c.plan_id)
            .join(PROVIDERS, PROVIDERS.c.id == ARRANGEMENTS.c.provider_id)
            .where(ARRANGEMENTS.c.id == aid)
        )).one()  # fmt: skip
        assert row.referrer_type == "01" and row.name == names[world.provider_id]
        outcomes = (await s.execute(select(GOAL_RESULTS.c.outcome).where(GOAL_RESULTS.c.arrangement_id == aid)))
        assert sorted(outcomes.scalars()) == ["achieved", "partly"]


async def test_concurrent_plans_get_distinct_references(setup) -> None:
    from contracts.models import FamilyPlan

    region, world = setup
    ids = await asyncio.gather(*(make_plan(region, world, invite=False) for _ in range(6)))
    async with region.maker() as s:
        refs = (await s.execute(select(FamilyPlan.reference).where(FamilyPlan.id.in_(ids)))).scalars().all()  # type: ignore[union-attr]
    assert len(set(refs)) == 6
