"""Register pages and API (providers, framework contracts, evidence vault, overview, exports, provider portal)."""

from typing import Any

ROUTES: list[Any] = []
