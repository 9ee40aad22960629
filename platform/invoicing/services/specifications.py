"""Payment specifications (betaalspecificaties): one per provider per month, built from the ledger by the
settlement run; approved by team finance, then paid (which stops the payment-speed clock of the declarations
behind its lines). They never commit; every state change writes one audit event."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# ---- build (called by the settlement run as its last step) ----------------------------------------------------

_BUILD_SQL = text(
    """
    INSERT INTO invoicing_specification
        (region_id, provider_id, period, run_id, number, total_cents, lines, status, created_at)
    SELECT :region_id, l.provider_id, :period, :run_id,
           'SP-' || to_char(CAST(:period AS date), 'YYYY-MM') || '-' || lpad(l.provider_id::text, 5, '0'),
           SUM(l.amount_cents), COUNT(*), 'draft', :now
    FROM invoicing_ledger_entry l
    WHERE l.region_id = :region_id AND l.period = :period
    GROUP BY l.provider_id
    ON CONFLICT (region_id, provider_id, period) DO UPDATE
        SET total_cents = EXCLUDED.total_cents,
            lines = EXCLUDED.lines,
            run_id = EXCLUDED.run_id,
            document_id = NULL
        WHERE invoicing_specification.status = 'draft'
    """
)


async def build_specifications(
    session: AsyncSession, *, region_id: int, period: date, run_id: int | None, now: datetime
) -> int:
    """Create (or refresh, while still draft) one specification per provider with ledger entries in `period`
    (the first day of the month): total = SUM of the provider's ledger amounts in that period, lines = their
    count. Approved and paid specifications are never changed (a later correction lands in the next month).
    A refreshed draft loses its stored PDF (it is made again). Set-based: one statement. Returns how many
    specifications were created or refreshed."""
    period = period.replace(day=1)
    result = await session.execute(
        _BUILD_SQL, {"region_id": region_id, "period": period, "run_id": run_id, "now": now}
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
