"""Tables of invoicing: declarations, the append-only ledger, settlement runs, specifications, budgets.

Private to invoicing; other domains use invoicing.public. Money is BIGINT cents everywhere."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from jeugdregio.tables import ts

DECLARATION_KINDS = ("start", "end", "month", "pxq")


def cents(nullable: bool = False, default: int | None = None) -> Any:
    return Field(default=default, sa_column=Column(BigInteger, nullable=nullable))


def arrangement_key() -> ForeignKeyConstraint:
    """One composite foreign key instead of four (ADR 0013): the arrangement, and that the row's region, provider
    and municipality are the arrangement's own. PostgreSQL checks a foreign key per row with a query, so one
    check instead of four is what makes bulk imports and settlement fast; it is also the stronger rule."""
    return ForeignKeyConstraint(
        ["arrangement_id", "region_id", "provider_id", "municipality_id"],
        ["contracts_arrangement.id", "contracts_arrangement.region_id", "contracts_arrangement.provider_id",
         "contracts_arrangement.paying_municipality_id"],
    )  # fmt: skip


class PaymentPolicy(SQLModel, table=True):
    """The region's policy for the second 50 % (DOMAIN.md §4 defaults) and the settlement day."""

    __tablename__ = "invoicing_payment_policy"
    __table_args__ = (UniqueConstraint("region_id"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    pay_achieved: bool = True
    pay_partly: bool = True
    pay_not_achieved: bool = False
    pay_early_end: bool = False  # early end by family/provider, transfer
    settlement_day: int = 5  # the worker settles the previous month on this day


class DeclarationBatch(SQLModel, table=True):
    """One bulk upload (CSV) or API batch; all-or-nothing, so a stored batch is always a clean one."""

    __tablename__ = "invoicing_declaration_batch"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id", index=True)
    channel: str = Field(max_length=10)  # csv | api
    filename: str = Field(default="", max_length=200)
    row_count: int = 0
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


class Declaration(SQLModel, table=True):
    """An accepted declaration (declaratie): start, end with results, a month of care, or P×Q units.

    Refused declarations are never stored: the sender gets the Dutch reason per line at once. The payment-speed
    clock runs received_at → checked_at → settled_at → paid_at.

    Settlement and payment change status, status_reason, amount_cents, settled_at and paid_at of many rows at once.
    No index covers those columns (not even in a partial index's condition: withdrawal has its own column), and
    pages are half filled (fillfactor 50), so those UPDATEs are HOT: a new row version on the same page and no
    index entries, instead of one in each of the table's indexes (ADR 0010)."""

    __tablename__ = "invoicing_declaration"
    __table_args__ = (
        CheckConstraint("kind IN ('start','end','month','pxq')", name="kind_known"),
        CheckConstraint("units IS NULL OR units >= 0", name="units_not_negative"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("status IN ('accepted','settled','paid','not_payable','withdrawn')", name="status_known"),
        CheckConstraint("withdrawn = (status = 'withdrawn')", name="withdrawn_is_status"),
        # at most once per arrangement, whatever the race (QUALITY-BAR §2.2)
        Index(
            "uq_invoicing_declaration_once",
            "region_id",
            "arrangement_id",
            "kind",
            unique=True,
            postgresql_where=text("kind IN ('start','end') AND NOT withdrawn"),
        ),
        Index(
            "uq_invoicing_declaration_period",
            "region_id",
            "arrangement_id",
            "kind",
            "period",
            unique=True,
            postgresql_where=text("kind IN ('month','pxq') AND NOT withdrawn"),
        ),
        Index("ix_invoicing_declaration_provider", "region_id", "provider_id", "received_at"),
        # region first, like every lookup: with the region alone in an index of its own, a planner that has no
        # statistics yet (a bulk import's first minutes) may combine that one with the region's whole range
        Index("ix_invoicing_declaration_arrangement", "region_id", "arrangement_id"),
        arrangement_key(),  # also checks region, provider and municipality (ADR 0013)
        {"postgresql_with": {"fillfactor": 50}},  # room for the settled and paid versions (HOT), see above
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int  # this and the next three: one composite foreign key to the arrangement (arrangement_key)
    provider_id: int
    arrangement_id: int
    municipality_id: int
    kind: str = Field(max_length=10)
    period: date  # start/end: the event date; month/pxq: the first day of the month of care
    units: int | None = None  # P×Q
    amount_cents: int = cents()  # what this declaration is worth under the tariff (0 when not payable)
    status: str = Field(default="accepted", max_length=20)
    withdrawn: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})  # = status 'withdrawn'
    status_reason: str = ""  # plain Dutch, e.g. "Tweede 50 % niet betaalbaar: doelen niet behaald."
    channel: str = Field(max_length=10)  # web | api | csv
    batch_id: int | None = Field(default=None, foreign_key="invoicing_declaration_batch.id", index=True)
    external_ref: str = Field(default="", max_length=40)  # the provider's own line reference
    received_at: datetime = ts()
    checked_at: datetime = ts()
    settled_at: datetime | None = ts(default=None)
    paid_at: datetime | None = ts(default=None)
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")  # None on a batch's rows: see batch


class SettlementRun(SQLModel, table=True):
    """One settlement per region per month; rerunning a killed run continues it (the ledger's dedupe keys)."""

    __tablename__ = "invoicing_settlement_run"
    __table_args__ = (
        UniqueConstraint("region_id", "period"),
        CheckConstraint("status IN ('running','done','failed')", name="status_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    period: date  # first day of the settled month
    status: str = Field(default="running", max_length=10)
    step: str = Field(default="", max_length=30)  # progress: the step being done
    steps_done: int = 0
    steps_total: int = 0
    entries: int = 0
    total_cents: int = cents(default=0)
    digest: str = Field(default="", max_length=64)
    error: str = ""
    started_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    started_at: datetime = ts()
    finished_at: datetime | None = ts(default=None)


class LedgerEntry(SQLModel, table=True):
    """The append-only ledger (grootboek) in cents. `dedupe_key` makes every payment happen once, whatever the
    race or rerun; corrections are reversing entries (`reverses_id`) with a reason. A trigger refuses UPDATE and
    DELETE."""

    __tablename__ = "invoicing_ledger_entry"
    __table_args__ = (
        UniqueConstraint("region_id", "dedupe_key"),
        CheckConstraint(
            "kind IN ('start_half','result_half','month','pxq','lump_sum','population','reversal')",
            name="kind_known",
        ),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_links"),
        Index("ix_invoicing_ledger_provider_period", "region_id", "provider_id", "period"),
        Index("ix_invoicing_ledger_municipality_period", "region_id", "municipality_id", "period"),
        Index("ix_invoicing_ledger_arrangement", "region_id", "arrangement_id"),
        # every entry pays for exactly one source, whose composite foreign key also checks the entry's region and
        # provider, and its municipality (a population budget pays every municipality: population_municipality_id)
        CheckConstraint("num_nonnulls(arrangement_id, lump_sum_id, population_budget_id) = 1", name="one_source"),
        arrangement_key(),
        ForeignKeyConstraint(
            ["lump_sum_id", "region_id", "provider_id", "municipality_id"],
            ["invoicing_lump_sum.id", "invoicing_lump_sum.region_id", "invoicing_lump_sum.provider_id",
             "invoicing_lump_sum.municipality_id"],
        ),
        ForeignKeyConstraint(
            ["population_budget_id", "region_id", "provider_id"],
            ["invoicing_population_budget.id", "invoicing_population_budget.region_id",
             "invoicing_population_budget.provider_id"],
        ),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    region_id: int  # region and provider: checked through the source's composite foreign key (one_source)
    run_id: int | None = Field(default=None, foreign_key="invoicing_settlement_run.id", index=True)
    period: date  # the settlement month the entry belongs to
    provider_id: int
    municipality_id: int  # checked by the source's key, or for a population budget by the column below
    # the municipality again, for population budget entries only, so that only their rows pay for its foreign key
    # (the other sources' composite keys check the municipality already: ADR 0013)
    population_municipality_id: int | None = Field(default=None, sa_column=Column(
        Integer, Computed("CASE WHEN population_budget_id IS NOT NULL THEN municipality_id END", persisted=True),
        ForeignKey("jeugdregio_municipality.id"), nullable=True))  # fmt: skip
    arrangement_id: int | None = None
    declaration_id: int | None = Field(default=None, foreign_key="invoicing_declaration.id")
    lump_sum_id: int | None = None
    population_budget_id: int | None = None
    kind: str = Field(max_length=20)
    amount_cents: int = cents()  # signed: reversals are negative of what they reverse
    dedupe_key: str = Field(max_length=80)  # start:<arr>, result:<arr>, month:<arr>:<yyyy-mm>, ...
    reverses_id: int | None = Field(default=None, foreign_key="invoicing_ledger_entry.id")
    reason: str = ""
    created_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


class Specification(SQLModel, table=True):
    """The payment specification per provider per month: approved by finance, then paid."""

    __tablename__ = "invoicing_specification"
    __table_args__ = (
        UniqueConstraint("region_id", "provider_id", "period"),
        CheckConstraint("status IN ('draft','approved','paid')", name="status_known"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id", index=True)
    period: date
    run_id: int | None = Field(default=None, foreign_key="invoicing_settlement_run.id")
    number: str = Field(max_length=30)  # SP-2026-03-00042
    total_cents: int = cents(default=0)
    lines: int = 0
    status: str = Field(default="draft", max_length=10)
    document_id: int | None = Field(default=None, foreign_key="jeugdregio_document.id")
    approved_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    approved_at: datetime | None = ts(default=None)
    paid_on: date | None = None
    paid_by: int | None = Field(default=None, foreign_key="jeugdregio_user.id")
    created_at: datetime = ts()


class LumpSum(SQLModel, table=True):
    """A task-based contract (taakgericht): a yearly amount paid in twelve instalments, no per-child claims."""

    __tablename__ = "invoicing_lump_sum"
    __table_args__ = (
        UniqueConstraint("region_id", "provider_id", "municipality_id", "year"),
        UniqueConstraint("id", "region_id", "provider_id", "municipality_id", name="uq_invoicing_lump_sum_payee"),
        CheckConstraint("yearly_cents >= 0", name="amount_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id")
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id")
    year: int
    yearly_cents: int = cents()
    description: str = ""
    created_at: datetime = ts()


class PopulationFigure(SQLModel, table=True):
    """Population per municipality per year, imported by the team (CSV); used by population budgets and the
    quality monitor's population figures. `weight_basis_points` is an optional socio-economic weight (10000 =
    1.0)."""

    __tablename__ = "invoicing_population_figure"
    __table_args__ = (
        UniqueConstraint("region_id", "municipality_id", "year"),
        CheckConstraint("inhabitants >= 0 AND youths >= 0 AND youths <= inhabitants", name="counts_valid"),
        CheckConstraint("weight_basis_points > 0", name="weight_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id")
    year: int
    inhabitants: int
    youths: int  # 0–17
    weight_basis_points: int = 10000
    imported_at: datetime = ts()


class PopulationBudget(SQLModel, table=True):
    """A population-based budget: amount per youth × youths of each municipality (optionally weighted), paid
    monthly to one provider."""

    __tablename__ = "invoicing_population_budget"
    __table_args__ = (
        UniqueConstraint("region_id", "provider_id", "year"),
        UniqueConstraint("id", "region_id", "provider_id", name="uq_invoicing_population_budget_payee"),
        CheckConstraint("cents_per_youth >= 0", name="amount_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    provider_id: int = Field(foreign_key="contracts_provider.id")
    year: int
    cents_per_youth: int = cents()  # per year
    weighted: bool = False
    description: str = ""
    created_at: datetime = ts()


class Budget(SQLModel, table=True):
    """A municipality's youth-care budget for one year."""

    __tablename__ = "invoicing_budget"
    __table_args__ = (
        UniqueConstraint("region_id", "municipality_id", "year"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="jeugdregio_region.id")
    municipality_id: int = Field(foreign_key="jeugdregio_municipality.id")
    year: int
    amount_cents: int = cents()
    updated_at: datetime = ts()


__all__ = [
    "DECLARATION_KINDS", "Budget", "Declaration", "DeclarationBatch", "LedgerEntry", "LumpSum", "PaymentPolicy",
    "PopulationBudget", "PopulationFigure", "SettlementRun", "Specification",
]  # fmt: skip
