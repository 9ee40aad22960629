"""Use cases of the application workflow (aanmelding), part 1: the public form, and what the portal and the
team share. They never commit; every state change writes one audit event with a before/after summary. The
applicant's portal is in `application_portal`, the team's review and decision in `application_review`; what
pages and API show is in `application_dossier`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.public import ProfileView, list_profiles
from contracts import admission_rules as ar
from contracts.models import (
    AdmissionWindow,
    Application,
    ApplicationMunicipality,
    ApplicationProfile,
    Provider,
    Requirement,
)
from contracts.queries import applications_visible_to
from contracts.rules import APPLICATION_OPEN, application_next, evidence_state
from contracts.schemas import ApplicationInput
from contracts.services.application_dossier import (
    EvidenceItem,
    check_ids,
    latest_own,
    municipalities_of,
    requirement_info,
    requirements_of,
)
from contracts.services.evidence import replace_evidence
from jeugdregio import audit, outbox
from jeugdregio.audit import Actor
from jeugdregio.auth import Principal
from jeugdregio.clock import today as local_today
from jeugdregio.documents import store_document
from jeugdregio.errors import Conflict, ErrorCollector, NotFound
from jeugdregio.security import new_token, token_hash
from jeugdregio.settings import get_settings
from jeugdregio.tables import Membership, Municipality, Region, User, WebSession
from jeugdregio.users import add_membership, create_user

# ---- region and admission policy ------------------------------------------------------------------------


async def resolve_region(session: AsyncSession, slug: str | None = None) -> Region:
    """The region a public page serves: `regio=<slug>` when given, else the first region (lowest id)."""
    q = select(Region)
    q = q.where(Region.slug == slug.strip()) if slug and slug.strip() else q.order_by(Region.id).limit(1)  # type: ignore[arg-type]
    region = (await session.execute(q)).scalars().first()
    if region is None:
        raise NotFound("Deze regio bestaat niet.")
    return region


async def admission_window(session: AsyncSession, region: Region, today: date) -> ar.WindowStatus:
    rows = await session.execute(
        select(AdmissionWindow.opens_on, AdmissionWindow.closes_on).where(AdmissionWindow.region_id == region.id)
    )
    return ar.window_status(region.admission_mode, [(r[0], r[1]) for r in rows], today)


# ---- the public form --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyPage:
    region: Region
    window: ar.WindowStatus
    requirements: list[Requirement]
    default_valid_until: dict[int, date | None]
    profiles: list[ProfileView]
    municipalities: list[Municipality]
    mode: str  # "new" (creates an account) | "reapply" (logged in, after rejection/withdrawal) | "blocked"
    notice: str = ""
    previous: Application | None = None

async def _eligibility(session: AsyncSession, principal: Principal | None) -> tuple[str, str, Application | None]:
    """(mode, notice, previous application). A logged-in applicant or provider may apply again only after a
    rejection or withdrawal; other roles log out first."""
    if principal is None:
        return "new", "", None
    if principal.role not in ("applicant", "provider"):
        notice = "U bent ingelogd met een rol die geen aanmelding kan doen. Log uit om uw organisatie aan te melden."
        return "blocked", notice, None
    latest = await latest_own(session, principal)
    if latest is None:
        if principal.role == "provider":
            return "blocked", "Uw organisatie staat al in het register.", None
        return "reapply", "", None
    if latest.status in APPLICATION_OPEN:
        notice = f"U heeft al een lopende aanmelding ({latest.reference}). Bekijk die bij Mijn aanmelding."
        return "blocked", notice, latest
    if latest.status == "admitted":
        return "blocked", "Uw organisatie is al toegelaten tot het register.", latest
    return "reapply", "", latest


async def _region_for(session: AsyncSession, principal: Principal | None, slug: str | None) -> Region:
    if principal is not None:
        region = await session.get(Region, principal.region_id)
        if region is not None:
            return region
    return await resolve_region(session, slug)


async def apply_page(
    session: AsyncSession, *, slug: str | None, principal: Principal | None, now: datetime
) -> ApplyPage:
    region = await _region_for(session, principal, slug)
    assert region.id is not None
    today = local_today(now)
    requirements = await requirements_of(session, region.id)
    mode, notice, previous = await _eligibility(session, principal)
    return ApplyPage(
        region=region, window=await admission_window(session, region, today), requirements=requirements,
        default_valid_until={r.id: ar.default_valid_until(today, r.validity_months) for r in requirements if r.id},
        profiles=await list_profiles(session, region.id), municipalities=await municipalities_of(session, region.id),
        mode=mode, notice=notice, previous=previous,
    )  # fmt: skip


@dataclass(frozen=True)
class Submitted:
    application: Application
    session_cookie: str | None  # a new account is logged in at once


async def _lock_region_applications(session: AsyncSession, region_id: int) -> None:
    """Serialise submissions per region: the reference number and the duplicate-KvK check stay correct."""
    key = f"contracts.application:{region_id}"
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


async def _check_unique(
    session: AsyncSession, region_id: int, clean: ar.CleanApplication, errors: ErrorCollector, *, new_account: bool
) -> None:
    providers = select(Provider.id).where(Provider.region_id == region_id)
    open_same_kvk = await session.execute(
        select(Application.reference).where(
            Application.region_id == region_id, Application.kvk == clean.kvk,
            Application.status.in_(APPLICATION_OPEN),  # type: ignore[attr-defined]
        )
    )  # fmt: skip
    if (ref := open_same_kvk.scalar()) is not None:
        errors.add("kvk", f"Er loopt al een aanmelding voor dit KvK-nummer ({ref}).")
    elif (await session.execute(providers.where(Provider.kvk == clean.kvk))).first():
        errors.add("kvk", "Een organisatie met dit KvK-nummer staat al in het register.")
    if (await session.execute(providers.where(Provider.agb == clean.agb))).first():
        errors.add("agb", "Een aanbieder met deze AGB-code staat al in het register.")
    if new_account and (await session.execute(select(User.id).where(User.email == clean.contact_email))).first():
        errors.add(
            "contact_email",
            "Er bestaat al een account met dit e-mailadres. Log eerst in en meld u daarna opnieuw aan.",
        )


async def _next_reference(session: AsyncSession, region_id: int, year: int) -> str:
    """AV-<year>-<nnnn>: one more than the highest number of the year in the region (gaps are harmless)."""
    prefix = f"AV-{year}-"
    highest = (
        await session.execute(
            select(func.max(cast(func.substr(Application.reference, len(prefix) + 1), Integer))).where(
                Application.region_id == region_id,
                Application.reference.regexp_match(f"^{prefix}[0-9]+$"),  # type: ignore[attr-defined]
            )
        )
    ).scalar_one()
    return f"{prefix}{(highest or 0) + 1:04d}"


async def submit_application(
    session: AsyncSession,
    data: ApplicationInput,
    *,
    slug: str | None,
    principal: Principal | None,
    now: datetime,
    session_hours: int = 8,
    request_id: str = "",
) -> Submitted:
    """Validate everything (all errors at once), then store the application, its profiles, municipalities and
    evidence, and the applicant's account (a new one, or the logged-in one after a rejection/withdrawal)."""
    region = await _region_for(session, principal, slug)
    assert region.id is not None
    today = local_today(now)
    previous = await _check_may_apply(session, region, principal, today)
    await _lock_region_applications(session, region.id)
    clean, files = await _checked_submission(session, region.id, data, today, new_account=principal is None)
    user_id, actor = await _applicant(
        session, principal, clean, data.password, region_id=region.id, request_id=request_id, now=now
    )
    app = await _store_application(
        session, region.id, clean, files, previous=previous, user_id=user_id, year=today.year, now=now
    )
    membership_id = await _link_membership(session, principal, app, user_id=user_id, now=now)
    await audit.record(
        session, actor, object_type="application", object_id=app.id, action="submit", now=now, region_id=region.id,
        summary={
            **audit.changes({"status": None}, {"status": "submitted"}), "referentie": app.reference,
            "organisatie": app.org_name, "kvk": app.kvk, "bewijsstukken": [r.code for r, _ in files],
            **({"vorige_aanmelding": previous.reference} if previous else {}),
        },
    )  # fmt: skip
    await _mail_receipt(session, app, region, now=now)
    cookie = None
    if principal is None:
        assert membership_id is not None
        cookie = await start_web_session(session, actor, membership_id=membership_id, now=now, hours=session_hours)
    return Submitted(app, cookie)


