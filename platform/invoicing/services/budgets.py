"""Budgets per municipality per year: commitments, realisation (the ledger), forecast, by month, and the
region overview with the solidarity rule. Reads are aggregate figures (no personal data); setting a budget
writes one audit event.

Formulas (shown on the page, `FORMULA_LINES`), for year J seen on day T (only the running year has
commitments and inflow; a past year is its realisation, a later year has none yet):
- realisation = SUM of the ledger (all kinds, reversals included) for the municipality with period in J;
- commitments = what open arrangements (agreed, started; result 50/50 also ended-not-yet-confirmed) still
  cost: result 50/50: the first half when no start was paid yet, the second half when no result payment was
  made (for an ended one only when the region's policy pays it for the reported result); monthly: the months
  from T's month up to the end month or December, capped at max_months − months paid, × the monthly tariff;
  P×Q: (assigned units − declared units) × unit tariff; plus the instalments of lump sums and population
  budgets for J not yet paid;
- inflow = (first 50 % payments of the last 12 months ÷ 12) × the months left in J (T's month included);
- forecast = realisation + commitments + inflow. Solidarity: forecast > budget × 1.10."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from invoicing.models import (
    Budget,
    Declaration,
    LedgerEntry,
    LumpSum,
    PaymentPolicy,
    PopulationBudget,
    PopulationFigure,
)
from invoicing.rules import Policy, add_months, halves, month_start, population_year_cents, second_half_due
from invoicing.services.facts import ARRANGEMENTS
from jeugdregio import audit
from jeugdregio.auth import Principal
from jeugdregio.errors import NotFound, ValidationFailed
from jeugdregio.tables import TEAM_ROLES, Municipality

SOLIDARITY_PERCENT = 10
FORMULA_LINES = (
    "Realisatie = de som van het grootboek voor de gemeente in het jaar (alle soorten, correcties inbegrepen).",
    "Verplichtingen = wat lopende arrangementen nog kosten: bij 50/50 de eerste helft als de start nog niet is "
    "betaald en de tweede helft als die nog niet is betaald (bij een beëindigd arrangement alleen als het "
    "beleid die betaalt); bij maandbekostiging de resterende maanden tot de einddatum of december, begrensd op "
    "het maximum aantal maanden, × het maandtarief; bij P×Q de nog niet gedeclareerde eenheden × het "
    "eenheidstarief; plus de nog niet betaalde termijnen van lump sums en populatiebudgetten.",
    "Instroomtrend = (de betaalde eerste 50 % van de afgelopen 12 maanden ÷ 12) × de resterende maanden van het "
    "jaar (de huidige maand meegeteld).",
    "Prognose = realisatie + verplichtingen + instroomtrend. Alleen het lopende jaar heeft verplichtingen en "
    "instroom.",
    f"Solidariteitsregel: een gemeente waarvan de prognose het budget met meer dan {SOLIDARITY_PERCENT} % "
    "overschrijdt.",
)
OPEN_STATUSES = ("agreed", "started", "ended")


@dataclass
class Figures:
    municipality_id: int
    name: str
    year: int
    budget_cents: int | None
    realisation_cents: int = 0
    commitments: dict[str, int] = field(default_factory=dict)  # component -> cents
    inflow_cents: int = 0
    inflow_monthly_cents: int = 0
    months_left: int = 0
    realisation_by_month: list[int] = field(default_factory=lambda: [0] * 12)

    @property
    def commitments_cents(self) -> int:
        return sum(self.commitments.values())

    @property
    def forecast_cents(self) -> int:
        return self.realisation_cents + self.commitments_cents + self.inflow_cents

    @property
    def over_cents(self) -> int | None:
        return None if self.budget_cents is None else self.forecast_cents - self.budget_cents

    @property
    def over_percent(self) -> Decimal | None:
        if not self.budget_cents or self.over_cents is None:
            return None
        return (Decimal(self.over_cents) * 100 / Decimal(self.budget_cents)).quantize(Decimal("0.1"))

    @property
    def exceeds_budget(self) -> bool:
        return self.budget_cents is not None and self.forecast_cents > self.budget_cents

    @property
    def solidarity(self) -> bool:
        """Forecast above the budget by more than 10 % (integer arithmetic: over × 100 > budget × 10)."""
        over = self.over_cents
        return bool(self.budget_cents) and over is not None and over * 100 > self.budget_cents * SOLIDARITY_PERCENT  # type: ignore[operator]

    def by_month(self) -> list[tuple[int, int, int]]:
        """(month, realised, forecast) per month: the forecast spreads commitments and inflow evenly over the
        months left (the rest goes to December)."""
        rows: list[tuple[int, int, int]] = []
        future = self.commitments_cents + self.inflow_cents
        first_left = 13 - self.months_left
        per = future // self.months_left if self.months_left else 0
        for month in range(1, 13):
            projected = 0
            if self.months_left and month >= first_left:
                projected = per if month < 12 else future - per * (self.months_left - 1)
            rows.append((month, self.realisation_by_month[month - 1], self.realisation_by_month[month - 1] + projected))
        return rows


COMPONENT_LABELS = {
    "result_50_50": "Resultaatbekostiging (50/50)",
    "monthly": "Maandbekostiging",
    "pxq": "P×Q",
    "lump_sum": "Lump sums",
    "population": "Populatiebekostiging",
}


# ---- the figures, for all municipalities of a region at once --------------------------------------------------


async def _municipalities(session: AsyncSession, region_id: int, only: int | None) -> dict[int, str]:
    query = select(Municipality.id, Municipality.name).where(Municipality.region_id == region_id)
    if only is not None:
        query = query.where(Municipality.id == only)
    return {r.id: r.name for r in await session.execute(query.order_by(Municipality.name))}


async def _policy(session: AsyncSession, region_id: int) -> Policy:
    p = (await session.execute(select(PaymentPolicy).where(PaymentPolicy.region_id == region_id))).scalar_one_or_none()
    if p is None:
        return Policy()
    return Policy(p.pay_achieved, p.pay_partly, p.pay_not_achieved, p.pay_early_end)


async def _paid_counts(session: AsyncSession, region_id: int) -> dict[int, dict[str, int]]:
    """Per arrangement: how many start halves, result halves and months were paid, net of reversals."""
    reversed_entry = aliased(LedgerEntry)
    kind = case((LedgerEntry.kind == "reversal", reversed_entry.kind), else_=LedgerEntry.kind)
    sign = case((LedgerEntry.kind == "reversal", -1), else_=1)
    query = (
        select(LedgerEntry.arrangement_id, kind.label("k"), func.sum(sign).label("n"))
        .outerjoin(reversed_entry, reversed_entry.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.region_id == region_id, col(LedgerEntry.arrangement_id).is_not(None))
        .group_by(LedgerEntry.arrangement_id, kind)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for r in await session.execute(query):
        out[r.arrangement_id][r.k] = int(r.n)
    return out


async def _arrangement_commitments(
    session: AsyncSession, region_id: int, *, today: date, year: int, only: int | None
) -> dict[int, dict[str, int]]:
    a = ARRANGEMENTS
    units = (
        select(Declaration.arrangement_id, func.sum(Declaration.units).label("units"))
        .where(
            Declaration.region_id == region_id, Declaration.kind == "pxq",
            col(Declaration.status).in_(("accepted", "settled", "paid")),
        )
        .group_by(Declaration.arrangement_id)
        .subquery()
    )
    query = (
        select(
            a.c.id, a.c.paying_municipality_id, a.c.payment_model, a.c.status, a.c.tariff_cents, a.c.max_months,
            a.c.assigned_units, a.c.start_date, a.c.planned_start, a.c.end_date, a.c.result, a.c.end_reason,
            func.coalesce(units.c.units, 0).label("declared_units"),
        )
        .select_from(a)
        .outerjoin(units, units.c.arrangement_id == a.c.id)
        .where(
            a.c.region_id == region_id, a.c.status.in_(OPEN_STATUSES),
            a.c.payment_model.in_(("result_50_50", "monthly", "pxq")), a.c.tariff_cents.is_not(None),
        )
    )
    if only is not None:
        query = query.where(a.c.paying_municipality_id == only)
    rows = list(await session.execute(query))
    paid = await _paid_counts(session, region_id) if rows else {}
    policy = await _policy(session, region_id)
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        counts = paid.get(r.id, {})
        cost = commitment_of(
            payment_model=r.payment_model, status=r.status, tariff_cents=int(r.tariff_cents),
            start=r.start_date or r.planned_start, end=r.end_date, max_months=r.max_months,
            assigned_units=r.assigned_units, declared_units=int(r.declared_units), result=r.result,
            end_reason=r.end_reason, start_paid=counts.get("start_half", 0) > 0,
            result_paid=counts.get("result_half", 0) > 0, months_paid=counts.get("month", 0), policy=policy,
            today=today, year=year,
        )  # fmt: skip
        if cost:
            out[r.paying_municipality_id][r.payment_model] += cost
    return out


def commitment_of(
    *, payment_model: str, status: str, tariff_cents: int, start: date | None, end: date | None,
    max_months: int | None, assigned_units: int | None, declared_units: int, result: str | None,
    end_reason: str | None, start_paid: bool, result_paid: bool, months_paid: int, policy: Policy, today: date,
    year: int,
) -> int:  # fmt: skip
    """What one open arrangement will still cost (pure; the formula in the module docstring)."""
    if payment_model == "result_50_50":
        first, second = halves(tariff_cents)
        cost = 0 if start_paid else first
        if not result_paid:
            if status != "ended" or result is None:
                # open, or ended without a reported result: an early end or a change that this policy never
                # pays is left out (judged as if the goals were achieved)
                due = end_reason is None or second_half_due("achieved", end_reason, policy)[0]
            else:
                due = second_half_due(result, end_reason, policy)[0]
            cost += second if due else 0
        return cost
    if payment_model == "monthly":
        if status == "ended" and end is None:
            return 0
        from_month = max(month_start(start or today), month_start(today), date(year, 1, 1))
        to_month = min(month_start(end) if end else date(year, 12, 1), date(year, 12, 1))
        months = 0
        if to_month >= from_month:
            months = (to_month.year - from_month.year) * 12 + to_month.month - from_month.month + 1
        if max_months is not None:
            months = min(months, max(0, max_months - months_paid))
        return months * tariff_cents
    if payment_model == "pxq":
        if status == "ended" or assigned_units is None:
            return 0
        return max(0, assigned_units - declared_units) * tariff_cents
    return 0


async def _fixed_commitments(
    session: AsyncSession, region_id: int, *, year: int, only: int | None
) -> dict[int, dict[str, int]]:
    """Lump sums and population budgets of the year not yet paid, per municipality."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    paid_ls = (
        select(LedgerEntry.lump_sum_id, func.sum(LedgerEntry.amount_cents).label("paid"))
        .where(LedgerEntry.region_id == region_id, col(LedgerEntry.lump_sum_id).is_not(None))
        .group_by(LedgerEntry.lump_sum_id)
        .subquery()
    )
    q = (
        select(LumpSum.municipality_id, LumpSum.yearly_cents, func.coalesce(paid_ls.c.paid, 0))
        .outerjoin(paid_ls, paid_ls.c.lump_sum_id == LumpSum.id)
        .where(LumpSum.region_id == region_id, LumpSum.year == year)
    )
    if only is not None:
        q = q.where(LumpSum.municipality_id == only)
    for mid, yearly, paid in await session.execute(q):
        out[mid]["lump_sum"] += max(0, int(yearly) - int(paid))
    paid_pop = (
        select(LedgerEntry.population_budget_id, LedgerEntry.municipality_id,
               func.sum(LedgerEntry.amount_cents).label("paid"))
        .where(LedgerEntry.region_id == region_id, col(LedgerEntry.population_budget_id).is_not(None))
        .group_by(LedgerEntry.population_budget_id, LedgerEntry.municipality_id)
        .subquery()
    )
    q2 = (
        select(
            PopulationFigure.municipality_id, PopulationBudget.cents_per_youth, PopulationBudget.weighted,
            PopulationFigure.youths, PopulationFigure.weight_basis_points, func.coalesce(paid_pop.c.paid, 0),
        )
        .join(PopulationFigure, and_(PopulationFigure.region_id == PopulationBudget.region_id,
                                     PopulationFigure.year == PopulationBudget.year))
        .outerjoin(paid_pop, and_(paid_pop.c.population_budget_id == PopulationBudget.id,
                                  paid_pop.c.municipality_id == PopulationFigure.municipality_id))
        .where(PopulationBudget.region_id == region_id, PopulationBudget.year == year)
    )
    if only is not None:
        q2 = q2.where(PopulationFigure.municipality_id == only)
    for mid, per_youth, weighted, youths, weight, paid in await session.execute(q2):
        yearly = population_year_cents(int(per_youth), int(youths), int(weight) if weighted else 10000)
        out[mid]["population"] += max(0, yearly - int(paid))
    return out


