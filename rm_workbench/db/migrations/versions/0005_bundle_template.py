"""bundle templates

The bank's product bundles (组合式金融服务套餐) come with the catalog from the central
CRM, as a global synced table like product. A cache created before this revision
receives them with its next pull: the rows are new versions on the server.

Revision ID: 0005
Revises: 0004
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
        "bundle_template",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("target_life_stages", rm_contract.types.JSONList(), nullable=False),
        sa.Column("target_tiers", rm_contract.types.JSONList(), nullable=False),
        sa.Column("need_categories", rm_contract.types.JSONList(), nullable=False),
        sa.Column("product_codes", rm_contract.types.JSONList(), nullable=False),
        sa.Column("min_aum", rm_contract.types.Money(), nullable=True),
        sa.Column("tier_pricing", sa.Text(), server_default="{}", nullable=False),
        sa.Column("valid_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("on_sale", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.Column("updated_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_template")),
        sa.UniqueConstraint("code", name=op.f("uq_bundle_template_code")),
    )


def downgrade() -> None:
    op.drop_table("bundle_template")
