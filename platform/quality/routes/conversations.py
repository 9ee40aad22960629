"""Contract conversations: schedules, packs, notes and actions."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
