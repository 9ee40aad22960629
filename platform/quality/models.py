"""Tables of the quality monitor: rating invitations and ratings, published figures, contract conversations.

Private to quality; other domains use quality.public."""

from __future__ import annotations

# --- engineer E: rating invitations, ratings and their region settings ---------------------------------------
# (imports kept in this section so the other quality tables can be added independently)
from datetime import datetime as _datetime

from sqlalchemy import CheckConstraint as _Check
from sqlalchemy import Index as _Index
from sqlalchemy import UniqueConstraint as _Unique
from sqlalchemy import text as _text
from sqlmodel import Field as _Field
from sqlmodel import SQLModel as _SQLModel

from jeugdregio.tables import ts as _ts

INFORMANTS = ("parent", "youth")
HELP_AGAIN = ("01", "02", "03", "04")  # national outcome set: same/heavier, lighter, not now maybe later, no
COMMENT_STATUSES = ("none", "pending", "approved", "rejected")


class RatingSettings(_SQLModel, table=True):
    """A region's choices for rating invitations (defaults apply while a region has no row)."""

    __tablename__ = "quality_rating_settings"
    __table_args__ = (
        _Unique("region_id"),
        _Check("link_valid_days BETWEEN 1 AND 365", name="link_valid_days_range"),
        _Check("youth_min_age BETWEEN 0 AND 18", name="youth_min_age_range"),
    )
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    link_valid_days: int = 30
    youth_min_age: int = 12  # youths of this age at confirmation get their own invitation


class RatingInvitation(_SQLModel, table=True):
    """One informant's invitation to rate one confirmed arrangement. The link's token is never stored: only its
    SHA-256 (`token_hash`), set each time a letter is printed or a mail is sent (the previous link stops
    working). `used_at` is set, atomically, by the one submit that wins."""

    __tablename__ = "quality_rating_invitation"
    __table_args__ = (
        _Unique("region_id", "arrangement_id", "informant"),
        _Unique("region_id", "token_hash"),
        _Check("informant IN ('parent','youth')", name="informant_known"),
        _Check("channel IS NULL OR channel IN ('email','letter')", name="channel_known"),
        _Index("ix_quality_rating_invitation_token", "token_hash"),
        _Index("ix_quality_rating_invitation_provider", "region_id", "provider_id"),
    )
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    arrangement_id: int = _Field(foreign_key="contracts_arrangement.id")
    provider_id: int = _Field(foreign_key="contracts_provider.id")
    profile_id: int = _Field(foreign_key="catalogue_care_profile.id")
    informant: str = _Field(max_length=10)
    token_hash: str | None = _Field(default=None, max_length=64)
    channel: str | None = _Field(default=None, max_length=10)  # how the current link went out
    issued_at: _datetime | None = _ts(default=None)
    issued_by: int | None = _Field(default=None, foreign_key="jeugdregio_user.id")
    expires_at: _datetime | None = _ts(default=None)
    used_at: _datetime | None = _ts(default=None)
    created_at: _datetime = _ts()


class Rating(_SQLModel, table=True):
    """A parent's or youth's rating of one arrangement (national outcome set). At most one per informant, so
    at most two per arrangement; free text is shown only after the team's moderation."""

    __tablename__ = "quality_rating"
    __table_args__ = (
        _Unique("region_id", "arrangement_id", "informant"),
        _Unique("region_id", "invitation_id"),
        _Check("usefulness BETWEEN 1 AND 10", name="usefulness_range"),
        _Check("help_again IN ('01','02','03','04')", name="help_again_known"),
        _Check("informant IN ('parent','youth')", name="informant_known"),
        _Check("comment_status IN ('none','pending','approved','rejected')", name="comment_status_known"),
        _Index("ix_quality_rating_provider", "region_id", "provider_id", "submitted_at"),
        _Index(
            "ix_quality_rating_pending", "region_id", "submitted_at",
            postgresql_where=_text("comment_status = 'pending'"),
        ),
    )
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    invitation_id: int = _Field(foreign_key="quality_rating_invitation.id")
    arrangement_id: int = _Field(foreign_key="contracts_arrangement.id")
    provider_id: int = _Field(foreign_key="contracts_provider.id")
    profile_id: int = _Field(foreign_key="catalogue_care_profile.id")
    informant: str = _Field(max_length=10)
    usefulness: int
    help_again: str = _Field(max_length=2)
    comment: str = ""
    comment_status: str = _Field(default="none", max_length=10)
    moderated_by: int | None = _Field(default=None, foreign_key="jeugdregio_user.id")
    moderated_at: _datetime | None = _ts(default=None)
    submitted_at: _datetime = _ts()


