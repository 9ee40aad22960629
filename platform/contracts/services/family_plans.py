"""Family plans (gezinsplannen): the referrer records the youth, the paying municipality and the goals, and
invites the provider the family chose.

Who sees what (every read writes an audit record_read with its purpose):
  * the owning referrer and team_admin: everything, the BSN in full;
  * the invited provider: the reference, the first name, the birth year and the goals (never the BSN, never
    the surname or the full birth date);
  * everyone else: nothing (404). Arrangement pages show the plan's reference and goals only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.nl import bsn as bsn_check

from catalogue.public import list_profiles
from contracts.arrangement_rules import (
    REFERRER_TYPES,
    RESIDENCE_BASES,
    YOUTH_MAX_AGE,
    age_on,
    mask_bsn,
)
from contracts.models import Arrangement, FamilyPlan, FamilyPlanGoal, Provider
from contracts.services.arrangements import next_reference
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import today
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound, ValidationFailed
from jeugdregio.security import pseudonym
from jeugdregio.settings import get_settings
from jeugdregio.tables import Municipality

GOALS_MAX = 10
FULL_VIEW_ROLES = ("team_admin",)  # besides the owning referrer: the roles that see the BSN


@dataclass(frozen=True)
class FamilyPlanInput:
    """The family plan form (raw values)."""

    bsn: str = ""
    youth_name: str = ""
    birth_date: str = ""
    residence_basis: str = "registered_address"
    municipality_id: str = ""
    referrer_type: str = ""
    situation: str = ""
    profile_id: str = ""
    goals: tuple[str, ...] = ()


def _check(data: FamilyPlanInput, *, municipality_ids: set[int], profile_ids: set[int], day: date) -> dict[str, Any]:
    errors = ErrorCollector()
    raw_bsn = "".join(ch for ch in (data.bsn or "") if ch.isdigit())
    if not raw_bsn:
        errors.add("bsn", "Vul het BSN van de jeugdige in.")
    elif not bsn_check.is_valid(raw_bsn):
        errors.add("bsn", "Het BSN is niet geldig (9 cijfers, elfproef).")
    name = (data.youth_name or "").strip()
    if not name or len(name) > 200:
        errors.add("youth_name", "Vul de naam van de jeugdige in (max. 200 tekens).")
    birth: date | None = None
    try:
        birth = date.fromisoformat((data.birth_date or "").strip())
    except ValueError:
        errors.add("birth_date", "Vul een geldige geboortedatum in (jjjj-mm-dd).")
    if birth is not None:
        if birth > day:
            errors.add("birth_date", "De geboortedatum ligt in de toekomst.")
        elif age_on(birth, day) >= YOUTH_MAX_AGE:
            errors.add("birth_date", f"De jeugdige moet jonger zijn dan {YOUTH_MAX_AGE} jaar.")
    if data.residence_basis not in RESIDENCE_BASES:
        errors.add("residence_basis", "Kies de grondslag voor het woonplaatsbeginsel.")
    municipality_id: int | None = None
    try:
        municipality_id = int(data.municipality_id)
    except (TypeError, ValueError):
        pass
    if municipality_id not in municipality_ids:
        errors.add("municipality_id", "Kies de betalende gemeente uit de gemeenten van de regio.")
    if data.referrer_type not in REFERRER_TYPES:
        errors.add("referrer_type", "Kies het soort verwijzer.")
    situation = (data.situation or "").strip()
    if len(situation) > 5000:
        errors.add("situation", "De situatieschets is te lang (max. 5000 tekens).")
    profile_id: int | None = None
    try:
        profile_id = int(data.profile_id)
    except (TypeError, ValueError):
        pass
    if profile_id not in profile_ids:
        errors.add("profile_id", "Kies het zorgprofiel.")
    goals = [g.strip() for g in data.goals if g and g.strip()]
    if not goals:
        errors.add("goals", "Noem ten minste één doel.")
    elif len(goals) > GOALS_MAX:
        errors.add("goals", f"Noem hoogstens {GOALS_MAX} doelen.")
    for i, g in enumerate(goals, start=1):
        if len(g) > 1000:
            errors.add("goals", f"Doel {i} is te lang (max. 1000 tekens).", row=i)
    errors.raise_if_any()
    return {"bsn": raw_bsn, "name": name, "birth": birth, "municipality_id": municipality_id,
            "situation": situation, "profile_id": profile_id, "goals": goals}  # fmt: skip


async def plan_form_choices(session: AsyncSession, region_id: int) -> dict[str, Any]:
    municipalities = list(
        (
            await session.execute(
                select(Municipality.id, Municipality.name)
                .where(Municipality.region_id == region_id)
                .order_by(Municipality.name)
            )
        ).all()
    )
    return {
        "municipalities": [(int(i), str(n)) for i, n in municipalities],
        "profiles": await list_profiles(session, region_id),
        "referrer_types": REFERRER_TYPES,
        "residence_bases": RESIDENCE_BASES,
        "providers": [
            (int(i), str(n))
            for i, n in await session.execute(
                select(Provider.id, Provider.name)
                .where(Provider.region_id == region_id, Provider.status == "active")
                .order_by(Provider.name)
            )
        ],
    }


async def create_family_plan(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, data: FamilyPlanInput,
    actor: Actor, now: datetime,
) -> FamilyPlan:  # fmt: skip
    choices = await plan_form_choices(session, region_id)
    v = _check(
        data, municipality_ids={m for m, _ in choices["municipalities"]},
        profile_ids={p.id for p in choices["profiles"]}, day=today(now),
    )  # fmt: skip
    reference = await next_reference(session, region_id, "GP", "contracts_family_plan", today(now).year)
    plan = FamilyPlan(
        region_id=region_id, reference=reference, referrer_membership_id=referrer_membership_id,
        referrer_type=data.referrer_type, bsn=v["bsn"],
        youth_pseudonym=pseudonym(get_settings().pseudonym_key, v["bsn"]), youth_name=v["name"],
        birth_date=v["birth"], paying_municipality_id=v["municipality_id"], residence_basis=data.residence_basis,
        profile_id=v["profile_id"], situation=v["situation"], created_by=actor.user_id, created_at=now,
    )  # fmt: skip
    session.add(plan)
    await session.flush()
    assert plan.id is not None
    for position, description in enumerate(v["goals"], start=1):
        session.add(FamilyPlanGoal(region_id=region_id, plan_id=plan.id, position=position, description=description))
    await session.flush()
    # never the BSN, the name or the birth date in the audit summary
    await audit.record(session, actor, object_type="family_plan", object_id=plan.id, action="create", now=now,
                       summary={"referentie": reference, "doelen": len(v["goals"])})  # fmt: skip
    return plan


async def owned_plan(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, plan_id: int, lock: bool = False
) -> FamilyPlan:
    q = select(FamilyPlan).where(
        FamilyPlan.id == plan_id,
        FamilyPlan.region_id == region_id,
        FamilyPlan.referrer_membership_id == referrer_membership_id,
    )
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    plan = (await session.execute(q)).scalar_one_or_none()
    if plan is None:
        raise NotFound()
    return plan


async def invite_provider(
    session: AsyncSession, *, region_id: int, referrer_membership_id: int, plan_id: int, provider_id: str | int,
    actor: Actor, now: datetime,
) -> FamilyPlan:  # fmt: skip
    """Record the provider the family chose: it may now see the plan (pseudonymised) and propose. Inviting
    another provider while one is running prepares a transfer."""
    plan = await owned_plan(session, region_id=region_id, referrer_membership_id=referrer_membership_id,
                            plan_id=plan_id, lock=True)  # fmt: skip
    if plan.status != "open":
        raise InvalidTransition("Dit gezinsplan is gesloten.")
    try:
        pid = int(provider_id)
    except (TypeError, ValueError):
        pid = 0
    active = (
        await session.execute(
            select(Provider.id).where(Provider.id == pid, Provider.region_id == region_id, Provider.status == "active")
        )
    ).scalar_one_or_none()
    if active is None:
        raise ValidationFailed.single("provider_id", "Kies een actieve aanbieder uit het register.")
    before = plan.invited_provider_id
    plan.invited_provider_id = pid
    await session.flush()
    await audit.record(session, actor, object_type="family_plan", object_id=plan.id, action="invite", now=now,
                       summary={"referentie": plan.reference,
                                **audit.changes({"aanbieder": before}, {"aanbieder": pid})})  # fmt: skip
    return plan


# ---- reads ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanView:
    """A family plan as one reader may see it. `bsn` is the full BSN only for a full view, else masked."""

    id: int
    reference: str
    full: bool
    bsn: str
    youth_name: str  # the full name (full view) or the first name
    birth: str  # the date (full view) or the year
    municipality: str
    residence_basis: str
    referrer_type: str
    profile: str
    situation: str
    status: str
    invited_provider_id: int | None
    invited_provider: str
    created_at: datetime
    goals: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "reference": self.reference, "youth_name": self.youth_name, "birth": self.birth,
            "goals": [{"position": p, "description": d} for p, d in self.goals], "status": self.status,
            "profile": self.profile, "invited_provider_id": self.invited_provider_id,
        }  # fmt: skip
        if self.full:
            out.update(bsn=self.bsn, paying_municipality=self.municipality, residence_basis=self.residence_basis,
                       referrer_type=self.referrer_type, situation=self.situation)  # fmt: skip
        return out


def plans_visible_to(principal: Principal) -> Any:
    """Row scoping: the owning referrer, team_admin, and the invited provider (limited view)."""
    q = select(FamilyPlan).where(FamilyPlan.region_id == principal.region_id)
    if principal.role in FULL_VIEW_ROLES:
        return q
    if principal.role == "referrer":
        return q.where(FamilyPlan.referrer_membership_id == principal.membership_id)
    if principal.role == "provider" and principal.provider_id is not None:
        return q.where(FamilyPlan.invited_provider_id == principal.provider_id)
    return q.where(FamilyPlan.id.is_(None))  # type: ignore[union-attr]


def is_full_view(principal: Principal, plan: FamilyPlan) -> bool:
    return principal.role in FULL_VIEW_ROLES or (
        principal.role == "referrer" and plan.referrer_membership_id == principal.membership_id
    )


async def plan_view(
    session: AsyncSession, principal: Principal, plan_id: int, *, now: datetime, purpose: str
) -> PlanView:
    """The plan as `principal` may see it; NotFound when not visible. Every read is audited with its purpose."""
    plan = (await session.execute(plans_visible_to(principal).where(FamilyPlan.id == plan_id))).scalar_one_or_none()
    if plan is None:
        raise NotFound()
    assert plan.id is not None
    full = is_full_view(principal, plan)
    goals = [
        (int(p), str(d))
        for p, d in await session.execute(
            select(FamilyPlanGoal.position, FamilyPlanGoal.description)
            .where(FamilyPlanGoal.plan_id == plan.id)
            .order_by(FamilyPlanGoal.position)
        )
    ]
    municipality = (
        await session.execute(select(Municipality.name).where(Municipality.id == plan.paying_municipality_id))
    ).scalar_one()
    profiles = {p.id: p.label for p in await list_profiles(session, plan.region_id)}
    invited = ""
    if plan.invited_provider_id:
        invited = (
            await session.execute(select(Provider.name).where(Provider.id == plan.invited_provider_id))
        ).scalar_one()
    await audit.record_read(
        session, principal.actor(), object_type="family_plan", object_id=plan.id, purpose=purpose, now=now,
        summary={"referentie": plan.reference, "bsn_getoond": full},
    )  # fmt: skip
    return PlanView(
        id=plan.id, reference=plan.reference, full=full, bsn=plan.bsn if full else mask_bsn(plan.bsn),
        youth_name=plan.youth_name if full else plan.youth_name.split()[0],
        birth=plan.birth_date.isoformat() if full else str(plan.birth_date.year),
        municipality=str(municipality), residence_basis=RESIDENCE_BASES.get(plan.residence_basis, ""),
        referrer_type=REFERRER_TYPES.get(plan.referrer_type, plan.referrer_type),
        profile=profiles.get(plan.profile_id or 0, ""), situation=plan.situation if full else "",
        status=plan.status, invited_provider_id=plan.invited_provider_id, invited_provider=invited,
        created_at=plan.created_at, goals=goals,
    )  # fmt: skip


async def plans_of_referrer(session: AsyncSession, principal: Principal, *, now: datetime) -> list[dict[str, Any]]:
    """The referrer's own plans (reference, first name, status, number of open arrangements); one read event."""
    rows = (
        await session.execute(
            plans_visible_to(principal).order_by(FamilyPlan.id.desc()).limit(200)  # type: ignore[union-attr]
        )
    ).scalars().all()
    await audit.record_read(session, principal.actor(), object_type="family_plan", object_id="list",
                            purpose="overzicht eigen gezinsplannen", now=now,
                            summary={"aantal": len(rows)})  # fmt: skip
    return [{"id": p.id, "reference": p.reference, "first_name": p.youth_name.split()[0], "status": p.status,
             "invited_provider_id": p.invited_provider_id, "created_at": p.created_at} for p in rows]  # fmt: skip


async def invited_plans(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """Plans the provider was invited to and has no open arrangement on (no personal data: reference only)."""
    if principal.provider_id is None:
        return []
    own_open = select(Arrangement.plan_id).where(
        Arrangement.region_id == principal.region_id,
        Arrangement.provider_id == principal.provider_id,
        or_(Arrangement.status == "proposed", Arrangement.status == "agreed", Arrangement.status == "started"),
    )
    rows = await session.execute(
        select(FamilyPlan.id, FamilyPlan.reference, FamilyPlan.created_at).where(
            FamilyPlan.region_id == principal.region_id,
            FamilyPlan.invited_provider_id == principal.provider_id,
            FamilyPlan.status == "open",
            FamilyPlan.id.not_in(own_open),  # type: ignore[union-attr]
        ).order_by(FamilyPlan.id.desc())  # type: ignore[union-attr]
    )
    return [{"id": i, "reference": r, "created_at": c} for i, r, c in rows]
