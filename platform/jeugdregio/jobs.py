"""Jobs of the shared base."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jeugdregio.outbox import LogTransport, send_pending


async def send_outbox(session: AsyncSession, *, now: datetime) -> dict[str, Any]:
    return {"sent": await send_pending(session, LogTransport(), now=now)}
