"""scope per device: idempotency keys and what a device has seen

* ``applied_mutation.idempotency_key`` is unique per device, not globally: another
  device's key is a new key, and never returns that device's stored answer;
* ``device`` gains ``registered_seq`` (the sequence number at its first login) and
  ``confirmed_seq`` (the highest cursor it ever pulled from, which never goes back):
  what the server itself recorded to decide whether a former RM's device queued an
  edit before the customer was reassigned. Devices registered before this revision
  count as registered at 0; their ``confirmed_seq`` starts at their recorded cursor.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applied_mutation") as batch_op:
        batch_op.drop_constraint(op.f("uq_applied_mutation_idempotency_key"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_applied_mutation_device_id"), ["device_id", "idempotency_key"]
        )
    with op.batch_alter_table("device") as batch_op:
        batch_op.add_column(
            sa.Column("registered_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("confirmed_seq", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.execute('UPDATE device SET confirmed_seq = "cursor"')


def downgrade() -> None:
    with op.batch_alter_table("device") as batch_op:
        batch_op.drop_column("confirmed_seq")
        batch_op.drop_column("registered_seq")
    # Keys reused across devices cannot be globally unique again: keep the first.
    op.execute(
        "DELETE FROM applied_mutation WHERE EXISTS (SELECT 1 FROM applied_mutation AS older "
        "WHERE older.idempotency_key = applied_mutation.idempotency_key "
        "AND (older.device_id < applied_mutation.device_id "
        "OR (older.device_id = applied_mutation.device_id "
        "AND older.mutation_id < applied_mutation.mutation_id)))"
    )
    with op.batch_alter_table("applied_mutation") as batch_op:
        batch_op.drop_constraint(op.f("uq_applied_mutation_device_id"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_applied_mutation_idempotency_key"), ["idempotency_key"]
        )
