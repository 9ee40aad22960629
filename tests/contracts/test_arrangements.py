"""Arrangement lifecycle services against PostgreSQL: every transition and the refused ones, the tariff fixed on
the agreement date, change and transfer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from catalogue.models import Tariff
from contracts.models import Arrangement, FrameworkContract, Provider
from contracts.services.arrangements import (
    ProposalInput,
    agree_as_provider,
    agree_as_referrer,
    cancel_arrangement,
    confirm_result,
    dispute_result,
    proposable_types,
    propose_arrangement,
    propose_change,
    record_family_consent,
    reject_arrangement,
    resolve_dispute,
)
from contracts.services.family_plans import create_family_plan, invite_provider
from jeugdregio.clock import AMSTERDAM, today, utcnow
from jeugdregio.errors import InvalidTransition, NotFound, ValidationFailed
from jeugdregio.tables import AuditEvent
from tests.support.arrangement_factories import (
    actor_for,
    make_arrangement,
    make_plan,
    membership_of,
    plan_input,
    result_type_id,
)
from tests.support.world import build_world


@pytest.fixture
async def setup(regions):
    region = await regions.create()
    world = await build_world(region, catalogue=True)
    return region, world


async def _referrer(s, region, world):  # type: ignore[no-untyped-def]
    mid, uid = await membership_of(s, region.id, world.users["referrer"])
    return mid, actor_for(region.id, uid, "referrer")


async def _provider(s, region, world):  # type: ignore[no-untyped-def]
    _, uid = await membership_of(s, region.id, world.users["provider"])
    return actor_for(region.id, uid, "provider")


async def test_invalid_bsn_and_other_fields_are_named(setup) -> None:
    region, world = setup
    async with region.maker() as s:
        mid, actor = await _referrer(s, region, world)
        with pytest.raises(ValidationFailed) as exc:
            await create_family_plan(
                s, region_id=region.id, referrer_membership_id=mid,
                data=plan_input(region, bsn="123456789", goals=0, birth_date="2999-01-01", municipality_id="0"),
                actor=actor, now=utcnow(),
            )  # fmt: skip
        fields = exc.value.by_field()
        assert {"bsn", "goals", "birth_date", "municipality_id"} <= fields.keys()
        assert "BSN" in fields["bsn"]
        with pytest.raises(ValidationFailed) as exc:
            await create_family_plan(s, region_id=region.id, referrer_membership_id=mid, actor=actor, now=utcnow(),
                                     data=plan_input(region, birth_date="1990-01-01", goals=11))  # fmt: skip
        assert {"birth_date", "goals"} == exc.value.by_field().keys()


async def test_plan_references_count_up_and_audit_has_no_bsn(setup) -> None:
    region, world = setup
    p1 = await make_plan(region, world)
    p2 = await make_plan(region, world)
    async with region.maker() as s:
        from contracts.models import FamilyPlan

        refs = [(await s.get(FamilyPlan, p)).reference for p in (world.plan_id, p1, p2)]  # type: ignore[union-attr]
        year = today(utcnow()).year
        assert all(r.startswith(f"GP-{year}-") and len(r) == 14 for r in refs)
        numbers = [int(r.rsplit("-", 1)[1]) for r in refs]
        assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
        summaries = (await s.execute(select(AuditEvent.summary).where(AuditEvent.region_id == region.id))).scalars()
        assert all("111222333" not in str(x) for x in summaries)


async def test_full_agreement_fixes_the_tariff(setup) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    aid = await make_arrangement(region, world, plan_id, status="proposed")
    now = utcnow()
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        provider = await _provider(s, region, world)
        with pytest.raises(InvalidTransition):  # proposing was the provider's agreement
            await agree_as_provider(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=aid,
                                    actor=provider, now=now)  # fmt: skip
    async with region.maker() as s:
        a = await agree_as_referrer(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=aid,
                                    actor=referrer, now=now)  # fmt: skip
        assert a.status == "proposed" and a.tariff_cents is None
        with pytest.raises(ValidationFailed):
            await record_family_consent(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=aid,
                                        note="  ", actor=referrer, now=now)  # fmt: skip
    async with region.maker() as s:
        await agree_as_referrer(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=aid,
                                actor=referrer, now=now)  # fmt: skip
        a = await record_family_consent(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=aid,
                                        note="Vader, huisbezoek", actor=referrer, now=now)  # fmt: skip
        assert a.status == "agreed" and a.agreed_on == today(now) and a.tariff_cents and a.tariff_id
        await s.commit()


async def _boundary(s, type_id: int, day: date) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Split the type's open tariff period: the old one ends on `day`, a new one (+1000 cents) starts the day
    after. Returns (old cents, new cents)."""
    old = (await s.execute(select(Tariff).where(Tariff.arrangement_type_id == type_id,
                                                Tariff.valid_until.is_(None)))).scalar_one()  # type: ignore[union-attr]  # fmt: skip
    old.valid_until = day
    s.add(Tariff(region_id=old.region_id, arrangement_type_id=type_id, amount_cents=old.amount_cents + 1000,
                 valid_from=day + timedelta(days=1), created_at=utcnow()))  # fmt: skip
    await s.flush()
    return old.amount_cents, old.amount_cents + 1000


