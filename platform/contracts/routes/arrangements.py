"""Family plans and arrangements: the pages of the conversation model (referrer, provider, team)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
