"""Scheduled entry points of contracts: thin and idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def evidence_expiry(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    from contracts.services.evidence import queue_expiry_reminders

    return await queue_expiry_reminders(session, now=now)