async def test_tariff_is_the_one_valid_on_the_agreement_date(setup) -> None:
    region, world = setup
    day = today(utcnow())
    async with region.maker() as s:
        type_id = await result_type_id(s, region.id, world.provider_id)
        old_cents, new_cents = await _boundary(s, type_id, day)
        await s.commit()
    on_boundary = datetime.combine(day, time(12), AMSTERDAM)
    day_after = on_boundary + timedelta(days=1)
    a1 = await make_arrangement(region, world, await make_plan(region, world), type_id=type_id, now=on_boundary)
    a2 = await make_arrangement(region, world, await make_plan(region, world), type_id=type_id, now=day_after)
    async with region.maker() as s:
        assert (await s.get(Arrangement, a1)).tariff_cents == old_cents  # type: ignore[union-attr]
        assert (await s.get(Arrangement, a2)).tariff_cents == new_cents  # type: ignore[union-attr]
        # a later change of the tariff table does not touch an agreed arrangement
        await s.execute(update(Tariff).where(Tariff.arrangement_type_id == type_id).values(amount_cents=1))
        await s.commit()
    async with region.maker() as s:
        assert (await s.get(Arrangement, a1)).tariff_cents == old_cents  # type: ignore[union-attr]


async def test_no_tariff_on_the_agreement_date_is_a_clear_error(setup) -> None:
    region, world = setup
    day = today(utcnow())
    async with region.maker() as s:
        type_id = await result_type_id(s, region.id, world.provider_id)
        await s.execute(update(Tariff).where(Tariff.arrangement_type_id == type_id)
                        .values(valid_from=day + timedelta(days=30)))  # fmt: skip
        await s.commit()
    with pytest.raises(ValidationFailed) as exc:
        await make_arrangement(region, world, await make_plan(region, world), type_id=type_id)
    assert "geen tarief" in exc.value.errors[0].message


async def test_proposal_outside_the_lots_or_plan_not_invited(setup) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    uninvited = await make_plan(region, world, invite=False)
    async with region.maker() as s:
        provider = await _provider(s, region, world)
        lot_types = {t.id for t in await proposable_types(s, region_id=region.id, provider_id=world.provider_id,
                                                          on=today(utcnow()))}  # fmt: skip
        from catalogue.models import ArrangementType

        outside = (await s.execute(select(ArrangementType.id).where(
            ArrangementType.region_id == region.id, ArrangementType.id.not_in(lot_types)).limit(1))).scalar_one()  # type: ignore[union-attr]  # fmt: skip
        with pytest.raises(ValidationFailed) as exc:
            await propose_arrangement(s, region_id=region.id, provider_id=world.provider_id, plan_id=plan_id,
                                      data=ProposalInput(str(outside), today(utcnow()).isoformat()),
                                      actor=provider, now=utcnow())  # fmt: skip
        assert "arrangement_type_id" in exc.value.by_field()
        with pytest.raises(NotFound):
            await propose_arrangement(s, region_id=region.id, provider_id=world.provider_id, plan_id=uninvited,
                                      data=ProposalInput(str(min(lot_types)), today(utcnow()).isoformat()),
                                      actor=provider, now=utcnow())  # fmt: skip


