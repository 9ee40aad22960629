"""What other modules may use from invoicing. Nothing yet: settlement arrives with the invoicing issue."""

from __future__ import annotations

PAYMENT_MODELS = ("result_50_50", "monthly", "pxq", "lump_sum", "population")
