"""What other modules may use from invoicing.

`LEDGER` and `POPULATION_FIGURES` are READ-ONLY table handles for set-based reads by quality (cost per user,
cost per inhabitant, population figures): other domains never write them."""

from __future__ import annotations

from invoicing.models import LedgerEntry, PopulationFigure

PAYMENT_MODELS = ("result_50_50", "monthly", "pxq", "lump_sum", "population")

LEDGER = LedgerEntry.__table__  # type: ignore[attr-defined]
POPULATION_FIGURES = PopulationFigure.__table__  # type: ignore[attr-defined]
