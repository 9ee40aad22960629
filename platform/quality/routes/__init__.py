"""Quality routes, split by workflow. Each module exports ROUTES."""

from __future__ import annotations

from typing import Any


def _collect() -> list[Any]:
    from quality.routes import conversations, dashboard, ratings

    return [*dashboard.ROUTES, *ratings.ROUTES, *conversations.ROUTES]


ROUTES = _collect()
