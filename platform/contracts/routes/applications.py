"""Application workflow pages and API (public form, applicant portal, team review, decision)."""

from typing import Any

ROUTES: list[Any] = []
