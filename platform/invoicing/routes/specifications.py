"""Payment specifications: PDF/CSV/Excel, approval, paid status, payment speed."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
