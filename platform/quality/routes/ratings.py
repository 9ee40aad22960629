"""Rating invitations and the public rating page (one-time links)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
