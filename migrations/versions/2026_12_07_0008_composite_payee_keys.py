"""Invoicing: one composite foreign key per source instead of one per column (ADR 0013).

A declaration referenced its region, provider, arrangement and municipality with four foreign keys, so PostgreSQL
ran four lookups per inserted row; and nothing checked that they belonged together. Now one key
(arrangement_id, region_id, provider_id, municipality_id) → the arrangement checks both. A ledger entry has exactly
one source (arrangement, lump sum or population budget), and that source's composite key checks the entry's
region and provider too, and its municipality; a population budget pays every municipality, so its entries carry
the municipality once more in a generated column with its own key, and the plain municipality key goes. The
referenced column sets get unique constraints (the id alone already is unique).

The declarations' index on arrangement_id alone becomes (region_id, arrangement_id): the CSV import looks up what is
already declared per arrangement and region, and with the region only in the provider index, a planner without
fresh statistics combined that index's whole region range into every lookup (13 s instead of 0.2 s per file).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECL = "invoicing_declaration"
LEDGER = "invoicing_ledger_entry"
ARRANGEMENT_KEY = (["arrangement_id", "region_id", "provider_id", "municipality_id"],
                   ["id", "region_id", "provider_id", "paying_municipality_id"])  # fmt: skip
LUMP_KEY = (["lump_sum_id", "region_id", "provider_id", "municipality_id"],
            ["id", "region_id", "provider_id", "municipality_id"])  # fmt: skip
POPULATION_KEY = (["population_budget_id", "region_id", "provider_id"], ["id", "region_id", "provider_id"])

# (table, column, referred table) of every single-column key that a composite key replaces
SINGLE = [
    (DECL, "region_id", "jeugdregio_region"), (DECL, "provider_id", "contracts_provider"),
    (DECL, "arrangement_id", "contracts_arrangement"), (DECL, "municipality_id", "jeugdregio_municipality"),
    (LEDGER, "region_id", "jeugdregio_region"), (LEDGER, "provider_id", "contracts_provider"),
    (LEDGER, "arrangement_id", "contracts_arrangement"), (LEDGER, "lump_sum_id", "invoicing_lump_sum"),
    (LEDGER, "population_budget_id", "invoicing_population_budget"), (LEDGER, "municipality_id", "jeugdregio_municipality"),
]  # fmt: skip
COMPOSITE = [
    (DECL, "contracts_arrangement", ARRANGEMENT_KEY), (LEDGER, "contracts_arrangement", ARRANGEMENT_KEY),
    (LEDGER, "invoicing_lump_sum", LUMP_KEY), (LEDGER, "invoicing_population_budget", POPULATION_KEY),
]  # fmt: skip
PAYEE = [
    ("uq_contracts_arrangement_payee", "contracts_arrangement", ARRANGEMENT_KEY[1]),
    ("uq_invoicing_lump_sum_payee", "invoicing_lump_sum", LUMP_KEY[1]),
    ("uq_invoicing_population_budget_payee", "invoicing_population_budget", POPULATION_KEY[1]),
]  # fmt: skip


def _fk(table: str, column: str, referred: str) -> str:
    return op.f(f"fk_{table}_{column}_{referred}")  # PostgreSQL cuts it to 63 characters, as when it was made


def upgrade() -> None:
    for name, table, columns in PAYEE:
        op.create_unique_constraint(name, table, columns)
    for table, column, referred in SINGLE:
        op.drop_constraint(_fk(table, column, referred), table, type_="foreignkey")
    for table, referred, (local, remote) in COMPOSITE:
        op.create_foreign_key(_fk(table, local[0], referred), table, referred, local, remote)
    op.create_check_constraint(op.f("ck_invoicing_ledger_entry_one_source"), LEDGER,
                               "num_nonnulls(arrangement_id, lump_sum_id, population_budget_id) = 1")  # fmt: skip
    op.add_column(LEDGER, sa.Column("population_municipality_id", sa.Integer(), sa.Computed(
        "CASE WHEN population_budget_id IS NOT NULL THEN municipality_id END", persisted=True), nullable=True))
    op.create_foreign_key(_fk(LEDGER, "population_municipality_id", "jeugdregio_municipality"), LEDGER,
                          "jeugdregio_municipality", ["population_municipality_id"], ["id"])  # fmt: skip
    op.drop_index("ix_invoicing_declaration_arrangement_id", table_name=DECL)
    op.create_index("ix_invoicing_declaration_arrangement", DECL, ["region_id", "arrangement_id"])


def downgrade() -> None:
    op.drop_index("ix_invoicing_declaration_arrangement", table_name=DECL)
    op.create_index("ix_invoicing_declaration_arrangement_id", DECL, ["arrangement_id"])
    op.drop_column(LEDGER, "population_municipality_id")  # and its foreign key
    op.drop_constraint(op.f("ck_invoicing_ledger_entry_one_source"), LEDGER, type_="check")
    for table, referred, (local, _) in COMPOSITE:
        op.drop_constraint(_fk(table, local[0], referred), table, type_="foreignkey")
    for table, column, referred in SINGLE:
        op.create_foreign_key(_fk(table, column, referred), table, referred, [column], ["id"])
    for name, table, _ in PAYEE:
        op.drop_constraint(name, table, type_="unique")
