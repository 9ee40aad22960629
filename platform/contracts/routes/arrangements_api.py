"""Family plans and arrangements: the JSON API."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
