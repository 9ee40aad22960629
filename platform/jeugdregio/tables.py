"""Tables of the shared base: regions and municipalities, accounts, sessions, tokens, audit, outbox, documents.

Every tenant table carries `region_id`. Users are global (one person, one login), memberships are per region.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from jeugdregio import db  # noqa: F401  (installs the naming convention before tables are defined)

ROLES = (
    "team_admin",
    "team_contracts",
    "team_finance",
    "team_quality",
    "municipality",
    "referrer",
    "provider",
    "applicant",
)
TEAM_ROLES = ("team_admin", "team_contracts", "team_finance", "team_quality")


def ts(**kw: Any) -> Any:
    """A timezone-aware timestamp column."""
    return Field(sa_type=DateTime(timezone=True), **kw)  # type: ignore[call-overload]


class Region(SQLModel, table=True):
    __tablename__ = "jeugdregio_region"
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    # admission policy of the open-house register: "open" all year, or "windows" (see contracts_admission_window)
    admission_mode: str = Field(default="open", max_length=20)
    letterhead_address: str = Field(default="", max_length=300)
    contact_email: str = Field(default="", max_length=200)
    created_at: datetime = ts()


class Municipality(SQLModel, table=True):
    __tablename__ = "jeugdregio_municipality"
    __table_args__ = (UniqueConstraint("region_id", "cbs_code"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    cbs_code: str = Field(max_length=4)
    name: str = Field(max_length=100)


class User(SQLModel, table=True):
    __tablename__ = "jeugdregio_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = ts()


class Membership(SQLModel, table=True):
    """A user's role in one region, bound to a municipality, a provider or an application where the role says."""

    __tablename__ = "jeugdregio_membership"
    __table_args__ = (
        UniqueConstraint("user_id", "region_id", "role"),
        Index("ix_jeugdregio_membership_region_role", "region_id", "role"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    user_id: int = Field(foreign_key="jeugdregio_user.id", index=True)
    role: str = Field(max_length=30)
    municipality_id: int | None = Field(default=None, foreign_key="jeugdregio_municipality.id")
    provider_id: int | None = Field(default=None, foreign_key="contracts_provider.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="contracts_application.id", index=True)
    created_at: datetime = ts()


class WebSession(SQLModel, table=True):
    """Server-side login session; the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "jeugdregio_web_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="jeugdregio_user.id", index=True)
    membership_id: int = Field(foreign_key="jeugdregio_membership.id")
    created_at: datetime = ts()
    expires_at: datetime = ts()
    ended_at: datetime | None = ts(default=None)


class ApiToken(SQLModel, table=True):
    """A revocable token for a provider system (or another member); only its SHA-256 is stored."""

    __tablename__ = "jeugdregio_api_token"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    membership_id: int = Field(foreign_key="jeugdregio_membership.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = ts()
    created_by: int = Field(foreign_key="jeugdregio_user.id")
    revoked_at: datetime | None = ts(default=None)
    last_used_at: datetime | None = ts(default=None)


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "jeugdregio_login_attempt"
    __table_args__ = (
        Index("ix_jeugdregio_login_attempt_email_at", "email", "at"),
        Index("ix_jeugdregio_login_attempt_ip_at", "ip", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    at: datetime = ts()
    success: bool = False


class AuditEvent(SQLModel, table=True):
    """Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (see migrations)."""

    __tablename__ = "jeugdregio_audit_event"
    __table_args__ = (
        Index("ix_jeugdregio_audit_event_region_at", "region_id", "at"),
        Index("ix_jeugdregio_audit_event_object", "object_type", "object_id"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    region_id: int | None = Field(default=None, foreign_key="jeugdregio_region.id")
    at: datetime = ts()
    actor_user_id: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    actor_label: str = Field(default="", max_length=254)
    actor_role: str = Field(default="", max_length=30)
    on_behalf_of: str = Field(default="", max_length=200)
    object_type: str = Field(max_length=60)
    object_id: str = Field(max_length=60)
    action: str = Field(max_length=60)
    purpose: str = Field(default="", max_length=200)
    summary: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    request_id: str = Field(default="", max_length=64)


class OutboxMessage(SQLModel, table=True):
    """Mail waits here until the outbox job hands it to the transport."""

    __tablename__ = "jeugdregio_outbox_message"
    __table_args__ = (
        UniqueConstraint("region_id", "dedupe_key"),  # a key is unique within its region (ARCHITECTURE §3)
        Index("ix_jeugdregio_outbox_pending", "sent_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str
    dedupe_key: str | None = Field(default=None, max_length=200)
    created_at: datetime = ts()
    sent_at: datetime | None = ts(default=None)


class Document(SQLModel, table=True):
    """A stored file (evidence, decision letter, contract). Content lives in the database: one transaction."""

    __tablename__ = "jeugdregio_document"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id", index=True)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = ts()
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")


class IdempotencyKey(SQLModel, table=True):
    """An `Idempotency-Key` of one API client (membership) with the request's fingerprint and, once done, the
    response to replay. States: in_progress → committed (with the work, in its transaction) → done. Purged
    after 24 hours by the `purge_idempotency_keys` job. See jeugdregio.idempotency and ADR 0007."""

    __tablename__ = "jeugdregio_idempotency_key"
    __table_args__ = (
        UniqueConstraint("region_id", "membership_id", "key"),
        CheckConstraint("state IN ('in_progress','committed','done')", name="state_known"),
        CheckConstraint("state <> 'done' OR response_status IS NOT NULL", name="done_has_response"),
        Index("ix_jeugdregio_idempotency_key_created_at", "created_at"),
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    membership_id: int = Field(foreign_key="jeugdregio_membership.id", index=True)
    token_id: int | None = Field(default=None, foreign_key="jeugdregio_api_token.id", index=True)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    state: str = Field(max_length=12)
    lease: str = Field(max_length=32)  # the attempt that holds the key; a takeover replaces it
    response_status: int | None = None
    content_type: str | None = Field(default=None, max_length=200)
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = ts()
    started_at: datetime = ts()  # when the current attempt claimed the key
    completed_at: datetime | None = ts(default=None)
