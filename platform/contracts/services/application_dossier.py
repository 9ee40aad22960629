"""The dossier of one application as a principal may see it (pages and API), and its downloads. Reads only;
row scoping through contracts.queries (what is not visible is NotFound, never Forbidden)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from catalogue.public import ProfileView, profiles_by_id
from contracts import admission_rules as ar
from contracts.models import (
    Application,
    ApplicationMunicipality,
    ApplicationProfile,
    Evidence,
    InfoRequest,
    IntakeConversation,
    Requirement,
    RequirementReview,
)
from contracts.queries import applications_visible_to, evidence_visible_to
from contracts.rules import evidence_state
from contracts.services import access_log
from jeugdregio.audit import READ_ACTIONS
from jeugdregio.auth import Principal
from jeugdregio.clock import today as local_today
from jeugdregio.documents import get_document
from jeugdregio.errors import NotFound
from jeugdregio.tables import AuditEvent, Document, Municipality


async def requirements_of(session: AsyncSession, region_id: int) -> list[Requirement]:
    rows = await session.execute(
        select(Requirement)
        .where(Requirement.region_id == region_id, Requirement.active.is_(True))  # type: ignore[attr-defined]
        .order_by(Requirement.sort_order, Requirement.id)
    )
    return list(rows.scalars())


def requirement_info(r: Requirement) -> ar.RequirementInfo:
    assert r.id is not None
    return ar.RequirementInfo(r.id, r.code, r.title, r.evidence_required, r.validity_months)


async def municipalities_of(session: AsyncSession, region_id: int) -> list[Municipality]:
    rows = await session.execute(
        select(Municipality).where(Municipality.region_id == region_id).order_by(Municipality.name)
    )
    return list(rows.scalars())


async def latest_own(session: AsyncSession, principal: Principal) -> Application | None:
    q = applications_visible_to(principal)
    if principal.application_id is not None:
        q = q.where(Application.id == principal.application_id)
    q = q.order_by(Application.id.desc()).limit(1)  # type: ignore[union-attr]
    return (await session.execute(q)).scalars().first()


@dataclass(frozen=True)
class EvidenceItem:
    evidence: Evidence
    filename: str
    size: int
    content_type: str
    state: str  # valid | expiring | expired


@dataclass(frozen=True)
class RequirementRow:
    requirement: Requirement
    current: EvidenceItem | None
    older: list[EvidenceItem]
    review: RequirementReview | None  # the team only

    @property
    def state(self) -> str:
        if self.current is not None:
            return self.current.state
        return "missing" if self.requirement.evidence_required else "none"


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    who: str
    action: str
    lines: list[str]


@dataclass(frozen=True)
class Dossier:
    application: Application
    for_team: bool
    profiles: list[ProfileView]
    municipalities: list[Municipality]
    requirements: list[RequirementRow]
    info_requests: list[InfoRequest]
    intakes: list[IntakeConversation]  # the team only (notes are internal)
    intake_dates: list[date]
    history: list[HistoryItem]
    blockers: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def open_info_request(self) -> InfoRequest | None:
        return next((r for r in self.info_requests if r.answered_at is None), None)


async def _evidence_rows(session: AsyncSession, app: Application, today: date) -> list[EvidenceItem]:
    rows = await session.execute(
        select(Evidence, Document.filename, Document.size, Document.content_type)
        .join(Document, Document.id == Evidence.document_id)  # type: ignore[arg-type]
        .where(Evidence.application_id == app.id)
        .order_by(Evidence.uploaded_at.desc(), Evidence.id.desc())  # type: ignore[attr-defined,union-attr]
    )
    return [EvidenceItem(ev, name, size, kind, evidence_state(ev.valid_until, today)) for ev, name, size, kind in rows]


async def load_dossier(session: AsyncSession, app: Application, *, today: date, for_team: bool) -> Dossier:
    assert app.id is not None
    requirements = await requirements_of(session, app.region_id)
    evidence = await _evidence_rows(session, app, today)
    review_rows = await session.execute(select(RequirementReview).where(RequirementReview.application_id == app.id))
    reviews = {r.requirement_id: r for r in review_rows.scalars()}
    rows = [
        RequirementRow(
            r,
            next((e for e in evidence if e.evidence.requirement_id == r.id and e.evidence.superseded_at is None), None),
            [e for e in evidence if e.evidence.requirement_id == r.id and e.evidence.superseded_at is not None],
            reviews.get(r.id) if for_team and r.id is not None else None,
        )
        for r in requirements
    ]  # fmt: skip
    profile_rows = await session.execute(
        select(ApplicationProfile.profile_id).where(ApplicationProfile.application_id == app.id)
    )
    profile_ids = list(profile_rows.scalars())
    profiles = sorted((await profiles_by_id(session, app.region_id, profile_ids)).values(), key=lambda p: p.number)
    municipalities = list(
        (
            await session.execute(
                select(Municipality)
                .join(ApplicationMunicipality, ApplicationMunicipality.municipality_id == Municipality.id)  # type: ignore[arg-type]
                .where(ApplicationMunicipality.application_id == app.id)
                .order_by(Municipality.name)
            )
        ).scalars()
    )
    info = list((await session.execute(
        select(InfoRequest).where(InfoRequest.application_id == app.id).order_by(InfoRequest.id)  # type: ignore[arg-type]
    )).scalars())  # fmt: skip
    intakes = list((await session.execute(
        select(IntakeConversation).where(IntakeConversation.application_id == app.id)
        .order_by(IntakeConversation.held_on, IntakeConversation.id)  # type: ignore[arg-type]
    )).scalars())  # fmt: skip
    infos = [requirement_info(r) for r in requirements]
    verdicts = {rid: rv.passed for rid, rv in reviews.items()}
    return Dossier(
        application=app, for_team=for_team, profiles=profiles, municipalities=municipalities, requirements=rows,
        info_requests=info, intakes=intakes if for_team else [], intake_dates=[i.held_on for i in intakes],
        history=await history(session, app, public=not for_team),
        blockers=ar.admission_blockers(infos, verdicts, {row.requirement.id or 0: row.state for row in rows}),
        failed=[(r.title, reviews[r.id].reason) for r in requirements if r.id in reviews and not reviews[r.id].passed],
    )  # fmt: skip


async def history(session: AsyncSession, app: Application, *, public: bool) -> list[HistoryItem]:
    """The application's audit events (its changes, not who read it); the applicant sees only the public part of
    each (no internal notes)."""
    rows = await session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.region_id == app.region_id, AuditEvent.object_type == "application",
            AuditEvent.object_id == str(app.id), col(AuditEvent.action).not_in(READ_ACTIONS),
        )
        .order_by(AuditEvent.at, AuditEvent.id)  # type: ignore[arg-type]
    )  # fmt: skip
    return [
        HistoryItem(
            e.at, ar.who_label(e.actor_role, e.actor_label, public=public), ar.ACTION_LABELS.get(e.action, e.action),
            ar.history_lines(e.action, e.summary, public=public),
        )
        for e in rows.scalars()
        if not public or e.action in ar.PUBLIC_KEYS
    ]  # fmt: skip


MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: anything outside cannot exist


def check_ids(*ids: int | None) -> None:
    if any(i is not None and not 0 < i <= MAX_ID for i in ids):
        raise NotFound()


async def visible_application(session: AsyncSession, principal: Principal, application_id: int) -> Application:
    check_ids(application_id)
    app = (
        await session.execute(applications_visible_to(principal).where(Application.id == application_id))
    ).scalars().first()
    if app is None:
        raise NotFound()
    return app


async def application_dossier(
    session: AsyncSession, principal: Principal, application_id: int | None, *, now: datetime
) -> Dossier:
    """One application as the principal may see it (the team sees reviews, intake notes and everything). A read
    by the team is audited (contact person, evidence list); the applicant reading its own is not."""
    if application_id is None:
        app = await latest_own(session, principal)
        if app is None:
            raise NotFound("U heeft (nog) geen aanmelding.")
    else:
        app = await visible_application(session, principal, application_id)
    dossier = await load_dossier(session, app, today=local_today(now), for_team=principal.is_team)
    if principal.is_team:
        await access_log.log_read(
            session, principal, object_type="application", object_id=app.id, purpose=access_log.REVIEW, now=now,
            summary={"kenmerk": app.reference, "status": app.status},
        )  # fmt: skip
    return dossier


async def portal_dossier(session: AsyncSession, principal: Principal, *, now: datetime) -> Dossier | None:
    """The applicant's own current application (None: there is none)."""
    app = await latest_own(session, principal)
    return await load_dossier(session, app, today=local_today(now), for_team=False) if app else None


