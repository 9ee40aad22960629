"""The routes list: every domain's handlers, in one place."""

from __future__ import annotations

from typing import Any


def all_routes() -> list[Any]:
    from catalogue.routes import ROUTES as catalogue_routes
    from contracts.routes import ROUTES as contracts_routes
    from invoicing.routes import ROUTES as invoicing_routes
    from jeugdregio.pages import ROUTES as base_routes
    from quality.routes import ROUTES as quality_routes

    return [*base_routes, *contracts_routes, *catalogue_routes, *invoicing_routes, *quality_routes]
