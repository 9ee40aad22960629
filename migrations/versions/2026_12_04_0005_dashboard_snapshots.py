"""Dashboard snapshots: the dashboard's finished tables per scope, period and variant (ADR 0012).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_dashboard_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("scope_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("period_label", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("variant", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["jeugdregio_region.id"], name=op.f("fk_quality_dashboard_snapshot_region_id_jeugdregio_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_dashboard_snapshot")),
        sa.UniqueConstraint(
            "region_id", "scope_key", "period_label", "variant", name="uq_quality_dashboard_snapshot_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("quality_dashboard_snapshot")
