"""The regional dashboard, indicators and population figures (team, municipality, provider)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
