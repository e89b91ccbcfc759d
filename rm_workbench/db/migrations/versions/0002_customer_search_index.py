"""customer search index

Adds ``customer_search`` (see rm_workbench.db.search for the design) and fills it
from the customers already in the cache, so a cache that held customers before this
revision is searchable right after the upgrade.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rm_workbench.db.search import rebuild_index

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_search",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_search_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "term", "customer_id", name=op.f("pk_customer_search")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("customer_search", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_search_customer_id"), ["customer_id"], unique=False
        )
    rebuild_index(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("customer_search", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_search_customer_id"))
    op.drop_table("customer_search")
