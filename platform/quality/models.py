"""Tables of the quality monitor: rating invitations and ratings, published figures, contract conversations.

Private to quality; other domains use quality.public."""

from __future__ import annotations


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
