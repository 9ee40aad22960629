"""Population figures per municipality per half year (seed 003, chapter 6): share of youths in care, cost per
user, cost per inhabitant, and their index against a base half year (= 100).

Definitions (shown in the UI, POPULATION_DEFINITIONS):
- users: distinct youths (pseudonym) with an arrangement that ran for at least one day in the half year
  (started on or before its last day, not ended before its first day), by paying municipality;
- cost: the sum of the ledger entries (invoicing.public.LEDGER, reversals included) whose settlement month
  falls in the half year, by municipality;
- inhabitants and youths 0–17: invoicing.public.POPULATION_FIGURES for the half year's calendar year;
- share in care = users / youths 0–17; cost per user = cost / users; cost per inhabitant = cost / inhabitants;
- index = the figure / the same municipality's figure in the base half year × 100 (the base: the region's
  setting, else the first half year shown that has any users).

Set-based GROUP BYs (arrangements joined to a VALUES list of half years; the ledger grouped by its half year);
Python only divides."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Date, Integer, String, and_, case, func, or_, select, values
from sqlalchemy import column as sa_column
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.public import ARRANGEMENTS
from invoicing.public import LEDGER, POPULATION_FIGURES
from jeugdregio.tables import Municipality
from quality.rules import Period

LIVE_STATUSES = ("started", "ended", "confirmed", "disputed")
POPULATION_DEFINITIONS = {
    "users": "Aantal jeugdigen (gepseudonimiseerd, ieder één keer) met een arrangement dat in het halfjaar minstens "
    "één dag liep, naar betalende gemeente.",
    "youths": "Aantal inwoners van 0 tot en met 17 jaar in het kalenderjaar (bevolkingstabel van het regioteam).",
    "share_in_care": "Jeugdigen met een arrangement als percentage van de inwoners van 0–17 jaar.",
    "cost": "Som van de betalingen in het grootboek (correcties meegerekend) met een afrekenmaand in het halfjaar.",
    "cost_per_user": "Kosten in het halfjaar gedeeld door het aantal jeugdigen met een arrangement.",
    "cost_per_inhabitant": "Kosten in het halfjaar gedeeld door het aantal inwoners.",
    "index": "Het kengetal als index: dezelfde gemeente in het basishalfjaar = 100.",
}


@dataclass(frozen=True)
class PopulationRow:
    municipality_id: int
    municipality: str
    period: str
    inhabitants: int | None
    youths: int | None
    users: int
    cost_cents: int

    @property
    def share_in_care(self) -> float | None:
        return self.users / self.youths if self.youths else None

    @property
    def cost_per_user_cents(self) -> float | None:
        return self.cost_cents / self.users if self.users else None

    @property
    def cost_per_inhabitant_cents(self) -> float | None:
        return self.cost_cents / self.inhabitants if self.inhabitants else None


@dataclass(frozen=True)
class PopulationFigures:
    rows: list[PopulationRow]
    base_period: str
    index_share: dict[tuple[int, str], float | None]  # (municipality_id, period) -> index
    index_cost_per_inhabitant: dict[tuple[int, str], float | None]
    index_cost_per_user: dict[tuple[int, str], float | None]


def _index(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base * 100


async def population_figures(
    session: AsyncSession, *, region_id: int, periods: list[Period], municipality_id: int | None = None,
    base_period: str | None = None,
) -> PopulationFigures:  # fmt: skip
    """Rows per municipality × half year (`periods`, oldest first); `municipality_id` limits to one municipality.
    The base of the index is `base_period` when it is one of `periods`, else the first with any users."""
    if not periods:
        return PopulationFigures([], "", {}, {}, {})
    from quality.services.indicators import tune_for_aggregates

    await tune_for_aggregates(session)
    halves = values(
        sa_column("label", String), sa_column("starts", Date), sa_column("ends", Date), name="halves"
    ).data([(p.label, p.start, p.end) for p in periods])
    h = halves.c
    a = ARRANGEMENTS.c
    running_from = or_(a.end_date.is_(None), a.end_date >= h.starts)
    # distinct (municipality, half year, youth) by hashing, then counted: cheaper than count(DISTINCT …)
    window_start, window_end = periods[0].start, periods[-1].end
    pairs = (
        select(a.paying_municipality_id.label("mid"), h.label.label("label"), a.youth_pseudonym)
        .select_from(ARRANGEMENTS.join(halves, and_(a.start_date < h.ends, running_from)))
        .where(a.region_id == region_id, a.status.in_(LIVE_STATUSES), a.start_date.is_not(None),
               a.start_date < window_end, or_(a.end_date.is_(None), a.end_date >= window_start))
        .distinct()
    )  # fmt: skip
    lg = LEDGER.c
    half_of = func.concat(func.extract("year", lg.period).cast(Integer),
                          case((func.extract("month", lg.period) <= 6, "-H1"), else_="-H2"))  # fmt: skip
    cost_q = (
        select(lg.municipality_id.label("mid"), half_of.label("label"), func.sum(lg.amount_cents).label("cents"))
        .where(lg.region_id == region_id, lg.period >= window_start, lg.period < window_end)
        .group_by(lg.municipality_id, half_of)
    )
    pf = POPULATION_FIGURES.c
    pop_q = select(pf.municipality_id, pf.year, pf.inhabitants, pf.youths).where(pf.region_id == region_id)
    muni_q = select(Municipality.id, Municipality.name).where(Municipality.region_id == region_id)  # type: ignore[arg-type]
    if municipality_id is not None:
        pairs = pairs.where(a.paying_municipality_id == municipality_id)
        cost_q = cost_q.where(lg.municipality_id == municipality_id)
        pop_q = pop_q.where(pf.municipality_id == municipality_id)
        muni_q = muni_q.where(Municipality.id == municipality_id)  # type: ignore[arg-type]
    p_ = pairs.subquery("pairs")
    users_q = select(p_.c.mid, p_.c.label, func.count()).group_by(p_.c.mid, p_.c.label)
    users = {(int(m), str(label)): int(n) for m, label, n in (await session.execute(users_q)).all()}
    cost = {(int(m), str(label)): int(c or 0) for m, label, c in (await session.execute(cost_q)).all()}
    pop = {(int(m), int(y)): (int(i), int(yo)) for m, y, i, yo in (await session.execute(pop_q)).all()}
    names = {int(i): str(n) for i, n in (await session.execute(muni_q.order_by(Municipality.name))).all()}
    rows: list[PopulationRow] = []
    for mid, name in names.items():
        for p in periods:
            inhabitants, youths = pop.get((mid, p.start.year), (None, None))
            rows.append(PopulationRow(mid, name, p.label, inhabitants, youths, users.get((mid, p.label), 0),
                                      cost.get((mid, p.label), 0)))  # fmt: skip
    labels = [p.label for p in periods]
    with_users = [label for label in labels if any(users.get((m, label)) for m in names)]
    base = base_period if base_period in labels else (with_users[0] if with_users else labels[0])
    by_key = {(r.municipality_id, r.period): r for r in rows}
    idx_share: dict[tuple[int, str], float | None] = {}
    idx_inh: dict[tuple[int, str], float | None] = {}
    idx_user: dict[tuple[int, str], float | None] = {}
    for r in rows:
        b = by_key[(r.municipality_id, base)]
        idx_share[(r.municipality_id, r.period)] = _index(r.share_in_care, b.share_in_care)
        idx_inh[(r.municipality_id, r.period)] = _index(r.cost_per_inhabitant_cents, b.cost_per_inhabitant_cents)
        idx_user[(r.municipality_id, r.period)] = _index(r.cost_per_user_cents, b.cost_per_user_cents)
    return PopulationFigures(rows, base, idx_share, idx_inh, idx_user)
