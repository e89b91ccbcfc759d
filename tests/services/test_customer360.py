"""Customer 360: masked profile, data-quality warnings, holdings, groups, timeline,
and the audited reveal of a clear identifier."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from rm_workbench.errors import ValidationError
from rm_workbench.models import AuditLog, CustomerGroup, GroupMembership
from rm_workbench.services.customer360 import Customer360Service
from tests.services.helpers import NOW, TODAY, Book, at, count_rows, days_ago, outbox

VALID_ID = "11010519491231002X"
OLD_FORM = "110105491231002"  # the same person's 15-digit number
BAD_CHECK = "110105194912310021"


def service(book: Book) -> Customer360Service:
    return Customer360Service(book.cache, rm_id=book.rm_id)


def add_group(book: Book, name: str, members: list[tuple[str, str, date, date | None]]) -> str:
    with book.cache.session() as session:
        group = CustomerGroup(group_no=f"G{name}", name=name, kind="household", version=1)
        session.add(group)
        session.flush()
        for customer_id, role, valid_from, valid_to in members:
            session.add(
                GroupMembership(
                    group_id=group.id,
                    customer_id=customer_id,
                    role=role,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    version=1,
                )
            )
        return group.id


def test_profile_is_masked_and_complete(book: Book) -> None:
    customer = book.customer(
        "王芳",
        id_type="resident_id",
        id_number=VALID_ID,
        birth_date=date(1949, 12, 31),
        gender="female",
        mobile_phone="13800138000",
        other_phone="057188886666",
        address="杭州市西湖区文三路100号",
        marital_status="married",
        risk_tolerance="C3",
        risk_expires_on=days_ago(1),
        tier="黄金",
        aum=Decimal("1234567.00"),
        contribution=Decimal("8000"),
    )
    profile = service(book).load(customer, now=NOW).profile
    assert profile.masked_id_number == "1101**********002X"
    assert profile.masked_mobile_phone == "138****8000"
    assert profile.masked_other_phone == "0571-******66"
    assert VALID_ID not in repr(profile) and "13800138000" not in repr(profile)
    assert (profile.age, profile.life_stage, profile.gender_label) == (76, "退休期", "女")
    assert (profile.aum_text, profile.contribution_text) == ("123.46万元", "0.8万元")
    assert (profile.rm_name, profile.branch_name) == ("许丹妮", "示范银行杭州分行")
    assert (profile.lifecycle_label, profile.id_type_label) == ("活跃", "居民身份证")
    assert profile.risk_expired is True


def test_warnings_say_what_is_wrong(book: Book) -> None:
    first = book.customer(
        "王芳", id_number=VALID_ID, mobile_phone="13800138000", birth_date=date(1949, 12, 31)
    )
    second = book.customer("王芳", id_number=OLD_FORM, address="杭州", risk_tolerance="C2")
    wrong = book.customer(
        "李强", id_number=BAD_CHECK, mobile_phone="13900001111", address="杭州", risk_tolerance="C1"
    )
    number = {c: service(book).load(c, now=NOW).profile.customer_no for c in (first, second)}

    warnings = service(book).load(first, now=NOW).warnings
    assert [(w.kind, w.message) for w in warnings] == [
        (
            "duplicate",
            f"可能重复：与客户 {number[second]} 证件号码相同（1101**********002X，含旧版15位号码）",
        ),
        ("duplicate", f"可能重复：与客户 {number[second]} 姓名与出生日期相同"),
        ("contact", "缺少联系地址"),
        ("risk", "尚未做风险承受能力评估，不能向其推荐理财、基金等产品"),
    ]
    kinds = [(w.kind, w.message) for w in service(book).load(second, now=NOW).warnings]
    assert kinds[0] == ("identity", "仍是旧版15位身份证号码，请在拜访时核对并更新为18位")
    assert ("contact", "缺少联系电话") in kinds
    assert any(k == "duplicate" and number[first] in m for k, m in kinds)

    (warning,) = service(book).load(wrong, now=NOW).warnings
    assert warning.kind == "identity"
    assert warning.message.startswith("身份证号码有误：")
    assert "校验位应为" in warning.message


def test_holdings_are_grouped_by_type_with_totals_in_wan(book: Book) -> None:
    customer = book.customer("张伟")
    book.account(customer, "demand_deposit", "100000")
    book.account(customer, "time_deposit", "500000", matures_on=TODAY + timedelta(days=90))
    book.account(customer, "time_deposit", "250000.50")
    book.account(customer, "mortgage", "800000")
    book.account(customer, "wealth", "300000", status="closed")  # gone: not a holding
    holdings = service(book).load(customer, now=NOW).holdings
    assert [
        (g.label, g.count, g.total, g.total_wan, g.total_text, g.is_liability)
        for g in holdings.groups
    ] == [
        ("定期存款", 2, Decimal("750000.50"), Decimal("75.00"), "75万元", False),
        ("活期存款", 1, Decimal("100000.00"), Decimal("10.00"), "10万元", False),
        ("住房贷款", 1, Decimal("800000.00"), Decimal("80.00"), "80万元", True),
    ]
    assert [h.balance for h in holdings.groups[0].holdings] == [
        Decimal("500000.00"),
        Decimal("250000.50"),
    ]
    assert (holdings.assets_total, holdings.assets_total_wan, holdings.assets_text) == (
        Decimal("850000.50"),
        Decimal("85.00"),
        "85万元",
    )
    assert (holdings.liabilities_total_wan, holdings.liabilities_text) == (
        Decimal("80.00"),
        "80万元",
    )


def test_current_household_members(book: Book) -> None:
    me = book.customer("王芳", tier="黄金")
    spouse = book.customer("李强", tier="一般")
    left = book.customer("王小明")
    add_group(
        book,
        "王芳家庭",
        [
            (spouse, "spouse", date(2010, 1, 1), None),
            (me, "head", date(2010, 1, 1), None),
            (left, "child", date(2010, 1, 1), days_ago(30)),  # moved out
        ],
    )
    add_group(book, "旧家庭", [(me, "spouse", date(2000, 1, 1), date(2009, 12, 31))])
    (group,) = service(book).load(me, now=NOW).groups
    assert (group.name, group.kind_label, group.role_label, group.since) == (
        "王芳家庭",
        "家庭",
        "户主",
        date(2010, 1, 1),
    )
    assert [(m.name, m.role_label, m.tier, m.is_self) for m in group.members] == [
        ("王芳", "户主", "黄金", True),
        ("李强", "配偶", "一般", False),
    ]


def test_timeline_is_newest_first(book: Book) -> None:
    customer = book.customer("张伟")
    visit = book.visit(customer, at(days_ago(3)), status="done", outcome="同意追加配置")
    contact = book.contact(customer, at(days_ago(1)), summary="微信发送产品说明", channel="wechat")
    need = book.need(customer, started_on=days_ago(10), category="retirement", summary="养老")
    opportunity = book.opportunity(
        customer, started_on=days_ago(5), expected_value=Decimal("200000"), probability=30
    )
    planned = book.visit(customer, at(TODAY + timedelta(days=2)), purpose="送合同")
    timeline = service(book).load(customer, now=NOW).timeline
    assert [(e.kind, e.id) for e in timeline] == [
        ("visit", planned),
        ("contact", contact),
        ("visit", visit),
        ("opportunity", opportunity),
        ("need", need),
    ]
    by_id = {e.id: e for e in timeline}
    assert (by_id[visit].title, by_id[visit].detail, by_id[visit].status_label) == (
        "网点面谈：资产配置回顾",
        "同意追加配置",
        "已完成",
    )
    assert by_id[contact].title == "微信：微信发送产品说明"
    assert by_id[need].title == "客户需求（养老规划）：养老"
    assert by_id[opportunity].detail == "成功概率30%，预期20万元"
    assert by_id[need].day == days_ago(10)
    assert [e.id for e in service(book).timeline(customer, limit=2)] == [planned, contact]
    counts = service(book).load(customer, now=NOW)
    assert (counts.open_needs, counts.open_opportunities) == (1, 1)


def test_customers_outside_the_book_are_not_shown(book: Book) -> None:
    theirs = book.customer("李娜", rm_id=book.other_rm_id, id_number=VALID_ID)
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        service(book).load(theirs, now=NOW)
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        service(book).reveal(theirs, "id_number", "E880001")
    assert count_rows(book.cache, AuditLog) == 0


def test_reveal_returns_the_value_and_writes_an_audit_row_through_the_outbox(book: Book) -> None:
    customer = book.customer("王芳", id_number=VALID_ID, mobile_phone="13800138000")
    revealed = service(book).reveal(customer, "id_number", "E880001", now=NOW)
    assert (revealed.field, revealed.value) == ("id_number", VALID_ID)
    assert (revealed.change.kind, revealed.change.customer_id, revealed.change.tables) == (
        "identifier_revealed",
        customer,
        frozenset({"audit_log"}),
    )
    with book.cache.session() as session:
        (audit,) = session.scalars(select(AuditLog)).all()
        assert (audit.id, audit.at, audit.user_name, audit.action) == (
            revealed.change.id,
            NOW,
            "E880001",
            "reveal_id_number",
        )
        assert (audit.entity_type, audit.entity_id) == ("customer", customer)
        assert audit.details is not None and "完整证件号码" in audit.details
        assert VALID_ID not in audit.details  # the log names the field, never the value
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.row_id) == ("audit_log", "insert", audit.id)
    assert entry.fields["action"] == {"new": "reveal_id_number"}

    phone = service(book).reveal(customer, "mobile_phone", "E880001", now=NOW)
    assert phone.value == "13800138000"
    assert count_rows(book.cache, AuditLog) == 2
    assert len(outbox(book.cache)) == 2


def test_nothing_to_reveal_writes_no_audit_row(book: Book) -> None:
    customer = book.customer("王芳", id_number=VALID_ID, mobile_phone=None)
    with pytest.raises(ValidationError, match="没有登记手机号码"):
        service(book).reveal(customer, "mobile_phone", "E880001")
    with pytest.raises(ValidationError, match="请填写操作人"):
        service(book).reveal(customer, "id_number", " ")
    with pytest.raises(ValueError, match="not a revealable field"):
        service(book).reveal(customer, "address", "E880001")  # type: ignore[arg-type]
    assert count_rows(book.cache, AuditLog) == 0
    assert outbox(book.cache) == []


def test_customer_name_alone(book: Book) -> None:
    mine = book.customer("王芳")
    theirs = book.customer("李娜", rm_id=book.other_rm_id)
    assert service(book).customer_name(mine) == "王芳"
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        service(book).customer_name(theirs)
