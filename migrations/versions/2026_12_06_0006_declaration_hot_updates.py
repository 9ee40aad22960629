"""Declarations: settlement and payment updates become HOT (ADR 0010).

Withdrawal gets its own column, so the partial unique indexes no longer read `status`; the (region_id, status)
index goes (no query needs it: lists filter per provider, settlement per kind and period); pages are half filled.
Then no index covers a column that settlement or payment changes, and PostgreSQL writes the new row version on
the same page without an entry in each of the table's indexes.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "invoicing_declaration"


def _unique_indexes(condition: str) -> None:
    op.drop_index("uq_invoicing_declaration_once", table_name=TABLE)
    op.drop_index("uq_invoicing_declaration_period", table_name=TABLE)
    op.create_index("uq_invoicing_declaration_once", TABLE, ["region_id", "arrangement_id", "kind"], unique=True,
                    postgresql_where=sa.text(f"kind IN ('start','end') AND {condition}"))  # fmt: skip
    op.create_index("uq_invoicing_declaration_period", TABLE, ["region_id", "arrangement_id", "kind", "period"],
                    unique=True, postgresql_where=sa.text(f"kind IN ('month','pxq') AND {condition}"))  # fmt: skip


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("withdrawn", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.execute("UPDATE invoicing_declaration SET withdrawn = true WHERE status = 'withdrawn'")
    op.create_check_constraint(op.f("ck_invoicing_declaration_withdrawn_is_status"), TABLE,
                               "withdrawn = (status = 'withdrawn')")  # fmt: skip
    _unique_indexes("NOT withdrawn")
    op.drop_index("ix_invoicing_declaration_status", table_name=TABLE)
    op.execute("ALTER TABLE invoicing_declaration SET (fillfactor = 50)")  # new pages; existing ones fill up as they are


def downgrade() -> None:
    op.execute("ALTER TABLE invoicing_declaration RESET (fillfactor)")
    op.create_index("ix_invoicing_declaration_status", TABLE, ["region_id", "status"], unique=False)
    _unique_indexes("status <> 'withdrawn'")
    op.drop_constraint(op.f("ck_invoicing_declaration_withdrawn_is_status"), TABLE, type_="check")
    op.drop_column(TABLE, "withdrawn")
