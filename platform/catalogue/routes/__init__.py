"""Catalogue routes, split by audience. Each module exports ROUTES."""

from __future__ import annotations

import importlib
from typing import Any

MODULES = ("tariffs", "offerings", "public")


def _collect() -> list[Any]:
    routes: list[Any] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"catalogue.routes.{name}")
        except ModuleNotFoundError as exc:  # a module not written yet
            if exc.name != f"catalogue.routes.{name}":
                raise
            continue
        routes.extend(module.ROUTES)
    return routes


ROUTES = _collect()
