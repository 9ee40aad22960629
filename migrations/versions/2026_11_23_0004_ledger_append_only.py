"""The ledger is append-only: UPDATE, DELETE and TRUNCATE are refused (corrections are reversing entries).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION invoicing_ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ledger entries are append-only (% refused); book a reversal instead', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$;
        """
    )
    op.execute(
        "CREATE TRIGGER invoicing_ledger_no_update_delete BEFORE UPDATE OR DELETE ON invoicing_ledger_entry "
        "FOR EACH ROW EXECUTE FUNCTION invoicing_ledger_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER invoicing_ledger_no_truncate BEFORE TRUNCATE ON invoicing_ledger_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION invoicing_ledger_refuse_change()"
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON invoicing_ledger_entry FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS invoicing_ledger_no_truncate ON invoicing_ledger_entry")
    op.execute("DROP TRIGGER IF EXISTS invoicing_ledger_no_update_delete ON invoicing_ledger_entry")
    op.execute("DROP FUNCTION IF EXISTS invoicing_ledger_refuse_change()")
