"""The audit trail: one append-only event per state change and per read of personal data (NEN 7513 style)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.tables import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, an API client or the system (a job)."""

    user_id: int | None
    label: str
    role: str
    region_id: int | None
    on_behalf_of: str = ""
    request_id: str = ""

    @classmethod
    def system(cls, job: str, region_id: int | None = None) -> Actor:
        return cls(user_id=None, label=f"systeem:{job}", role="system", region_id=region_id)


async def record(
    session: AsyncSession,
    actor: Actor,
    *,
    object_type: str,
    object_id: object,
    action: str,
    now: datetime,
    summary: dict[str, Any] | None = None,
    purpose: str = "",
    region_id: int | None = None,
) -> None:
    await session.execute(
        insert(AuditEvent).values(
            region_id=region_id if region_id is not None else actor.region_id,
            at=now,
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            actor_role=actor.role,
            on_behalf_of=actor.on_behalf_of,
            object_type=object_type,
            object_id=str(object_id),
            action=action,
            purpose=purpose,
            summary=summary or {},
            request_id=actor.request_id,
        )
    )


READ_ACTIONS = ("view", "download")


async def record_read(
    session: AsyncSession,
    actor: Actor,
    *,
    object_type: str,
    object_id: object,
    purpose: str,
    now: datetime,
    action: str = "view",
    summary: dict[str, Any] | None = None,
    region_id: int | None = None,
) -> None:
    """One event for one read of personal data (NEN 7513): who (`actor`: user, role, on whose behalf, request),
    which object, for what purpose, when. Call it once per access, from the service, and only after the object
    was found visible to the reader (a refused read writes nothing). A list is one event with its filter in
    `summary`, never one per row. `action` is "view" (a page or an API read) or "download" (a document)."""
    if action not in READ_ACTIONS:
        raise ValueError(f"a read is one of {READ_ACTIONS}, not {action!r}")
    if not purpose.strip():
        raise ValueError("a read of personal data needs a purpose")
    await record(
        session, actor, object_type=object_type, object_id=object_id, action=action, now=now, summary=summary,
        purpose=purpose, region_id=region_id,
    )  # fmt: skip


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """A before/after summary of only the fields that changed."""
    return {k: {"voor": before.get(k), "na": v} for k, v in after.items() if before.get(k) != v}
