"""The arrangement lifecycle (DOMAIN.md §2): propose → agree (referrer, family, provider) → start → end →
confirm / dispute → resolve; cancel, reject, change of arrangement and transfer to another provider.

Every transition locks the arrangement row (SELECT … FOR UPDATE) before it checks the status, so two
concurrent transitions never both succeed. Services never commit; every state change writes one audit event.
The start and end reports of invoicing (`mark_started`, `mark_ended` and their bulk variants) are exposed
through contracts.public."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import arrangement_types, list_profiles, tariff_on
from contracts.arrangement_rules import (
    END_REASONS,
    GOAL_OUTCOMES,
    START_AHEAD_DAYS,
    START_BEFORE_AGREED_DAYS,
    agreed_status,
    arrangement_next,
    overall_result,
    start_date_problem,
)
from contracts.models import (
    Arrangement,
    ArrangementGoalResult,
    ContractLot,
    FamilyPlan,
    FamilyPlanGoal,
    FrameworkContract,
    Provider,
)
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.clock import today
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound, ValidationFailed

ARRANGEMENTS = Arrangement.__table__  # type: ignore[attr-defined]
REASON_MAX = 1000
SUBCONTRACTORS_MAX = 10


@dataclass(frozen=True)
class ArrangementFacts:
    """What invoicing and quality need of an arrangement: never the youth's identity (only the pseudonym)."""

    id: int
    reference: str
    region_id: int
    provider_id: int
    municipality_id: int
    status: str
    payment_model: str
    tariff_cents: int | None
    max_months: int | None
    assigned_units: int | None
    start_date: date | None
    end_date: date | None
    end_reason: str | None
    result: str | None
    youth_pseudonym: str
    profile_id: int
    arrangement_type_id: int
    agreed_on: date | None
    planned_start: date


def facts_of(a: Arrangement) -> ArrangementFacts:
    assert a.id is not None
    return ArrangementFacts(
        id=a.id, reference=a.reference, region_id=a.region_id, provider_id=a.provider_id,
        municipality_id=a.paying_municipality_id, status=a.status, payment_model=a.payment_model,
        tariff_cents=a.tariff_cents, max_months=a.max_months, assigned_units=a.assigned_units,
        start_date=a.start_date, end_date=a.end_date, end_reason=a.end_reason, result=a.result,
        youth_pseudonym=a.youth_pseudonym, profile_id=a.profile_id, arrangement_type_id=a.arrangement_type_id,
        agreed_on=a.agreed_on, planned_start=a.planned_start,
    )  # fmt: skip


