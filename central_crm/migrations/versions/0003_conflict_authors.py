"""who wrote what: authors of fields and of both sides of a conflict

* every synced table gains ``written_by`` (server only, never sent): JSON of who
  created the row and who last wrote each field through a push or a resolution;
* ``sync_conflict`` gains ``theirs_by`` (who wrote the server's side), and, for a
  resolution, ``resolved_by`` and ``replaced_by`` (the new conflict a "keep mine" made
  when the server's value had moved on since the RM was shown it).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYNCED = (
    "branch",
    "product",
    "bundle_template",
    "relationship_manager",
    "customer",
    "customer_group",
    "account",
    "audit_log",
    "bundle_proposal",
    "contact_log",
    "group_membership",
    "need",
    "opportunity",
    "visit",
)


def upgrade() -> None:
    for name in SYNCED:
        op.add_column(name, sa.Column("written_by", sa.Text(), nullable=True))
    op.add_column("sync_conflict", sa.Column("theirs_by", sa.String(length=36), nullable=True))
    op.add_column("sync_conflict", sa.Column("resolved_by", sa.String(length=36), nullable=True))
    op.add_column("sync_conflict", sa.Column("replaced_by", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_conflict") as batch_op:
        batch_op.drop_column("replaced_by")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("theirs_by")
    for name in SYNCED:
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_column("written_by")
