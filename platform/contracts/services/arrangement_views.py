"""Arrangement reads for the pages and the API: lists with filters and pagination, and one arrangement with its
goals, outcomes and timeline. Row scoping: contracts.queries.arrangements_visible_to (404 for anything else).

No view ever carries the BSN or the youth's name: the plan's reference and the pseudonym stand in for them.
A detail read is audited (record_read with purpose: it shows the plan's goals); a list is one read event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import arrangement_types, list_profiles
from contracts.arrangement_rules import ARRANGEMENT_STATUS_LABELS, END_REASONS, GOAL_OUTCOMES
from contracts.models import Arrangement, FamilyPlan, FamilyPlanGoal, Provider
from contracts.queries import arrangements_visible_to
from contracts.services.arrangements import goal_results
from jeugdregio import audit
from jeugdregio.auth import Principal
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import AuditEvent, Municipality

PER_PAGE = 50


@dataclass(frozen=True)
class ArrangementFilter:
    status: str = ""
    provider_id: int | None = None
    municipality_id: int | None = None
    profile_id: int | None = None
    action: bool = False  # only those waiting for this reader
    page: int = 1

    def query_string(self, page: int | None = None) -> str:
        parts = []
        for key in ("status", "provider_id", "municipality_id", "profile_id"):
            value = getattr(self, key)
            if value:
                parts.append(f"{key}={value}")
        if self.action:
            parts.append("actie=1")
        parts.append(f"page={page or self.page}")
        return "&".join(parts)


def parse_arrangement_filter(params: Any) -> ArrangementFilter:
    """Filters from the query string; invalid values: 422 naming the field."""
    errors: list[tuple[str, str]] = []

    def as_int(name: str) -> int | None:
        raw = str(params.get(name, "") or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not 0 < int(raw) < 2**31:
            errors.append((name, f"'{name}' moet een positief getal zijn."))
            return None
        return int(raw)

    status = str(params.get("status", "") or "").strip()
    if status and status not in ARRANGEMENT_STATUS_LABELS:
        errors.append(("status", "Kies een bestaande status."))
        status = ""
    f = ArrangementFilter(
        status=status, provider_id=as_int("provider_id"), municipality_id=as_int("municipality_id"),
        profile_id=as_int("profile_id"), action=str(params.get("actie", "")) == "1", page=as_int("page") or 1,
    )  # fmt: skip
    if errors:
        from jeugdregio.errors import FieldError

        raise ValidationFailed([FieldError(n, m) for n, m in errors])
    return f


def waiting_for(principal: Principal) -> Any:
    """SQL condition: the arrangement waits for this reader's action."""
    if principal.role == "provider":
        return or_(
            and_(col(Arrangement.status) == "proposed", col(Arrangement.provider_agreed_at).is_(None)),
            Arrangement.status == "agreed",  # start to report
            Arrangement.status == "started",  # end to report
        )
    if principal.role == "referrer":
        return or_(
            and_(
                col(Arrangement.status) == "proposed",
                or_(col(Arrangement.referrer_agreed_at).is_(None), col(Arrangement.family_agreed_at).is_(None)),
            ),
            Arrangement.status == "ended",
        )
    if principal.is_team:
        return Arrangement.status == "disputed"
    return Arrangement.id.is_(None)  # type: ignore[union-attr]


@dataclass(frozen=True)
class ArrangementRow:
    id: int
    reference: str
    plan_reference: str
    provider: str
    municipality: str
    type_code: str
    status: str
    planned_start: date
    start_date: date | None
    end_date: date | None
    result: str | None
    youth_pseudonym: str

    @property
    def status_label(self) -> str:
        return ARRANGEMENT_STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id, "reference": self.reference, "plan_reference": self.plan_reference,
            "provider": self.provider, "municipality": self.municipality, "type": self.type_code,
            "status": self.status, "planned_start": self.planned_start.isoformat(),
            "start_date": iso(self.start_date), "end_date": iso(self.end_date), "result": self.result,
            "youth_pseudonym": self.youth_pseudonym,
        }  # fmt: skip


@dataclass(frozen=True)
class ArrangementPage:
    rows: list[ArrangementRow]
    total: int
    page: int
    pages: int


async def _type_codes(session: AsyncSession, region_id: int, day: date) -> dict[int, Any]:
    return {t.id: t for t in await arrangement_types(session, region_id, on=day)}


