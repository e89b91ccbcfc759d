"""Bundle proposals over a real migrated cache: recommendations from the synced
catalog, recording (and every refusal, which writes nothing), accepting into an
opportunity, declining, listing and the printable view; every write has its outbox
entry."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from rm_workbench.db.engine import Cache
from rm_workbench.errors import ValidationError
from rm_workbench.models import (
    BundleProposal,
    BundleTemplate,
    Customer,
    Opportunity,
    OutboxEntry,
    Product,
    RelationshipManager,
)
from rm_workbench.services.proposals import ProposalItem, ProposalService
from tests.services.helpers import NOW, TODAY, Book, count_rows, outbox

VALID_ID = "11010519491231002X"
MATURES = date(2026, 12, 3)


def pricing(bonus: str, discount: str) -> str:
    return json.dumps({"黄金": {"rate_bonus": bonus, "fee_discount": discount}})


@pytest.fixture
def catalog(book: Book) -> dict[str, str]:
    """A small catalog as the central CRM publishes it; product ids by code."""
    specs: list[dict[str, Any]] = [
        dict(code="INS-CI", name="守护安康重疾险", product_type="insurance",
             min_amount=Decimal(5000), term_months=240,
             target_life_stages=["青年期", "成家期"]),
        dict(code="FD-MIX", name="灵活配置混合基金 R3", product_type="fund", risk_level="R3",
             min_amount=Decimal(1000), fee_rate=Decimal("0.0120"),
             target_life_stages=["青年期"], disclosure="基金有风险，投资须谨慎。"),
        dict(code="FD-EQ", name="进取型股票基金 R4", product_type="fund", risk_level="R4",
             min_amount=Decimal(1000), target_life_stages=["青年期"]),
        dict(code="CC-GOLD", name="金卡信用卡", product_type="credit_card",
             target_life_stages=["青年期"]),
        dict(code="CD-3Y", name="大额存单 3年期", product_type="large_cd",
             min_amount=Decimal(200000), term_months=36, rate=Decimal("0.0215"),
             target_tiers=["顶级", "黄金"]),
        dict(code="TD-5Y", name="定期存款 5年", product_type="time_deposit", rate=Decimal("0.018"),
             on_sale=False),
    ]  # fmt: skip
    ids = {"WM001": book.wealth_id, "TD3Y": book.deposit_id}
    with book.cache.session() as session:
        for spec in specs:
            product = Product(version=100, **spec)
            session.add(product)
            session.flush()
            ids[product.code] = product.id
        session.add_all(
            [
                BundleTemplate(
                    code="BDL-YOUNG", name="青年才俊成长套餐", version=101,
                    description="信用卡、基金定投与重疾保障。",
                    target_life_stages=["青年期"], need_categories=["insurance", "investment"],
                    product_codes=["CC-GOLD", "FD-MIX", "INS-CI", "FD-EQ"],
                    tier_pricing=pricing("0.0010", "0.8"),
                    valid_days=30,
                ),
                BundleTemplate(
                    code="BDL-REINVEST", name="到期资金续配套餐", version=102,
                    need_categories=["investment"], product_codes=["CD-3Y", "WM001", "TD3Y"],
                    tier_pricing=pricing("0.0020", "0.5"),
                    valid_days=15,
                ),
                BundleTemplate(
                    code="BDL-LEGACY", name="财富传承尊享套餐", version=103,
                    target_tiers=["顶级"], need_categories=["wealth_transfer"],
                    product_codes=["CD-3Y", "INS-CI"], min_aum=Decimal(6000000), valid_days=60,
                ),
            ]
        )  # fmt: skip
    return ids


@pytest.fixture
def young(book: Book, catalog: dict[str, str]) -> str:
    """28, single, gold tier, C3 until May, a 50万 time deposit maturing on 3 December."""
    customer = book.customer(
        "李明",
        id_type="resident_id",
        id_number=VALID_ID,
        mobile_phone="13800138000",
        birth_date=date(1998, 5, 1),
        marital_status="single",
        tier="黄金",
        aum=Decimal("800000"),
        risk_tolerance="C3",
        risk_expires_on=date(2027, 5, 1),
    )
    book.account(
        customer,
        "time_deposit",
        "500000",
        product_id=catalog["TD3Y"],
        product_name="三年期定期存款",
        matures_on=MATURES,
    )
    return customer


def service(book: Book, rm_id: str | None = "mine") -> ProposalService:
    return ProposalService(book.cache, rm_id=book.rm_id if rm_id == "mine" else rm_id)


def record(book: Book, customer: str, *items: ProposalItem, **kwargs: Any) -> str:
    kwargs.setdefault("title", "青年才俊成长方案")
    kwargs.setdefault("reasons", ["尚未持有任何保险"])
    return service(book).record(customer, items=items, now=NOW, **kwargs).id


def stored(cache: Cache, proposal_id: str) -> BundleProposal:
    with cache.session() as session:
        row = session.get(BundleProposal, proposal_id)
        assert row is not None
        session.expunge(row)
        return row


def refused(book: Book, message: str, call: Any, *args: Any, **kwargs: Any) -> None:
    before = outbox(book.cache)
    proposals, opportunities = (
        count_rows(book.cache, BundleProposal),
        count_rows(book.cache, Opportunity),
    )
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    assert message in caught.value.user_message, caught.value.user_message
    assert outbox(book.cache) == before
    assert count_rows(book.cache, BundleProposal) == proposals
    assert count_rows(book.cache, Opportunity) == opportunities


# --- recommend ----------------------------------------------------------------------


def test_recommend_ranks_the_synced_catalog_for_the_customer(book: Book, young: str) -> None:
    result = service(book).recommend(young, today=TODAY)
    assert [b.template_code for b in result.bundles] == ["BDL-YOUNG", "BDL-REINVEST"]
    top = result.bundles[0]
    assert "客户28岁，处于青年期" in top.reasons
    assert [i.product_code for i in top.items] == ["CC-GOLD", "FD-MIX", "INS-CI"]
    ins = next(i for i in top.items if i.product_code == "INS-CI")
    assert "尚未持有任何保险" in ins.reasons
    fund = next(i for i in top.items if i.product_code == "FD-MIX")
    assert fund.fee_rate == Decimal("0.009600")  # the gold tier's 8折
    reinvest = result.bundles[1]
    assert "定期存款 50万元 将于 12月3日 到期" in reinvest.reasons
    assert reinvest.items[0].product_code == "CD-3Y"
    assert reinvest.items[0].rate == Decimal("0.0235")
    assert reinvest.items[0].amount == Decimal("500000.00")
    codes = {i.product_code for b in result.bundles for i in b.items}
    codes |= {p.product_code for p in result.products}
    assert "TD3Y" not in codes  # held
    assert "TD-5Y" not in codes  # off sale
    assert [(e.product_code, e.reason) for e in result.excluded] == [
        ("FD-EQ", "风险等级 R4 高于客户风险承受能力 C3")
    ]
    assert result.talking_points[0].startswith("定期存款 50万元 将于 12月3日 到期")


def test_recommend_after_the_assessment_expired(book: Book, young: str) -> None:
    result = service(book).recommend(young, today=date(2027, 5, 2))
    assert {e.product_code for e in result.excluded} == {"FD-MIX", "FD-EQ", "WM001"}
    assert "风险测评已于2027年5月1日过期，需重新测评后方可推荐理财" in result.talking_points


def test_recommend_only_for_customers_of_the_book(book: Book, catalog: dict[str, str]) -> None:
    theirs = book.customer("王磊的客户", rm_id=book.other_rm_id)
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        service(book).recommend(theirs, today=TODAY)
    assert service(book, rm_id=None).recommend(theirs, today=TODAY).excluded  # whole cache


# --- record -------------------------------------------------------------------------


def test_record_writes_the_proposal_and_its_outbox_entry(book: Book, young: str) -> None:
    change = service(book).record(
        young,
        title="  青年才俊成长方案 ",
        items=[ProposalItem("INS-CI", Decimal("6000")), ProposalItem("FD-MIX", Decimal("20000.5"))],
        reasons=["尚未持有任何保险", "  ", "客户28岁，处于青年期"],
        template_code="BDL-YOUNG",
        now=NOW,
    )
    assert (change.kind, change.customer_id, change.tables) == (
        "proposal_recorded",
        young,
        frozenset({"bundle_proposal"}),
    )
    row = stored(book.cache, change.id)
    assert row.proposal_no.startswith("BP20261125") and len(row.proposal_no) == 20
    assert (row.title, row.status, row.template_code, row.rm_id) == (
        "青年才俊成长方案",
        "recorded",
        "BDL-YOUNG",
        book.rm_id,
    )
    assert json.loads(row.items) == [
        {"product_code": "INS-CI", "amount": "6000.00"},
        {"product_code": "FD-MIX", "amount": "20000.50"},
    ]
    assert json.loads(row.reasons) == ["尚未持有任何保险", "客户28岁，处于青年期"]
    assert row.valid_until == TODAY + timedelta(days=30)
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.row_id, entry.customer_id) == (
        "bundle_proposal",
        "insert",
        change.id,
        young,
    )
    assert entry.fields["status"] == {"new": "recorded"}
    assert entry.fields["proposal_no"] == {"new": row.proposal_no}


def test_valid_until_follows_the_template_or_thirty_days(book: Book, young: str) -> None:
    reinvest = record(
        book, young, ProposalItem("CD-3Y", Decimal(500000)), template_code="BDL-REINVEST"
    )
    assert stored(book.cache, reinvest).valid_until == TODAY + timedelta(days=15)
    plain = record(book, young, ProposalItem("CC-GOLD"))
    assert stored(book.cache, plain).valid_until == TODAY + timedelta(days=30)
    assert json.loads(stored(book.cache, plain).items) == [
        {"product_code": "CC-GOLD", "amount": None}
    ]
    chosen = record(book, young, ProposalItem("CC-GOLD"), valid_until=date(2026, 12, 31))
    assert stored(book.cache, chosen).valid_until == date(2026, 12, 31)


def test_record_refusals_say_what_is_wrong_and_write_nothing(book: Book, young: str) -> None:
    svc = service(book)

    def attempt(*items: ProposalItem, **kwargs: Any) -> None:
        kwargs.setdefault("title", "方案")
        kwargs.setdefault("reasons", [])
        svc.record(young, items=items, now=NOW, **kwargs)

    refused(book, "请至少选择一个产品", attempt)
    refused(book, "请填写方案标题", attempt, ProposalItem("CC-GOLD"), title="  ")
    refused(book, "产品 NOPE 不在产品目录中", attempt, ProposalItem("NOPE"))
    refused(book, "“定期存款 5年”（TD-5Y）已停售", attempt, ProposalItem("TD-5Y"))
    refused(
        book,
        "“进取型股票基金 R4”（FD-EQ）不适合该客户：风险等级 R4 高于客户风险承受能力 C3",
        attempt,
        ProposalItem("CC-GOLD"),
        ProposalItem("FD-EQ", Decimal(10000)),
    )
    refused(book, "客户已持有产品“三年期定期存款”（TD3Y）", attempt, ProposalItem("TD3Y"))
    refused(
        book,
        "起购金额为¥5,000.00，方案中填写的¥4,999.99低于起购金额",
        attempt,
        ProposalItem("INS-CI", Decimal("4999.99")),
    )
    refused(book, "出现了两次", attempt, ProposalItem("CC-GOLD"), ProposalItem("CC-GOLD"))
    refused(book, "金额不能为负数", attempt, ProposalItem("INS-CI", Decimal(-1)))
    refused(book, "套餐模板 BDL-NONE 不在产品目录中", attempt, ProposalItem("CC-GOLD"),
            template_code="BDL-NONE")  # fmt: skip
    refused(
        book,
        "面向金融资产600万元以上的客户，该客户目前为80万元",
        attempt,
        ProposalItem("CD-3Y", Decimal(500000)),
        template_code="BDL-LEGACY",
    )
    refused(
        book, "不能早于今天", attempt, ProposalItem("CC-GOLD"), valid_until=TODAY - timedelta(1)
    )
    theirs = book.customer("王磊的客户", rm_id=book.other_rm_id)
    refused(
        book,
        "不在您的客户名单中",
        svc.record,
        theirs,
        title="方案",
        items=[ProposalItem("CC-GOLD")],
        reasons=[],
        now=NOW,
    )


def test_an_expired_or_missing_assessment_refuses_every_risk_product(
    book: Book, young: str
) -> None:
    with book.cache.session() as session:
        session.execute(
            update(Customer).where(Customer.id == young).values(risk_expires_on=date(2026, 11, 24))
        )
    refused(
        book,
        "“稳享理财90天”（WM001）不适合该客户：风险测评已于2026年11月24日过期，"
        "不能推荐风险等级为 R2 的产品",
        service(book).record,
        young,
        title="方案",
        items=[ProposalItem("WM001", Decimal(10000))],
        reasons=[],
        now=NOW,
    )
    newcomer = book.customer("新客户", birth_date=date(1990, 1, 1))
    refused(
        book,
        "尚未做风险承受能力评估，不能推荐风险等级为 R3 的产品",
        service(book).record,
        newcomer,
        title="方案",
        items=[ProposalItem("FD-MIX", Decimal(10000))],
        reasons=[],
        now=NOW,
    )
    # Products outside the suitability regime are still fine.
    record(book, newcomer, ProposalItem("INS-CI", Decimal(5000)))


def test_a_company_is_not_offered_personal_products(book: Book, catalog: dict[str, str]) -> None:
    company = book.customer("杭州某科技有限公司", category="corporate", risk_tolerance="C3")
    refused(
        book,
        "是个人客户产品，不能推荐给对公客户",
        service(book).record,
        company,
        title="方案",
        items=[ProposalItem("INS-CI", Decimal(5000))],
        reasons=[],
        now=NOW,
    )
    record(book, company, ProposalItem("CD-3Y", Decimal(1000000)))


# --- accept, decline, list ----------------------------------------------------------


def test_accept_creates_the_opportunity_in_the_same_transaction(book: Book, young: str) -> None:
    proposal_id = record(
        book,
        young,
        ProposalItem("FD-MIX", Decimal(20000)),
        ProposalItem("INS-CI", Decimal(6000)),
        ProposalItem("CC-GOLD"),
        template_code="BDL-YOUNG",
    )
    change = service(book).accept(proposal_id, now=NOW + timedelta(days=2))
    assert change.kind == "proposal_accepted"
    assert change.tables == frozenset({"bundle_proposal", "opportunity"})
    assert change.id == proposal_id
    opportunity_id = change.ids[1]
    row = stored(book.cache, proposal_id)
    assert (row.status, row.opportunity_id) == ("accepted", opportunity_id)
    with book.cache.session() as session:
        opportunity = session.get(Opportunity, opportunity_id)
        assert opportunity is not None
        assert opportunity.customer_id == young
        assert opportunity.summary == "青年才俊成长方案"
        assert (opportunity.sales_stage, opportunity.probability) == ("negotiation", 70)
        assert opportunity.expected_value == Decimal("26000.00")
        fund_id = session.scalar(select(Product.id).where(Product.code == "FD-MIX"))
        assert opportunity.product_id == fund_id
        assert opportunity.started_on == TODAY + timedelta(days=2)
        assert opportunity.ends_on == row.valid_until
        assert opportunity.sales_method == "组合套餐"
        assert opportunity.content is not None and row.proposal_no in opportunity.content
        assert "灵活配置混合基金 R3 2万元" in opportunity.content
    # The proposal's change gets an entry after the opportunity's insert: folded into
    # the proposal's unsent insert, it would reach the server before the opportunity
    # it names, and the server checks that foreign key.
    assert [(e.table, e.op, e.row_id) for e in outbox(book.cache)] == [
        ("bundle_proposal", "insert", proposal_id),
        ("opportunity", "insert", opportunity_id),
        ("bundle_proposal", "update", proposal_id),
    ]
    assert outbox(book.cache)[2].fields == {
        "status": {"base": "recorded", "new": "accepted"},
        "opportunity_id": {"base": None, "new": opportunity_id},
    }

    refused(book, "已是“客户已接受”状态，不能再接受", service(book).accept, proposal_id, now=NOW)
    refused(book, "不能再标记为拒绝", service(book).decline, proposal_id, now=NOW)


def test_an_expired_proposal_cannot_be_accepted(book: Book, young: str) -> None:
    proposal_id = record(book, young, ProposalItem("CC-GOLD"))
    later = NOW + timedelta(days=31)
    refused(book, "已于2026年12月25日过期", service(book).accept, proposal_id, now=later)
    service(book).decline(proposal_id, now=later)  # a late "no" is still recorded


def test_decline_keeps_the_proposal_on_record(book: Book, young: str) -> None:
    proposal_id = record(book, young, ProposalItem("CC-GOLD"))
    with book.cache.session() as session:  # as if it had been pushed and acknowledged
        session.execute(update(BundleProposal).values(version=500))
        session.execute(delete(OutboxEntry))
    change = service(book).decline(proposal_id, now=NOW)
    assert (change.kind, change.ids) == ("proposal_declined", (proposal_id,))
    assert stored(book.cache, proposal_id).status == "declined"
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.fields) == (
        "bundle_proposal",
        "update",
        {"status": {"base": "recorded", "new": "declined"}},
    )
    refused(book, "已是“客户已拒绝”状态，不能再接受", service(book).accept, proposal_id, now=NOW)
    other = service(book, rm_id=book.other_rm_id)
    refused(book, "不在您的客户名单中", other.decline, proposal_id, now=NOW)
    refused(book, "找不到该套餐方案", service(book).decline, "no-such-id", now=NOW)


def test_list_for_newest_first_with_totals(book: Book, young: str) -> None:
    first = record(book, young, ProposalItem("INS-CI", Decimal(6000)), title="保障方案")
    second = record(
        book,
        young,
        ProposalItem("CD-3Y", Decimal(500000)),
        ProposalItem("CC-GOLD"),
        title="续作方案",
        template_code="BDL-REINVEST",
    )
    service(book).decline(first, now=NOW)
    summaries = service(book).list_for(young)
    assert [(s.id, s.title, s.status_label, s.total_amount) for s in summaries] == [
        (second, "续作方案", "待客户答复", Decimal("500000.00")),
        (first, "保障方案", "客户已拒绝", Decimal("6000.00")),
    ]
    assert summaries[0].valid_until == TODAY + timedelta(days=15)
    assert summaries[0].opportunity_id is None
    assert service(book).list_for(book.customer("无方案客户")) == ()


# --- view ---------------------------------------------------------------------------


def test_view_has_everything_a_printed_proposal_shows(book: Book, young: str) -> None:
    with book.cache.session() as session:
        session.execute(
            update(RelationshipManager)
            .where(RelationshipManager.id == book.rm_id)
            .values(phone="13900001111", email="xudanni@demobank.cn")
        )
    proposal_id = record(
        book,
        young,
        ProposalItem("CD-3Y", Decimal(500000)),
        ProposalItem("WM001", Decimal(100000)),
        ProposalItem("CC-GOLD"),
        title="到期资金续配方案",
        reasons=["定期存款 50万元 将于 12月3日 到期"],
        template_code="BDL-REINVEST",
    )
    view = service(book).view(proposal_id, now=NOW)
    assert (view.status, view.status_label, view.title) == (
        "recorded",
        "待客户答复",
        "到期资金续配方案",
    )
    assert (view.template_code, view.template_name) == ("BDL-REINVEST", "到期资金续配套餐")
    assert (view.customer_name, view.tier, view.risk_tolerance) == ("李明", "黄金", "C3")
    assert view.masked_id_number == "1101**********002X"
    assert view.masked_mobile_phone == "138****8000"
    assert VALID_ID not in repr(view) and "13800138000" not in repr(view)
    assert view.reasons == ("定期存款 50万元 将于 12月3日 到期",)
    assert [
        (line.product_code, line.product_type_label, line.amount_text, line.rate, line.suitability)
        for line in view.lines
    ] == [
        ("CD-3Y", "大额存单", "50万元", Decimal("0.0235"), "非风险产品"),
        ("WM001", "理财产品", "10万元", None, "R2 ≤ C3 适合"),
        ("CC-GOLD", "信用卡", "—", None, "非风险产品"),
    ]
    assert view.total_amount == Decimal("600000.00")
    assert view.valid_until == TODAY + timedelta(days=15)
    assert (view.rm_name, view.rm_phone, view.rm_email, view.branch_name) == (
        "许丹妮",
        "13900001111",
        "xudanni@demobank.cn",
        "示范银行杭州分行",
    )
    # Months later the assessment has expired: the view says so instead of "适合".
    later = service(book).view(proposal_id, now=NOW + timedelta(days=200))
    assert later.lines[1].suitability.startswith("不适合：风险测评已于2027年5月1日过期")


def test_view_prices_for_the_tier_and_shows_the_disclosure(book: Book, young: str) -> None:
    proposal_id = record(
        book, young, ProposalItem("FD-MIX", Decimal(20000)), template_code="BDL-YOUNG"
    )
    (line,) = service(book).view(proposal_id, now=NOW).lines
    assert (line.fee_rate, line.risk_level, line.disclosure) == (
        Decimal("0.009600"),
        "R3",
        "基金有风险，投资须谨慎。",
    )
    plain = record(book, young, ProposalItem("FD-MIX", Decimal(20000)))
    assert service(book).view(plain, now=NOW).lines[0].fee_rate == Decimal("0.0120")


def test_the_recommenders_words_are_the_screens_words() -> None:
    """The domain keeps its own copy of the labels (it may not import services)."""
    from rm_workbench.domain import recommend
    from rm_workbench.services.customer360 import PRODUCT_TYPE_LABELS
    from rm_workbench.services.needs import NEED_CATEGORY_LABELS

    assert dict(recommend.PRODUCT_TYPE_LABELS) == PRODUCT_TYPE_LABELS
    assert dict(recommend.NEED_CATEGORY_LABELS) == NEED_CATEGORY_LABELS
