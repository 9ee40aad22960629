"""Use cases of the application workflow, part 2: the applicant's portal (more evidence, answering an
information request, withdrawing). They never commit; every state change writes one audit event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import admission_rules as ar
from contracts.models import Application, InfoRequest
from contracts.rules import APPLICATION_OPEN, application_next
from contracts.schemas import EvidenceFile
from contracts.services.application_dossier import EvidenceItem, requirement_info, requirements_of
from contracts.services.applications import load_for_update, record_transition, store_evidence
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import today as local_today
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound


async def add_evidence(
    session: AsyncSession, principal: Principal, file: EvidenceFile, *, application_id: int | None = None,
    actor: Actor, now: datetime,
) -> EvidenceItem:  # fmt: skip
    """Add or replace evidence for one requirement of the applicant's own, still open application."""
    if principal.is_team:
        raise NotFound()
    app = await load_for_update(session, principal, application_id)
    if app.status not in APPLICATION_OPEN:
        raise InvalidTransition("Bewijs toevoegen kan alleen zolang de aanmelding in behandeling is.")
    requirements = [requirement_info(r) for r in await requirements_of(session, app.region_id)]
    errors = ErrorCollector()
    checked = ar.check_evidence(requirements, (file,), local_today(now), errors, all_required=False)
    errors.raise_if_any()
    requirement, result = checked[0]
    item = await store_evidence(session, app, requirement, result, uploaded_by=principal.user_id, now=now)
    app.updated_at = now
    await audit.record(
        session, actor, object_type="application", object_id=app.id, action="add_evidence", now=now,
        region_id=app.region_id,
        summary={
            "eis": requirement.title, "geldig_tot": str(result.valid_until or "onbeperkt"), "bewijs": item.evidence.id,
        },
    )  # fmt: skip
    return item


async def answer_info_request(
    session: AsyncSession, principal: Principal, answer: str, files: tuple[EvidenceFile, ...], *,
    actor: Actor, now: datetime,
) -> Application:  # fmt: skip
    """The applicant answers the open request (optionally with new evidence); the team reviews again."""
    app = await load_for_update(session, principal, None)
    application_next(app.status, "answer_info")  # refuse early, before any validation
    request = await open_info_request(session, app)
    errors = ErrorCollector()
    answer = ar.check_text(errors, "answer", answer, "Vul uw antwoord op de vraag in.")
    requirements = [requirement_info(r) for r in await requirements_of(session, app.region_id)]
    checked = ar.check_evidence(requirements, files, local_today(now), errors, all_required=False)
    errors.raise_if_any()
    for requirement, result in checked:
        await store_evidence(session, app, requirement, result, uploaded_by=principal.user_id, now=now)
    if request is not None:
        request.answer, request.answered_at = answer, now
    await record_transition(
        session, app, "answer_info", actor=actor, now=now,
        extra={"antwoord": answer, "bewijsstukken": [r.title for r, _ in checked]},
    )  # fmt: skip
    return app


async def open_info_request(session: AsyncSession, app: Application) -> InfoRequest | None:
    rows = await session.execute(
        select(InfoRequest)
        .where(InfoRequest.application_id == app.id, InfoRequest.answered_at.is_(None))  # type: ignore[union-attr]
        .order_by(InfoRequest.id.desc())  # type: ignore[union-attr]
    )
    return rows.scalars().first()


async def withdraw_application(
    session: AsyncSession, principal: Principal, reason: str, *, actor: Actor, now: datetime
) -> Application:
    app = await load_for_update(session, principal, None)
    errors = ErrorCollector()
    reason = ar.check_text(errors, "reason", reason, "", required=False)
    errors.raise_if_any()
    await record_transition(session, app, "withdraw", actor=actor, now=now, extra={"reden": reason} if reason else {})
    return app

