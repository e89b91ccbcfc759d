"""failed logins: throttle and lockout

``login_throttle`` counts failed logins per user name (known or not) and per client
address: the throttle's next allowed instant and a user name's lockout, which an
administrator lifts (``central-crm unlock``, ``POST /admin/users/{username}/unlock``).

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rm_contract.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_start", rm_contract.types.UTCDateTime(length=32), nullable=True),
        sa.Column("last_failure_at", rm_contract.types.UTCDateTime(length=32), nullable=True),
        sa.Column("blocked_until", rm_contract.types.UTCDateTime(length=32), nullable=True),
        sa.Column("locked_at", rm_contract.types.UTCDateTime(length=32), nullable=True),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
