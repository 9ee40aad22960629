"""Jobs of the shared base."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio import idempotency
from jeugdregio.outbox import LogTransport, send_pending


async def send_outbox(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    return {"sent": await send_pending(session, LogTransport(), now=now)}


async def purge_idempotency_keys(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    """Forget Idempotency-Keys older than 24 hours (a later request with the same key is a new request)."""
    return {"purged": await idempotency.purge(session, now=now)}
