"""Demo data for the register (about 150 fictional providers, applications in every state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


async def seed_register(session: AsyncSession, ctx: Any, *, now: datetime) -> None:
    """Filled in by the register work."""
    return None