async def list_arrangements(
    session: AsyncSession, principal: Principal, filters: ArrangementFilter, *, now: datetime, today: date
) -> ArrangementPage:
    visible = arrangements_visible_to(principal).subquery()
    q = select(visible.c.id)
    conditions = []
    if filters.status:
        conditions.append(visible.c.status == filters.status)
    if filters.provider_id:
        conditions.append(visible.c.provider_id == filters.provider_id)
    if filters.municipality_id:
        conditions.append(visible.c.paying_municipality_id == filters.municipality_id)
    if filters.profile_id:
        conditions.append(visible.c.profile_id == filters.profile_id)
    ids_q = q.where(*conditions)
    if filters.action:
        ids_q = select(Arrangement.id).where(Arrangement.id.in_(ids_q), waiting_for(principal))  # type: ignore[union-attr]
    total = (await session.execute(select(func.count()).select_from(ids_q.subquery()))).scalar_one()
    pages = max(1, -(-int(total) // PER_PAGE))
    page_nr = min(filters.page, pages)
    rows = await session.execute(
        select(Arrangement, FamilyPlan.reference, Provider.name, Municipality.name)
        .join(FamilyPlan, FamilyPlan.id == Arrangement.plan_id)
        .join(Provider, Provider.id == Arrangement.provider_id)
        .join(Municipality, Municipality.id == Arrangement.paying_municipality_id)
        .where(Arrangement.id.in_(ids_q))  # type: ignore[union-attr]
        .order_by(col(Arrangement.id).desc())
        .limit(PER_PAGE)
        .offset((page_nr - 1) * PER_PAGE)
    )
    types = await _type_codes(session, principal.region_id, today)
    out = []
    for a, plan_ref, provider, municipality in rows:
        t = types.get(a.arrangement_type_id)
        out.append(ArrangementRow(
            a.id, a.reference, plan_ref, provider, municipality, t.code if t else "", a.status, a.planned_start,
            a.start_date, a.end_date, a.result, a.youth_pseudonym,
        ))  # fmt: skip
    await audit.record_read(
        session, principal.actor(), object_type="arrangement", object_id="list", now=now,
        purpose="overzicht arrangementen", summary={"filter": filters.query_string(), "aantal": len(out)},
    )  # fmt: skip
    return ArrangementPage(out, int(total), page_nr, pages)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    role: str
    action: str
    summary: dict[str, Any]


@dataclass
class ArrangementDetail:
    arrangement: Arrangement
    plan_reference: str
    plan_id: int
    provider: str
    municipality: str
    type_label: str
    type_code: str
    payment_model: str
    goals: list[tuple[int, str, str | None]]  # position, description, outcome
    timeline: list[TimelineEntry] = field(default_factory=list)
    previous_reference: str | None = None
    successors: list[tuple[int, str, str]] = field(default_factory=list)  # id, reference, link kind
    pending_change: bool = False

    @property
    def status_label(self) -> str:
        return ARRANGEMENT_STATUS_LABELS.get(self.arrangement.status, self.arrangement.status)

    @property
    def end_reason_label(self) -> str:
        r = self.arrangement.end_reason
        return END_REASONS.get(r, r) if r else ""

    @property
    def result_label(self) -> str:
        r = self.arrangement.result
        return GOAL_OUTCOMES.get(r, r) if r else ""

    def as_json(self) -> dict[str, Any]:
        a = self.arrangement

        def iso(d: Any) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": a.id, "reference": a.reference, "plan_reference": self.plan_reference, "status": a.status,
            "provider_id": a.provider_id, "provider": self.provider, "municipality": self.municipality,
            "arrangement_type_id": a.arrangement_type_id, "type": self.type_code, "payment_model": a.payment_model,
            "planned_start": iso(a.planned_start), "subcontractors": a.subcontractors,
            "assigned_units": a.assigned_units, "youth_pseudonym": a.youth_pseudonym,
            "agreement": {"referrer_at": iso(a.referrer_agreed_at), "family_at": iso(a.family_agreed_at),
                          "provider_at": iso(a.provider_agreed_at)},
            "agreed_on": iso(a.agreed_on), "tariff_cents": a.tariff_cents, "start_date": iso(a.start_date),
            "end_date": iso(a.end_date), "end_reason": a.end_reason, "result": a.result,
            "goals": [{"position": p, "description": d, "outcome": o} for p, d, o in self.goals],
            "previous_reference": self.previous_reference, "link_kind": a.link_kind,
            "dispute_reason": a.dispute_reason, "dispute_resolution": a.dispute_resolution,
            "cancel_reason": a.cancel_reason,
        }  # fmt: skip


async def arrangement_detail(
    session: AsyncSession, principal: Principal, arrangement_id: int, *, now: datetime, today: date, purpose: str
) -> ArrangementDetail:
    a = (
        await session.execute(arrangements_visible_to(principal).where(Arrangement.id == arrangement_id))
    ).scalar_one_or_none()
    if a is None:
        raise NotFound()
    assert a.id is not None
    plan_ref = (await session.execute(select(FamilyPlan.reference).where(FamilyPlan.id == a.plan_id))).scalar_one()
    provider = (await session.execute(select(Provider.name).where(Provider.id == a.provider_id))).scalar_one()
    municipality = (
        await session.execute(select(Municipality.name).where(Municipality.id == a.paying_municipality_id))
    ).scalar_one()
    types = await _type_codes(session, a.region_id, a.agreed_on or today)
    t = types.get(a.arrangement_type_id)
    outcomes = await goal_results(session, a.id)
    goals = [
        (int(p), str(d), outcomes.get(int(gid)))
        for gid, p, d in await session.execute(
            select(FamilyPlanGoal.id, FamilyPlanGoal.position, FamilyPlanGoal.description)
            .where(FamilyPlanGoal.plan_id == a.plan_id)
            .order_by(FamilyPlanGoal.position)
        )
    ]
    if principal.role == "municipality":  # the paying municipality sees outcomes per goal number, not the goals
        goals = [(p, "", o) for p, _, o in goals]
    events = await session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.region_id == a.region_id,
            AuditEvent.object_type == "arrangement",
            AuditEvent.object_id == str(a.id),
            col(AuditEvent.action).not_in(("view", "download")),
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    timeline = [TimelineEntry(e.at, e.actor_label, e.actor_role, e.action, e.summary) for e in events.scalars()]
    previous = None
    if a.previous_arrangement_id:
        previous = (
            await session.execute(select(Arrangement.reference).where(Arrangement.id == a.previous_arrangement_id))
        ).scalar_one_or_none()
    successors = [
        (int(i), str(r), str(k or ""), str(s))
        for i, r, k, s in await session.execute(
            select(Arrangement.id, Arrangement.reference, Arrangement.link_kind, Arrangement.status).where(
                Arrangement.region_id == a.region_id, Arrangement.previous_arrangement_id == a.id
            )
        )
    ]
    await audit.record_read(
        session, principal.actor(), object_type="arrangement", object_id=a.id, purpose=purpose, now=now,
        summary={"referentie": a.reference},
    )  # fmt: skip
    return ArrangementDetail(
        arrangement=a, plan_reference=plan_ref, plan_id=a.plan_id, provider=provider, municipality=municipality,
        type_label=t.label if t else "", type_code=t.code if t else "", payment_model=a.payment_model,
        goals=goals, timeline=timeline, previous_reference=previous,
        successors=[(i, r, k) for i, r, k, _ in successors],
        pending_change=any(k == "change" and s == "proposed" for _, _, k, s in successors),
    )  # fmt: skip


async def filter_choices(session: AsyncSession, region_id: int) -> dict[str, Any]:
    providers = [
        (int(i), str(n))
        for i, n in await session.execute(
            select(Provider.id, Provider.name).where(Provider.region_id == region_id).order_by(Provider.name)
        )
    ]
    municipalities = [
        (int(i), str(n))
        for i, n in await session.execute(
            select(Municipality.id, Municipality.name)
            .where(Municipality.region_id == region_id)
            .order_by(Municipality.name)
        )
    ]
    profiles = [(p.id, p.label) for p in await list_profiles(session, region_id)]
    return {"providers": providers, "municipalities": municipalities, "profiles": profiles,
            "statuses": ARRANGEMENT_STATUS_LABELS}  # fmt: skip


async def plan_arrangements(
    session: AsyncSession, principal: Principal, plan_id: int, *, today: date
) -> list[ArrangementRow]:
    """The arrangements on one plan the principal may see (part of the plan page, whose read is audited)."""
    visible = arrangements_visible_to(principal).where(Arrangement.plan_id == plan_id).subquery()
    rows = await session.execute(
        select(Arrangement, FamilyPlan.reference, Provider.name, Municipality.name)
        .join(FamilyPlan, FamilyPlan.id == Arrangement.plan_id)
        .join(Provider, Provider.id == Arrangement.provider_id)
        .join(Municipality, Municipality.id == Arrangement.paying_municipality_id)
        .where(col(Arrangement.id).in_(select(visible.c.id)))
        .order_by(col(Arrangement.id))
    )
    types = await _type_codes(session, principal.region_id, today)
    out = []
    for a, plan_ref, provider, municipality in rows:
        t = types.get(a.arrangement_type_id)
        out.append(ArrangementRow(
            a.id, a.reference, plan_ref, provider, municipality, t.code if t else "", a.status, a.planned_start,
            a.start_date, a.end_date, a.result, a.youth_pseudonym,
        ))  # fmt: skip
    return out