async def evidence_document(
    session: AsyncSession, principal: Principal, application_id: int, evidence_id: int, *, now: datetime
) -> Document:
    """An evidence file, if both the application and the evidence are visible to the principal; else NotFound.
    Every download is audited (evidence may hold personal data, e.g. of a VOG)."""
    check_ids(application_id, evidence_id)
    await visible_application(session, principal, application_id)
    ev = (
        await session.execute(
            evidence_visible_to(principal).where(Evidence.id == evidence_id, Evidence.application_id == application_id)
        )
    ).scalars().first()
    if ev is None:
        raise NotFound()
    doc = await get_document(session, ev.document_id, principal.region_id)
    await access_log.log_read(
        session, principal, object_type="application", object_id=application_id, action="download", now=now,
        purpose=access_log.application_purpose(principal),
        summary={"document": "bewijsstuk", "bewijs": ev.id, "eis": ev.requirement_id, "document_id": doc.id},
    )  # fmt: skip
    return doc


async def decision_letter_document(
    session: AsyncSession, principal: Principal, application_id: int, *, now: datetime
) -> Document:
    """The decision letter (addressed to the contact person), if the application is visible; every download
    is audited."""
    app = await visible_application(session, principal, application_id)
    if app.decision_letter_id is None:
        raise NotFound("Er is nog geen besluitbrief.")
    doc = await get_document(session, app.decision_letter_id, app.region_id)
    await access_log.log_read(
        session, principal, object_type="application", object_id=app.id, action="download", now=now,
        purpose=access_log.application_purpose(principal), summary={"document": "besluitbrief", "document_id": doc.id},
    )  # fmt: skip
    return doc
