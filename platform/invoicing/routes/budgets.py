"""Budgets, commitments, forecasts and the solidarity overview; lump sums and population budgets."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
