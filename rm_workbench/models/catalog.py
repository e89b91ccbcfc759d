"""The product catalog and the accounts (holdings) that link customers to core banking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.enums import AccountStatus, ProductType, RiskLevel, enum_column
from rm_workbench.models.types import JSONList, Money, Rate


class Product(Synced, Base):
    """A product of the catalog, published by the central CRM.

    ``risk_level`` is None for products outside the suitability regime (deposits,
    loans, cards); a wealth product, fund or insurance-linked investment has R1-R5.
    ``target_life_stages`` and ``target_tiers`` hold names from the bank configuration.
    """

    __tablename__ = "product"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    product_type: Mapped[ProductType] = mapped_column(enum_column(ProductType, 20))
    risk_level: Mapped[RiskLevel | None] = mapped_column(enum_column(RiskLevel, 2))
    min_amount: Mapped[Decimal | None] = mapped_column(Money)
    term_months: Mapped[int | None] = mapped_column(Integer)
    # Annual rate (deposits, loans, expected yield) or fee ratio, as a fraction: 0.0215.
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    fee_rate: Mapped[Decimal | None] = mapped_column(Rate)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    target_life_stages: Mapped[list[str]] = mapped_column(JSONList, default=list)
    target_tiers: Mapped[list[str]] = mapped_column(JSONList, default=list)
    description: Mapped[str | None] = mapped_column(Text)
    disclosure: Mapped[str | None] = mapped_column(Text)
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Account(Synced, Base):
    """A holding at the bank: deposit, time deposit, wealth product, fund, loan, card.

    Read-only in the workbench: balances and maturities come from the central CRM.
    ``balance`` of a loan is the outstanding principal.
    """

    __tablename__ = "account"
    __table_args__ = (Index("ix_account_matures_on", "matures_on"),)

    # A unique index, not a table constraint: a bootstrap builds it after its pages
    # (rm_workbench.db.bulk.defer_indexes) instead of checking it row by row.
    account_no: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("product.id"))
    account_type: Mapped[ProductType] = mapped_column(enum_column(ProductType, 20))
    product_name: Mapped[str | None] = mapped_column(String(100))
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    opened_on: Mapped[date | None] = mapped_column(Date)
    matures_on: Mapped[date | None] = mapped_column(Date)
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus), default=AccountStatus.OPEN
    )


class BundleTemplate(Synced, Base):
    """A product bundle (组合式金融服务套餐) the bank publishes with its catalog.

    The workbench ranks templates for a customer (``rm_workbench.domain.recommend``);
    nothing about bundles is in code. ``product_codes`` lists the components in the
    order a proposal shows them; ``need_categories`` the needs (``NeedCategory``
    values) the bundle answers; ``target_life_stages`` / ``target_tiers`` hold names
    from the bank configuration, like the products'. ``min_aum``: only customers with
    at least these assets (a wealth-transfer bundle). ``tier_pricing`` is a JSON
    object by tier name: ``{"顶级": {"rate_bonus": "0.0020", "fee_discount": "0.5"}}``
    — a rate bonus added to deposit and wealth rates, a factor on fees.
    ``valid_days``: how long a proposal made from it stays valid.
    """

    __tablename__ = "bundle_template"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    target_life_stages: Mapped[list[str]] = mapped_column(JSONList, default=list)
    target_tiers: Mapped[list[str]] = mapped_column(JSONList, default=list)
    need_categories: Mapped[list[str]] = mapped_column(JSONList, default=list)
    product_codes: Mapped[list[str]] = mapped_column(JSONList, default=list)
    min_aum: Mapped[Decimal | None] = mapped_column(Money)
    tier_pricing: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    valid_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
