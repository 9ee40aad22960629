"""Audit events are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION jeugdregio_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$;
        """
    )
    op.execute(
        "CREATE TRIGGER jeugdregio_audit_no_update_delete BEFORE UPDATE OR DELETE ON jeugdregio_audit_event "
        "FOR EACH ROW EXECUTE FUNCTION jeugdregio_audit_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER jeugdregio_audit_no_truncate BEFORE TRUNCATE ON jeugdregio_audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION jeugdregio_audit_refuse_change()"
    )
    # Belt and braces for deployments that run the app under a separate role: no UPDATE/DELETE grants.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON jeugdregio_audit_event FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS jeugdregio_audit_no_truncate ON jeugdregio_audit_event")
    op.execute("DROP TRIGGER IF EXISTS jeugdregio_audit_no_update_delete ON jeugdregio_audit_event")
    op.execute("DROP FUNCTION IF EXISTS jeugdregio_audit_refuse_change()")