async def test_suspended_provider_cannot_propose(setup) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    async with region.maker() as s:
        await s.execute(update(Provider).where(Provider.id == world.provider_id).values(status="suspended"))
        await s.execute(update(FrameworkContract).where(FrameworkContract.id == world.contract_id)
                        .values(status="suspended"))  # fmt: skip
        await s.commit()
    with pytest.raises(InvalidTransition) as exc:
        await make_arrangement(region, world, plan_id, status="proposed", type_id=1)
    assert "geen actieve raamovereenkomst" in exc.value.message


async def test_reject_cancel_and_wrong_states(setup) -> None:
    region, world = setup
    a1 = await make_arrangement(region, world, await make_plan(region, world), status="proposed")
    a2 = await make_arrangement(region, world, await make_plan(region, world), status="agreed")
    a3 = await make_arrangement(region, world, await make_plan(region, world), status="started")
    now = utcnow()
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        provider = await _provider(s, region, world)
        with pytest.raises(ValidationFailed):
            await reject_arrangement(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a1,
                                     reason="", actor=referrer, now=now)  # fmt: skip
        a = await reject_arrangement(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a1,
                                     reason="Past niet bij de doelen", actor=referrer, now=now)  # fmt: skip
        assert a.status == "rejected"
        a = await cancel_arrangement(s, region_id=region.id, provider_id=world.provider_id, arrangement_id=a2,
                                     reason="Geen plek meer", actor=provider, now=now)  # fmt: skip
        assert a.status == "cancelled"
        with pytest.raises(InvalidTransition):  # started: no cancel
            await cancel_arrangement(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a3,
                                     reason="Te laat", actor=referrer, now=now)  # fmt: skip
    async with region.maker() as s:
        with pytest.raises(NotFound):  # another referrer of the same region
            other_email = await region.user("referrer")
            omid, ouid = await membership_of(s, region.id, other_email)
            await cancel_arrangement(s, region_id=region.id, referrer_membership_id=omid, arrangement_id=a2,
                                     reason="x", actor=actor_for(region.id, ouid, "referrer"), now=now)  # fmt: skip


async def test_confirm_dispute_and_resolve(setup) -> None:
    region, world = setup
    a1 = await make_arrangement(region, world, await make_plan(region, world), status="ended")
    a2 = await make_arrangement(region, world, await make_plan(region, world), status="ended")
    now = utcnow()
    team = actor_for(region.id, None, "team_contracts")
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        a = await confirm_result(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a1,
                                 actor=referrer, now=now)  # fmt: skip
        assert a.status == "confirmed" and a.result == "partly"
        with pytest.raises(InvalidTransition):
            await dispute_result(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a1,
                                 reason="Toch niet", actor=referrer, now=now)  # fmt: skip
        a = await dispute_result(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=a2,
                                 reason="Doel 1 is niet behaald", actor=referrer, now=now)  # fmt: skip
        assert a.status == "disputed"
        with pytest.raises(ValidationFailed):
            await resolve_dispute(s, region_id=region.id, arrangement_id=a2, resolution="Gesprek gevoerd",
                                  result="unknown", actor=team, now=now)  # fmt: skip
        a = await resolve_dispute(s, region_id=region.id, arrangement_id=a2, resolution="Gesprek gevoerd",
                                  result="not", actor=team, now=now)  # fmt: skip
        assert a.status == "confirmed" and a.result == "not"
        await s.commit()
        events = (await s.execute(select(AuditEvent.action).where(
            AuditEvent.region_id == region.id, AuditEvent.object_id == str(a2)))).scalars().all()  # fmt: skip
        assert "resolve" in events and "dispute" in events
        behalf = (await s.execute(select(AuditEvent.on_behalf_of).where(
            AuditEvent.object_id == str(a2), AuditEvent.action == "dispute"))).scalar_one()  # fmt: skip
        assert behalf == "verwijzer en gezin"


