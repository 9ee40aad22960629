"""Invoicing routes, split by workflow. Each module exports ROUTES."""

from __future__ import annotations

from typing import Any


def _collect() -> list[Any]:
    from invoicing.routes import budgets, declarations, declarations_api, settlement, specifications

    return [
        *declarations.ROUTES,
        *declarations_api.ROUTES,
        *settlement.ROUTES,
        *specifications.ROUTES,
        *budgets.ROUTES,
    ]


ROUTES = _collect()
