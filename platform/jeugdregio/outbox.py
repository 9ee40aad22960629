"""Mail goes through an outbox table; a job hands pending messages to the transport (a fake in demo/tests)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.tables import OutboxMessage

log = logging.getLogger(__name__)


class MailTransport(Protocol):
    def send(self, to_address: str, subject: str, body: str) -> None: ...


class LogTransport:
    """The demo's transport: writes the message to the log instead of an SMTP server."""

    def send(self, to_address: str, subject: str, body: str) -> None:
        log.info("mail to %s: %s", to_address, subject)


async def enqueue(
    session: AsyncSession,
    *,
    region_id: int,
    to_address: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a message; with a dedupe key a second call in the same region is a no-op (unique per region).
    Returns whether a row was added."""
    stmt = (
        insert(OutboxMessage)
        .values(
            region_id=region_id,
            to_address=to_address,
            subject=subject,
            body=body,
            dedupe_key=dedupe_key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["region_id", "dedupe_key"])
        .returning(OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def send_pending(session: AsyncSession, transport: MailTransport, *, now: datetime, limit: int = 100) -> int:
    rows = (
        await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))  # type: ignore[union-attr]
            .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    sent = 0
    for msg in rows:
        transport.send(msg.to_address, msg.subject, msg.body)
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == msg.id).values(sent_at=now))
        sent += 1
    return sent
