"""the audit chain: audit rows gain the device's chain and the claimed time

``audit_log`` gains ``device_seq``, ``prev_hash`` and ``chain_hash`` (this device's
chain of audit entries, see ``rm_workbench.sync.audit_chain``) and ``client_time``
(the time the device claimed, which the central CRM keeps when it stamps ``at``).
Rows written before stay unchained; the chain starts with the next one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rm_workbench.models.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): no table copy.
    op.add_column(
        "audit_log",
        sa.Column("client_time", rm_workbench.models.types.UTCDateTime(length=32), nullable=True),
    )
    op.add_column("audit_log", sa.Column("device_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("chain_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("device_seq")
        batch_op.drop_column("client_time")
