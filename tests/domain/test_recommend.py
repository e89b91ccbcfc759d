"""Ranking bundles and products for a customer: concrete customers against the demo
catalog the central CRM publishes, and properties over random catalogs (hypothesis)
for the rules that must never break: suitability, nothing held, nothing off sale."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rm_demo.book import read_catalog
from rm_workbench.domain.recommend import (
    PERSONAL_TYPES,
    CatalogBundle,
    CatalogProduct,
    CustomerFacts,
    HeldProduct,
    OpenNeed,
    Recommendation,
    TierPricing,
    priced,
    pricing_text,
    recommend,
    suitability_text,
    unsuitable_reason,
)

TODAY = date(2026, 11, 25)


def _demo_catalog() -> tuple[tuple[CatalogProduct, ...], tuple[CatalogBundle, ...]]:
    """The demo catalog (rm_demo/data/catalog.json) as publish-catalog reads it: names
    of the shipped bank.toml, as synced."""
    product_rows, bundle_rows = read_catalog()
    products = tuple(
        CatalogProduct(
            code=p["code"],
            name=p["name"],
            product_type=p["product_type"],
            risk_level=p["risk_level"],
            min_amount=p["min_amount"],
            term_months=p["term_months"],
            rate=p["rate"],
            fee_rate=p["fee_rate"],
            target_life_stages=tuple(p["target_life_stages"]),
            target_tiers=tuple(p["target_tiers"]),
            description=p["description"],
            disclosure=p["disclosure"],
            on_sale=p["on_sale"],
        )
        for p in product_rows
    )
    bundles = tuple(
        CatalogBundle(
            code=b["code"],
            name=b["name"],
            description=b["description"],
            target_life_stages=tuple(b["target_life_stages"]),
            target_tiers=tuple(b["target_tiers"]),
            need_categories=tuple(b["need_categories"]),
            product_codes=tuple(b["product_codes"]),
            min_aum=b["min_aum"],
            pricing={
                tier: TierPricing(Decimal(terms["rate_bonus"]), Decimal(terms["fee_discount"]))
                for tier, terms in json.loads(b["tier_pricing"]).items()
            },
            valid_days=b["valid_days"],
            on_sale=b["on_sale"],
        )
        for b in bundle_rows
    )
    return products, bundles


PRODUCTS, BUNDLES = _demo_catalog()


def customer(**fields: object) -> CustomerFacts:
    base = CustomerFacts(
        customer_id="c1",
        name="李明",
        category="individual",
        age=28,
        life_stage="青年期",
        tier="黄金",
        aum=Decimal("300000"),
        risk_tolerance="C3",
        risk_expires_on=date(2027, 5, 1),
        holdings=(),
        open_needs=(),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def held(code: str, kind: str, balance: str = "0", matures_on: date | None = None) -> HeldProduct:
    return HeldProduct(code, None, kind, Decimal(balance), matures_on)


def rank(facts: CustomerFacts, today: date = TODAY) -> Recommendation:
    return recommend(facts, PRODUCTS, BUNDLES, today)


def bundle(result: Recommendation, code: str):
    found = [b for b in result.bundles if b.template_code == code]
    assert found, f"{code} not proposed: {[b.template_code for b in result.bundles]}"
    return found[0]


def item(suggestions, code: str):
    found = [s for s in suggestions if s.product_code == code]
    assert found, f"{code} not among {[s.product_code for s in suggestions]}"
    return found[0]


def proposed_codes(result: Recommendation) -> set[str]:
    return {s.product_code for s in result.products} | {
        i.product_code for b in result.bundles for i in b.items
    }


# --- concrete customers -----------------------------------------------------------


def test_a_young_professional_without_insurance_gets_the_young_bundle_with_cover() -> None:
    result = rank(customer())
    top = result.bundles[0]
    assert top.template_code == "BDL-YOUNG"
    assert "客户28岁，处于青年期" in top.reasons
    assert "尚未持有任何保险" in top.reasons
    assert "尚未持有任何保险" in item(top.items, "INS-CI").reasons
    assert top.valid_days == 30
    assert "尚未持有任何保险" in result.talking_points
    assert result.talking_points[-1].startswith("推荐套餐：青年才俊成长套餐（")
    # The same customer with cover: the gap is gone, the held product too.
    insured = rank(customer(holdings=(held("INS-CI", "insurance"),)))
    assert "尚未持有任何保险" not in insured.talking_points
    assert "INS-CI" not in proposed_codes(insured)


def test_a_recorded_education_need_is_a_reason_with_its_date() -> None:
    family = customer(
        age=38,
        life_stage="育儿期",
        risk_tolerance="C2",
        open_needs=(OpenNeed("education", "子女出国留学资金", date(2026, 10, 2)),),
    )
    result = rank(family)
    text = "2026-10-02 记录的需求：子女教育（子女出国留学资金）"
    edu = bundle(result, "BDL-EDU")
    assert text in edu.reasons
    assert result.bundles[0].template_code == "BDL-EDU"
    assert text in item(edu.items, "LN-EDU").reasons
    assert text in item(result.products, "LN-EDU").reasons
    assert text in result.talking_points
    # Without the need the education bundle still fits the stage, but ranks lower.
    assert bundle(rank(replace(family, open_needs=())), "BDL-EDU").score < edu.score


def test_starting_amounts_scale_with_the_assets_never_below_the_minimum() -> None:
    wealthy = customer(age=40, life_stage="事业稳定期", tier="顶级", aum=Decimal("44376700"))
    modest = replace(wealthy, tier="一般", aum=Decimal("30000"))
    for facts, expected in ((wealthy, Decimal("1000000")), (modest, Decimal("1000"))):
        bond = item(rank(facts).products, "FD-BOND")  # minimum 1,000
        assert bond.amount == expected
    # Accounts without a minimum and loans get no amount: the RM agrees it.
    amounts = {i.product_code: i.amount for b in rank(wealthy).bundles for i in b.items}
    assert all(amounts[code] is None for code in amounts if code.startswith(("LN-", "CC-")))


def test_a_need_brings_a_bundle_of_another_life_stage() -> None:
    newlywed = customer(age=30, life_stage="成家期")
    assert "BDL-EDU" not in {b.template_code for b in rank(newlywed).bundles}
    planning = replace(newlywed, open_needs=(OpenNeed("education", "子女教育", date(2026, 9, 1)),))
    edu = bundle(rank(planning), "BDL-EDU")
    assert "2026-09-01 记录的需求：子女教育" in edu.reasons
    assert not any(r.startswith("客户") and "处于" in r for r in edu.reasons)


def test_a_maturing_time_deposit_is_money_to_reinvest() -> None:
    deposit = held("TD-1Y", "time_deposit", "500000", date(2026, 12, 3))
    retiree = customer(
        age=63, life_stage="退休期", tier="黄金", aum=Decimal("900000"), holdings=(deposit,)
    )
    result = rank(retiree)
    reason = "定期存款 50万元 将于 12月3日 到期"
    reinvest = bundle(result, "BDL-REINVEST")
    assert reason in reinvest.reasons
    # The money goes to the first product of the template that can take it.
    assert item(reinvest.items, "CD-1Y").amount == Decimal("500000")
    # The others start at a slice of the assets: 5% of 90万, in whole 万元.
    assert item(reinvest.items, "WM-R2-180D").amount == Decimal("40000")
    cd = item(result.products, "CD-3Y")
    assert reason in cd.reasons and cd.amount == Decimal("500000")
    assert result.talking_points[0] == f"{reason}，可与客户商量续作或转投"
    # What they hold is not rolled over as is; what is off sale is never proposed.
    assert not {"TD-1Y", "TD-5Y"} & proposed_codes(result)
    # Large CDs are for gold and top customers: a general customer's money goes to the
    # next product of the template.
    general = rank(replace(retiree, tier="一般"))
    assert not {"CD-1Y", "CD-3Y"} & proposed_codes(general)
    assert item(bundle(general, "BDL-REINVEST").items, "WM-R2-180D").amount == Decimal("500000")


@pytest.mark.parametrize(
    "matures_on", [TODAY - timedelta(days=1), TODAY + timedelta(days=91), None]
)
def test_money_outside_the_horizon_is_no_reason(matures_on: date | None) -> None:
    deposit = held("TD-1Y", "time_deposit", "500000", matures_on)
    result = rank(customer(age=63, life_stage="退休期", holdings=(deposit,)))
    assert not any("到期" in r for b in result.bundles for r in b.reasons)
    assert "BDL-REINVEST" not in {b.template_code for b in result.bundles}


def test_held_products_are_never_proposed() -> None:
    holdings = (held("INS-CI", "insurance"), held("FD-MIX", "fund"))
    result = rank(customer(holdings=holdings))
    assert not {"INS-CI", "FD-MIX"} & proposed_codes(result)
    young = bundle(result, "BDL-YOUNG")
    assert [i.product_code for i in young.items] == ["CC-GOLD", "LN-CAR"]
    # With one product of it left, a bundle is no bundle.
    more = rank(customer(holdings=(*holdings, held("CC-GOLD", "credit_card"))))
    assert "BDL-YOUNG" not in {b.template_code for b in more.bundles}
    assert not {"INS-CI", "FD-MIX", "CC-GOLD"} & proposed_codes(more)


def test_top_tier_pricing_raises_the_rate_and_cuts_the_fee() -> None:
    deposit = held("TD-1Y", "time_deposit", "500000", date(2026, 12, 3))
    retiree = customer(age=63, life_stage="退休期", holdings=(deposit,), aum=Decimal("900000"))
    general, gold, top = (
        bundle(rank(replace(retiree, tier=tier)), "BDL-RETIRE") for tier in ("一般", "黄金", "顶级")
    )
    assert item(general.items, "TD-3Y").rate == Decimal("0.0175")  # list price
    assert item(gold.items, "TD-3Y").rate == Decimal("0.0185")
    assert item(top.items, "TD-3Y").rate == Decimal("0.0195")
    assert item(gold.items, "CD-3Y").rate == Decimal("0.0225")
    assert item(top.items, "CD-3Y").rate == Decimal("0.0235")
    assert item(general.items, "PEN-WM").fee_rate == Decimal("0.0020")
    assert item(top.items, "PEN-WM").fee_rate == Decimal("0.0010")
    assert "顶级客户专享：利率上浮0.20个百分点，手续费5折" in top.reasons
    assert not any("专享" in r for r in general.reasons)
    # Single products are at list price: the pricing belongs to a bundle.
    single = rank(replace(retiree, tier="顶级")).products
    assert item(single, "CD-3Y").rate == Decimal("0.0215")


def test_priced_adds_the_bonus_only_to_deposits_and_wealth() -> None:
    by_code = {p.code: p for p in PRODUCTS}
    pricing = TierPricing(Decimal("0.0020"), Decimal("0.5"))
    assert priced(by_code["WM-R2-90D"], pricing) == (Decimal("0.0280"), Decimal("0.0015"))
    assert priced(by_code["FD-BOND"], pricing) == (Decimal("0.0300"), Decimal("0.0030"))
    assert priced(by_code["INS-EDU"], pricing) == (Decimal("0.0250"), None)
    assert priced(by_code["PEN-ACCT"], None) == (Decimal("0.0015"), None)
    assert pricing_text("黄金", TierPricing(Decimal("0.001"), Decimal("0.8"))) == (
        "黄金客户专享：利率上浮0.10个百分点，手续费8折"
    )
    assert pricing_text("一般", TierPricing()) is None


def test_the_legacy_bundle_needs_its_minimum_assets() -> None:
    wealthy = customer(age=55, life_stage="退休准备期", tier="顶级", risk_tolerance="C4")
    below = rank(replace(wealthy, aum=Decimal("5999999.99")))
    assert "BDL-LEGACY" not in {b.template_code for b in below.bundles}
    legacy = bundle(rank(replace(wealthy, aum=Decimal("6000000"))), "BDL-LEGACY")
    assert "金融资产600万元，达到本套餐600万元的门槛" in legacy.reasons
    # A gold customer with the assets is not a top customer: the template is not for him.
    gold = rank(replace(wealthy, tier="黄金", aum=Decimal("8000000")))
    assert "BDL-LEGACY" not in {b.template_code for b in gold.bundles}


def test_products_above_the_risk_tolerance_are_excluded_with_the_reason() -> None:
    result = rank(customer(risk_tolerance="C2"))
    assert "FD-MIX" not in proposed_codes(result)
    excluded = {e.product_code: e.reason for e in result.excluded}
    assert excluded["FD-MIX"] == "风险等级 R3 高于客户风险承受能力 C2"
    assert excluded["FD-QDII"] == "风险等级 R5 高于客户风险承受能力 C2"
    assert "WM-R2-90D" not in excluded
    young = bundle(result, "BDL-YOUNG")
    assert [i.product_code for i in young.items] == ["CC-GOLD", "INS-CI", "LN-CAR"]


def test_an_expired_assessment_excludes_every_risk_product() -> None:
    expired = customer(risk_expires_on=date(2026, 11, 24))
    result = rank(expired)
    assert all(p.risk_level is None for p in PRODUCTS if p.code in proposed_codes(result))
    risky = {p.code for p in PRODUCTS if p.risk_level is not None and p.on_sale}
    assert {e.product_code for e in result.excluded} == risky
    assert all("风险测评已于2026年11月24日过期" in e.reason for e in result.excluded)
    assert "风险测评已于2026年11月24日过期，需重新测评后方可推荐理财" in result.talking_points
    # Valid through its expiry day, with a reminder.
    last_day = rank(customer(risk_expires_on=TODAY))
    assert "FD-MIX" in proposed_codes(last_day)
    assert "风险测评将于2026年11月25日到期，请提醒客户及时重新测评" in last_day.talking_points


def test_no_assessment_no_risk_product() -> None:
    result = rank(customer(risk_tolerance=None, risk_expires_on=None))
    assert all(p.risk_level is None for p in PRODUCTS if p.code in proposed_codes(result))
    assert "尚未做风险承受能力评估，需完成测评后方可推荐理财、基金等产品" in result.talking_points
    assert {e.reason for e in result.excluded} >= {
        "尚未做风险承受能力评估，不能推荐风险等级为 R3 的产品"
    }


def test_a_company_gets_no_life_stage_bundle_and_no_personal_product() -> None:
    deposit = held("TD-1Y", "time_deposit", "2000000", date(2026, 12, 20))
    company = customer(
        category="corporate",
        name="杭州某科技有限公司",
        age=None,
        life_stage=None,
        tier="黄金",
        aum=Decimal("3000000"),
        holdings=(deposit,),
        open_needs=(OpenNeed("insurance", "员工保障", date(2026, 11, 1)),),
    )
    result = rank(company)
    assert [b.template_code for b in result.bundles] == ["BDL-REINVEST"]
    by_code = {p.code: p for p in PRODUCTS}
    for code in proposed_codes(result):
        assert by_code[code].product_type not in PERSONAL_TYPES
    assert "尚未持有任何保险" not in result.talking_points


def test_an_exit_tier_customer_is_not_offered_bundles() -> None:
    result = rank(customer(tier="淘汰", aum=Decimal("500")))
    assert result.bundles == ()
    assert result.products == ()


def test_suitability_texts() -> None:
    def text(level: str | None, tolerance: str | None, expires: date | None = None) -> str:
        return suitability_text(
            level, risk_tolerance=tolerance, risk_expires_on=expires, today=TODAY
        )

    assert text(None, None) == "非风险产品"
    assert text("R2", "C3") == "R2 ≤ C3 适合"
    assert text("R3", "C3", TODAY) == "R3 ≤ C3 适合"
    assert text("R4", "C3") == "R4 > C3 不适合"
    assert text("R2", "C3", date(2026, 1, 1)) == (
        "不适合：风险测评已于2026年1月1日过期，不能推荐风险等级为 R2 的产品"
    )
    assert text("R1", None) == "不适合：尚未做风险承受能力评估，不能推荐风险等级为 R1 的产品"
    assert unsuitable_reason("R9", risk_tolerance="C5", risk_expires_on=None, today=TODAY)
    assert unsuitable_reason("R1", risk_tolerance="C0", risk_expires_on=None, today=TODAY)


# --- properties over random catalogs and customers --------------------------------

CODES = tuple(f"P{i:02d}" for i in range(14))
TYPES = (
    "demand_deposit", "time_deposit", "large_cd", "wealth", "fund", "insurance", "mortgage",
    "consumer_loan", "education_loan", "business_loan", "credit_card", "pension", "gold", "trust",
)  # fmt: skip
STAGES = ("青年期", "成家期", "育儿期", "退休期")
TIERS = ("顶级", "黄金", "一般", "淘汰")
NEEDS = ("education", "housing", "car", "retirement", "insurance", "investment", "wealth_transfer")
money = st.decimals(min_value=0, max_value=20_000_000, places=2)
rates = st.none() | st.decimals(min_value=0, max_value=Decimal("0.08"), places=4)


@st.composite
def catalogs(draw: st.DrawFn) -> tuple[tuple[CatalogProduct, ...], tuple[CatalogBundle, ...]]:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True))
    products = tuple(
        CatalogProduct(
            code=code,
            name=f"产品{code}",
            product_type=draw(st.sampled_from(TYPES)),
            risk_level=draw(st.none() | st.sampled_from(("R1", "R2", "R3", "R4", "R5"))),
            min_amount=draw(st.none() | money),
            term_months=draw(st.none() | st.integers(1, 360)),
            rate=draw(rates),
            fee_rate=draw(rates),
            target_life_stages=tuple(draw(st.lists(st.sampled_from(STAGES), unique=True))),
            target_tiers=tuple(draw(st.lists(st.sampled_from(TIERS), unique=True))),
            description=None,
            disclosure=None,
            on_sale=draw(st.booleans()),
        )
        for code in codes
    )
    pricing = st.builds(
        TierPricing,
        st.decimals(min_value=0, max_value=Decimal("0.01"), places=4),
        st.decimals(min_value=0, max_value=1, places=2),
    )
    bundles = tuple(
        CatalogBundle(
            code=f"B{i}",
            name=f"套餐{i}",
            description=None,
            target_life_stages=tuple(draw(st.lists(st.sampled_from(STAGES), unique=True))),
            target_tiers=tuple(draw(st.lists(st.sampled_from(TIERS), unique=True))),
            need_categories=tuple(draw(st.lists(st.sampled_from(NEEDS), unique=True))),
            product_codes=tuple(draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=5))),
            min_aum=draw(st.none() | money),
            pricing=draw(st.dictionaries(st.sampled_from(TIERS), pricing, max_size=2)),
            valid_days=draw(st.integers(1, 90)),
            on_sale=draw(st.booleans()),
        )
        for i in range(draw(st.integers(0, 5)))
    )
    return products, bundles


@st.composite
def customers(draw: st.DrawFn) -> CustomerFacts:
    corporate = draw(st.booleans())
    holdings = tuple(
        HeldProduct(
            product_code=draw(st.none() | st.sampled_from(CODES)),
            product_name=None,
            product_type=draw(st.sampled_from(TYPES)),
            balance=draw(money),
            matures_on=draw(st.none() | st.dates(TODAY - timedelta(30), TODAY + timedelta(120))),
        )
        for _ in range(draw(st.integers(0, 5)))
    )
    needs = tuple(
        OpenNeed(
            draw(st.sampled_from(NEEDS)),
            draw(st.sampled_from(("子女留学", "买房", "养老", ""))),
            draw(st.dates(TODAY - timedelta(400), TODAY)),
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return CustomerFacts(
        customer_id="c",
        name="客户",
        category="corporate" if corporate else "individual",
        age=None if corporate else draw(st.none() | st.integers(18, 90)),
        life_stage=None if corporate else draw(st.none() | st.sampled_from(STAGES)),
        tier=draw(st.none() | st.sampled_from(TIERS)),
        aum=draw(money),
        risk_tolerance=draw(st.none() | st.sampled_from(("C1", "C2", "C3", "C4", "C5"))),
        risk_expires_on=draw(st.none() | st.dates(TODAY - timedelta(60), TODAY + timedelta(400))),
        holdings=holdings,
        open_needs=needs,
    )


def suitable(product: CatalogProduct, facts: CustomerFacts) -> bool:
    """The rule, written independently of the code under test."""
    if product.risk_level is None:
        return True
    if facts.risk_tolerance is None:
        return False
    if facts.risk_expires_on is not None and facts.risk_expires_on < TODAY:
        return False
    return int(product.risk_level[1]) <= int(facts.risk_tolerance[1])


PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(catalogs(), customers())
def test_only_suitable_on_sale_not_held_products_are_proposed(catalog, facts) -> None:
    products, bundles = catalog
    result = recommend(facts, products, bundles, TODAY)
    by_code = {p.code: p for p in products}
    held_codes = {h.product_code for h in facts.holdings if h.product_code}
    suggestions = [*result.products, *(i for b in result.bundles for i in b.items)]
    for suggestion in suggestions:
        product = by_code[suggestion.product_code]
        assert suitable(product, facts), (product, facts)
        assert product.on_sale
        assert product.code not in held_codes
        assert suggestion.reasons and all(suggestion.reasons)
        if facts.category == "corporate":
            assert product.product_type not in PERSONAL_TYPES
    templates = {b.code: b for b in bundles}
    for proposed in result.bundles:
        template = templates[proposed.template_code]
        assert proposed.reasons and all(proposed.reasons)
        assert proposed.items
        assert template.on_sale
        assert template.min_aum is None or facts.aum >= template.min_aum
        assert {i.product_code for i in proposed.items} <= set(template.product_codes)
        if facts.category == "corporate":
            assert not template.target_life_stages


@PROPERTY
@given(catalogs(), customers())
def test_every_unsuitable_risk_product_is_listed_with_a_reason(catalog, facts) -> None:
    products, bundles = catalog
    result = recommend(facts, products, bundles, TODAY)
    held_codes = {h.product_code for h in facts.holdings if h.product_code}
    expected = {
        p.code
        for p in products
        if p.on_sale and p.code not in held_codes and not suitable(p, facts)
    }
    assert {e.product_code for e in result.excluded} == expected
    assert all(e.reason for e in result.excluded)
    if facts.risk_tolerance is None or (
        facts.risk_expires_on is not None and facts.risk_expires_on < TODAY
    ):
        proposed = {s.product_code for s in result.products} | {
            i.product_code for b in result.bundles for i in b.items
        }
        assert all(p.risk_level is None for p in products if p.code in proposed)


@PROPERTY
@given(catalogs(), customers(), st.randoms(use_true_random=False))
def test_recommend_is_deterministic_whatever_the_order(catalog, facts, rng) -> None:
    products, bundles = catalog
    first = recommend(facts, products, bundles, TODAY)
    assert recommend(facts, products, bundles, TODAY) == first
    shuffled = [list(products), list(bundles), list(facts.holdings), list(facts.open_needs)]
    for seq in shuffled:
        rng.shuffle(seq)
    again = recommend(
        replace(facts, holdings=tuple(shuffled[2]), open_needs=tuple(shuffled[3])),
        tuple(shuffled[0]),
        tuple(shuffled[1]),
        TODAY,
    )
    assert again == first
    scores = [b.score for b in first.bundles]
    assert scores == sorted(scores, reverse=True)
