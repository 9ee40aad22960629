"""Catalogue: drop the unused GIN index on catalogue_listing.search_trigrams (ADR 0008: typo matching counts
trigrams in memory from one grouped statement; no query filters on the array).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_catalogue_listing_trigrams", table_name="catalogue_listing", postgresql_using="gin")


def downgrade() -> None:
    op.create_index("ix_catalogue_listing_trigrams", "catalogue_listing", ["search_trigrams"], unique=False,
                    postgresql_using="gin")  # fmt: skip
