"""JSON API of the application workflow (Bearer tokens only; OpenAPI at /schema). Thin handlers, one service
call each; inputs are explicit dataclasses (contracts.schemas), so a role can only set what it may."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.models import Application, InfoRequest, Requirement
from contracts.routes.common import UPLOAD_LIMIT, document_download, requires_applicant_or_provider
from contracts.schemas import (
    ApplicationDetailOut,
    ApplicationOut,
    DecisionIn,
    DecisionInput,
    EvidenceFile,
    EvidenceOut,
    EvidenceUploadIn,
    InfoRequestIn,
    InfoRequestOut,
    RequirementOut,
    ReviewIn,
    ReviewOut,
    ReviewVerdict,
)
from contracts.services import application_dossier as dossiers
from contracts.services import application_portal as applicant
from contracts.services import application_review as review
from contracts.services.application_dossier import Dossier, EvidenceItem
from jeugdregio.auth import Principal
from jeugdregio.clock import utcnow
from jeugdregio.web import requires_login, requires_team_contracts

TAGS = ["applications"]
# two inputs are called EvidenceUploadIn (this one and the provider vault's): fixed OpenAPI names keep clients stable
Multipart = Annotated[
    EvidenceUploadIn, Body(media_type=RequestEncodingType.MULTI_PART, schema_component_key="schemas_EvidenceUploadIn")
]


# ---- views -----------------------------------------------------------------------------------------------------


def _requirement(r: Requirement) -> RequirementOut:
    assert r.id is not None
    return RequirementOut(r.id, r.code, r.title, r.description, r.evidence_required, r.validity_months)


def _summary(a: Application) -> ApplicationOut:
    assert a.id is not None
    return ApplicationOut(a.id, a.reference, a.status, a.org_name, a.kvk, a.agb, a.city, a.submitted_at, a.decided_at)


def _evidence(item: EvidenceItem) -> EvidenceOut:
    ev = item.evidence
    assert ev.id is not None
    return EvidenceOut(
        ev.id, ev.requirement_id, item.filename, item.content_type, item.size, ev.valid_until, item.state,
        ev.uploaded_at, ev.superseded_at, f"/api/v1/applications/{ev.application_id}/evidence/{ev.id}",
    )  # fmt: skip


def _info(r: InfoRequest) -> InfoRequestOut:
    assert r.id is not None
    return InfoRequestOut(r.id, r.message, r.requested_at, r.answer, r.answered_at)


def _detail(d: Dossier) -> ApplicationDetailOut:
    a = d.application
    assert a.id is not None
    evidence = [_evidence(e) for row in d.requirements for e in ([row.current] if row.current else []) + row.older]
    reviews = [
        ReviewOut(row.review.requirement_id, row.review.passed, row.review.reason, row.review.reviewed_at)
        for row in d.requirements
        if row.review is not None
    ]
    return ApplicationDetailOut(
        id=a.id, reference=a.reference, status=a.status, org_name=a.org_name, kvk=a.kvk, agb=a.agb, street=a.street,
        postcode=a.postcode, city=a.city, contact_name=a.contact_name, contact_email=a.contact_email,
        contact_phone=a.contact_phone, vision=a.vision, submitted_at=a.submitted_at, decided_at=a.decided_at,
        decision_reason=a.decision_reason, provider_id=a.provider_id, previous_application_id=a.previous_application_id,
        profile_numbers=[p.number for p in d.profiles], municipality_codes=[m.cbs_code for m in d.municipalities],
        evidence=evidence, info_requests=[_info(r) for r in d.info_requests], reviews=reviews if d.for_team else None,
        decision_letter_url=f"/api/v1/applications/{a.id}/decision-letter" if a.decision_letter_id else None,
    )  # fmt: skip


# ---- reads -------------------------------------------------------------------------------------------------------


@get("/api/v1/requirements", guards=[requires_login], tags=TAGS)
async def api_requirements(db: AsyncSession, principal: Principal) -> list[RequirementOut]:
    """The admission requirements of the caller's region: whether evidence is required and how many months
    evidence stays valid (null: it does not expire)."""
    return [_requirement(r) for r in await dossiers.requirements_of(db, principal.region_id)]


@get("/api/v1/applications", guards=[requires_login], tags=TAGS)
async def api_applications(
    db: AsyncSession, principal: Principal, status: str | None = None, page: int = 1
) -> list[ApplicationOut]:
    """Applications visible to the caller (the team: the region; an applicant or provider: its own), newest
    first, 100 per page. Filter with `status` (submitted, in_review, info_requested, admitted, rejected, withdrawn)."""
    result = await review.list_applications(
        db, principal, status=status or "", page_nr=page, page_size=100, strict=True
    )
    return [_summary(a) for a in result.rows]


@get("/api/v1/applications/{application_id:int}", guards=[requires_login], tags=TAGS)
async def api_application(db: AsyncSession, principal: Principal, application_id: int) -> ApplicationDetailOut:
    """One application with its profiles, municipalities, evidence and information requests (the team also
    sees the requirement reviews). 404 when it does not exist or is not visible to the caller."""
    return _detail(await dossiers.application_dossier(db, principal, application_id, now=utcnow()))


@get("/api/v1/applications/{application_id:int}/evidence/{evidence_id:int}", guards=[requires_login], tags=TAGS)
async def api_evidence_file(
    db: AsyncSession, principal: Principal, application_id: int, evidence_id: int
) -> Response[bytes]:
    """Download an evidence file (PDF, PNG or JPEG). 404 when it is not visible to the caller."""
    doc = await dossiers.evidence_document(db, principal, application_id, evidence_id, now=utcnow())
    return document_download(doc)


@get("/api/v1/applications/{application_id:int}/decision-letter", guards=[requires_login], tags=TAGS)
async def api_decision_letter(db: AsyncSession, principal: Principal, application_id: int) -> Response[bytes]:
    """Download the decision letter (PDF) once a decision has been taken."""
    return document_download(await dossiers.decision_letter_document(db, principal, application_id, now=utcnow()))


# ---- writes ------------------------------------------------------------------------------------------------------


@post("/api/v1/applications/{application_id:int}/reviews", guards=[requires_team_contracts], tags=TAGS, status_code=200)
async def api_review(db: AsyncSession, principal: Principal, application_id: int, data: ReviewIn) -> ReviewOut:
    """Record the team's verdict on one requirement (the latest verdict counts). `passed: false` needs a reason."""
    verdict = ReviewVerdict(data.requirement_id or 0, data.passed, data.reason)
    rows = await review.record_reviews(
        db, principal, application_id, [verdict], partial=False, actor=principal.actor(), now=utcnow()
    )
    return ReviewOut(rows[0].requirement_id, rows[0].passed, rows[0].reason, rows[0].reviewed_at)


