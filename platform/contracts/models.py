"""Tables of the open-house register. Private to contracts; other domains use contracts.public."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from jeugdregio.tables import ts


class Requirement(SQLModel, table=True):
    """A legal quality requirement an applicant must meet (region data)."""

    __tablename__ = "contracts_requirement"
    __table_args__ = (UniqueConstraint("region_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = ""
    evidence_required: bool = True
    validity_months: int | None = None  # None: evidence does not expire
    sort_order: int = 0
    active: bool = True


class AdmissionWindow(SQLModel, table=True):
    """An entry window, used when the region's admission mode is 'windows'."""

    __tablename__ = "contracts_admission_window"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="window_order"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    opens_on: date
    closes_on: date


APPLICATION_STATUSES = ("submitted", "in_review", "info_requested", "admitted", "rejected", "withdrawn")


class Application(SQLModel, table=True):
    """An application to join the register (aanmelding)."""

    __tablename__ = "contracts_application"
    __table_args__ = (
        UniqueConstraint("region_id", "reference"),
        Index("ix_contracts_application_region_status", "region_id", "status"),
        CheckConstraint("kvk ~ '^[0-9]{8}$'", name="kvk_8_digits"),
        CheckConstraint("agb ~ '^[0-9]{8}$'", name="agb_8_digits"),
        CheckConstraint(
            "status IN ('submitted','in_review','info_requested','admitted','rejected','withdrawn')",
            name="status_known",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    reference: str = Field(max_length=20)
    status: str = Field(default="submitted", max_length=20)
    org_name: str = Field(max_length=200)
    kvk: str = Field(max_length=8)
    agb: str = Field(max_length=8)
    street: str = Field(max_length=200)
    postcode: str = Field(max_length=7)
    city: str = Field(max_length=100)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=254)
    contact_phone: str = Field(default="", max_length=30)
    vision: str = ""  # the applicant's vision on care, discussed in the intake conversation
    submitted_at: datetime = ts()
    updated_at: datetime = ts()
    decided_at: datetime | None = ts(default=None)
    decision_reason: str = ""
    decision_letter_id: int | None = Field(default=None, foreign_key="jeugdregio_document.id")
    provider_id: int | None = Field(default=None, foreign_key="contracts_provider.id")
    previous_application_id: int | None = Field(default=None, foreign_key="contracts_application.id")
    applicant_user_id: int | None = Field(default=None, foreign_key="jeugdregio_user.id", index=True)


class ApplicationProfile(SQLModel, table=True):
    """A care profile (lot) applied for."""

    __tablename__ = "contracts_application_profile"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int = Field(foreign_key="contracts_application.id", primary_key=True)
    profile_id: int = Field(foreign_key="catalogue_care_profile.id", primary_key=True)


class ApplicationMunicipality(SQLModel, table=True):
    """A member municipality where the applicant wants to deliver care."""

    __tablename__ = "contracts_application_municipality"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int = Field(foreign_key="contracts_application.id", primary_key=True)
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id", primary_key=True)


class RequirementReview(SQLModel, table=True):
    """The team's pass/fail verdict on one requirement of one application (latest verdict counts)."""

    __tablename__ = "contracts_requirement_review"
    __table_args__ = (
        # named explicitly: the convention's name would pass PostgreSQL's 63 characters
        UniqueConstraint(
            "region_id", "application_id", "requirement_id",
            name="uq_contracts_requirement_review_region_application_requirement",
        ),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int = Field(foreign_key="contracts_application.id", index=True)
    requirement_id: int = Field(foreign_key="contracts_requirement.id")
    passed: bool
    reason: str = ""
    reviewed_by: int = Field(foreign_key="jeugdregio_user.id")
    reviewed_at: datetime = ts()


class IntakeConversation(SQLModel, table=True):
    __tablename__ = "contracts_intake_conversation"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int = Field(foreign_key="contracts_application.id", index=True)
    held_on: date
    participants: str
    notes: str = ""
    recorded_by: int = Field(foreign_key="jeugdregio_user.id")
    recorded_at: datetime = ts()


class InfoRequest(SQLModel, table=True):
    """A request for more information; the applicant answers (and may add evidence), then it is reviewed again."""

    __tablename__ = "contracts_info_request"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int = Field(foreign_key="contracts_application.id", index=True)
    message: str
    requested_by: int = Field(foreign_key="jeugdregio_user.id")
    requested_at: datetime = ts()
    answer: str = ""
    answered_at: datetime | None = ts(default=None)


PROVIDER_STATUSES = ("active", "suspended", "ended")


class Provider(SQLModel, table=True):
    """A provider admitted to the region's register (aanbieder)."""

    __tablename__ = "contracts_provider"
    __table_args__ = (
        UniqueConstraint("region_id", "kvk"),
        UniqueConstraint("region_id", "agb"),
        CheckConstraint("status IN ('active','suspended','ended')", name="status_known"),
        Index("ix_contracts_provider_region_status", "region_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    name: str = Field(max_length=200)
    kvk: str = Field(max_length=8)
    agb: str = Field(max_length=8)
    street: str = Field(max_length=200)
    postcode: str = Field(max_length=7)
    city: str = Field(max_length=100)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=254)
    contact_phone: str = Field(default="", max_length=30)
    status: str = Field(default="active", max_length=20)
    admitted_on: date
    created_at: datetime = ts()


class ProviderMunicipality(SQLModel, table=True):
    __tablename__ = "contracts_provider_municipality"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id", primary_key=True)
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id", primary_key=True)


CONTRACT_STATUSES = ("active", "suspended", "terminated")


class FrameworkContract(SQLModel, table=True):
    """The framework contract (raamovereenkomst) under which an admitted provider works. No volume guarantee."""

    __tablename__ = "contracts_framework_contract"
    __table_args__ = (
        UniqueConstraint("region_id", "number"),
        CheckConstraint("status IN ('active','suspended','terminated')", name="status_known"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="term_order"),
        # at most one live contract per provider (with region_id, as every unique index)
        Index(
            "uq_contracts_framework_contract_live",
            "region_id",
            "provider_id",
            unique=True,
            postgresql_where=text("status <> 'terminated'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    provider_id: int = Field(foreign_key="contracts_provider.id", index=True)
    number: str = Field(max_length=30)
    starts_on: date
    ends_on: date | None = None
    status: str = Field(default="active", max_length=20)
    version: int = 1
    status_reason: str = ""
    status_changed_on: date | None = None
    terminated_on: date | None = None
    created_at: datetime = ts()


class ContractLot(SQLModel, table=True):
    """A lot of the current contract version: a care profile the provider may deliver."""

    __tablename__ = "contracts_contract_lot"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    contract_id: int = Field(foreign_key="contracts_framework_contract.id", primary_key=True)
    profile_id: int = Field(foreign_key="catalogue_care_profile.id", primary_key=True, index=True)


class ContractVersion(SQLModel, table=True):
    """Each amendment is a new version with its reason, a snapshot of term and lots, and its PDF."""

    __tablename__ = "contracts_contract_version"
    __table_args__ = (UniqueConstraint("region_id", "contract_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    contract_id: int = Field(foreign_key="contracts_framework_contract.id", index=True)
    version: int
    reason: str
    effective_on: date
    starts_on: date
    ends_on: date | None = None
    lots: list[Any] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))  # profile numbers
    document_id: int | None = Field(default=None, foreign_key="jeugdregio_document.id")
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


class Evidence(SQLModel, table=True):
    """Evidence for one requirement: first on the application, after admission also on the provider.

    The newest evidence per (owner, requirement) counts; older rows stay for the history (superseded_at)."""

    __tablename__ = "contracts_evidence"
    __table_args__ = (
        CheckConstraint("application_id IS NOT NULL OR provider_id IS NOT NULL", name="has_owner"),
        Index("ix_contracts_evidence_valid_until", "region_id", "valid_until"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    application_id: int | None = Field(default=None, foreign_key="contracts_application.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="contracts_provider.id", index=True)
    requirement_id: int = Field(foreign_key="contracts_requirement.id")
    document_id: int = Field(foreign_key="jeugdregio_document.id")
    original_name: str = Field(default="", max_length=200)  # shown only; never used as a file name
    valid_until: date | None = None
    uploaded_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    uploaded_at: datetime = ts()
    superseded_at: datetime | None = ts(default=None)
