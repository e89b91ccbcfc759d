"""Which bundles and products to propose to a customer, and why (pure Python).

CONTRACT (written first so that the proposal service, the documents and the UI can be
built side by side): the dataclasses below are the inputs and outputs; the ranking
itself is :func:`recommend`.

Suitability is a hard rule: a product whose risk level (R1-R5) is above the
customer's risk tolerance (C1-C5), or any product with a risk level when the
assessment is missing or has expired, is never in ``bundles`` or ``products``; it is
listed in ``excluded`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class CatalogProduct:
    """A product of the synced catalog (``product`` table)."""

    code: str
    name: str
    product_type: str  # ProductType value
    risk_level: str | None  # "R1".."R5"; None outside the suitability regime
    min_amount: Decimal | None
    term_months: int | None
    rate: Decimal | None  # annual rate / expected yield, a fraction
    fee_rate: Decimal | None
    target_life_stages: tuple[str, ...]  # life-stage names of the bank configuration
    target_tiers: tuple[str, ...]  # tier names
    description: str | None
    disclosure: str | None
    on_sale: bool


@dataclass(frozen=True)
class TierPricing:
    rate_bonus: Decimal = Decimal(0)  # added to rate of deposits and wealth products
    fee_discount: Decimal = Decimal(1)  # factor on fee_rate (0.5: half price)


@dataclass(frozen=True)
class CatalogBundle:
    """A bundle template of the synced catalog (``bundle_template`` table)."""

    code: str
    name: str
    description: str | None
    target_life_stages: tuple[str, ...]
    target_tiers: tuple[str, ...]
    need_categories: tuple[str, ...]  # NeedCategory values
    product_codes: tuple[str, ...]
    min_aum: Decimal | None
    pricing: dict[str, TierPricing]  # by tier name
    valid_days: int
    on_sale: bool


@dataclass(frozen=True)
class HeldProduct:
    """An open holding (``account``)."""

    product_code: str | None
    product_name: str | None
    product_type: str
    balance: Decimal
    matures_on: date | None


@dataclass(frozen=True)
class OpenNeed:
    category: str  # NeedCategory value
    summary: str
    started_on: date


@dataclass(frozen=True)
class CustomerFacts:
    """What the ranking knows about the customer."""

    customer_id: str
    name: str
    category: str  # "individual" / "corporate"
    age: int | None
    life_stage: str | None  # life-stage name of the bank configuration
    tier: str | None  # tier name
    aum: Decimal
    risk_tolerance: str | None  # "C1".."C5"
    risk_expires_on: date | None
    holdings: tuple[HeldProduct, ...]
    open_needs: tuple[OpenNeed, ...]


@dataclass(frozen=True)
class ProductSuggestion:
    """One product proposed: the priced terms (tier pricing applied) and why."""

    product_code: str
    product_name: str
    product_type: str
    risk_level: str | None
    amount: Decimal | None  # suggested amount (yuan); None: no amount applies
    rate: Decimal | None  # after the tier's rate bonus
    fee_rate: Decimal | None  # after the tier's fee discount
    term_months: int | None
    disclosure: str | None
    reasons: tuple[str, ...]  # plain Chinese
    score: float


@dataclass(frozen=True)
class BundleSuggestion:
    template_code: str
    name: str
    description: str | None
    reasons: tuple[str, ...]  # why this bundle fits this customer, plain Chinese
    items: tuple[ProductSuggestion, ...]  # suitable products not already held
    valid_days: int
    score: float


@dataclass(frozen=True)
class Exclusion:
    product_code: str
    product_name: str
    reason: str  # plain Chinese: "风险等级 R4 高于客户风险承受能力 C3"


@dataclass(frozen=True)
class Recommendation:
    bundles: tuple[BundleSuggestion, ...]  # best first
    products: tuple[ProductSuggestion, ...]  # single products, best first
    excluded: tuple[Exclusion, ...]
    talking_points: tuple[str, ...]  # for the one-page brief, plain Chinese


def recommend(
    facts: CustomerFacts,
    products: tuple[CatalogProduct, ...],
    bundles: tuple[CatalogBundle, ...],
    today: date,
) -> Recommendation:
    """Rank bundles and products for one customer (see the module docstring)."""
    raise NotImplementedError
