"""Read-only views of other domains' tables that specifications and budgets read set-based.

ARRANGEMENTS comes from contracts.public when it exports it; until then (and for the provider's name, which
contracts.public does not export) a lightweight `table()` clause names only the columns invoicing reads. These
are never written from invoicing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Date, Integer, String, column, table

import contracts.public as _contracts

ARRANGEMENTS: Any = getattr(_contracts, "ARRANGEMENTS", None)
if ARRANGEMENTS is None:  # pragma: no cover - until contracts.public exports the table
    ARRANGEMENTS = table(
        "contracts_arrangement",
        column("id", Integer), column("region_id", Integer), column("reference", String),
        column("provider_id", Integer), column("arrangement_type_id", Integer), column("payment_model", String),
        column("max_months", Integer), column("paying_municipality_id", Integer), column("youth_pseudonym", String),
        column("status", String), column("assigned_units", Integer), column("tariff_cents", BigInteger),
        column("start_date", Date), column("end_date", Date), column("result", String),
        column("end_reason", String), column("agreed_on", Date), column("planned_start", Date),
    )  # fmt: skip

PROVIDERS: Any = getattr(_contracts, "PROVIDERS", None)
if PROVIDERS is None:
    PROVIDERS = table("contracts_provider", column("id", Integer), column("region_id", Integer),
                      column("name", String))  # fmt: skip
