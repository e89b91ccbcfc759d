"""bundle templates

The product bundles the bank publishes with its catalog: a global synced table,
pulled by version like product.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rm_contract.types

revision: str = "0002"
down_revision: str | None = "0001"
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
        sa.Column("on_sale", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.Column("updated_at", rm_contract.types.UTCDateTime(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_template")),
        sa.UniqueConstraint("code", name=op.f("uq_bundle_template_code")),
    )
    with op.batch_alter_table("bundle_template", schema=None) as batch_op:
        batch_op.create_index("ix_bundle_template_version", ["version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bundle_template", schema=None) as batch_op:
        batch_op.drop_index("ix_bundle_template_version")
    op.drop_table("bundle_template")
