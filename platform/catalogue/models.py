"""Catalogue tables (private to the domain; other domains use catalogue.public).

What a region buys: care profiles × intensities × settings make arrangement types, each with yearly
tariffs in cents. What providers offer: a public listing per provider (kept in step with the register by
contracts through catalogue.public), its locations, municipalities served, arrangement types offered and
waiting time per profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.types import String
from sqlmodel import Field, SQLModel

from jeugdregio import db  # noqa: F401  (naming convention)
from jeugdregio.tables import ts

PAYMENT_MODELS = ("result_50_50", "monthly", "pxq", "lump_sum", "population")


class CareProfile(SQLModel, table=True):
    """One of a region's care profiles (zorgprofielen). Names of profiles 3–10 are illustrative in demo data."""

    __tablename__ = "catalogue_care_profile"
    __table_args__ = (UniqueConstraint("region_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    number: int
    name: str = Field(max_length=200)
    description: str = ""
    complexity: str = Field(default="low", max_length=10)  # low | high
    illustrative: bool = False  # True when the name is not the region's published name


class Intensity(SQLModel, table=True):
    """Low complex: acute (A), perspective (P), intensive (I), long-term (D); high complex: five, configurable."""

    __tablename__ = "catalogue_intensity"
    __table_args__ = (
        UniqueConstraint("region_id", "complexity", "code"),
        CheckConstraint("payment_model IN ('result_50_50','monthly','pxq','lump_sum','population')",
                        name="payment_model_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    complexity: str = Field(max_length=10)  # low | high
    code: str = Field(max_length=4)
    name: str = Field(max_length=100)
    payment_model: str = Field(default="result_50_50", max_length=20)
    sort_order: int = 0


class CareSetting(SQLModel, table=True):
    """Where care is given: ambulant, day treatment, residential (light/heavy), foster care."""

    __tablename__ = "catalogue_setting"
    __table_args__ = (UniqueConstraint("region_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    code: str = Field(max_length=10)
    name: str = Field(max_length=100)
    sort_order: int = 0


class ArrangementType(SQLModel, table=True):
    """Profile × intensity × setting, with a code (WBW pattern `5` + profile + intensity + L/H, e.g. 501PL)."""

    __tablename__ = "catalogue_arrangement_type"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        UniqueConstraint("region_id", "profile_id", "intensity_id", "setting_id"),
        CheckConstraint("max_months IS NULL OR max_months > 0", name="max_months_positive"),
        CheckConstraint("payment_model IN ('result_50_50','monthly','pxq','lump_sum','population')",
                        name="payment_model_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    code: str = Field(max_length=12)
    profile_id: int = Field(foreign_key="catalogue_care_profile.id", index=True)
    intensity_id: int = Field(foreign_key="catalogue_intensity.id")
    setting_id: int = Field(foreign_key="catalogue_setting.id")
    complexity: str = Field(max_length=10)
    payment_model: str = Field(max_length=20)
    max_months: int | None = None  # monthly types: paid per month up to this many months
    ijw_product_category: str = Field(default="45", max_length=2)  # iJw productcategorie
    ijw_product_code: str = Field(max_length=5)  # iJw productcode
    unit: str = Field(default="82", max_length=2)  # WJ756: 82 pieces output, 14 day, 04 hour, ...
    active: bool = True


class Tariff(SQLModel, table=True):
    """The adopted tariff of an arrangement type for a period. Periods of one type never overlap or leave a
    gap (checked in the service under a row lock, and by a constraint trigger in the migrations)."""

    __tablename__ = "catalogue_tariff"
    __table_args__ = (
        UniqueConstraint("region_id", "arrangement_type_id", "valid_from"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="period_order"),
        Index("ix_catalogue_tariff_lookup", "arrangement_type_id", "valid_from"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    arrangement_type_id: int = Field(foreign_key="catalogue_arrangement_type.id")
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    valid_from: date
    valid_until: date | None = None  # None: until a later tariff is adopted
    schedule_id: int | None = Field(default=None, foreign_key="catalogue_tariff_schedule.id")
    created_at: datetime = ts()


SCHEDULE_STATUSES = ("draft", "consultation", "adopted")


class TariffSchedule(SQLModel, table=True):
    """Next year's tariff table: drafted by indexation, put out for consultation with providers, adopted."""

    __tablename__ = "catalogue_tariff_schedule"
    __table_args__ = (
        UniqueConstraint("region_id", "year"),
        CheckConstraint("status IN ('draft','consultation','adopted')", name="status_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    year: int
    status: str = Field(default="draft", max_length=20)
    indexation_basis_points: int = 0  # 250 = 2.50 %
    rounding: str = Field(default="half_up_cent", max_length=30)  # stated on the tariff list
    note: str = ""
    consultation_until: date | None = None
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()
    adopted_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    adopted_at: datetime | None = ts(default=None)


class TariffDraftLine(SQLModel, table=True):
    """One arrangement type's proposed amount in a schedule (an own percentage may override the general one)."""

    __tablename__ = "catalogue_tariff_draft_line"
    __table_args__ = (
        UniqueConstraint("region_id", "schedule_id", "arrangement_type_id"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    schedule_id: int = Field(foreign_key="catalogue_tariff_schedule.id", index=True)
    arrangement_type_id: int = Field(foreign_key="catalogue_arrangement_type.id")
    previous_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_cents: int = Field(sa_column=Column(BigInteger, nullable=False))
    override_basis_points: int | None = None


class TariffComment(SQLModel, table=True):
    """A provider's comment during the consultation (on the whole table or one arrangement type)."""

    __tablename__ = "catalogue_tariff_comment"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    schedule_id: int = Field(foreign_key="catalogue_tariff_schedule.id", index=True)
    provider_id: int = Field(foreign_key="contracts_provider.id")
    arrangement_type_id: int | None = Field(default=None, foreign_key="catalogue_arrangement_type.id")
    body: str
    author_user_id: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


def text_array() -> Any:
    return Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False, server_default="{}"))


class Listing(SQLModel, table=True):
    """A provider's public catalogue entry. Name and status are kept in step with the register by contracts;
    the rest the provider maintains in its portal."""

    __tablename__ = "catalogue_listing"
    __table_args__ = (
        UniqueConstraint("region_id", "provider_id"),
        CheckConstraint("status IN ('active','suspended','ended')", name="status_known"),
        Index("ix_catalogue_listing_search", "search_vector", postgresql_using="gin"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    provider_id: int = Field(foreign_key="contracts_provider.id")
    name: str = Field(max_length=200)
    city: str = Field(default="", max_length=100)
    status: str = Field(default="active", max_length=20)
    description: str = ""
    website: str = Field(default="", max_length=300)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=30)
    target_groups: list[str] = text_array()
    specialisms: list[str] = text_array()
    languages: list[str] = text_array()
    religious_identity: str = Field(default="", max_length=100)
    accessibility: str = ""
    search_vector: Any = Field(default=None, sa_column=Column(TSVECTOR, nullable=True))
    search_trigrams: list[str] = text_array()  # for typo-tolerant matching (pg_trgm is not always available)
    updated_at: datetime = ts()


class ListingLocation(SQLModel, table=True):
    __tablename__ = "catalogue_listing_location"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    listing_id: int = Field(foreign_key="catalogue_listing.id", index=True)
    street: str = Field(max_length=200)
    postcode: str = Field(max_length=7)
    city: str = Field(max_length=100)
    municipality_id: int | None = Field(default=None, foreign_key="jeugdregio_municipality.id", index=True)


class ListingMunicipality(SQLModel, table=True):
    """A member municipality the provider serves."""

    __tablename__ = "catalogue_listing_municipality"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    listing_id: int = Field(foreign_key="catalogue_listing.id", primary_key=True)
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id", primary_key=True, index=True)


class OfferedType(SQLModel, table=True):
    """An arrangement type the provider may deliver (from its contract lots)."""

    __tablename__ = "catalogue_offered_type"
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    listing_id: int = Field(foreign_key="catalogue_listing.id", primary_key=True)
    arrangement_type_id: int = Field(foreign_key="catalogue_arrangement_type.id", primary_key=True, index=True)


class WaitingTime(SQLModel, table=True):
    """The provider's current waiting time per profile, with the date it was last confirmed."""

    __tablename__ = "catalogue_waiting_time"
    __table_args__ = (CheckConstraint("weeks BETWEEN 0 AND 104", name="weeks_range"),)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    listing_id: int = Field(foreign_key="catalogue_listing.id", primary_key=True)
    profile_id: int = Field(foreign_key="catalogue_care_profile.id", primary_key=True, index=True)
    weeks: int
    confirmed_on: date
    updated_at: datetime = ts()



class QualityFigure(SQLModel, table=True):
    """Published quality figures of a provider (all profiles when `profile_id` is NULL, else one profile), as
    the quality monitor's monthly batch computed them through its publication rules: counts already rounded,
    suppressed cells NULL, a mean score only from enough ratings. Replaced as a whole set per region
    (`catalogue.public.publish_quality_figures`); the catalogue only shows them."""

    __tablename__ = "catalogue_quality_figure"
    __table_args__ = (
        Index(
            "uq_catalogue_quality_figure_provider", "region_id", "provider_id", unique=True,
            postgresql_where=text("profile_id IS NULL"),
        ),
        Index(
            "uq_catalogue_quality_figure_profile", "region_id", "provider_id", "profile_id", unique=True,
            postgresql_where=text("profile_id IS NOT NULL"),
        ),
        CheckConstraint("n_ended IS NULL OR n_ended >= 0", name="n_ended_not_negative"),
        CheckConstraint("n_ratings IS NULL OR n_ratings >= 0", name="n_ratings_not_negative"),
        CheckConstraint("share_achieved_pct IS NULL OR share_achieved_pct BETWEEN 0 AND 100", name="share_range"),
        CheckConstraint("rating_mean_x10 IS NULL OR rating_mean_x10 BETWEEN 10 AND 100", name="rating_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id")
    profile_id: int | None = Field(default=None, foreign_key="catalogue_care_profile.id")
    period_start: date
    period_end: date
    period_label: str = Field(max_length=100)  # e.g. "december 2025 t/m november 2026"
    n_ended: int | None = None  # ended arrangements, rounded; NULL = suppressed (too few)
    share_achieved_pct: int | None = None  # % of ended arrangements with all goals achieved; NULL = suppressed
    n_ratings: int | None = None  # ratings, rounded; NULL = suppressed
    rating_mean_x10: int | None = None  # mean usefulness × 10 (78 = 7,8); NULL below the minimum number of ratings
    definition: str = ""
    published_at: datetime = ts()