async def _mail_receipt(session: AsyncSession, app: Application, region: Region, *, now: datetime) -> None:
    await mail_applicant(
        session, app, now=now, subject=f"Ontvangstbevestiging aanmelding {app.reference}",
        body=(
            f"Beste {app.contact_name},\n\nWij hebben de aanmelding van {app.org_name} voor het register van "
            f"{region.name} ontvangen onder kenmerk {app.reference}. U kunt de behandeling volgen op "
            f"{portal_link()}.\n\nMet vriendelijke groet,\n{region.name}"
        ),
        dedupe_key=f"application-submitted:{app.id}",
    )  # fmt: skip


async def _check_may_apply(
    session: AsyncSession, region: Region, principal: Principal | None, today: date
) -> Application | None:
    """Conflict when the admission window is closed or the principal may not apply; else the previous application."""
    window = await admission_window(session, region, today)
    if not window.is_open:
        raise Conflict(window.message)
    mode, notice, previous = await _eligibility(session, principal)
    if mode == "blocked":
        raise Conflict(notice)
    return previous


CheckedFiles = list[tuple[ar.RequirementInfo, ar.CheckedEvidence]]


async def _checked_submission(
    session: AsyncSession, region_id: int, data: ApplicationInput, today: date, *, new_account: bool
) -> tuple[ar.CleanApplication, CheckedFiles]:
    """The form and its files checked against the region's profiles, municipalities and requirements; every
    error at once (ValidationFailed)."""
    requirements = [requirement_info(r) for r in await requirements_of(session, region_id)]
    errors = ErrorCollector()
    clean = ar.check_application(
        data, errors, profile_ids={p.id for p in await list_profiles(session, region_id)},
        municipality_ids={m.id for m in await municipalities_of(session, region_id) if m.id is not None},
        new_account=new_account,
    )  # fmt: skip
    files = ar.check_evidence(requirements, data.evidence, today, errors, all_required=True)
    await _check_unique(session, region_id, clean, errors, new_account=new_account)
    errors.raise_if_any()
    return clean, files


