"""Tables of the open-house register. Private to contracts; other domains use contracts.public."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint, text
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


# --- family plans and arrangements (the conversation model, DOMAIN.md §2) -------------------------------------

ARRANGEMENT_STATUSES = ("proposed", "agreed", "started", "ended", "confirmed", "disputed", "cancelled", "rejected")


class FamilyPlan(SQLModel, table=True):
    """The family plan (gezinsplan): the youth's identity, the paying municipality and the goals.

    The BSN, name and birth date are stored only here; every other table uses `youth_pseudonym` (keyed HMAC)."""

    __tablename__ = "contracts_family_plan"
    __table_args__ = (
        UniqueConstraint("region_id", "reference"),
        CheckConstraint("bsn ~ '^[0-9]{9}$'", name="bsn_format"),
        CheckConstraint("referrer_type IN ('01','02','03','04','05','06','08')", name="referrer_type_known"),
        CheckConstraint("residence_basis IN ('registered_address','before_stay')", name="residence_basis_known"),
        CheckConstraint("status IN ('open','closed')", name="status_known"),
        Index("ix_contracts_family_plan_pseudonym", "region_id", "youth_pseudonym"),
        Index("ix_contracts_family_plan_referrer", "region_id", "referrer_membership_id"),
        Index("ix_contracts_family_plan_invited", "region_id", "invited_provider_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    reference: str = Field(max_length=20)  # GP-2026-000123; shown instead of the youth's identity
    referrer_membership_id: int = Field(foreign_key="jeugdregio_membership.id")  # the owning referrer
    referrer_type: str = Field(max_length=2)  # iJw COD327
    bsn: str = Field(max_length=9)
    youth_pseudonym: str = Field(max_length=24)  # jeugdregio.security.pseudonym(key, bsn)
    youth_name: str = Field(max_length=200)
    birth_date: date
    paying_municipality_id: int = Field(foreign_key="jeugdregio_municipality.id")
    residence_basis: str = Field(default="registered_address", max_length=20)
    profile_id: int | None = Field(default=None, foreign_key="catalogue_care_profile.id")
    situation: str = ""
    # the provider the family chose: the only provider that sees the plan (pseudonymised) and may propose
    invited_provider_id: int | None = Field(default=None, foreign_key="contracts_provider.id")
    status: str = Field(default="open", max_length=10)
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


class FamilyPlanGoal(SQLModel, table=True):
    __tablename__ = "contracts_family_plan_goal"
    __table_args__ = (UniqueConstraint("region_id", "plan_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    plan_id: int = Field(foreign_key="contracts_family_plan.id", index=True)
    position: int
    description: str


class Arrangement(SQLModel, table=True):
    """One arrangement for one youth at one provider: proposed → agreed → started → ended → confirmed.

    The tariff is fixed on the agreement date. `paying_municipality_id`, `youth_pseudonym`, `profile_id` and
    `payment_model` are copied from the plan and the arrangement type so invoicing and quality never need the
    plan (and never see the BSN)."""

    __tablename__ = "contracts_arrangement"
    __table_args__ = (
        UniqueConstraint("region_id", "reference"),
        # what invoicing's declarations and ledger entries reference in one composite foreign key: the
        # arrangement, and with it its region, provider and paying municipality (which never change; ADR 0013)
        UniqueConstraint("id", "region_id", "provider_id", "paying_municipality_id",
                         name="uq_contracts_arrangement_payee"),
        CheckConstraint(
            "status IN ('proposed','agreed','started','ended','confirmed','disputed','cancelled','rejected')",
            name="status_known",
        ),
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("tariff_cents IS NULL OR tariff_cents >= 0", name="tariff_not_negative"),
        CheckConstraint("result IS NULL OR result IN ('achieved','partly','not')", name="result_known"),
        CheckConstraint("assigned_units IS NULL OR assigned_units >= 0", name="units_not_negative"),
        Index("ix_contracts_arrangement_provider", "region_id", "provider_id", "status"),
        Index("ix_contracts_arrangement_municipality", "region_id", "paying_municipality_id", "status"),
        Index("ix_contracts_arrangement_plan", "region_id", "plan_id"),
        Index("ix_contracts_arrangement_pseudonym", "region_id", "youth_pseudonym"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    reference: str = Field(max_length=20)  # AR-2026-000123
    plan_id: int = Field(foreign_key="contracts_family_plan.id")
    provider_id: int = Field(foreign_key="contracts_provider.id")
    arrangement_type_id: int = Field(foreign_key="catalogue_arrangement_type.id")
    profile_id: int = Field(foreign_key="catalogue_care_profile.id")
    payment_model: str = Field(max_length=20)  # copied from the arrangement type
    max_months: int | None = None  # monthly types
    paying_municipality_id: int = Field(foreign_key="jeugdregio_municipality.id")
    youth_pseudonym: str = Field(max_length=24)
    status: str = Field(default="proposed", max_length=20)
    planned_start: date
    subcontractors: list[Any] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    assigned_units: int | None = None  # P×Q: the assigned volume in the type's unit
    # agreement: each party, who and when (the family's consent is recorded by the referrer)
    referrer_agreed_at: datetime | None = ts(default=None)
    referrer_agreed_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    family_agreed_at: datetime | None = ts(default=None)
    family_agreed_note: str = Field(default="", max_length=200)  # e.g. "moeder, in gesprek van 3 maart"
    provider_agreed_at: datetime | None = ts(default=None)
    provider_agreed_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    agreed_on: date | None = None
    tariff_id: int | None = Field(default=None, foreign_key="catalogue_tariff.id")
    tariff_cents: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    start_date: date | None = None
    end_date: date | None = None
    end_reason: str | None = Field(default=None, max_length=10)  # iJw JZ588, or 'change'
    result: str | None = Field(default=None, max_length=10)  # achieved | partly | not (over all goals)
    ended_reported_at: datetime | None = ts(default=None)
    confirmed_at: datetime | None = ts(default=None)
    confirmed_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    dispute_reason: str = ""
    dispute_resolution: str = ""
    cancel_reason: str = ""
    previous_arrangement_id: int | None = Field(default=None, foreign_key="contracts_arrangement.id")
    link_kind: str | None = Field(default=None, max_length=10)  # change | transfer
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()
    updated_at: datetime = ts()


class ArrangementGoalResult(SQLModel, table=True):
    """Per goal of the plan: achieved, partly or not, as the provider reported it at the end."""

    __tablename__ = "contracts_arrangement_goal_result"
    __table_args__ = (CheckConstraint("outcome IN ('achieved','partly','not')", name="outcome_known"),)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    arrangement_id: int = Field(foreign_key="contracts_arrangement.id", primary_key=True)
    goal_id: int = Field(foreign_key="contracts_family_plan_goal.id", primary_key=True)
    outcome: str = Field(max_length=10)