# --- engineer F: contract conversations (schedule, notes, agreed actions) and their region settings ----------

from datetime import date as _date  # noqa: E402
from datetime import datetime as _dt  # noqa: E402

import sqlalchemy as _sa  # noqa: E402
import sqlmodel as _sqlmodel  # noqa: E402

from jeugdregio.tables import ts as _timestamp  # noqa: E402

CONVERSATION_FREQUENCIES = ("quarter", "half_year", "year")
CONVERSATION_STATUSES = ("planned", "held", "cancelled")
ACTION_OWNERS = ("team", "provider")
ACTION_STATUSES = ("open", "done", "dropped")


class ConversationSettings(_sqlmodel.SQLModel, table=True):
    """How often a region holds contract conversations (defaults apply while a region has no row): quarterly with
    high-complex providers, yearly with the others (DOMAIN.md §5)."""

    __tablename__ = "quality_conversation_settings"
    __table_args__ = (
        _sa.UniqueConstraint("region_id"),
        _sa.CheckConstraint("high_complex_frequency IN ('quarter','half_year','year')", name="high_frequency_known"),
        _sa.CheckConstraint("other_frequency IN ('quarter','half_year','year')", name="other_frequency_known"),
        _sa.CheckConstraint("plan_days_after_period BETWEEN 0 AND 90", name="plan_days_range"),
        _sa.CheckConstraint("early_closure_weeks BETWEEN 1 AND 52", name="early_closure_weeks_range"),
    )
    id: int | None = _sqlmodel.Field(default=None, primary_key=True)
    region_id: int = _sqlmodel.Field(foreign_key="jeugdregio_region.id")
    high_complex_frequency: str = _sqlmodel.Field(default="quarter", max_length=10)
    other_frequency: str = _sqlmodel.Field(default="year", max_length=10)
    plan_days_after_period: int = 21  # the conversation is planned this many days after its period ends
    early_closure_weeks: int = 8  # "ended within N weeks of the start without the goals achieved"


class ContractConversation(_sqlmodel.SQLModel, table=True):
    """One contract conversation (contractgesprek) with one provider about one period's figures."""

    __tablename__ = "quality_contract_conversation"
    __table_args__ = (
        _sa.UniqueConstraint("region_id", "provider_id", "period_label"),
        _sa.CheckConstraint("status IN ('planned','held','cancelled')", name="status_known"),
        _sa.CheckConstraint("frequency IN ('quarter','half_year','year')", name="frequency_known"),
        _sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        _sa.Index("ix_quality_contract_conversation_planned", "region_id", "planned_on"),
    )
    id: int | None = _sqlmodel.Field(default=None, primary_key=True)
    region_id: int = _sqlmodel.Field(foreign_key="jeugdregio_region.id")
    provider_id: int = _sqlmodel.Field(foreign_key="contracts_provider.id", index=True)
    frequency: str = _sqlmodel.Field(max_length=10)
    period_label: str = _sqlmodel.Field(max_length=10)  # 2026-K1, 2026-H1, 2026
    period_start: _date
    period_end: _date
    planned_on: _date
    status: str = _sqlmodel.Field(default="planned", max_length=10)
    held_on: _date | None = None
    notes: str = ""  # the conversation notes (verslag), written by the team
    cancel_reason: str = ""
    created_at: _dt = _timestamp()
    updated_at: _dt = _timestamp()


