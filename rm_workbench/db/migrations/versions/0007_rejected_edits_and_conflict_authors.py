"""rejected edits, and who made each side of a conflict

* ``rejected_edit``: the edits the central CRM refused, with the RM's values and the
  reason, kept until the RM corrects and sends them again or discards them;
* ``local_conflict`` gains who made each side (``yours_by``, ``yours_device``,
  ``theirs_by``) and when the server stored it (``created_at``).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rm_contract.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rejected_edit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mutation_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=True),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rejected_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_edit")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("rejected_edit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rejected_edit_customer_id"), ["customer_id"], unique=False
        )
    # Plain ADD COLUMNs (nullable, no default): no table copy.
    op.add_column("local_conflict", sa.Column("yours_by", sa.String(length=100), nullable=True))
    op.add_column("local_conflict", sa.Column("yours_device", sa.String(length=100), nullable=True))
    op.add_column("local_conflict", sa.Column("theirs_by", sa.String(length=100), nullable=True))
    op.add_column(
        "local_conflict",
        sa.Column("created_at", rm_contract.types.UTCDateTime(length=32), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("local_conflict", schema=None) as batch_op:
        batch_op.drop_column("created_at")
        batch_op.drop_column("theirs_by")
        batch_op.drop_column("yours_device")
        batch_op.drop_column("yours_by")
    with op.batch_alter_table("rejected_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_edit_customer_id"))
    op.drop_table("rejected_edit")
