"""Contracts routes, split by workflow. Each module exports ROUTES."""

from __future__ import annotations

from typing import Any


def _collect() -> list[Any]:
    from contracts.routes import applications, arrangements, arrangements_api, register, register_api

    return [
        *applications.ROUTES,
        *register.ROUTES,
        *register_api.ROUTES,
        *arrangements.ROUTES,
        *arrangements_api.ROUTES,
    ]


ROUTES = _collect()
