"""Read-only handles on other domains' tables that specifications and budgets read set-based (through
contracts.public, the only door into contracts). Never written from invoicing."""

from __future__ import annotations

from contracts.public import ARRANGEMENTS, PROVIDERS

__all__ = ["ARRANGEMENTS", "PROVIDERS"]
