"""Inputs and views of the application workflow. Inputs are explicit: a role can only send the fields listed
here (no mass assignment). Views are what the JSON API returns. No database access."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from litestar.datastructures import UploadFile

# ---- service inputs (built by the routes from forms or API bodies) -------------------------------------


@dataclass(frozen=True)
class EvidenceFile:
    """One uploaded evidence file for one requirement; `field`/`date_field` name the inputs for errors."""

    requirement_id: int
    content: bytes
    original_name: str = ""
    valid_until: str = ""  # raw text; empty: upload day + the requirement's validity
    field: str = "evidence"
    date_field: str = "valid_until"


@dataclass(frozen=True)
class ApplicationInput:
    """The public application form (aanmelding). The password fields only count for a new account."""

    org_name: str = ""
    kvk: str = ""
    agb: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    vision: str = ""
    profile_ids: tuple[str, ...] = ()
    municipality_ids: tuple[str, ...] = ()
    password: str = field(default="", repr=False)
    password_confirm: str = field(default="", repr=False)
    evidence: tuple[EvidenceFile, ...] = ()


@dataclass(frozen=True)
class ReviewVerdict:
    """The team's verdict on one requirement: passed True/False (None: leave unchanged)."""

    requirement_id: int
    passed: bool | None
    reason: str = ""
    field: str = "passed"
    reason_field: str = "reason"


@dataclass(frozen=True)
class IntakeInput:
    held_on: str = ""
    participants: str = ""
    notes: str = ""


@dataclass(frozen=True)
class DecisionInput:
    decision: str = ""  # admit | reject
    reason: str = ""
    starts_on: str = ""  # contract start (admit only), raw text


# ---- JSON API bodies --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewIn:
    """A pass/fail verdict on one requirement; a fail needs a reason."""

    requirement_id: int | None = None
    passed: bool | None = None
    reason: str = ""


@dataclass(frozen=True)
class InfoRequestIn:
    """A request for more information, sent to the applicant."""

    message: str = ""


@dataclass(frozen=True)
class DecisionIn:
    """The decision: `admit` (with the contract's start date) or `reject` (with a reason or failed requirements)."""

    decision: str = ""
    reason: str = ""
    starts_on: date | None = None


@dataclass
class EvidenceUploadIn:
    """Multipart: one PDF, PNG or JPEG file (at most 10 MB) for one requirement."""

    file: UploadFile | None = None
    requirement_id: int | None = None
    valid_until: date | None = None


# ---- JSON API views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementOut:
    id: int
    code: str
    title: str
    description: str
    evidence_required: bool
    validity_months: int | None


@dataclass(frozen=True)
class EvidenceOut:
    id: int
    requirement_id: int
    filename: str
    content_type: str
    size: int
    valid_until: date | None
    state: str  # valid | expiring | expired
    uploaded_at: datetime
    superseded_at: datetime | None
    download_url: str


@dataclass(frozen=True)
class ReviewOut:
    requirement_id: int
    passed: bool
    reason: str
    reviewed_at: datetime


@dataclass(frozen=True)
class InfoRequestOut:
    id: int
    message: str
    requested_at: datetime
    answer: str
    answered_at: datetime | None


@dataclass(frozen=True)
class ApplicationOut:
    id: int
    reference: str
    status: str
    org_name: str
    kvk: str
    agb: str
    city: str
    submitted_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class ApplicationDetailOut:
    id: int
    reference: str
    status: str
    org_name: str
    kvk: str
    agb: str
    street: str
    postcode: str
    city: str
    contact_name: str
    contact_email: str
    contact_phone: str
    vision: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str
    provider_id: int | None
    previous_application_id: int | None
    profile_numbers: list[int]
    municipality_codes: list[str]
    evidence: list[EvidenceOut]
    info_requests: list[InfoRequestOut]
    reviews: list[ReviewOut] | None  # the team only
    decision_letter_url: str | None