async def _applicant(
    session: AsyncSession, principal: Principal | None, clean: ar.CleanApplication, password: str, *,
    region_id: int, request_id: str, now: datetime,
) -> tuple[int, Actor]:  # fmt: skip
    """(user id, actor) of the applicant: a new account, or the logged-in one."""
    if principal is not None:
        return principal.user_id, principal.actor()
    user = await create_user(session, email=clean.contact_email, name=clean.contact_name, password=password, now=now)
    assert user.id is not None
    return user.id, Actor(user_id=user.id, label=user.email, role="applicant", region_id=region_id,
                          request_id=request_id)  # fmt: skip


async def _store_application(
    session: AsyncSession, region_id: int, clean: ar.CleanApplication, files: CheckedFiles, *,
    previous: Application | None, user_id: int, year: int, now: datetime,
) -> Application:  # fmt: skip
    """The application row with its profiles, municipalities and evidence."""
    app = Application(
        region_id=region_id, reference=await _next_reference(session, region_id, year), status="submitted",
        org_name=clean.org_name, kvk=clean.kvk, agb=clean.agb, street=clean.street, postcode=clean.postcode,
        city=clean.city, contact_name=clean.contact_name, contact_email=clean.contact_email,
        contact_phone=clean.contact_phone, vision=clean.vision, submitted_at=now, updated_at=now,
        previous_application_id=previous.id if previous else None, applicant_user_id=user_id,
    )  # fmt: skip
    session.add(app)
    await session.flush()
    assert app.id is not None
    for pid in clean.profile_ids:
        session.add(ApplicationProfile(region_id=region_id, application_id=app.id, profile_id=pid))
    for mid in clean.municipality_ids:
        session.add(ApplicationMunicipality(region_id=region_id, application_id=app.id, municipality_id=mid))
    for requirement, checked in files:
        await store_evidence(session, app, requirement, checked, uploaded_by=user_id, now=now)
    return app


