"""The product catalog and the accounts (holdings) that link customers to core banking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Mapped

from rm_contract.vocabulary import AccountStatus, ProductType, RiskLevel
from rm_workbench.models.base import Base, Synced, synced_table


class Product(Synced, Base):
    """A product of the catalog, published by the central CRM
    (:data:`rm_contract.tables.product`)."""

    __table__ = synced_table("product")

    code: Mapped[str]
    name: Mapped[str]
    product_type: Mapped[ProductType]
    risk_level: Mapped[RiskLevel | None]
    min_amount: Mapped[Decimal | None]
    term_months: Mapped[int | None]
    rate: Mapped[Decimal | None]
    fee_rate: Mapped[Decimal | None]
    currency: Mapped[str]
    target_life_stages: Mapped[list[str]]
    target_tiers: Mapped[list[str]]
    description: Mapped[str | None]
    disclosure: Mapped[str | None]
    on_sale: Mapped[bool]


class Account(Synced, Base):
    """A holding at the bank, read-only in the workbench
    (:data:`rm_contract.tables.account`)."""

    __table__ = synced_table("account")

    account_no: Mapped[str]
    customer_id: Mapped[str]
    product_id: Mapped[str | None]
    account_type: Mapped[ProductType]
    product_name: Mapped[str | None]
    balance: Mapped[Decimal]
    currency: Mapped[str]
    opened_on: Mapped[date | None]
    matures_on: Mapped[date | None]
    rate: Mapped[Decimal | None]
    status: Mapped[AccountStatus]


class BundleTemplate(Synced, Base):
    """A product bundle (组合式金融服务套餐) the bank publishes with its catalog
    (:data:`rm_contract.tables.bundle_template`); the workbench ranks templates for a
    customer (``rm_workbench.domain.recommend``)."""

    __table__ = synced_table("bundle_template")

    code: Mapped[str]
    name: Mapped[str]
    description: Mapped[str | None]
    target_life_stages: Mapped[list[str]]
    target_tiers: Mapped[list[str]]
    need_categories: Mapped[list[str]]
    product_codes: Mapped[list[str]]
    min_aum: Mapped[Decimal | None]
    tier_pricing: Mapped[str]
    valid_days: Mapped[int]
    on_sale: Mapped[bool]