async def budget_figures(
    session: AsyncSession, region_id: int, *, year: int, today: date, only: int | None = None
) -> list[Figures]:
    """The figures of every municipality of the region (or only one) for `year`, seen on `today`."""
    names = await _municipalities(session, region_id, only)
    budget_rows = await session.execute(
        select(Budget.municipality_id, Budget.amount_cents).where(Budget.region_id == region_id, Budget.year == year)
    )
    budgets: dict[int, int] = {int(mid): int(cents) for mid, cents in budget_rows}
    figures = {mid: Figures(mid, name, year, budgets.get(mid)) for mid, name in names.items()}
    real = (
        select(LedgerEntry.municipality_id, func.extract("month", LedgerEntry.period).label("m"),
               func.sum(LedgerEntry.amount_cents).label("cents"))
        .where(
            LedgerEntry.region_id == region_id,
            LedgerEntry.period >= date(year, 1, 1), LedgerEntry.period < date(year + 1, 1, 1),
        )
        .group_by(LedgerEntry.municipality_id, "m")
    )
    if only is not None:
        real = real.where(LedgerEntry.municipality_id == only)
    for mid, month, cents in await session.execute(real):
        if mid in figures:
            figures[mid].realisation_by_month[int(month) - 1] = int(cents)
            figures[mid].realisation_cents += int(cents)
    if year == today.year:
        months_left = 13 - today.month
        for mid, parts in (await _arrangement_commitments(session, region_id, today=today, year=year,
                                                          only=only)).items():  # fmt: skip
            if mid in figures:
                for k, v in parts.items():
                    figures[mid].commitments[k] = figures[mid].commitments.get(k, 0) + v
        for mid, parts in (await _fixed_commitments(session, region_id, year=year, only=only)).items():
            if mid in figures:
                for k, v in parts.items():
                    figures[mid].commitments[k] = figures[mid].commitments.get(k, 0) + v
        this_month = month_start(today)
        inflow = (
            select(LedgerEntry.municipality_id, func.sum(LedgerEntry.amount_cents))
            .where(
                LedgerEntry.region_id == region_id, LedgerEntry.kind == "start_half",
                LedgerEntry.period >= add_months(this_month, -12), LedgerEntry.period < this_month,
            )
            .group_by(LedgerEntry.municipality_id)
        )
        if only is not None:
            inflow = inflow.where(LedgerEntry.municipality_id == only)
        trend = {mid: int(cents) for mid, cents in await session.execute(inflow)}
        for f in figures.values():
            f.months_left = months_left
            f.inflow_monthly_cents = trend.get(f.municipality_id, 0) // 12
            f.inflow_cents = f.inflow_monthly_cents * months_left
    return list(figures.values())