async def _link_membership(
    session: AsyncSession, principal: Principal | None, app: Application, *, user_id: int, now: datetime
) -> int | None:
    """The applicant's membership follows this application: a new one for a new account. Returns its id."""
    if principal is None:
        membership = await add_membership(
            session, user_id=user_id, region_id=app.region_id, role="applicant", now=now, application_id=app.id
        )
        return membership.id
    await session.execute(
        update(Membership).where(Membership.id == principal.membership_id).values(application_id=app.id)
    )
    return principal.membership_id


async def start_web_session(
    session: AsyncSession, actor: Actor, *, membership_id: int, now: datetime, hours: int
) -> str:
    """Log a freshly created applicant in, exactly as jeugdregio.auth.login opens a session. Returns the cookie."""
    assert actor.user_id is not None
    cookie = new_token()
    session.add(
        WebSession(
            token_hash=token_hash(cookie), user_id=actor.user_id, membership_id=membership_id,
            created_at=now, expires_at=now + timedelta(hours=hours),
        )
    )  # fmt: skip
    await audit.record(session, actor, object_type="user", object_id=actor.user_id, action="login", now=now)
    return cookie


def portal_link() -> str:
    return get_settings().base_url.rstrip("/") + "/mijn-aanmelding"


async def mail_applicant(
    session: AsyncSession, app: Application, *, subject: str, body: str, dedupe_key: str, now: datetime
) -> None:
    """Queue a mail to the application's contact address (once per dedupe key)."""
    await outbox.enqueue(
        session, region_id=app.region_id, to_address=app.contact_email, subject=subject, body=body, now=now,
        dedupe_key=dedupe_key,
    )  # fmt: skip


# ---- shared by the portal and the team ----------------------------------------------------------------------


async def store_evidence(
    session: AsyncSession,
    app: Application,
    requirement: ar.RequirementInfo,
    checked: ar.CheckedEvidence,
    *,
    uploaded_by: int | None,
    now: datetime,
) -> EvidenceItem:
    """Store the file under a server-generated name; earlier evidence for the requirement is superseded."""
    assert app.id is not None
    doc = await store_document(
        session, region_id=app.region_id, kind="evidence", content=checked.file.content,
        content_type=checked.content_type, now=now, created_by=uploaded_by,
        stem=re.sub(r"[^A-Za-z0-9_-]+", "-", f"bewijs-{app.reference}-{requirement.code}"),
    )  # fmt: skip
    assert doc.id is not None
    evidence = await replace_evidence(
        session, region_id=app.region_id, application_id=app.id, requirement_id=requirement.id, document_id=doc.id,
        original_name=checked.file.original_name, valid_until=checked.valid_until, uploaded_by=uploaded_by, now=now,
    )  # fmt: skip
    state = evidence_state(checked.valid_until, local_today(now))
    return EvidenceItem(evidence, doc.filename, doc.size, doc.content_type, state)


async def load_for_update(session: AsyncSession, principal: Principal, application_id: int | None) -> Application:
    """The application, row-locked; NotFound (never Forbidden) when the principal may not see it."""
    check_ids(application_id)
    q = applications_visible_to(principal)
    if application_id is None:  # the applicant's own current application
        latest = await latest_own(session, principal)
        if latest is None:
            raise NotFound("U heeft (nog) geen aanmelding.")
        application_id = latest.id
    q = q.where(Application.id == application_id).with_for_update().execution_options(populate_existing=True)
    app = (await session.execute(q)).scalars().first()
    if app is None:
        raise NotFound()
    return app


async def record_transition(
    session: AsyncSession, app: Application, action: str, *, actor: Actor, now: datetime,
    extra: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    """Move the application along the state machine (contracts.rules) and write its one audit event."""
    before = app.status
    after = application_next(before, action)
    app.status = after
    app.updated_at = now
    summary = {**audit.changes({"status": before}, {"status": after}), **(extra or {})}
    await audit.record(
        session, actor, object_type="application", object_id=app.id, action=action, now=now, summary=summary,
        region_id=app.region_id,
    )  # fmt: skip
    return after
