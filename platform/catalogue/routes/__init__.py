"""Catalogue routes, split by audience. Each module exports ROUTES."""

from __future__ import annotations

from typing import Any


def _collect() -> list[Any]:
    from catalogue.routes import offerings, public, tariffs

    return [*tariffs.ROUTES, *offerings.ROUTES, *public.ROUTES]


ROUTES = _collect()
