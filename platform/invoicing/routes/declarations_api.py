"""Declarations: the JSON API (Idempotency-Key on every write)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
