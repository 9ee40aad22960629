"""Contracts routes, split by workflow. Each module exports ROUTES."""

from __future__ import annotations

from typing import Any


def _collect() -> list[Any]:
    from contracts.routes import applications, register

    return [*applications.ROUTES, *register.ROUTES]


ROUTES = _collect()
