"""Settlement runs, the ledger and corrections (finance)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
