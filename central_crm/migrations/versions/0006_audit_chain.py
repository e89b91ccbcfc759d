"""attribution and the audit chain

* ``audit_log`` gains the device's claimed time (``client_time``: the server stamps
  ``at`` with its own clock) and the chain of each device's entries (``device_seq``,
  ``prev_hash``, ``chain_hash``; see ``rm_contract.audit_chain``);
* ``audit_chain``: per device, the last audit entry accepted in its chain;
* ``audit_alarm``: every break of a device's chain (a missing, altered, reused or
  unchained entry), for the bank's security staff.

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rm_contract.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): no table copy on SQLite.
    op.add_column(
        "audit_log",
        sa.Column("client_time", rm_contract.types.UTCDateTime(length=32), nullable=True),
    )
    op.add_column("audit_log", sa.Column("device_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("chain_hash", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_chain",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_audit_chain")),
    )
    op.create_table(
        "audit_alarm",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("mutation_id", sa.BigInteger(), nullable=True),
        sa.Column("row_id", sa.String(length=36), nullable=True),
        sa.Column("expected_seq", sa.BigInteger(), nullable=True),
        sa.Column("received_seq", sa.BigInteger(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_alarm")),
    )
    with op.batch_alter_table("audit_alarm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_alarm_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_alarm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_alarm_created_at"))
    op.drop_table("audit_alarm")
    op.drop_table("audit_chain")
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("device_seq")
        batch_op.drop_column("client_time")
