"""Declarations: web forms, CSV upload and the provider's overview."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
