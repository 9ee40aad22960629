"""The clock is an outer boundary: services take `now` as an argument; entry points ask this module."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today(now: datetime | None = None) -> date:
    """The calendar date in the Netherlands for a moment (default: now)."""
    return (now or utcnow()).astimezone(AMSTERDAM).date()