# ---- who may see which municipality ------------------------------------------------------------------------


def visible_municipality(principal: Principal, municipality_id: int | None) -> int | None:
    """Team roles: any municipality of the region (None = all); a municipality user: its own only (another:
    404); anyone else: 404."""
    if principal.role in TEAM_ROLES:
        return municipality_id
    if principal.role == "municipality" and principal.municipality_id is not None:
        if municipality_id is not None and municipality_id != principal.municipality_id:
            raise NotFound()
        return principal.municipality_id
    raise NotFound()


async def municipality_figures(
    session: AsyncSession, principal: Principal, municipality_id: int, *, year: int, today: date
) -> Figures:
    mid = visible_municipality(principal, municipality_id)
    rows = await budget_figures(session, principal.region_id, year=year, today=today, only=mid)
    if not rows:
        raise NotFound()
    return rows[0]


def parse_year(value: str | None, *, default: int) -> int:
    raw = (value or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ValidationFailed.single("jaar", "Vul een jaartal in, bijvoorbeeld 2026.")
    return int(raw)


def parse_euros(field_name: str, value: object, label: str) -> int:
    """Dutch euro notation ('1.250.000,50', '1250000', '1250000,5') to cents; Dutch errors naming the field."""
    raw = str(value or "").strip().replace("€", "").replace(" ", "")
    if not raw:
        raise ValidationFailed.single(field_name, f"Vul {label} in.")
    negative = raw.startswith("-")
    body = raw[1:] if negative else raw
    whole, _, frac = body.partition(",")
    whole = whole.replace(".", "")
    if not whole.isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValidationFailed.single(
            field_name, f"{label.capitalize()} is geen bedrag: gebruik bijvoorbeeld 1.250.000,00."
        )
    if negative:
        raise ValidationFailed.single(field_name, f"{label.capitalize()} kan niet negatief zijn.")
    cents = int(whole) * 100 + int((frac + "00")[:2])
    if cents >= 10**15:
        raise ValidationFailed.single(field_name, f"{label.capitalize()} is te groot.")
    return cents


async def set_budget(
    session: AsyncSession, *, region_id: int, municipality_id: int, year: int, amount_cents: int,
    actor: audit.Actor, now: datetime,
) -> None:  # fmt: skip
    """Set (or change) a municipality's budget for a year; another region's municipality: 404."""
    exists = (
        await session.execute(
            select(Municipality.id).where(Municipality.id == municipality_id, Municipality.region_id == region_id)
        )
    ).scalar_one_or_none()
    if exists is None:
        raise NotFound()
    if amount_cents < 0:
        raise ValidationFailed.single("bedrag", "Het budget kan niet negatief zijn.")
    stmt = pg_insert(Budget).values(
        region_id=region_id, municipality_id=municipality_id, year=year, amount_cents=amount_cents, updated_at=now
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["region_id", "municipality_id", "year"],
            set_={"amount_cents": stmt.excluded.amount_cents, "updated_at": now},
        )
    )
    await audit.record(
        session, actor, object_type="budget", object_id=f"{municipality_id}:{year}", action="set", now=now,
        summary={"municipality_id": municipality_id, "year": year, "amount_cents": amount_cents},
    )  # fmt: skip