async def test_change_mid_way_ends_the_old_one(setup) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    old_id = await make_arrangement(region, world, plan_id, status="started")
    now = utcnow()
    planned = today(now) + timedelta(days=14)
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        provider = await _provider(s, region, world)
        types = await proposable_types(s, region_id=region.id, provider_id=world.provider_id, on=today(now))
        old = await s.get(Arrangement, old_id)
        assert old is not None
        other_type = next(t.id for t in types if t.id != old.arrangement_type_id and t.tariff)
        new = await propose_change(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=old_id,
                                   data=ProposalInput(str(other_type), planned.isoformat()), actor=referrer,
                                   now=now)  # fmt: skip
        assert new.link_kind == "change" and new.previous_arrangement_id == old_id and new.referrer_agreed_at
        with pytest.raises(InvalidTransition):  # one open change at a time
            await propose_change(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=old_id,
                                 data=ProposalInput(str(other_type), planned.isoformat()), actor=referrer,
                                 now=now)  # fmt: skip
        await record_family_consent(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=new.id,
                                    note="Moeder akkoord", actor=referrer, now=now)  # type: ignore[arg-type]  # fmt: skip
        new = await agree_as_provider(s, region_id=region.id, provider_id=world.provider_id,
                                      arrangement_id=new.id, actor=provider, now=now)  # type: ignore[arg-type]  # fmt: skip
        assert new.status == "agreed"
        await s.commit()
    async with region.maker() as s:
        old = await s.get(Arrangement, old_id)
        assert old is not None
        assert (old.status, old.end_reason, old.result) == ("confirmed", "change", None)
        assert old.end_date == planned - timedelta(days=1)


async def test_transfer_to_another_provider(setup, regions) -> None:
    region, world = setup
    plan_id = await make_plan(region, world)
    old_id = await make_arrangement(region, world, plan_id, status="started")
    # a second provider in the same region, with the same lot
    from contracts.services.contract_lifecycle import create_provider_from_application
    from tests.support.world import _application

    async with region.maker() as s:
        app = await _application(s, region, "admitted")
        other, _ = await create_provider_from_application(
            s, app, starts_on=today(utcnow()) - timedelta(days=5), actor=actor_for(region.id, None, "team_admin"),
            now=utcnow(),
        )  # fmt: skip
        await s.commit()
        other_id = other.id
    assert other_id is not None
    now = utcnow()
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        await invite_provider(s, region_id=region.id, referrer_membership_id=mid, plan_id=plan_id,
                              provider_id=other_id, actor=referrer, now=now)  # fmt: skip
        tid = await result_type_id(s, region.id, other_id)
        new = await propose_arrangement(s, region_id=region.id, provider_id=other_id, plan_id=plan_id,
                                        data=ProposalInput(str(tid), today(now).isoformat()),
                                        actor=actor_for(region.id, None, "provider"), now=now)  # fmt: skip
        assert new.link_kind == "transfer" and new.previous_arrangement_id == old_id
        await agree_as_referrer(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=new.id,
                                actor=referrer, now=now)  # type: ignore[arg-type]  # fmt: skip
        await record_family_consent(s, region_id=region.id, referrer_membership_id=mid, arrangement_id=new.id,
                                    note="Moeder akkoord", actor=referrer, now=now)  # type: ignore[arg-type]  # fmt: skip
        await s.commit()
    async with region.maker() as s:
        old = await s.get(Arrangement, old_id)
        assert old is not None and old.status == "ended" and old.end_reason == "38" and old.end_date is not None
        new_row = await s.get(Arrangement, new.id)
        assert new_row is not None and new_row.status == "agreed"


async def test_proposal_must_fit_the_plans_profile(setup) -> None:
    region, world = setup
    now = utcnow()
    async with region.maker() as s:
        mid, referrer = await _referrer(s, region, world)
        plan = await create_family_plan(s, region_id=region.id, referrer_membership_id=mid, actor=referrer, now=now,
                                        data=plan_input(region, profile_id=str(region.profile_ids[2])))  # fmt: skip
        assert plan.id is not None
        await invite_provider(s, region_id=region.id, referrer_membership_id=mid, plan_id=plan.id,
                              provider_id=world.provider_id, actor=referrer, now=now)  # fmt: skip
        tid = await result_type_id(s, region.id, world.provider_id)  # profile 1: in the lots, not the plan's
        with pytest.raises(ValidationFailed) as exc:
            await propose_arrangement(s, region_id=region.id, provider_id=world.provider_id, plan_id=plan.id,
                                      data=ProposalInput(str(tid), today(now).isoformat()),
                                      actor=await _provider(s, region, world), now=now)  # fmt: skip
        assert "zorgprofiel van het gezinsplan" in exc.value.by_field()["arrangement_type_id"]
