"""Demo money with a fixed seed: the declarations the demo arrangements would have produced (starts, ends,
months of care), one lump-sum contract, one population budget with the population table, budgets per
municipality, and every past month settled with its specifications (older ones approved and paid).

Declarations are written set-based from the arrangements (INSERT … SELECT through contracts.public)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, DateTime, Table, case, cast, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.public import ARRANGEMENTS
from invoicing.models import (
    Budget,
    Declaration,
    LedgerEntry,
    LumpSum,
    PopulationBudget,
    PopulationFigure,
    Specification,
)
from invoicing.rules import add_months, month_start
from jeugdregio.audit import Actor

# (CBS code, inhabitants, youths 0–17): rounded, illustrative figures for the nine WBW municipalities
POPULATION = {
    "0748": (69_000, 12_800), "0777": (45_000, 9_300), "1655": (30_500, 5_700), "1709": (37_800, 7_400),
    "1674": (78_000, 15_200), "0840": (22_400, 4_100), "0851": (25_300, 4_900), "0873": (22_200, 4_000),
    "0879": (22_300, 4_300),
}  # fmt: skip

SPECS: Table = Specification.__table__  # type: ignore[attr-defined]
DECLARATIONS: Table = Declaration.__table__  # type: ignore[attr-defined]
LEDGER: Table = LedgerEntry.__table__  # type: ignore[attr-defined]

DECLARATION_COLUMNS = [
    "region_id", "provider_id", "arrangement_id", "municipality_id", "kind", "period", "units", "amount_cents",
    "status", "status_reason", "channel", "external_ref", "received_at", "checked_at",
]  # fmt: skip


async def seed_declarations_demo(session: AsyncSession, *, region_id: int, day: date) -> int:
    """Start, end and monthly declarations for the demo arrangements, as providers would have sent them."""
    a = ARRANGEMENTS.c
    last_month = add_months(month_start(day), -1)
    received = lambda d: cast(d, Date) + literal(timedelta(days=2))  # noqa: E731 - a local SQL helper
    started = select(
        a.region_id, a.provider_id, a.id, a.paying_municipality_id, literal("start"), a.start_date, literal(None),
        case((a.payment_model == "result_50_50", a.tariff_cents / 2), else_=0), literal("accepted"), literal(""),
        literal("api"), literal(""), received(a.start_date), received(a.start_date),
    ).where(a.region_id == region_id, a.start_date.is_not(None))  # fmt: skip
    ended = select(
        a.region_id, a.provider_id, a.id, a.paying_municipality_id, literal("end"), a.end_date, literal(None),
        literal(0), literal("accepted"), literal(""), literal("api"), literal(""), a.ended_reported_at,
        a.ended_reported_at,
    ).where(a.region_id == region_id, a.end_date.is_not(None), a.end_reason != "change")  # fmt: skip
    months = func.generate_series(
        func.date_trunc("month", a.start_date),
        func.date_trunc("month", func.least(func.coalesce(a.end_date, last_month), last_month)),
        text("interval '1 month'"),
    ).table_valued("value", with_ordinality="n").render_derived()
    month = cast(months.c.value, Date)
    month_received = month + literal(timedelta(days=35))
    monthly = (
        select(
            a.region_id, a.provider_id, a.id, a.paying_municipality_id, literal("month"), month, literal(None),
            a.tariff_cents, literal("accepted"), literal(""), literal("csv"), literal(""), month_received,
            month_received,
        )
        .select_from(ARRANGEMENTS.join(months, literal(True)))
        .where(
            a.region_id == region_id,
            a.payment_model == "monthly",
            a.start_date.is_not(None),
            months.c.n <= func.coalesce(a.max_months, 1000),
        )
    )
    total = 0
    for query in (started, ended, monthly):
        result = await session.execute(insert(Declaration).from_select(DECLARATION_COLUMNS, query))
        total += result.rowcount or 0  # type: ignore[attr-defined]
    return total


async def seed_funding_demo(
    session: AsyncSession, *, region_id: int, municipality_ids: dict[str, int], provider_ids: list[int], day: date,
    rng: random.Random,
) -> None:  # fmt: skip
    """The population table, one population budget and one lump-sum contract (for this year and last)."""
    now = datetime.combine(day, time(8), tzinfo=UTC)
    for year in (day.year - 1, day.year):
        grow = 1.0 if year < day.year else 1.004
        await session.execute(
            insert(PopulationFigure),
            [
                {"region_id": region_id, "municipality_id": municipality_ids[code], "year": year,
                 "inhabitants": int(inh * grow), "youths": int(youths * grow),
                 "weight_basis_points": 10000 + rng.randint(-800, 1200), "imported_at": now}
                for code, (inh, youths) in POPULATION.items()
            ],
        )  # fmt: skip
        await session.execute(
            insert(PopulationBudget).values(
                region_id=region_id, provider_id=provider_ids[0], year=year, cents_per_youth=4_500, weighted=True,
                description="Populatiebekostiging preventieve jeugdhulp op scholen (demo)", created_at=now,
            )
        )  # fmt: skip
        await session.execute(
            insert(LumpSum).values(
                region_id=region_id, provider_id=provider_ids[1], municipality_id=municipality_ids["1674"],
                year=year, yearly_cents=48_000_000,
                description="Taakgerichte financiering wijkteam-ondersteuning Roosendaal (demo)", created_at=now,
            )
        )  # fmt: skip


async def seed_budgets_demo(
    session: AsyncSession, *, region_id: int, municipality_ids: dict[str, int], day: date, rng: random.Random
) -> None:
    """A budget per municipality per year, set around what the ledger shows so that some municipalities run
    over (the solidarity rule has something to show)."""
    year_of = func.extract("year", LedgerEntry.period)
    spent: dict[tuple[int, int], int] = {
        (int(m), int(y)): int(total or 0)
        for m, y, total in await session.execute(
            select(LedgerEntry.municipality_id, year_of, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.region_id == region_id)
            .group_by(LedgerEntry.municipality_id, year_of)
        )
    }
    for year in (day.year - 1, day.year):
        months_settled = 12 if year < day.year else max(1, day.month - 1)
        rows = []
        for code, municipality_id in municipality_ids.items():
            yearly = spent.get((municipality_id, year), 0) * 12 // months_settled
            factor = 0.85 if code == "1674" else rng.choice([0.82, 0.95, 1.05, 1.1, 1.2])
            rows.append({"region_id": region_id, "municipality_id": municipality_id, "year": year,
                         "amount_cents": max(10_000_000, int(round(yearly * factor, -5))),
                         "updated_at": datetime.combine(date(year, 1, 1), time(9), tzinfo=UTC)})  # fmt: skip
        await session.execute(insert(Budget), rows)


async def settle_history_demo(maker: async_sessionmaker[AsyncSession], *, region_id: int, first_month: date,
                              day: date) -> int:  # fmt: skip
    """Settle every past month in order (as the worker would have on each settlement day), then mark the
    specifications of older months approved and paid and the last month's approved. Returns the number of runs."""
    from invoicing.services.settlement import run_settlement

    actor = Actor.system("demo", region_id)
    month, last = month_start(first_month), add_months(month_start(day), -1)
    runs = 0
    while month <= last:
        settled_at = datetime.combine(add_months(month, 1) + timedelta(days=4), time(6), tzinfo=UTC)
        await run_settlement(maker, region_id=region_id, period=month, actor=actor, now=settled_at)
        month, runs = add_months(month, 1), runs + 1
    async with maker() as session:
        s = SPECS.c
        approved_at = cast(s.period + text("interval '1 month 6 days'"), DateTime(timezone=True))
        paid_on = cast(s.period + text("interval '1 month 12 days'"), Date)
        await session.execute(
            update(SPECS)
            .where(s.region_id == region_id, s.period < add_months(last, -1))
            .values(status="paid", approved_at=approved_at, paid_on=paid_on)
        )
        await session.execute(
            update(SPECS)
            .where(s.region_id == region_id, s.period == add_months(last, -1))
            .values(status="approved", approved_at=approved_at)
        )
        # the payment-speed clock stops for the declarations behind paid specifications
        d, e = DECLARATIONS.c, LEDGER.c
        paid = (
            select(e.declaration_id, s.paid_on)
            .select_from(LEDGER.join(
                SPECS, (s.region_id == e.region_id) & (s.provider_id == e.provider_id) & (s.period == e.period)
            ))
            .where(e.region_id == region_id, s.status == "paid", e.declaration_id.is_not(None))
            .subquery()
        )  # fmt: skip
        await session.execute(
            update(DECLARATIONS)
            .where(d.id == paid.c.declaration_id)
            .values(status="paid", paid_at=cast(paid.c.paid_on, DateTime(timezone=True)) + text("interval '12 hours'"))
        )
        await session.commit()
    return runs
