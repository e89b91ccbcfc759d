"""Which bundles and products to propose to a customer, and why (pure Python).

The inputs are plain facts about the customer and the synced catalog (products and
bundle templates, published by the central CRM: nothing about bundles is in code);
the output is ranked suggestions, each with its reasons in plain Chinese, the
products left out for suitability, and talking points for the one-page client brief.

Suitability is a hard rule: a product whose risk level (R1-R5) is above the
customer's risk tolerance (C1-C5), or any product with a risk level when the
assessment is missing or has expired, is never in ``bundles`` or ``products``; it is
listed in ``excluded`` with the reason. Nor is a product the customer already holds,
one that is not on sale, a bundle whose ``min_aum`` the customer does not reach, or,
for a corporate customer, a bundle aimed at a person's life stage or a personal
product (insurance, mortgage, card, pension …).

How the ranking weighs things (points; ties broken by code, so the result never
depends on the order of the inputs):

* a recorded open need the product or bundle answers: 4 per need;
* the customer's life stage is one the product or bundle is aimed at: 3;
* money maturing in the next :data:`MATURITY_HORIZON_DAYS` days that a deposit,
  CD or investment product can take: 3;
* a gap: no insurance at all (2), no personal pension account at working age (1);
* for a bundle: reaching its ``min_aum`` (1), a price for the customer's tier (1),
  and the mean of its items' points.

A suggestion needs at least one of those reasons; a product or bundle aimed at other
tiers is not proposed at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Final

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import NeedCategory, ProductType
from rm_workbench.domain.formatting import format_date, format_rate, format_short_date, format_wan


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


# --- vocabulary -------------------------------------------------------------------

RISK_LEVELS: Final = ("R1", "R2", "R3", "R4", "R5")
RISK_TOLERANCES: Final = ("C1", "C2", "C3", "C4", "C5")

# ProductType values as an RM says them (the same words as the Customer 360 screen).
PRODUCT_TYPE_LABELS: Final = EnumLabels(ProductType)
# NeedCategory values as the need dialog shows them.
NEED_CATEGORY_LABELS: Final = EnumLabels(NeedCategory)

# A reinvestment talk starts well before the money is free (the Today screen lists
# the next 30 days; a proposal is prepared earlier).
MATURITY_HORIZON_DAYS: Final = 90
# The brief reminds the RM of an assessment that expires within this many days.
RISK_RENEWAL_DAYS: Final = 30
# Single products listed at most (the brief has one page).
MAX_PRODUCTS: Final = 8

# Holdings whose maturity frees money (as on the Today screen).
MATURING_TYPES: Final = frozenset({"time_deposit", "large_cd", "wealth", "trust"})
# Products that can take maturing money.
REINVEST_TYPES: Final = frozenset({"time_deposit", "large_cd", "wealth", "fund", "gold", "trust"})
# Products whose rate a tier's rate bonus raises (deposits, CDs, wealth, pension).
RATE_BONUS_TYPES: Final = frozenset({"time_deposit", "large_cd", "wealth", "pension"})
# Without maturing money to place, an investment starts at a slice of the customer's
# assets (whole 万元, at most the cap), never below the product's minimum: a proposal
# of the 1,000-yuan minimum to a customer with 4,000万 reads as a form, not advice.
# Products without a minimum are accounts (a pension account, a card) and get none.
STARTING_SHARE: Final = Decimal("0.05")
STARTING_CAP: Final = Decimal(1_000_000)
_WAN: Final = Decimal(10_000)
STARTING_TYPES: Final = REINVEST_TYPES | {"pension"}
# Money the customer borrows: no amount is suggested, the RM agrees it with them.
LIABILITY_TYPES: Final = frozenset(
    {"mortgage", "consumer_loan", "education_loan", "business_loan", "credit_card"}
)
# Products for a person, never proposed to a company.
PERSONAL_TYPES: Final = frozenset(
    {"insurance", "mortgage", "consumer_loan", "education_loan", "pension", "credit_card"}
)
# Which product types answer a need on their own (a bundle answers the needs its
# template names).
NEED_PRODUCT_TYPES: Final[Mapping[str, frozenset[str]]] = {
    "education": frozenset({"education_loan"}),
    "housing": frozenset({"mortgage"}),
    "car": frozenset({"consumer_loan"}),
    "retirement": frozenset({"pension"}),
    "insurance": frozenset({"insurance"}),
    "investment": frozenset({"wealth", "fund", "gold", "large_cd", "time_deposit"}),
    "wealth_transfer": frozenset({"trust"}),
    "financing": frozenset({"business_loan", "consumer_loan"}),
    "settlement": frozenset({"demand_deposit", "credit_card"}),
}

NO_INSURANCE: Final = "尚未持有任何保险"
NO_PENSION: Final = "尚未开立个人养老金账户，缴存可享个税递延"
# Ages at which a missing pension account is worth raising.
PENSION_AGES: Final = range(30, 60)

_STAGE_POINTS: Final = 3
_NEED_POINTS: Final = 4
_MONEY_POINTS: Final = 3
_GAP_POINTS: Final[Mapping[str, int]] = {"insurance": 2, "pension": 1}
_FEE_EXPONENT: Final = Decimal("0.000001")


def _rank(value: str | None, levels: tuple[str, ...]) -> int | None:
    return levels.index(value) + 1 if value in levels else None


# --- suitability ------------------------------------------------------------------


def assessment_problem(
    risk_tolerance: str | None, risk_expires_on: date | None, today: date
) -> str | None:
    """Why the customer has no valid risk assessment (missing, unreadable, expired
    before ``today``), or None. An assessment is valid through its expiry date."""
    if risk_tolerance is None:
        return "尚未做风险承受能力评估"
    if _rank(risk_tolerance, RISK_TOLERANCES) is None:
        return f"风险承受能力“{risk_tolerance}”无法识别"
    if risk_expires_on is not None and risk_expires_on < today:
        return f"风险测评已于{format_date(risk_expires_on)}过期"
    return None


def unsuitable_reason(
    risk_level: str | None,
    *,
    risk_tolerance: str | None,
    risk_expires_on: date | None,
    today: date,
) -> str | None:
    """Why a product of ``risk_level`` must not be proposed to this customer, or None
    when it may (a product outside the suitability regime always may)."""
    if risk_level is None:
        return None
    level = _rank(risk_level, RISK_LEVELS)
    if level is None:
        return f"风险等级“{risk_level}”无法识别，不能推荐"
    problem = assessment_problem(risk_tolerance, risk_expires_on, today)
    if problem is not None:
        return f"{problem}，不能推荐风险等级为 {risk_level} 的产品"
    tolerance = _rank(risk_tolerance, RISK_TOLERANCES)
    assert tolerance is not None  # assessment_problem checked it
    if level > tolerance:
        return f"风险等级 {risk_level} 高于客户风险承受能力 {risk_tolerance}"
    return None


def suitability_text(
    risk_level: str | None,
    *,
    risk_tolerance: str | None,
    risk_expires_on: date | None,
    today: date,
) -> str:
    """One line for a proposal: ``"R2 ≤ C3 适合"``, ``"非风险产品"``, or why not."""
    if risk_level is None:
        return "非风险产品"
    reason = unsuitable_reason(
        risk_level, risk_tolerance=risk_tolerance, risk_expires_on=risk_expires_on, today=today
    )
    if reason is None:
        return f"{risk_level} ≤ {risk_tolerance} 适合"
    if (
        _rank(risk_level, RISK_LEVELS) is not None
        and assessment_problem(risk_tolerance, risk_expires_on, today) is None
    ):
        return f"{risk_level} > {risk_tolerance} 不适合"
    return f"不适合：{reason}"


# --- pricing and wording ----------------------------------------------------------


def priced(
    product: CatalogProduct, pricing: TierPricing | None
) -> tuple[Decimal | None, Decimal | None]:
    """The product's (rate, fee rate) for a customer whose tier has ``pricing``: the
    rate bonus on deposits, CDs, wealth and pension products, the discount on fees."""
    rate, fee = product.rate, product.fee_rate
    if pricing is None:
        return rate, fee
    if rate is not None and product.product_type in RATE_BONUS_TYPES:
        rate = rate + pricing.rate_bonus
    if fee is not None:
        fee = (fee * pricing.fee_discount).quantize(_FEE_EXPONENT)
    return rate, fee


def pricing_text(tier: str, pricing: TierPricing) -> str | None:
    """``"顶级客户专享：利率上浮0.20个百分点，手续费5折"``; None when it changes nothing."""
    parts = []
    if pricing.rate_bonus > 0:
        parts.append(f"利率上浮{format_rate(pricing.rate_bonus).rstrip('%')}个百分点")
    if 0 <= pricing.fee_discount < 1:
        tenths = (pricing.fee_discount * 10).normalize()
        parts.append("免收手续费" if tenths == 0 else f"手续费{tenths:f}折")
    if not parts:
        return None
    return f"{tier}客户专享：" + "，".join(parts)


def need_text(need: OpenNeed) -> str:
    """``"2026-10-02 记录的需求：子女教育（子女出国留学资金）"``."""
    label = NEED_CATEGORY_LABELS.get(need.category, need.category)
    summary = need.summary.strip()
    detail = f"（{summary}）" if summary and summary != label else ""
    return f"{need.started_on.isoformat()} 记录的需求：{label}{detail}"


def maturity_text(holding: HeldProduct) -> str:
    """``"定期存款 50万元 将于 12月3日 到期"``."""
    assert holding.matures_on is not None
    label = PRODUCT_TYPE_LABELS.get(holding.product_type, holding.product_type)
    return (
        f"{label} {format_wan(holding.balance)} 将于 {format_short_date(holding.matures_on)} 到期"
    )


def maturing(holdings: Iterable[HeldProduct], today: date) -> list[HeldProduct]:
    """Holdings freeing money within :data:`MATURITY_HORIZON_DAYS`, soonest first."""
    horizon = today + timedelta(days=MATURITY_HORIZON_DAYS)
    found = [
        h
        for h in holdings
        if h.product_type in MATURING_TYPES
        and h.matures_on is not None
        and today <= h.matures_on <= horizon
        and h.balance > 0
    ]
    found.sort(key=lambda h: (h.matures_on, h.product_type, -h.balance, h.product_code or ""))
    return found


# --- the ranking ------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    reasons: tuple[str, ...]
    score: int
    takes_money: bool


class _Ranker:
    """The facts worked out once for one call of :func:`recommend`."""

    def __init__(self, facts: CustomerFacts, today: date) -> None:
        self.facts = facts
        self.today = today
        self.individual = facts.category != "corporate"
        self.held_codes = frozenset(h.product_code for h in facts.holdings if h.product_code)
        held_types = frozenset(h.product_type for h in facts.holdings)
        self.maturing = maturing(facts.holdings, today)
        self.money = sum((h.balance for h in self.maturing), Decimal(0))
        self.money_reasons = tuple(maturity_text(h) for h in self.maturing)
        self.needs = tuple(
            sorted(facts.open_needs, key=lambda n: (n.started_on, n.category, n.summary))
        )
        self.gaps: dict[str, str] = {}
        if self.individual and "insurance" not in held_types:
            self.gaps["insurance"] = NO_INSURANCE
        if self.individual and "pension" not in held_types and facts.age in PENSION_AGES:
            self.gaps["pension"] = NO_PENSION

    def unsuitable(self, product: CatalogProduct) -> str | None:
        return unsuitable_reason(
            product.risk_level,
            risk_tolerance=self.facts.risk_tolerance,
            risk_expires_on=self.facts.risk_expires_on,
            today=self.today,
        )

    def proposable(self, product: CatalogProduct) -> bool:
        if not product.on_sale or product.code in self.held_codes:
            return False
        if not self.for_tier(product.target_tiers):
            return False
        if self.unsuitable(product) is not None:
            return False
        # A company is a customer of deposits and investments, not of a person's cover,
        # loans or cards; life stages say nothing about it.
        return self.individual or product.product_type not in PERSONAL_TYPES

    def for_tier(self, targets: tuple[str, ...]) -> bool:
        return not targets or self.facts.tier in targets

    def fit(self, product: CatalogProduct) -> _Fit:
        reasons: list[str] = []
        score = 0
        stage = self.facts.life_stage
        if stage is not None and stage in product.target_life_stages:
            reasons.append(f"适合{stage}客户")
            score += _STAGE_POINTS
        for need in self.needs:
            if product.product_type in NEED_PRODUCT_TYPES.get(need.category, ()):
                reasons.append(need_text(need))
                score += _NEED_POINTS
        # Money to place and gaps to fill are reasons only for products meant for
        # customers like this one; a recorded need is reason enough on its own.
        aimed_here = (
            stage is None or not product.target_life_stages or stage in product.target_life_stages
        )
        takes_money = (
            aimed_here
            and bool(self.maturing)
            and product.product_type in REINVEST_TYPES
            and (product.min_amount is None or product.min_amount <= self.money)
        )
        if takes_money:
            reasons.extend(self.money_reasons)
            score += _MONEY_POINTS
        gap = self.gaps.get(product.product_type)
        if gap is not None and aimed_here:
            reasons.append(gap)
            score += _GAP_POINTS[product.product_type]
        return _Fit(tuple(reasons), score, takes_money)

    def amount(self, product: CatalogProduct, *, money: bool) -> Decimal | None:
        if money:
            return self.money
        if product.product_type in LIABILITY_TYPES:
            return None
        if product.min_amount is None or product.min_amount <= 0:
            return None
        if product.product_type not in STARTING_TYPES:
            return product.min_amount
        share = min(self.facts.aum * STARTING_SHARE, STARTING_CAP)
        return max(product.min_amount, (share / _WAN).to_integral_value(ROUND_DOWN) * _WAN)

    def suggestion(
        self,
        product: CatalogProduct,
        reasons: tuple[str, ...],
        score: int,
        amount: Decimal | None,
        pricing: TierPricing | None,
    ) -> ProductSuggestion:
        rate, fee = priced(product, pricing)
        return ProductSuggestion(
            product_code=product.code,
            product_name=product.name,
            product_type=product.product_type,
            risk_level=product.risk_level,
            amount=amount,
            rate=rate,
            fee_rate=fee,
            term_months=product.term_months,
            disclosure=product.disclosure,
            reasons=reasons,
            score=float(score),
        )

    def products(self, catalog: Mapping[str, CatalogProduct]) -> list[ProductSuggestion]:
        found = []
        for product in catalog.values():
            if not self.proposable(product):
                continue
            fit = self.fit(product)
            if fit.reasons:
                amount = self.amount(product, money=fit.takes_money)
                found.append(self.suggestion(product, fit.reasons, fit.score, amount, None))
        found.sort(key=lambda s: (-s.score, s.product_code))
        return found[:MAX_PRODUCTS]

    def bundle(
        self, bundle: CatalogBundle, catalog: Mapping[str, CatalogProduct]
    ) -> BundleSuggestion | None:
        facts = self.facts
        if not bundle.on_sale or not self.for_tier(bundle.target_tiers):
            return None
        if bundle.min_aum is not None and facts.aum < bundle.min_aum:
            return None
        if not self.individual and bundle.target_life_stages:
            return None
        stage = facts.life_stage
        on_stage = stage is not None and stage in bundle.target_life_stages
        needs = [n for n in self.needs if n.category in bundle.need_categories]
        if bundle.target_life_stages and not on_stage and not needs:
            return None
        pricing = None if facts.tier is None else bundle.pricing.get(facts.tier)

        items: list[ProductSuggestion] = []
        money_placed = False
        gaps: list[str] = []
        codes = list(dict.fromkeys(bundle.product_codes))
        for code in codes:
            product = catalog.get(code)
            if product is None or not self.proposable(product):
                continue
            fit = self.fit(product)
            # The maturing money goes to the first item that can take it, in the
            # template's order (its main product); the others start at their minimum.
            amount = self.amount(product, money=fit.takes_money and not money_placed)
            money_placed = money_placed or fit.takes_money
            if (
                self.gaps.get(product.product_type) in fit.reasons
                and product.product_type not in gaps
            ):
                gaps.append(product.product_type)
            why = fit.reasons or (f"{bundle.name}的组成产品",)
            items.append(self.suggestion(product, why, fit.score, amount, pricing))
        if not items or len(items) < min(2, len(codes)):
            return None

        reasons: list[str] = []
        score = 0
        if on_stage:
            age = "" if facts.age is None else f"{facts.age}岁，"
            reasons.append(f"客户{age}处于{stage}")
            score += _STAGE_POINTS
        for need in needs:
            reasons.append(need_text(need))
            score += _NEED_POINTS
        if money_placed:
            reasons.extend(self.money_reasons)
            score += _MONEY_POINTS
        for kind in gaps:
            reasons.append(self.gaps[kind])
            score += _GAP_POINTS[kind]
        if not reasons:
            return None  # the bundle does not fit this customer; a price is no reason
        if bundle.min_aum is not None:
            reasons.append(
                f"金融资产{format_wan(facts.aum)}，达到本套餐{format_wan(bundle.min_aum)}的门槛"
            )
            score += 1
        offer = None if pricing is None or facts.tier is None else pricing_text(facts.tier, pricing)
        if offer is not None:
            reasons.append(offer)
            score += 1
        mean_item = sum(item.score for item in items) / len(items)
        return BundleSuggestion(
            template_code=bundle.code,
            name=bundle.name,
            description=bundle.description,
            reasons=tuple(reasons),
            items=tuple(items),
            valid_days=bundle.valid_days,
            score=round(score + mean_item, 6),
        )

    def excluded(self, catalog: Mapping[str, CatalogProduct]) -> list[Exclusion]:
        found = []
        for product in catalog.values():
            if not product.on_sale or product.code in self.held_codes:
                continue
            reason = self.unsuitable(product)
            if reason is not None:
                found.append(Exclusion(product.code, product.name, reason))
        return found

    def talking_points(self, top: BundleSuggestion | None) -> list[str]:
        facts = self.facts
        points = [f"{text}，可与客户商量续作或转投" for text in self.money_reasons]
        problem = assessment_problem(facts.risk_tolerance, facts.risk_expires_on, self.today)
        if facts.risk_tolerance is None:
            points.append("尚未做风险承受能力评估，需完成测评后方可推荐理财、基金等产品")
        elif problem is not None:
            points.append(f"{problem}，需重新测评后方可推荐理财")
        elif facts.risk_expires_on is not None and facts.risk_expires_on <= self.today + timedelta(
            days=RISK_RENEWAL_DAYS
        ):
            points.append(
                f"风险测评将于{format_date(facts.risk_expires_on)}到期，请提醒客户及时重新测评"
            )
        points.extend(need_text(need) for need in self.needs)
        points.extend(self.gaps[kind] for kind in sorted(self.gaps))
        if top is not None:
            names = "、".join(item.product_name for item in top.items)
            points.append(f"推荐套餐：{top.name}（{names}）")
        return points


def recommend(
    facts: CustomerFacts,
    products: tuple[CatalogProduct, ...],
    bundles: tuple[CatalogBundle, ...],
    today: date,
) -> Recommendation:
    """Rank bundles and products for one customer (see the module docstring).

    Deterministic: the same facts and catalog give the same answer whatever the
    order of ``products``, ``bundles``, holdings and needs.
    """
    ranker = _Ranker(facts, today)
    catalog: dict[str, CatalogProduct] = {}
    for product in sorted(products, key=lambda p: p.code):
        catalog.setdefault(product.code, product)  # codes are unique in the catalog
    suggested = [
        found
        for bundle in sorted(bundles, key=lambda b: b.code)
        if (found := ranker.bundle(bundle, catalog)) is not None
    ]
    suggested.sort(key=lambda b: (-b.score, b.template_code))
    return Recommendation(
        bundles=tuple(suggested),
        products=tuple(ranker.products(catalog)),
        excluded=tuple(ranker.excluded(catalog)),
        talking_points=tuple(ranker.talking_points(suggested[0] if suggested else None)),
    )