@post("/api/v1/applications/{application_id:int}/info-requests", guards=[requires_team_contracts], tags=TAGS)
async def api_request_info(
    db: AsyncSession, principal: Principal, application_id: int, data: InfoRequestIn
) -> InfoRequestOut:
    """Ask the applicant for more information; the status becomes `info_requested` and the applicant gets a mail."""
    return _info(await review.request_info(db, principal, application_id, data.message, actor=principal.actor(),
                                           now=utcnow()))  # fmt: skip


@post("/api/v1/applications/{application_id:int}/decision", guards=[requires_team_contracts], tags=TAGS,
      status_code=200)  # fmt: skip
async def api_decide(db: AsyncSession, principal: Principal, application_id: int, data: DecisionIn) -> ApplicationOut:
    """Decide: `admit` (needs `starts_on`, every evidence-required requirement passed, none failed) or `reject`
    (needs a `reason` or failed requirements). Writes the decision letter and mails the applicant."""
    decision = DecisionInput(data.decision, data.reason, data.starts_on.isoformat() if data.starts_on else "")
    return _summary(await review.decide_application(db, principal, application_id, decision,
                                                    actor=principal.actor(), now=utcnow()))  # fmt: skip


@post("/api/v1/applications/{application_id:int}/evidence", guards=[requires_applicant_or_provider], tags=TAGS,
      request_max_body_size=UPLOAD_LIMIT)  # fmt: skip
async def api_add_evidence(db: AsyncSession, principal: Principal, application_id: int, data: Multipart) -> EvidenceOut:
    """Add or replace evidence for one requirement of your own application while it is open (multipart: `file`,
    `requirement_id`, optional `valid_until`; PDF, PNG or JPEG up to 10 MB)."""
    upload = data.file
    file = EvidenceFile(
        data.requirement_id or 0, await upload.read() if upload else b"", upload.filename if upload else "",
        data.valid_until.isoformat() if data.valid_until else "", field="file", date_field="valid_until",
    )  # fmt: skip
    return _evidence(await applicant.add_evidence(db, principal, file, application_id=application_id,
                                                  actor=principal.actor(), now=utcnow()))  # fmt: skip


ROUTES: list[Any] = [
    api_requirements, api_applications, api_application, api_evidence_file, api_decision_letter, api_review,
    api_request_info, api_decide, api_add_evidence,
]  # fmt: skip