# ---- downloads -----------------------------------------------------------------------------------------------


def figures_rows(rows: list[Figures], *, excel: bool) -> list[list[object]]:
    from invoicing.services.specifications import DutchAmount

    def amount(cents: int | None) -> object:
        if cents is None:
            return ""
        return Decimal(cents) / 100 if excel else DutchAmount(cents)

    out: list[list[object]] = [[
        "gemeente", "jaar", "budget", "realisatie", "verplichtingen", "instroomtrend", "prognose", "overschrijding",
        "overschrijding_procent", "solidariteitsregel",
    ]]  # fmt: skip
    for f in rows:
        pct = f.over_percent
        out.append([
            f.name, f.year, amount(f.budget_cents), amount(f.realisation_cents), amount(f.commitments_cents),
            amount(f.inflow_cents), amount(f.forecast_cents), amount(f.over_cents),
            "" if pct is None else (float(pct) if excel else str(pct).replace(".", ",")),
            "ja" if f.solidarity else "nee",
        ])  # fmt: skip
    return out


def month_rows(f: Figures, *, excel: bool) -> list[list[object]]:
    from invoicing.services.specifications import DutchAmount

    def amount(cents: int) -> object:
        return Decimal(cents) / 100 if excel else DutchAmount(cents)

    out: list[list[object]] = [["gemeente", "jaar", "maand", "realisatie", "prognose"]]
    for month, real, forecast in f.by_month():
        out.append([f.name, f.year, month, amount(real), amount(forecast)])
    return out