async def load_arrangement(
    session: AsyncSession,
    *,
    region_id: int,
    arrangement_id: int | None = None,
    reference: str | None = None,
    provider_id: int | None = None,
    lock: bool = False,
) -> Arrangement:
    """One arrangement of the region (and of `provider_id` when given); NotFound otherwise. `lock`: FOR UPDATE."""
    if arrangement_id is None and reference is None:
        raise NotFound()
    q = select(Arrangement).where(Arrangement.region_id == region_id)
    if arrangement_id is not None:
        q = q.where(Arrangement.id == arrangement_id)
    if reference is not None:
        q = q.where(Arrangement.reference == reference)
    if provider_id is not None:
        q = q.where(Arrangement.provider_id == provider_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


async def next_reference(session: AsyncSession, region_id: int, prefix: str, table: str, year: int) -> str:
    """The next reference PREFIX-YEAR-000123 of the region, serialised by a transaction-scoped advisory lock
    (two concurrent creations never pick the same number; the unique constraint is the last line)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{table}:{region_id}:{prefix}"}
    )
    like = f"{prefix}-{year}-%"
    last = (
        await session.execute(
            text(f"SELECT max(reference) FROM {table} WHERE region_id = :r AND reference LIKE :p"),  # noqa: S608
            {"r": region_id, "p": like},
        )
    ).scalar_one_or_none()
    number = int(str(last).rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}-{year}-{number:06d}"


# ---- proposing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalInput:
    """A provider's proposal (raw form/API values; checked in `propose_arrangement`)."""

    arrangement_type_id: str = ""
    planned_start: str = ""
    subcontractors: tuple[str, ...] = ()
    assigned_units: str = ""


def parse_date(value: str, field: str, label: str, errors: ErrorCollector) -> date | None:
    value = (value or "").strip()
    if not value:
        errors.add(field, f"Vul de {label} in.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.add(field, f"De {label} is geen geldige datum (jjjj-mm-dd).")
        return None


async def proposable_types(session: AsyncSession, *, region_id: int, provider_id: int, on: date) -> list[Any]:
    """The arrangement types the provider may propose: active types within the lots of its live contract (an
    empty list for a suspended or ended provider)."""
    provider = (
        await session.execute(select(Provider).where(Provider.id == provider_id, Provider.region_id == region_id))
    ).scalar_one_or_none()
    if provider is None or provider.status != "active":
        return []
    lots = set(
        (
            await session.execute(
                select(ContractLot.profile_id)
                .join(FrameworkContract, FrameworkContract.id == ContractLot.contract_id)
                .where(
                    FrameworkContract.region_id == region_id,
                    FrameworkContract.provider_id == provider_id,
                    FrameworkContract.status == "active",
                )
            )
        ).scalars()
    )
    numbers = {p.number for p in await list_profiles(session, region_id) if p.id in lots}
    return [t for t in await arrangement_types(session, region_id, on=on) if t.active and t.profile_number in numbers]


async def types_for_plan(
    session: AsyncSession, *, region_id: int, provider_id: int, plan_id: int, on: date
) -> list[Any]:
    """The types the provider may propose for this plan: within its lots and the plan's care profile."""
    profile_id = (
        await session.execute(
            select(FamilyPlan.profile_id).where(FamilyPlan.id == plan_id, FamilyPlan.region_id == region_id)
        )
    ).scalar_one_or_none()
    types = await proposable_types(session, region_id=region_id, provider_id=provider_id, on=on)
    if profile_id is None:
        return types
    number = next((p.number for p in await list_profiles(session, region_id) if p.id == profile_id), None)
    return [t for t in types if t.profile_number == number]


async def _profile_id_by_number(session: AsyncSession, region_id: int, number: int) -> int:
    for p in await list_profiles(session, region_id):
        if p.number == number:
            return p.id
    raise NotFound()


async def propose_arrangement(
    session: AsyncSession,
    *,
    region_id: int,
    provider_id: int,
    plan_id: int,
    data: ProposalInput,
    actor: Actor,
    now: datetime,
) -> Arrangement:
    """The invited provider proposes an arrangement for a plan. When another provider has an open arrangement
    on the plan, the proposal is a transfer (link_kind 'transfer'); the old one ends when this one is agreed."""
    plan = (
        await session.execute(
            select(FamilyPlan)
            .where(FamilyPlan.id == plan_id, FamilyPlan.region_id == region_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if plan is None or plan.invited_provider_id != provider_id:
        raise NotFound()
    if plan.status != "open":
        raise InvalidTransition("Dit gezinsplan is gesloten.")
    open_rows = list(
        (
            await session.execute(
                select(Arrangement).where(
                    Arrangement.region_id == region_id,
                    Arrangement.plan_id == plan_id,
                    Arrangement.status.in_(("proposed", "agreed", "started")),  # type: ignore[attr-defined]
                )
            )
        ).scalars()
    )
    if any(a.provider_id == provider_id for a in open_rows):
        raise InvalidTransition("U heeft al een lopend arrangement of voorstel voor dit gezinsplan.")
    previous = next((a for a in open_rows if a.status == "started"), None)
    if any(a.status in ("proposed", "agreed") for a in open_rows):
        raise InvalidTransition("Er staat al een ander voorstel open voor dit gezinsplan.")
    return await _new_arrangement(
        session, plan=plan, provider_id=provider_id, data=data, actor=actor, now=now,
        previous=previous, link_kind="transfer" if previous else None, referrer_agrees=False,
        plan_profile_only=True,
    )  # fmt: skip


async def _new_arrangement(
    session: AsyncSession,
    *,
    plan: FamilyPlan,
    provider_id: int,
    data: ProposalInput,
    actor: Actor,
    now: datetime,
    previous: Arrangement | None,
    link_kind: str | None,
    referrer_agrees: bool,
    plan_profile_only: bool = False,
) -> Arrangement:
    """`plan_profile_only`: the type must belong to the plan's care profile (a provider's proposal chooses the
    intensity and setting within the profile; a change by the referrer may move to another profile)."""
    live = (
        await session.execute(
            select(FrameworkContract.id)
            .join(Provider, Provider.id == FrameworkContract.provider_id)
            .where(
                FrameworkContract.region_id == plan.region_id,
                FrameworkContract.provider_id == provider_id,
                FrameworkContract.status == "active",
                Provider.status == "active",
            )
        )
    ).first()
    if live is None:
        raise InvalidTransition(
            "De aanbieder heeft geen actieve raamovereenkomst (geschorst of beëindigd) en kan nu geen "
            "arrangementen aangaan."
        )
    errors = ErrorCollector()
    planned = parse_date(data.planned_start, "planned_start", "geplande startdatum", errors)
    if planned is not None and planned < today(now) - timedelta(days=31):
        errors.add("planned_start", "De geplande startdatum ligt meer dan een maand in het verleden.")
    types = {t.id: t for t in await proposable_types(session, region_id=plan.region_id, provider_id=provider_id,
                                                     on=planned or today(now))}  # fmt: skip
    chosen = None
    try:
        chosen = types.get(int(data.arrangement_type_id))
    except (TypeError, ValueError):
        pass
    if chosen is None:
        errors.add("arrangement_type_id", "Kies een arrangementtype binnen de percelen van uw raamovereenkomst.")
    elif plan_profile_only and plan.profile_id is not None:
        if await _profile_id_by_number(session, plan.region_id, chosen.profile_number) != plan.profile_id:
            errors.add("arrangement_type_id", "Kies een arrangementtype binnen het zorgprofiel van het gezinsplan.")
            chosen = None
    subs = [s.strip() for s in data.subcontractors if s and s.strip()]
    if len(subs) > SUBCONTRACTORS_MAX or any(len(s) > 200 for s in subs):
        errors.add("subcontractors", f"Noem hoogstens {SUBCONTRACTORS_MAX} onderaannemers (elk max. 200 tekens).")
    units: int | None = None
    if chosen is not None and chosen.payment_model == "pxq":
        try:
            units = int((data.assigned_units or "").strip())
            if units <= 0 or units > 100_000:
                raise ValueError
        except ValueError:
            errors.add("assigned_units", "Vul het aantal toegewezen eenheden in (een heel getal groter dan 0).")
    errors.raise_if_any()
    assert chosen is not None and planned is not None and plan.id is not None
    reference = await next_reference(session, plan.region_id, "AR", "contracts_arrangement", planned.year)
    row = Arrangement(
        region_id=plan.region_id, reference=reference, plan_id=plan.id, provider_id=provider_id,
        arrangement_type_id=chosen.id,
        profile_id=await _profile_id_by_number(session, plan.region_id, chosen.profile_number),
        payment_model=chosen.payment_model, max_months=chosen.max_months,
        paying_municipality_id=plan.paying_municipality_id, youth_pseudonym=plan.youth_pseudonym,
        status="proposed", planned_start=planned, subcontractors=subs, assigned_units=units,
        previous_arrangement_id=previous.id if previous else None, link_kind=link_kind,
        created_by=actor.user_id, created_at=now, updated_at=now,
    )  # fmt: skip
    if referrer_agrees:
        row.referrer_agreed_at, row.referrer_agreed_by = now, actor.user_id
    else:
        row.provider_agreed_at, row.provider_agreed_by = now, actor.user_id  # proposing is agreeing
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor, object_type="arrangement", object_id=row.id, action="propose", now=now,
        summary={"referentie": reference, "type": chosen.code, "gezinsplan": plan.reference,
                 "koppeling": link_kind or ""},
    )  # fmt: skip
    return row


async def propose_change(
    session: AsyncSession,
    *,
    region_id: int,
    referrer_membership_id: int,
    arrangement_id: int,
    data: ProposalInput,
    actor: Actor,
    now: datetime,
) -> Arrangement:
    """The referrer proposes another type for the same plan and provider (a change mid-way). The referrer's
    agreement is implied; the family and the provider still agree. When the new one is agreed, the old one
    ends with reason 'change'."""
    old = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    if old.status not in ("agreed", "started"):
        raise InvalidTransition("Alleen een akkoord of gestart arrangement kan worden gewijzigd.")
    pending = (
        await session.execute(
            select(func.count()).where(
                Arrangement.region_id == region_id,
                Arrangement.previous_arrangement_id == old.id,
                Arrangement.status == "proposed",
            )
        )
    ).scalar_one()
    if pending:
        raise InvalidTransition("Er staat al een wijziging open voor dit arrangement.")
    plan = await session.get(FamilyPlan, old.plan_id)
    assert plan is not None
    return await _new_arrangement(
        session, plan=plan, provider_id=old.provider_id, data=data, actor=actor, now=now,
        previous=old, link_kind="change", referrer_agrees=True,
    )  # fmt: skip


# ---- agreement ------------------------------------------------------------------------------------------------


async def _referrer_arrangement(
    session: AsyncSession, region_id: int, membership_id: int, arrangement_id: int, *, lock: bool
) -> Arrangement:
    """An arrangement on a plan of this referrer (NotFound otherwise)."""
    owned = select(FamilyPlan.id).where(
        FamilyPlan.region_id == region_id, FamilyPlan.referrer_membership_id == membership_id
    )
    q = select(Arrangement).where(
        Arrangement.region_id == region_id,
        Arrangement.id == arrangement_id,
        Arrangement.plan_id.in_(owned),  # type: ignore[attr-defined]
    )
    if lock:
        q = q.with_for_update(of=Arrangement).execution_options(populate_existing=True)
    row = (await session.execute(q)).scalar_one_or_none()
    if row is None:
        raise NotFound()
    return row


async def agree_as_referrer(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, arrangement_id: int,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    arrangement_next(a.status, "agree")
    if a.referrer_agreed_at is not None:
        raise InvalidTransition("U heeft al akkoord gegeven.")
    a.referrer_agreed_at, a.referrer_agreed_by = now, actor.user_id
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="agree", now=now,
                       summary={"partij": "verwijzer", "referentie": a.reference})  # fmt: skip
    return await _maybe_agreed(session, a, actor=actor, now=now)


async def record_family_consent(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, arrangement_id: int, note: str,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    """The referrer records the family's consent (who, in which conversation)."""
    a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    arrangement_next(a.status, "agree")
    note = (note or "").strip()
    if not note or len(note) > 200:
        raise ValidationFailed.single(
            "note", "Noteer wie namens het gezin akkoord gaf en wanneer (max. 200 tekens)."
        )
    if a.family_agreed_at is not None:
        raise InvalidTransition("Het akkoord van het gezin is al vastgelegd.")
    a.family_agreed_at, a.family_agreed_note = now, note
    await audit.record(session, replace(actor, on_behalf_of="gezin"), object_type="arrangement", object_id=a.id,
                       action="agree", now=now, summary={"partij": "gezin", "referentie": a.reference})  # fmt: skip
    return await _maybe_agreed(session, a, actor=actor, now=now)


async def agree_as_provider(
    session: AsyncSession, *, region_id: int, provider_id: int, arrangement_id: int, actor: Actor, now: datetime
) -> Arrangement:
    a = await load_arrangement(
        session, region_id=region_id, arrangement_id=arrangement_id, provider_id=provider_id, lock=True
    )
    arrangement_next(a.status, "agree")
    if a.provider_agreed_at is not None:
        raise InvalidTransition("U heeft al akkoord gegeven.")
    a.provider_agreed_at, a.provider_agreed_by = now, actor.user_id
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="agree", now=now,
                       summary={"partij": "aanbieder", "referentie": a.reference})  # fmt: skip
    return await _maybe_agreed(session, a, actor=actor, now=now)


async def _maybe_agreed(session: AsyncSession, a: Arrangement, *, actor: Actor, now: datetime) -> Arrangement:
    """When all three parties agreed: status agreed, the tariff fixed on the agreement date, and a changed or
    transferred predecessor ended."""
    status = agreed_status(
        a.referrer_agreed_at is not None, a.family_agreed_at is not None, a.provider_agreed_at is not None
    )
    a.updated_at = now
    if status != "agreed":
        await session.flush()
        return a
    agreed_on = today(now)
    tariff = await tariff_on(session, a.arrangement_type_id, agreed_on)
    if tariff is None:
        raise ValidationFailed.single(
            "arrangement_type_id",
            f"Er is geen tarief vastgesteld voor dit arrangementtype op {agreed_on.isoformat()}; "
            "het akkoord kan niet worden vastgelegd. Neem contact op met het regioteam.",
        )
    a.status, a.agreed_on, a.tariff_id, a.tariff_cents = "agreed", agreed_on, tariff.id, tariff.amount_cents
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="agreed", now=now,
                       summary={"referentie": a.reference, "tarief_cents": tariff.amount_cents,
                                "akkoorddatum": agreed_on.isoformat()})  # fmt: skip
    if a.previous_arrangement_id is not None:
        await _end_predecessor(session, a, actor=actor, now=now)
    return a


async def _end_predecessor(session: AsyncSession, new: Arrangement, *, actor: Actor, now: datetime) -> None:
    """A change: the old arrangement ends with reason 'change' the day before the new one's planned start and is
    closed at once (confirmed, result NULL: no outcome to pay on). A transfer: the old one ends with reason '38'
    (status ended, result NULL) and the referrer confirms it as usual. An old one that had not started yet is
    cancelled instead."""
    old = await load_arrangement(session, region_id=new.region_id, arrangement_id=new.previous_arrangement_id,
                                 lock=True)  # fmt: skip
    if old.status == "agreed":
        old.status, old.cancel_reason = "cancelled", (
            "Gewijzigd" if new.link_kind == "change" else "Overgedragen"
        ) + f" naar {new.reference}"
        action = "cancel"
    elif old.status == "started":
        assert old.start_date is not None
        old.end_date = max(old.start_date, new.planned_start - timedelta(days=1))
        old.ended_reported_at = now
        if new.link_kind == "change":
            old.status, old.end_reason, old.result = "confirmed", "change", None
            old.confirmed_at, old.confirmed_by = now, actor.user_id
        else:
            old.status, old.end_reason, old.result = "ended", "38", None
        action = "end"
    else:
        raise InvalidTransition(f"Het vorige arrangement {old.reference} loopt niet meer.")
    old.updated_at = now
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=old.id, action=action, now=now,
                       summary={"referentie": old.reference, "reden": old.end_reason or old.cancel_reason,
                                "opvolger": new.reference})  # fmt: skip


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single(field, "Geef een reden op.")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.single(field, f"De reden is te lang (max. {REASON_MAX} tekens).")
    return reason


async def reject_arrangement(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, arrangement_id: int, reason: str,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    new_status = arrangement_next(a.status, "reject")
    a.cancel_reason, a.updated_at = _reason(reason), now
    a.status = new_status
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="reject", now=now,
                       summary={"referentie": a.reference})  # fmt: skip
    return a


async def cancel_arrangement(
    session: AsyncSession, *, region_id: int, arrangement_id: int, reason: str, actor: Actor, now: datetime,
    provider_id: int | None = None, referrer_membership_id: int | None = None,
) -> Arrangement:  # fmt: skip
    """Cancel before the start: the referrer (on its plan) or the provider (its own arrangement)."""
    if referrer_membership_id is not None:
        a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    elif provider_id is not None:
        a = await load_arrangement(session, region_id=region_id, arrangement_id=arrangement_id,
                                   provider_id=provider_id, lock=True)  # fmt: skip
    else:
        raise NotFound()
    new_status = arrangement_next(a.status, "cancel")
    a.cancel_reason, a.updated_at = _reason(reason), now
    a.status = new_status
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="cancel", now=now,
                       summary={"referentie": a.reference})  # fmt: skip
    return a


# ---- the result ------------------------------------------------------------------------------------------------


async def confirm_result(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, arrangement_id: int,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    """The referrer confirms the reported result on behalf of the referrer and the family."""
    a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    a.status = arrangement_next(a.status, "confirm")
    a.confirmed_at, a.confirmed_by, a.updated_at = now, actor.user_id, now
    await session.flush()
    await audit.record(session, replace(actor, on_behalf_of="verwijzer en gezin"), object_type="arrangement",
                       object_id=a.id, action="confirm", now=now,
                       summary={"referentie": a.reference, "resultaat": a.result})  # fmt: skip
    return a


async def dispute_result(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, arrangement_id: int, reason: str,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    a = await _referrer_arrangement(session, region_id, referrer_membership_id, arrangement_id, lock=True)
    new_status = arrangement_next(a.status, "dispute")
    a.dispute_reason, a.updated_at = _reason(reason), now
    a.status = new_status
    await session.flush()
    await audit.record(session, replace(actor, on_behalf_of="verwijzer en gezin"), object_type="arrangement",
                       object_id=a.id, action="dispute", now=now,
                       summary={"referentie": a.reference, "resultaat": a.result})  # fmt: skip
    return a


async def resolve_dispute(
    session: AsyncSession, *, region_id: int, arrangement_id: int, resolution: str, result: str,
    actor: Actor, now: datetime,
) -> Arrangement:  # fmt: skip
    """The team settles a dispute; `result` ('' keeps the reported one) may correct the overall result."""
    a = await load_arrangement(session, region_id=region_id, arrangement_id=arrangement_id, lock=True)
    new_status = arrangement_next(a.status, "resolve")
    resolution = _reason(resolution, "resolution")
    result = (result or "").strip()
    if result and result not in GOAL_OUTCOMES:
        raise ValidationFailed.single("result", "Kies behaald, deels behaald of niet behaald.")
    before = a.result
    a.status, a.dispute_resolution, a.updated_at = new_status, resolution, now
    a.confirmed_at, a.confirmed_by = now, actor.user_id
    if result:
        a.result = result
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="resolve", now=now,
                       summary={"referentie": a.reference, **audit.changes({"resultaat": before},
                                                                           {"resultaat": a.result})})  # fmt: skip
    return a


# ---- start and end (reported by the provider through invoicing's declarations) -------------------------------


async def mark_started(
    session: AsyncSession, *, region_id: int, provider_id: int, arrangement_id: int, start_date: date,
    actor: Actor, now: datetime,
) -> ArrangementFacts:  # fmt: skip
    """agreed → started. Locks the row; 409 when not agreed (e.g. already started); 422 'startdatum' when the
    date is more than START_BEFORE_AGREED_DAYS before the agreement date or more than a year ahead."""
    a = await load_arrangement(session, region_id=region_id, arrangement_id=arrangement_id,
                               provider_id=provider_id, lock=True)  # fmt: skip
    new_status = arrangement_next(a.status, "start")
    assert a.agreed_on is not None
    problem = start_date_problem(start_date, a.agreed_on, today(now))
    if problem:
        raise ValidationFailed.single("startdatum", problem)
    a.status, a.start_date, a.updated_at = new_status, start_date, now
    await session.flush()
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="start", now=now,
                       summary={"referentie": a.reference, "startdatum": start_date.isoformat()})  # fmt: skip
    return facts_of(a)


async def _goal_positions(session: AsyncSession, region_id: int, arrangement_ids: list[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(Arrangement.id, FamilyPlanGoal.position)
        .join(FamilyPlanGoal, FamilyPlanGoal.plan_id == Arrangement.plan_id)
        .where(Arrangement.region_id == region_id, Arrangement.id.in_(arrangement_ids))  # type: ignore[union-attr]
        .order_by(FamilyPlanGoal.position)
    )
    out: dict[int, list[int]] = {}
    for aid, pos in rows:
        out.setdefault(aid, []).append(pos)
    return out


def _end_problems(positions: list[int], end_reason: str, outcomes: dict[int, str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if end_reason not in END_REASONS or end_reason == "change":
        problems.append(("reden", "Kies een geldige reden van beëindiging."))
    for pos in positions:
        if outcomes.get(pos) not in GOAL_OUTCOMES:
            problems.append((f"doel_{pos}", f"Geef voor doel {pos} aan: behaald, deels behaald of niet behaald."))
    for pos in outcomes:
        if pos not in positions:
            problems.append((f"doel_{pos}", f"Doel {pos} bestaat niet in het gezinsplan."))
    return problems


async def mark_ended(
    session: AsyncSession, *, region_id: int, provider_id: int, arrangement_id: int, end_date: date,
    end_reason: str, outcomes: dict[int, str], actor: Actor, now: datetime,
) -> ArrangementFacts:  # fmt: skip
    """started → ended with the end date, the reason (iJw JZ588, not 'change') and an outcome per goal of the
    plan (position → achieved | partly | not); the overall result follows from the outcomes."""
    a = await load_arrangement(session, region_id=region_id, arrangement_id=arrangement_id,
                               provider_id=provider_id, lock=True)  # fmt: skip
    new_status = arrangement_next(a.status, "end")
    assert a.id is not None and a.start_date is not None
    positions = (await _goal_positions(session, region_id, [a.id])).get(a.id, [])
    errors = ErrorCollector()
    for field, message in _end_problems(positions, end_reason, outcomes):
        errors.add(field, message)
    if end_date < a.start_date:
        errors.add("einddatum", "De einddatum ligt vóór de startdatum.")
    errors.raise_if_any()
    a.status, a.end_date, a.end_reason, a.ended_reported_at, a.updated_at = new_status, end_date, end_reason, now, now
    a.result = overall_result([outcomes[p] for p in positions])
    await session.flush()
    await _write_goal_results(session, region_id, [(a.id, outcomes)])
    await audit.record(session, actor, object_type="arrangement", object_id=a.id, action="end", now=now,
                       summary={"referentie": a.reference, "einddatum": end_date.isoformat(), "reden": end_reason,
                                "resultaat": a.result})  # fmt: skip
    return facts_of(a)


async def _write_goal_results(session: AsyncSession, region_id: int, rows: list[tuple[int, dict[int, str]]]) -> None:
    """One INSERT … SELECT FROM unnest for all (arrangement, goal position, outcome) triples."""
    ids, positions, outcomes = [], [], []
    for aid, per_goal in rows:
        for pos, outcome in per_goal.items():
            ids.append(aid)
            positions.append(pos)
            outcomes.append(outcome)
    if not ids:
        return
    await session.execute(
        text(
            "INSERT INTO contracts_arrangement_goal_result (region_id, arrangement_id, goal_id, outcome) "
            "SELECT :r, a.id, g.id, u.outcome "
            "FROM unnest(:ids, :pos, :outs) AS u(arrangement_id, position, outcome) "
            "JOIN contracts_arrangement a ON a.id = u.arrangement_id AND a.region_id = :r "
            "JOIN contracts_family_plan_goal g ON g.plan_id = a.plan_id AND g.position = u.position"
        ).bindparams(
            bindparam("ids", type_=ARRAY(Integer)), bindparam("pos", type_=ARRAY(Integer)),
            bindparam("outs", type_=ARRAY(String)),
        ),
        {"r": region_id, "ids": ids, "pos": positions, "outs": outcomes},
    )  # fmt: skip


async def mark_started_many(
    session: AsyncSession, *, region_id: int, provider_id: int, rows: list[tuple[int, date]], actor: Actor,
    now: datetime,
) -> set[int]:  # fmt: skip
    """Bulk agreed → started in one UPDATE … FROM unnest(…); returns the ids that did NOT transition (unknown,
    another provider's, not agreed, or a start date outside the window). One audit event for the batch."""
    if not rows:
        return set()
    ids = [r[0] for r in rows]
    days = [r[1] for r in rows]
    done = set(
        (
            await session.execute(
                text(
                    "UPDATE contracts_arrangement a SET status = 'started', start_date = u.start_date, "
                    "updated_at = :now "
                    "FROM (SELECT DISTINCT ON (id) id, start_date FROM unnest(:ids, :days) AS t(id, start_date) "
                    "      ORDER BY id) u "
                    "WHERE a.id = u.id AND a.region_id = :r AND a.provider_id = :p AND a.status = 'agreed' "
                    "AND u.start_date >= a.agreed_on - CAST(:before AS integer) AND u.start_date <= :latest "
                    "RETURNING a.id"
                ).bindparams(bindparam("ids", type_=ARRAY(Integer)), bindparam("days", type_=ARRAY(Date))),
                {"now": now, "ids": ids, "days": days, "r": region_id, "p": provider_id,
                 "before": START_BEFORE_AGREED_DAYS, "latest": today(now) + timedelta(days=START_AHEAD_DAYS)},
            )
        ).scalars()
    )  # fmt: skip
    if done:
        await audit.record(session, actor, object_type="arrangement", object_id="bulk", action="start", now=now,
                           summary={"aantal": len(done), "ids": sorted(done)[:100]})  # fmt: skip
    return set(ids) - done


async def mark_ended_many(
    session: AsyncSession, *, region_id: int, provider_id: int, rows: list[tuple[int, date, str, dict[int, str]]],
    actor: Actor, now: datetime,
) -> set[int]:  # fmt: skip
    """Bulk started → ended: the rows are checked against the goals of their plans (one SELECT), then one
    UPDATE … FROM unnest(…) and one INSERT of the goal results; returns the ids that did NOT transition. One
    audit event for the batch."""
    if not rows:
        return set()
    all_ids = {r[0] for r in rows}
    positions = await _goal_positions(session, region_id, list(all_ids))
    valid: dict[int, tuple[date, str, str, dict[int, str]]] = {}
    for aid, end_date, reason, outcomes in rows:
        if aid in valid or aid not in positions or _end_problems(positions[aid], reason, outcomes):
            continue
        valid[aid] = (end_date, reason, overall_result([outcomes[p] for p in positions[aid]]), outcomes)
    if not valid:
        return all_ids
    ids = list(valid)
    done = set(
        (
            await session.execute(
                text(
                    "UPDATE contracts_arrangement a SET status = 'ended', end_date = u.end_date, "
                    "end_reason = u.reason, result = u.result, ended_reported_at = :now, updated_at = :now "
                    "FROM unnest(:ids, :ends, :reasons, :results) AS u(id, end_date, reason, result) "
                    "WHERE a.id = u.id AND a.region_id = :r AND a.provider_id = :p AND a.status = 'started' "
                    "AND u.end_date >= a.start_date "
                    "RETURNING a.id"
                ).bindparams(
                    bindparam("ids", type_=ARRAY(Integer)), bindparam("ends", type_=ARRAY(Date)),
                    bindparam("reasons", type_=ARRAY(String)), bindparam("results", type_=ARRAY(String)),
                ),
                {"now": now, "r": region_id, "p": provider_id, "ids": ids,
                 "ends": [valid[i][0] for i in ids], "reasons": [valid[i][1] for i in ids],
                 "results": [valid[i][2] for i in ids]},
            )
        ).scalars()
    )  # fmt: skip
    await _write_goal_results(session, region_id, [(i, valid[i][3]) for i in sorted(done)])
    if done:
        await audit.record(session, actor, object_type="arrangement", object_id="bulk", action="end", now=now,
                           summary={"aantal": len(done), "ids": sorted(done)[:100]})  # fmt: skip
    return all_ids - done


async def goals_of(session: AsyncSession, *, region_id: int, arrangement_id: int) -> list[tuple[int, str]]:
    """(position, description) of the goals of the arrangement's plan (NotFound outside the region)."""
    a = await load_arrangement(session, region_id=region_id, arrangement_id=arrangement_id)
    rows = await session.execute(
        select(FamilyPlanGoal.position, FamilyPlanGoal.description)
        .where(FamilyPlanGoal.region_id == region_id, FamilyPlanGoal.plan_id == a.plan_id)
        .order_by(FamilyPlanGoal.position)
    )
    return [(int(p), str(d)) for p, d in rows]


async def goal_results(session: AsyncSession, arrangement_id: int) -> dict[int, str]:
    """goal id → outcome as reported at the end."""
    rows = await session.execute(
        select(ArrangementGoalResult.goal_id, ArrangementGoalResult.outcome).where(
            ArrangementGoalResult.arrangement_id == arrangement_id
        )
    )
    return {int(g): str(o) for g, o in rows}

