"""Tariff periods of one arrangement type never overlap and leave no gap (deferred constraint trigger).

An exclusion constraint would need btree_gist, which not every PostgreSQL here has; plpgsql is always there.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION catalogue_tariff_check_periods() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            type_id integer := COALESCE(NEW.arrangement_type_id, OLD.arrangement_type_id);
            rec record;
            previous_until date;
            seen boolean := false;
        BEGIN
            FOR rec IN SELECT valid_from, valid_until FROM catalogue_tariff
                       WHERE arrangement_type_id = type_id ORDER BY valid_from LOOP
                IF seen AND (previous_until IS NULL OR rec.valid_from <> previous_until + 1) THEN
                    RAISE EXCEPTION 'tariff periods of arrangement type % overlap or leave a gap before %',
                        type_id, rec.valid_from USING ERRCODE = 'check_violation';
                END IF;
                seen := true;
                previous_until := rec.valid_until;
            END LOOP;
            RETURN NULL;
        END;
        $$;
        """
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER catalogue_tariff_periods AFTER INSERT OR UPDATE OR DELETE ON catalogue_tariff "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION catalogue_tariff_check_periods()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS catalogue_tariff_periods ON catalogue_tariff")
    op.execute("DROP FUNCTION IF EXISTS catalogue_tariff_check_periods()")