class ConversationAction(_sqlmodel.SQLModel, table=True):
    """An action agreed in a contract conversation; open ones are carried into the provider's next pack."""

    __tablename__ = "quality_conversation_action"
    __table_args__ = (
        _sa.CheckConstraint("owner_side IN ('team','provider')", name="owner_side_known"),
        _sa.CheckConstraint("status IN ('open','done','dropped')", name="status_known"),
        _sa.Index("ix_quality_conversation_action_provider", "region_id", "provider_id", "status"),
    )
    id: int | None = _sqlmodel.Field(default=None, primary_key=True)
    region_id: int = _sqlmodel.Field(foreign_key="jeugdregio_region.id")
    conversation_id: int = _sqlmodel.Field(foreign_key="quality_contract_conversation.id", index=True)
    provider_id: int = _sqlmodel.Field(foreign_key="contracts_provider.id")  # copied from the conversation
    description: str
    owner_side: str = _sqlmodel.Field(max_length=10)
    owner_name: str = _sqlmodel.Field(max_length=200)
    due_on: _date
    status: str = _sqlmodel.Field(default="open", max_length=10)
    status_note: str = ""
    created_at: _dt = _timestamp()
    updated_at: _dt = _timestamp()


# --- engineer D: indicator settings, duration norms per profile, publication history --------------------------

from sqlalchemy import Column as _Column  # noqa: E402
from sqlalchemy.dialects.postgresql import JSONB as _JSONB  # noqa: E402

DEFAULT_NORM_DAYS = {"low": 182, "high": 365}  # a profile's duration norm while the region set none (26 / 52 weeks)


class IndicatorSettings(_SQLModel, table=True):
    """A region's choices for indicators and publication (defaults apply while a region has no row). The weeks
    for "early closure right after the first payment" are ConversationSettings.early_closure_weeks."""

    __tablename__ = "quality_indicator_settings"
    __table_args__ = (
        _Unique("region_id"),
        _Check("min_ratings_for_score BETWEEN 10 AND 1000", name="min_ratings_range"),
        _Check("reentry_months BETWEEN 1 AND 60", name="reentry_months_range"),
        _Check("index_base_period IS NULL OR index_base_period ~ '^[0-9]{4}-H[12]$'", name="base_period_format"),
    )
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    min_ratings_for_score: int = 10  # provider scores only from at least this many ratings
    reentry_months: int = 12  # a new arrangement within this many months after an end is a re-entry
    index_base_period: str | None = _Field(default=None, max_length=7)  # 2025-H1; None: the first half year


class ProfileNorm(_SQLModel, table=True):
    """The expected duration of an arrangement in a care profile (days, start to end). Without a row:
    DEFAULT_NORM_DAYS by the profile's complexity."""

    __tablename__ = "quality_profile_norm"
    __table_args__ = (_Unique("region_id", "profile_id"), _Check("norm_days BETWEEN 1 AND 3650", name="norm_range"))
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    profile_id: int = _Field(foreign_key="catalogue_care_profile.id")
    norm_days: int


class PublicationHistory(_SQLModel, table=True):
    """Every value ever published per cell of one published figure (e.g. 'dashboard:municipality:12:flows:2026-H1'),
    so the next publication of that figure never differs from an earlier one by 1–7 (quality.rules)."""

    __tablename__ = "quality_publication_history"
    __table_args__ = (_Unique("region_id", "figure_key"),)
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    figure_key: str = _Field(max_length=200)
    history: dict[str, list[int]] = _Field(default_factory=dict, sa_column=_Column(_JSONB, nullable=False))
    publications: int = 0  # how many times the figure was published
    updated_at: _datetime = _ts()


from typing import Any as _Any  # noqa: E402


class DashboardSnapshot(_SQLModel, table=True):
    """The dashboard's finished tables and chart series for one scope, period and variant, as the viewer gets
    them (quality.services.dashboard_snapshots): pages, charts and downloads read this row instead of
    aggregating the region's arrangements on every request. The team's snapshots are rebuilt daily (and on
    demand), the municipalities' and providers' in monthly batches (the publication rhythm of DOMAIN.md §6)."""

    __tablename__ = "quality_dashboard_snapshot"
    __table_args__ = (
        _Unique("region_id", "scope_key", "period_label", "variant", name="uq_quality_dashboard_snapshot_key"),
    )
    id: int | None = _Field(default=None, primary_key=True)
    region_id: int = _Field(foreign_key="jeugdregio_region.id")
    scope_key: str = _Field(max_length=40)  # region:0 | municipality:<id> | provider:<id>
    period_label: str = _Field(max_length=20)
    variant: str = _Field(max_length=10)  # page | export (the team's downloads follow the publication rules)
    built_at: _datetime = _ts()
    payload: dict[str, _Any] = _Field(default_factory=dict, sa_column=_Column(_JSONB, nullable=False))
