"""Contacts (append-only), needs and opportunities: writes with their outbox entries,
and validation that says what is wrong (and writes nothing)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from rm_workbench.errors import ValidationError
from rm_workbench.models import ContactLog, Need, Opportunity, Product
from rm_workbench.services.activities import ActivityService
from tests.services.helpers import NOW, TODAY, Book, at, count_rows, days_ago, outbox


def service(book: Book, user_name: str | None = None) -> ActivityService:
    return ActivityService(book.cache, rm_id=book.rm_id, user_name=user_name)


def refused(book: Book, message: str, call: object, *args: object, **kwargs: object) -> None:
    before = outbox(book.cache)
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert message in caught.value.user_message, caught.value.user_message
    assert outbox(book.cache) == before


# --- contacts -----------------------------------------------------------------------


def test_add_contact_is_an_insert_stamped_with_the_login(book: Book) -> None:
    customer = book.customer("张伟")
    book.login("E880001")
    change = service(book, user_name="fallback").add_contact(
        customer,
        summary="电话告知理财到期",
        channel="phone",
        started_at=at(TODAY, 9),
        ended_at=at(TODAY, 9, 5),
        content="客户同意到期后续作。",
        now=NOW,
    )
    assert (change.kind, change.customer_id, change.tables) == (
        "contact_added",
        customer,
        frozenset({"contact_log"}),
    )
    (contact,) = service(book).contacts(customer)
    assert contact.id == change.id
    assert (contact.summary, contact.channel_label, contact.call_made, contact.user_name) == (
        "电话告知理财到期",
        "电话",
        True,
        "E880001",
    )
    assert contact.contact_no.startswith("CT20261125")
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.customer_id) == ("contact_log", "insert", customer)
    assert entry.fields["rm_id"] == {"new": book.rm_id}


def test_without_a_login_the_given_user_name_is_used(book: Book) -> None:
    customer = book.customer("张伟")
    service(book, user_name="E880001").add_contact(
        customer, summary="微信问候", channel="wechat", now=NOW
    )
    (contact,) = service(book).contacts(customer)
    assert (contact.user_name, contact.call_made, contact.started_at) == ("E880001", False, NOW)


def test_contact_validation(book: Book) -> None:
    customer = book.customer("张伟")
    theirs = book.customer("李娜", rm_id=book.other_rm_id)
    add = service(book).add_contact
    refused(book, "请填写联系概要", add, customer, summary=" ", channel="phone", now=NOW)
    refused(book, "联系方式“fax”无法识别", add, customer, summary="传真", channel="fax", now=NOW)
    refused(
        book,
        "联系时间（2026年11月26日 10:00）还没有到",
        add,
        customer,
        summary="明天打电话",
        channel="phone",
        started_at=at(TODAY + timedelta(days=1)),
        now=NOW,
    )
    refused(
        book,
        "联系结束时间（2026年11月25日 08:00）不能早于联系开始时间（2026年11月25日 09:00）",
        add,
        customer,
        summary="电话",
        channel="phone",
        started_at=at(TODAY, 9),
        ended_at=at(TODAY, 8),
        now=NOW,
    )
    refused(book, "该客户不在您的客户名单中", add, theirs, summary="电话", channel="phone", now=NOW)
    assert count_rows(book.cache, ContactLog) == 0


def test_contacts_have_no_edit(book: Book) -> None:
    assert not hasattr(ActivityService, "edit_contact")
    assert not hasattr(ActivityService, "delete_contact")


# --- needs --------------------------------------------------------------------------


def test_add_edit_and_close_a_need(book: Book) -> None:
    customer = book.customer("张伟")
    activities = service(book)
    added = activities.add_need(
        customer,
        category="housing",
        summary="改善型住房",
        content="计划两年内换房",
        ends_on=date(2027, 6, 30),
        urgency="high",
        now=NOW,
    )
    need = activities.need(added.id)
    assert (need.category_label, need.status_label, need.started_on, need.is_open) == (
        "住房",
        "待跟进",
        TODAY,
        True,
    )
    assert need.need_no.startswith("N20261125")
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op) == ("need", "insert")

    edited = activities.edit_need(added.id, summary="改善型住房（学区）", status="in_progress")
    assert edited.kind == "need_edited"
    assert activities.need(added.id).summary == "改善型住房（学区）"
    assert len(outbox(book.cache)) == 1  # folded into the unsent insert

    closed = activities.close_need(added.id, met=True, note="已办理房贷", now=NOW)
    assert closed.kind == "need_closed"
    need = activities.need(added.id)
    assert (need.status, need.sub_status, need.ends_on, need.is_open) == (
        "met",
        "已办理房贷",
        date(2027, 6, 30),
        False,
    )
    refused(book, "该需求已是“已满足”状态，无需再次关闭", activities.close_need, added.id, now=NOW)


def test_editing_a_synced_need_queues_an_update_with_bases(book: Book) -> None:
    customer = book.customer("张伟")
    need_id = book.need(customer, summary="子女教育金")
    service(book).close_need(need_id, met=False, note="客户已在他行办理", now=NOW)
    (entry,) = outbox(book.cache)
    assert entry.op == "update"
    assert entry.fields == {
        "status": {"base": "open", "new": "closed"},
        "sub_status": {"base": None, "new": "客户已在他行办理"},
        "ends_on": {"base": None, "new": "2026-11-25"},
    }


def test_need_validation(book: Book) -> None:
    customer = book.customer("张伟")
    need_id = book.need(customer, started_on=days_ago(10))
    activities = service(book)
    refused(
        book,
        "需求截止日期（2026年11月1日）不能早于需求开始日期（2026年11月25日）",
        activities.add_need,
        customer,
        category="car",
        summary="购车",
        ends_on=date(2026, 11, 1),
        now=NOW,
    )
    refused(
        book, "请填写需求概要", activities.add_need, customer, category="car", summary="", now=NOW
    )
    refused(
        book, "请选择需求类别", activities.add_need, customer, category="", summary="购车", now=NOW
    )
    refused(
        book,
        "需求截止日期（2026年11月1日）不能早于需求开始日期（2026年11月15日）",
        activities.edit_need,
        need_id,
        ends_on=date(2026, 11, 1),
    )
    refused(book, "需求状态“done”无法识别", activities.edit_need, need_id, status="done")
    refused(book, "关闭说明最多 32 个字", activities.close_need, need_id, note="长" * 33, now=NOW)
    refused(book, "找不到该客户需求", activities.edit_need, "no-such-need", summary="x")
    assert count_rows(book.cache, Need) == 1


# --- opportunities -------------------------------------------------------------------


def test_add_and_edit_an_opportunity_with_links(book: Book) -> None:
    customer = book.customer("张伟")
    need_id = book.need(customer)
    activities = service(book)
    added = activities.add_opportunity(
        customer,
        summary="留学金融服务包",
        expected_value="300,000.50",
        probability="40",
        sales_stage="qualified",
        need_id=need_id,
        product_id=book.wealth_id,
        ends_on=date(2027, 3, 31),
        now=NOW,
    )
    item = activities.opportunity(added.id)
    assert (item.expected_value, item.expected_value_text, item.probability) == (
        Decimal("300000.50"),
        "30万元",
        40,
    )
    assert (item.need_id, item.product_name, item.stage_label) == (
        need_id,
        "稳享理财90天",
        "已确认",
    )
    (entry,) = outbox(book.cache)
    assert entry.fields["expected_value"] == {"new": "300000.50"}

    activities.edit_opportunity(added.id, sales_stage="won")
    assert (activities.opportunity(added.id).probability, len(outbox(book.cache))) == (100, 1)
    [opportunity] = activities.opportunities(customer)
    assert opportunity.is_open is False
    assert activities.opportunities(customer, open_only=True) == []


def test_editing_a_synced_opportunity_queues_only_what_changed(book: Book) -> None:
    customer = book.customer("张伟")
    opportunity_id = book.opportunity(customer, probability=10, sales_stage="lead")
    change = service(book).edit_opportunity(
        opportunity_id, probability=60, sales_stage="negotiation", expected_value=Decimal("80000")
    )
    assert (change.kind, change.tables) == ("opportunity_edited", frozenset({"opportunity"}))
    (entry,) = outbox(book.cache)
    assert entry.op == "update"
    assert entry.fields == {
        "probability": {"base": 10, "new": 60},
        "sales_stage": {"base": "lead", "new": "negotiation"},
        "expected_value": {"base": None, "new": "80000.00"},
    }


def test_opportunity_validation(book: Book) -> None:
    customer = book.customer("张伟")
    other = book.customer("李娜")
    foreign_need = book.need(other)
    opportunity_id = book.opportunity(customer)
    add = service(book).add_opportunity
    edit = service(book).edit_opportunity
    refused(book, "请填写商机概要", add, customer, summary="  ", now=NOW)
    refused(
        book,
        "成功概率应在 0 到 100 之间（百分比），现在是 150",
        add,
        customer,
        summary="x",
        probability=150,
        now=NOW,
    )
    refused(
        book,
        "成功概率应为 0 到 100 之间的整数",
        add,
        customer,
        summary="x",
        probability="高",
        now=NOW,
    )
    refused(book, "预期金额不能为负数", add, customer, summary="x", expected_value="-5", now=NOW)
    refused(
        book,
        "预期金额以元为单位，最多两位小数（到分），“1.234”的小数位太多",
        add,
        customer,
        summary="x",
        expected_value="1.234",
        now=NOW,
    )
    refused(
        book,
        "预期金额“一百万”不是有效的金额",
        add,
        customer,
        summary="x",
        expected_value="一百万",
        now=NOW,
    )
    refused(
        book,
        "预期金额必须是以元为单位的数字",
        add,
        customer,
        summary="x",
        expected_value=1.5,
        now=NOW,
    )
    refused(
        book,
        "预计结束日期（2026年11月1日）不能早于商机开始日期（2026年11月25日）",
        add,
        customer,
        summary="x",
        ends_on=date(2026, 11, 1),
        now=NOW,
    )
    refused(
        book,
        "所选的客户需求不属于该客户",
        add,
        customer,
        summary="x",
        need_id=foreign_need,
        now=NOW,
    )
    refused(book, "所选产品不在产品目录中", add, customer, summary="x", product_id="nope", now=NOW)
    refused(
        book,
        "销售阶段为“已成交”时，成功概率应为 100%，现在是 50%",
        add,
        customer,
        summary="x",
        sales_stage="won",
        probability=50,
        now=NOW,
    )
    refused(book, "成功概率应在 0 到 100 之间", edit, opportunity_id, probability=-1)
    refused(book, "所选的客户需求不属于该客户", edit, opportunity_id, need_id=foreign_need)
    refused(book, "找不到该商机", edit, "no-such-opportunity", probability=20)
    assert count_rows(book.cache, Opportunity) == 1


def test_a_won_or_lost_stage_sets_the_probability(book: Book) -> None:
    customer = book.customer("张伟")
    activities = service(book)
    won = activities.add_opportunity(customer, summary="已签约", sales_stage="won", now=NOW)
    lost = activities.add_opportunity(customer, summary="客户放弃", sales_stage="lost", now=NOW)
    lead = activities.add_opportunity(customer, summary="新线索", now=NOW)
    assert [activities.opportunity(c.id).probability for c in (won, lost, lead)] == [100, 0, 10]
    refused(
        book,
        "销售阶段为“已丢单”时，成功概率应为 0%，现在是 30%",
        activities.edit_opportunity,
        lost.id,
        probability=30,
    )


def test_products_lists_the_catalog_on_sale(book: Book) -> None:
    with book.cache.session() as session:
        session.add(
            Product(code="OLD1", name="已停售理财", product_type="wealth", on_sale=False, version=1)
        )
    products = service(book).products()
    assert [(p.code, p.name, p.product_type, p.risk_level) for p in products] == [
        ("TD3Y", "三年期定期存款", "time_deposit", None),
        ("WM001", "稳享理财90天", "wealth", "R2"),
    ]
    assert products[1].id == book.wealth_id
