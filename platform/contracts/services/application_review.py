"""Use cases of the application workflow, part 2: the regional team's list, review, intake, information
requests and the decision with its letter. They never commit; every state change writes one audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import admission_rules as ar
from contracts.models import (
    APPLICATION_STATUSES,
    Application,
    FrameworkContract,
    InfoRequest,
    IntakeConversation,
    Requirement,
)
from contracts.models import RequirementReview as Review
from contracts.queries import applications_visible_to, contains_pattern
from contracts.rules import APPLICATION_OPEN, application_next
from contracts.schemas import DecisionInput, IntakeInput, ReviewVerdict
from contracts.services.application_dossier import Dossier, load_dossier, requirements_of
from contracts.services.applications import load_for_update, mail_applicant, portal_link, record_transition
from contracts.services.contract_lifecycle import create_provider_from_application
from jeugdregio import audit
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import today as local_today
from jeugdregio.documents import store_document
from jeugdregio.errors import ErrorCollector, InvalidTransition, NotFound, ValidationFailed
from jeugdregio.pdf import render_pdf
from jeugdregio.tables import Document, Membership, Region

PAGE_SIZE = 50


@dataclass(frozen=True)
class ApplicationList:
    rows: list[Application]
    counts: dict[str, int]  # per status, within the text filter
    page_nr: int
    has_more: bool


async def list_applications(
    session: AsyncSession, principal: Principal, *, status: str = "", search: str = "", page_nr: int = 1,
    page_size: int = PAGE_SIZE, strict: bool = False,
) -> ApplicationList:  # fmt: skip
    """Applications the principal may see, newest first, filtered by status and free text (name/KvK/kenmerk)."""
    status = status.strip()
    if status and status not in APPLICATION_STATUSES:
        if strict:
            known = ", ".join(APPLICATION_STATUSES)
            raise ValidationFailed.single("status", f"Onbekende status. Kies uit: {known}.")
        status = ""
    q = applications_visible_to(principal)
    if search.strip():
        like = contains_pattern(search.strip())
        q = q.where(
            or_(
                Application.org_name.ilike(like, escape="\\"),  # type: ignore[attr-defined]
                Application.kvk.ilike(like, escape="\\"),  # type: ignore[attr-defined]
                Application.reference.ilike(like, escape="\\"),  # type: ignore[attr-defined]
            )
        )
    sub = q.subquery()
    counts = {s: n for s, n in (await session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)))}
    if status:
        q = q.where(Application.status == status)
    page_nr = min(max(1, page_nr), 100_000)
    rows = list(
        (
            await session.execute(
                q.order_by(Application.submitted_at.desc(), Application.id.desc())  # type: ignore[attr-defined,union-attr]
                .offset((page_nr - 1) * page_size)
                .limit(page_size + 1)
            )
        ).scalars()
    )
    return ApplicationList(rows[:page_size], counts, page_nr, len(rows) > page_size)


async def _team_application(session: AsyncSession, principal: Principal, application_id: int) -> Application:
    if not principal.is_team:
        raise NotFound()
    return await load_for_update(session, principal, application_id)


def _require_open(app: Application, what: str) -> None:
    if app.status not in APPLICATION_OPEN:
        raise InvalidTransition(f"{what} kan alleen zolang de aanmelding loopt.")


async def start_review(
    session: AsyncSession, principal: Principal, application_id: int, *, actor: Actor, now: datetime
) -> Application:
    app = await _team_application(session, principal, application_id)
    await record_transition(session, app, "start_review", actor=actor, now=now)
    return app


async def request_info(
    session: AsyncSession, principal: Principal, application_id: int, message: str, *, actor: Actor, now: datetime
) -> InfoRequest:
    """Ask the applicant for more information; the status becomes 'info_requested' and a mail is queued."""
    app = await _team_application(session, principal, application_id)
    application_next(app.status, "request_info")
    errors = ErrorCollector()
    message = ar.check_text(errors, "message", message, "Schrijf welke informatie u van de aanvrager nodig heeft.")
    errors.raise_if_any()
    assert app.id is not None
    request = InfoRequest(
        region_id=app.region_id, application_id=app.id, message=message, requested_by=_user(actor),
        requested_at=now,
    )  # fmt: skip
    session.add(request)
    await session.flush()
    await record_transition(session, app, "request_info", actor=actor, now=now, extra={"bericht": message})
    await mail_applicant(
        session, app, now=now, subject=f"Aanvullende informatie nodig voor aanmelding {app.reference}",
        body=(
            f"Beste {app.contact_name},\n\nVoor de beoordeling van uw aanmelding {app.reference} hebben wij meer "
            f"informatie nodig:\n\n{message}\n\nU kunt antwoorden en bewijsstukken toevoegen op {portal_link()}."
        ),
        dedupe_key=f"application-info-request:{request.id}",
    )  # fmt: skip
    return request


def _verdict_text(passed: bool | None, reason: str = "") -> str | None:
    if passed is None:
        return None
    return "voldoet" if passed else f"voldoet niet: {reason}"


async def record_reviews(
    session: AsyncSession, principal: Principal, application_id: int, verdicts: list[ReviewVerdict], *,
    partial: bool, actor: Actor, now: datetime,
) -> list[Review]:  # fmt: skip
    """Store the latest pass/fail verdict per requirement (a fail needs a reason). With `partial`, verdicts
    without a choice are skipped (the page's one form); otherwise each must choose. Returns the verdicts'
    current rows; one audit event lists what changed."""
    app = await _team_application(session, principal, application_id)
    _require_open(app, "Beoordelen")
    requirements = {r.id: r for r in await requirements_of(session, app.region_id)}
    chosen = _chosen_verdicts(requirements, verdicts, partial=partial)
    existing = {
        r.requirement_id: r
        for r in (await session.execute(select(Review).where(Review.application_id == app.id))).scalars()
    }
    changes: dict[str, dict[str, str | None]] = {}
    out: list[Review] = []
    for requirement, v in chosen:
        assert app.id is not None and requirement.id is not None and v.passed is not None
        reason = v.reason.strip()
        old = existing.get(requirement.id)
        if old is not None and old.passed == v.passed and old.reason == reason:
            out.append(old)
            continue
        changes[requirement.code] = {
            "voor": _verdict_text(old.passed, old.reason) if old else None, "na": _verdict_text(v.passed, reason),
        }  # fmt: skip
        out.append(_save_verdict(session, app, requirement, old, v.passed, reason, actor=actor, now=now))
    if changes:
        app.updated_at = now
        await audit.record(
            session, actor, object_type="application", object_id=app.id, action="review", now=now,
            region_id=app.region_id, summary={"oordelen": changes},
        )  # fmt: skip
        await session.flush()
    return out


def _chosen_verdicts(
    requirements: dict[int | None, Requirement], verdicts: list[ReviewVerdict], *, partial: bool
) -> list[tuple[Requirement, ReviewVerdict]]:
    """The verdicts that choose pass or fail, each with its requirement; ValidationFailed lists every error."""
    errors = ErrorCollector()
    chosen = []
    for v in verdicts:
        requirement = requirements.get(v.requirement_id)
        if requirement is None:
            errors.add("requirement_id", "Deze eis bestaat niet (of is niet meer actief).")
        elif v.passed is None:
            if not partial:
                errors.add(v.field, "Kies of de eis voldoet (true) of niet voldoet (false).")
        elif not v.passed and not v.reason.strip():
            errors.add(v.reason_field, f"Geef bij '{requirement.title}' de reden waarom de eis niet voldoet.")
        elif len(v.reason) > 2000:
            errors.add(v.reason_field, f"De reden bij '{requirement.title}' is te lang (maximaal 2000 tekens).")
        else:
            chosen.append((requirement, v))
    if not verdicts or (partial and not chosen and not errors.errors):
        errors.add("reviews", "Kies bij minstens één eis 'voldoet' of 'voldoet niet'.")
    errors.raise_if_any()
    return chosen


def _save_verdict(
    session: AsyncSession, app: Application, requirement: Requirement, old: Review | None, passed: bool,
    reason: str, *, actor: Actor, now: datetime,
) -> Review:  # fmt: skip
    """The requirement's review row, new or updated with the verdict."""
    if old is None:
        old = Review(
            region_id=app.region_id, application_id=app.id, requirement_id=requirement.id, passed=passed,
            reason=reason, reviewed_by=_user(actor), reviewed_at=now,
        )  # fmt: skip
        session.add(old)
    else:
        old.passed, old.reason, old.reviewed_by, old.reviewed_at = passed, reason, _user(actor), now
    return old


async def record_intake(
    session: AsyncSession, principal: Principal, application_id: int, data: IntakeInput, *, actor: Actor,
    now: datetime,
) -> IntakeConversation:  # fmt: skip
    """The intake conversation about the vision on care: held or planned date, participants and (internal) notes."""
    app = await _team_application(session, principal, application_id)
    _require_open(app, "Een intakegesprek vastleggen")
    errors = ErrorCollector()
    today = local_today(now)
    held_on = ar.check_intake_date(errors, data.held_on, submitted_on=local_today(app.submitted_at), today=today)
    participants = ar.check_text(errors, "participants", data.participants, "Vul in wie aan het gesprek deelnemen.")
    notes = ar.check_text(errors, "notes", data.notes, "", required=False)
    errors.raise_if_any()
    assert app.id is not None and held_on is not None
    intake = IntakeConversation(
        region_id=app.region_id, application_id=app.id, held_on=held_on, participants=participants, notes=notes,
        recorded_by=_user(actor), recorded_at=now,
    )  # fmt: skip
    session.add(intake)
    app.updated_at = now
    await session.flush()
    await audit.record(
        session, actor, object_type="application", object_id=app.id, action="intake", now=now, region_id=app.region_id,
        summary={"datum": held_on.isoformat(), "deelnemers": participants, "notities": notes},
    )  # fmt: skip
    return intake


async def decide_application(
    session: AsyncSession, principal: Principal, application_id: int, data: DecisionInput, *, actor: Actor,
    now: datetime,
) -> Application:  # fmt: skip
    """Admit (every evidence-required requirement passed, none failed) or reject (failed requirements or a
    reason), with a decision letter (PDF) and a mail. On admission the applicant becomes a provider with a
    framework contract and the applicant's account becomes a provider account."""
    app = await _team_application(session, principal, application_id)
    decision = data.decision.strip()
    if decision not in ar.DECISIONS:
        raise ValidationFailed.single("decision", "Kies een besluit: toelaten of afwijzen.")
    application_next(app.status, decision)
    today = local_today(now)
    dossier = await load_dossier(session, app, today=today, for_team=True)
    reason, starts_on = _checked_decision(decision, data, dossier, today=today)
    contract = None
    if decision == "admit":
        assert starts_on is not None
        contract = await _admit(session, app, starts_on=starts_on, actor=actor, now=now)
    app.decided_at, app.decision_reason = now, reason
    letter = await _decision_letter(session, app, dossier, decision=decision, contract=contract, actor=actor, now=now)
    app.decision_letter_id = letter.id
    extra: dict[str, object] = {"reden": reason} if reason else {}
    if contract is not None:
        extra.update(raamovereenkomst=contract.number, ingang=contract.starts_on.isoformat())
    if dossier.failed:
        extra["eisen_onvoldoende"] = [title for title, _ in dossier.failed]
    await record_transition(session, app, decision, actor=actor, now=now, extra=extra)
    word = "toegelaten" if decision == "admit" else "afgewezen"
    await mail_applicant(
        session, app, now=now, subject=f"Besluit op uw aanmelding {app.reference}: {word}",
        body=(
            f"Beste {app.contact_name},\n\nEr is een besluit genomen op de aanmelding van {app.org_name} "
            f"({app.reference}): {word}. De besluitbrief staat voor u klaar op {portal_link()}."
        ),
        dedupe_key=f"application-decision:{app.id}",
    )  # fmt: skip
    return app


def _checked_decision(
    decision: str, data: DecisionInput, dossier: Dossier, *, today: date
) -> tuple[str, date | None]:
    """(reason, start date of the framework contract: admit only); ValidationFailed lists every error."""
    errors = ErrorCollector()
    reason = ar.check_text(errors, "reason", data.reason, "", required=False)
    starts_on = None
    if decision == "admit":
        starts_on = ar.check_starts_on(errors, data.starts_on, today=today)
        if dossier.blockers:
            errors.add("decision", ar.admit_refusal(dossier.blockers))
    elif not dossier.failed and not reason:
        errors.add("reason", "Geef een reden voor de afwijzing, of beoordeel minstens één eis als 'voldoet niet'.")
    errors.raise_if_any()
    return reason, starts_on


async def _admit(
    session: AsyncSession, app: Application, *, starts_on: date, actor: Actor, now: datetime
) -> FrameworkContract:
    """The applicant becomes a provider with a framework contract; its accounts become provider accounts."""
    provider, contract = await create_provider_from_application(session, app, starts_on=starts_on, actor=actor, now=now)
    app.provider_id = provider.id
    await session.execute(
        update(Membership)
        .where(Membership.region_id == app.region_id, Membership.application_id == app.id)
        .values(role="provider", provider_id=provider.id)
    )
    return contract


async def _decision_letter(
    session: AsyncSession, app: Application, dossier: Dossier, *, decision: str,
    contract: FrameworkContract | None, actor: Actor, now: datetime,
) -> Document:  # fmt: skip
    region = await session.get(Region, app.region_id)
    pdf = render_pdf(
        "pdf/decision_letter.html", region=region, application=app, decision=decision,
        reason=app.decision_reason, failed=dossier.failed, contract=contract, profiles=dossier.profiles,
        letter_date=local_today(now), contact_email=region.contact_email if region else "",
    )  # fmt: skip
    return await store_document(
        session, region_id=app.region_id, kind="decision_letter", content=pdf, content_type="application/pdf",
        now=now, created_by=actor.user_id, stem=f"besluit-{app.reference}",
    )  # fmt: skip


def _user(actor: Actor) -> int:
    """Team actions are always done by a person (an API token belongs to one too)."""
    assert actor.user_id is not None
    return actor.user_id
