"""customer list order rows

Fills the customer list's order rows (``order_name`` — the pinyin sort key —,
``order_tier``, ``order_status``, ``order_aum``; see rm_workbench.db.search) for the
customers already in the cache, so that a cache indexed before this revision lists
every customer, in pinyin order, right after the upgrade. Data only: the rows live in
``customer_search``, whose schema does not change.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from rm_workbench.db.search import ORDER_KINDS, TABLE, rebuild_order

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rebuild_order(op.get_bind())


def downgrade() -> None:
    marks = ", ".join("?" * len(ORDER_KINDS))
    op.get_bind().exec_driver_sql(f"DELETE FROM {TABLE} WHERE kind IN ({marks})", ORDER_KINDS)
