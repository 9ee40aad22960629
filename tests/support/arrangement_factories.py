"""Builders for family plans and arrangements in a committed test region (see tests/support/world.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.services.arrangements import (
    ProposalInput,
    agree_as_referrer,
    mark_ended,
    mark_started,
    proposable_types,
    propose_arrangement,
    record_family_consent,
)
from contracts.services.family_plans import FamilyPlanInput, create_family_plan, invite_provider
from jeugdregio.audit import Actor
from jeugdregio.clock import today, utcnow
from jeugdregio.tables import Membership, User
from tests.support.factories import TestRegion
from tests.support.world import Objects

VALID_BSN = "111222333"  # passes the eleven test; never a real person's
OTHER_BSN = "123456782"


async def membership_of(s: AsyncSession, region_id: int, email: str) -> tuple[int, int]:
    """(membership id, user id) of a user's role in the region."""
    row = (
        await s.execute(
            select(Membership.id, User.id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == email, Membership.region_id == region_id)
        )
    ).one()
    return int(row[0]), int(row[1])


def actor_for(region_id: int, user_id: int | None, role: str) -> Actor:
    return Actor(user_id=user_id, label=f"test-{role}", role=role, region_id=region_id)


def plan_input(region: TestRegion, *, bsn: str = VALID_BSN, goals: int = 2, **kw: str) -> FamilyPlanInput:
    values = dict(
        bsn=bsn, youth_name="Sam de Vries", birth_date=(date.today() - timedelta(days=365 * 10)).isoformat(),
        residence_basis="registered_address", municipality_id=str(region.municipality_ids[0]), referrer_type="01",
        situation="Gezin met zorgen over school.", profile_id=str(region.profile_ids[1]),
    )  # fmt: skip
    values.update(kw)
    return FamilyPlanInput(**values, goals=tuple(f"Doel nummer {i}" for i in range(1, goals + 1)))  # type: ignore[arg-type]


async def result_type_id(s: AsyncSession, region_id: int, provider_id: int, model: str = "result_50_50") -> int:
    types = await proposable_types(s, region_id=region_id, provider_id=provider_id, on=date.today())
    return next(t.id for t in types if t.payment_model == model and t.tariff is not None)


async def make_plan(
    region: TestRegion, world: Objects, *, referrer_email: str | None = None, bsn: str = VALID_BSN, goals: int = 2,
    invite: bool = True,
) -> int:  # fmt: skip
    async with region.maker() as s:
        mid, uid = await membership_of(s, region.id, referrer_email or world.users["referrer"])
        actor = actor_for(region.id, uid, "referrer")
        plan = await create_family_plan(s, region_id=region.id, referrer_membership_id=mid,
                                        data=plan_input(region, bsn=bsn, goals=goals), actor=actor,
                                        now=utcnow())  # fmt: skip
        assert plan.id is not None
        if invite:
            await invite_provider(s, region_id=region.id, referrer_membership_id=mid, plan_id=plan.id,
                                  provider_id=world.provider_id, actor=actor, now=utcnow())  # fmt: skip
        await s.commit()
        return plan.id


async def make_arrangement(
    region: TestRegion, world: Objects, plan_id: int, *, status: str = "agreed", type_id: int | None = None,
    now: datetime | None = None,
) -> int:  # fmt: skip
    """An arrangement of world's provider on the plan, brought to `status` (proposed|agreed|started|ended)."""
    now = now or utcnow()
    async with region.maker() as s:
        rmid, ruid = await membership_of(s, region.id, world.users["referrer"])
        _, puid = await membership_of(s, region.id, world.users["provider"])
        provider = actor_for(region.id, puid, "provider")
        referrer = actor_for(region.id, ruid, "referrer")
        tid = type_id or await result_type_id(s, region.id, world.provider_id)
        a = await propose_arrangement(
            s, region_id=region.id, provider_id=world.provider_id, plan_id=plan_id,
            data=ProposalInput(arrangement_type_id=str(tid), planned_start=today(now).isoformat()),
            actor=provider, now=now,
        )  # fmt: skip
        assert a.id is not None
        if status != "proposed":
            await agree_as_referrer(s, region_id=region.id, referrer_membership_id=rmid, arrangement_id=a.id,
                                    actor=referrer, now=now)  # fmt: skip
            await record_family_consent(s, region_id=region.id, referrer_membership_id=rmid, arrangement_id=a.id,
                                        note="Moeder, gesprek", actor=referrer, now=now)  # fmt: skip
        if status in ("started", "ended"):
            await mark_started(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=a.id,
                               start_date=today(now), actor=provider, now=now)  # fmt: skip
        if status == "ended":
            await mark_ended(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=a.id,
                             end_date=today(now), end_reason="31", outcomes={1: "achieved", 2: "partly"},
                             actor=provider, now=now)  # fmt: skip
        await s.commit()
        return a.id
