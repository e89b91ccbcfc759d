"""The Today screen over a hand-made book: every section, its edges, and its scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from rm_workbench.db.engine import Cache
from rm_workbench.services.today import (
    BIRTHDAY,
    DORMANT_NOW,
    DORMANT_SOON,
    FOLLOW_UP,
    MATURITY,
    NEED_OVERDUE,
    OPPORTUNITY_OVERDUE,
    VISIT,
    VISIT_DUE,
    TodayService,
)
from tests.services.helpers import NOW, TODAY, Book, at, days_ago, outbox


def service(book: Book) -> TodayService:
    return TodayService(book.cache, rm_id=book.rm_id)


def test_today_is_the_day_in_beijing(book: Book) -> None:
    # 2026-11-24 17:30 UTC is already Wednesday 25 November, 01:30 in Beijing.
    view = service(book).view(datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    assert view.today == TODAY
    assert view.rm_id == book.rm_id
    assert service(book).view(datetime(2026, 11, 24, 15, 59, tzinfo=UTC)).today == date(
        2026, 11, 24
    )


def test_visits_of_the_day_in_beijing_time_without_cancelled_or_others(book: Book) -> None:
    mine = book.customer("张伟", tier="顶级")
    theirs = book.customer("李娜", rm_id=book.other_rm_id)
    early = book.visit(mine, at(TODAY, 0, 0), purpose="早餐会", category="event", place="贵宾室")
    late = book.visit(mine, at(TODAY, 23, 30), purpose="晚间回访", status="done")
    book.visit(mine, at(TODAY + timedelta(days=1), 0, 0))  # tomorrow 00:00 Beijing
    book.visit(mine, at(TODAY, 23, 59) - timedelta(days=1))  # yesterday 23:59
    book.visit(mine, at(TODAY, 14), status="cancelled")
    book.visit(theirs, at(TODAY, 15), rm_id=book.other_rm_id)

    items = service(book).visits(TODAY)

    assert [i.ref_id for i in items] == [early, late]
    first, second = items
    assert (first.kind, first.customer_id, first.customer_name, first.tier) == (
        VISIT,
        mine,
        "张伟",
        "顶级",
    )
    assert first.title == "00:00 客户活动：早餐会"
    assert first.reason == "今日计划拜访，地点：贵宾室"
    assert (first.ref_table, first.at, first.status) == ("visit", at(TODAY, 0), "planned")
    assert second.title == "23:30 网点面谈：晚间回访"
    assert second.reason == "今日拜访已完成"


def test_overdue_follow_ups_need_no_later_visit_or_contact(book: Book) -> None:
    waiting = book.customer("赵敏")
    called = book.customer("钱进")
    revisited = book.customer("孙丽")
    not_yet = book.customer("周杰")
    theirs = book.customer("吴昊", rm_id=book.other_rm_id)
    visited = days_ago(20)
    overdue = book.visit(
        waiting, at(visited), status="done", follow_up_due=days_ago(3), purpose="理财到期沟通"
    )
    book.contact(waiting, at(visited, 9))  # before the visit: does not count
    book.visit(called, at(visited), status="done", follow_up_due=days_ago(3))
    book.contact(called, at(days_ago(2), 9))
    book.visit(revisited, at(visited), status="done", follow_up_due=days_ago(3))
    book.visit(revisited, at(days_ago(1)), status="done")
    book.visit(not_yet, at(visited), status="done", follow_up_due=TODAY)  # due today: not late
    book.visit(theirs, at(visited), status="done", follow_up_due=days_ago(3))

    items = service(book).overdue(TODAY)

    assert [(i.kind, i.customer_name, i.ref_id) for i in items] == [(FOLLOW_UP, "赵敏", overdue)]
    (item,) = items
    assert item.days == 3
    assert item.due == days_ago(3)
    assert item.title == "拜访后跟进已逾期3天"
    assert item.reason == (
        "2026年11月5日拜访（理财到期沟通）约定2026年11月22日前跟进，之后没有再拜访或联系"
    )


def test_open_needs_and_opportunities_past_their_end(book: Book) -> None:
    customer = book.customer("郑爽", tier="黄金")
    need = book.need(customer, ends_on=days_ago(10), summary="购房首付规划")
    book.need(customer, ends_on=days_ago(10), status="met")
    book.need(customer, ends_on=TODAY)
    opportunity = book.opportunity(
        customer,
        ends_on=days_ago(1),
        sales_stage="proposal",
        expected_value=Decimal("500000"),
        summary="大额存单",
    )
    book.opportunity(customer, ends_on=days_ago(30), sales_stage="won")
    book.opportunity(customer, ends_on=days_ago(30), sales_stage="lost")

    items = service(book).overdue(TODAY)

    assert [(i.kind, i.ref_id, i.days) for i in items] == [
        (OPPORTUNITY_OVERDUE, opportunity, 1),
        (NEED_OVERDUE, need, 10),
    ]
    opp_item, need_item = items
    assert opp_item.title == "商机已过预计结束日1天：大额存单"
    assert opp_item.reason == "预计2026年11月24日结束，仍在“方案”阶段"
    assert opp_item.amount_wan == "50万元"
    assert need_item.title == "客户需求已逾期10天：购房首付规划"
    assert need_item.reason == "需求计划2026年11月15日前解决，仍为“待跟进”"
    assert need_item.tier == "黄金"


def test_maturities_in_the_next_30_days_with_the_amount_in_wan(book: Book) -> None:
    customer = book.customer("冯刚", tier="顶级")
    soon = book.account(
        customer, "time_deposit", "1234567.89", matures_on=TODAY, product_name="三年期定期存款"
    )
    later = book.account(customer, "wealth", "300000", matures_on=TODAY + timedelta(days=30))
    book.account(customer, "large_cd", "200000", matures_on=TODAY + timedelta(days=31))
    book.account(customer, "time_deposit", "1000", matures_on=days_ago(1))
    book.account(customer, "wealth", "100", matures_on=TODAY, status="matured")
    book.account(customer, "mortgage", "800000", matures_on=TODAY)  # a loan: not a reminder
    other = book.customer("陈晨", rm_id=book.other_rm_id)
    book.account(other, "wealth", "1", matures_on=TODAY)

    items = service(book).maturities(TODAY)

    assert [(i.kind, i.ref_id, i.days) for i in items] == [
        (MATURITY, soon, 0),
        (MATURITY, later, 30),
    ]
    first, second = items
    assert first.amount == Decimal("1234567.89")
    assert first.amount_wan == "123.46万元"
    assert first.title == "三年期定期存款到期 123.46万元"
    assert first.reason.startswith("定期存款将于11月25日（今天）到期")
    assert (first.ref_table, first.customer_name, first.tier) == ("account", "冯刚", "顶级")
    assert second.title == "理财产品到期 30万元"
    assert "12月25日（30天后）" in second.reason


def test_birthdays_of_this_calendar_week(book: Book) -> None:
    monday = book.customer("褚红", birth_date=date(1980, 11, 23))
    sunday = book.customer("卫东", birth_date=date(1990, 11, 29))
    today = book.customer("蒋欣", birth_date=date(2000, 11, 25))
    book.customer("沈明", birth_date=date(1980, 11, 22))  # last Sunday
    book.customer("韩梅", birth_date=date(1980, 11, 30))  # next Monday
    book.customer("杨光", birth_date=None)
    book.customer(
        "示范科技有限公司", category="corporate", birth_date=date(2001, 11, 25)
    )  # not a person

    items = service(book).birthdays(TODAY)

    assert [(i.kind, i.customer_id, i.due, i.days) for i in items] == [
        (BIRTHDAY, monday, date(2026, 11, 23), -2),
        (BIRTHDAY, today, date(2026, 11, 25), 0),
        (BIRTHDAY, sunday, date(2026, 11, 29), 4),
    ]
    assert items[0].title == "11月23日生日（46岁）"
    assert items[0].reason == "本周生日：2天前（本周），可送上生日祝福"
    assert items[1].title == "11月25日生日（26岁）"
    assert items[1].reason == "本周生日：今天，可送上生日祝福"
    assert items[2].reason == "本周生日：4天后，可送上生日祝福"


def test_a_29_february_birthday_counts_on_1_march(cache: Cache) -> None:
    book = Book(cache)
    leapling = book.customer("闰日", birth_date=date(2000, 2, 29))
    # 2027 is not a leap year: 1 March 2027 is a Monday.
    service_ = TodayService(cache, rm_id=book.rm_id)
    (item,) = service_.birthdays(date(2027, 3, 3))
    assert (item.customer_id, item.due, item.title) == (
        leapling,
        date(2027, 3, 1),
        "3月1日生日（27岁）",
    )
    assert service_.birthdays(date(2027, 2, 26)) == []  # the week of 22-28 February


def test_customers_turning_dormant_and_just_turned(book: Book) -> None:
    # dormant_after_days is 180 in the shipped bank.toml.
    soon = book.customer("秦岚", last_transaction_on=days_ago(170))
    turned = book.customer("尤静", last_transaction_on=days_ago(185), lifecycle_status="dormant")
    by_contact = book.customer("许诺", last_transaction_on=days_ago(400))
    book.contact(by_contact, at(days_ago(179), 9))
    by_visit = book.customer("何平", last_transaction_on=None)
    book.visit(by_visit, at(days_ago(150)), status="done")
    book.customer("吕方", last_transaction_on=days_ago(100))  # still active
    book.customer("施然", last_transaction_on=days_ago(220), lifecycle_status="dormant")  # old news
    recent = book.customer("张帆", last_transaction_on=days_ago(175))
    book.contact(recent, at(days_ago(3)))  # a recent call keeps it active
    book.customer("孔丽", last_transaction_on=days_ago(170), lifecycle_status="lost")
    book.customer("曹雪", last_transaction_on=None, lifecycle_status="potential")
    book.customer("严冬", last_transaction_on=days_ago(170), rm_id=book.other_rm_id)

    items = service(book).dormant(TODAY)

    assert [(i.kind, i.customer_id, i.days) for i in items] == [
        (DORMANT_SOON, by_contact, 1),
        (DORMANT_SOON, soon, 10),
        (DORMANT_SOON, by_visit, 30),
        (DORMANT_NOW, turned, 5),
    ]
    assert items[0].title == "1天后将转为沉寂客户"
    assert items[0].reason == (
        "最近一次交易或联系是2026年5月30日（179天前）；超过180天无交易或联系即为沉寂，请尽快联系"
    )
    assert items[0].due == TODAY + timedelta(days=1)
    assert items[3].title == "已转为沉寂客户5天"
    assert items[3].status == "dormant"


def test_visits_due_by_tier_cadence(book: Book) -> None:
    never = book.customer("顶级甲", tier="顶级")
    recent = book.customer("顶级乙", tier="顶级")
    book.visit(recent, at(days_ago(10)), status="done")
    late = book.customer("顶级丙", tier="顶级")
    book.visit(late, at(days_ago(40)), status="done")
    book.visit(late, at(days_ago(5)), status="cancelled")  # cancelled: not a visit
    exactly = book.customer("顶级丁", tier="顶级")
    book.visit(exactly, at(days_ago(30)), status="done")
    planned = book.customer("顶级戊", tier="顶级")
    book.visit(planned, at(TODAY + timedelta(days=3)))  # already on the calendar
    gold = book.customer("黄金甲", tier="黄金")
    book.visit(gold, at(days_ago(100)), status="done")
    book.customer("黄金乙", tier="黄金")
    gold_recent = book.customer("黄金丙", tier="黄金")
    book.visit(gold_recent, at(days_ago(60)), status="done")
    book.customer("一般甲", tier="一般")  # no cadence
    book.customer("他人顶级", tier="顶级", rm_id=book.other_rm_id)

    items = service(book).visits_due(TODAY)

    assert [(i.customer_name, i.days) for i in items] == [
        ("顶级丙", 10),
        ("顶级丁", 0),
        ("顶级甲", 0),
        ("黄金甲", 10),
        ("黄金乙", 0),
    ]
    by_name = {i.customer_name: i for i in items}
    assert all(i.kind == VISIT_DUE and i.ref_table is None for i in items)
    assert by_name["顶级丙"].title == "拜访已逾期10天"
    assert (
        by_name["顶级丙"].reason == "顶级客户应每30天拜访一次，上次拜访是2026年10月16日（40天前）"
    )
    assert by_name["顶级甲"].title == "应安排拜访"
    assert by_name["顶级甲"].reason == "顶级客户应每30天拜访一次，还没有已完成的拜访"
    assert by_name["黄金甲"].customer_id == gold
    assert never in {i.customer_id for i in items}


def test_the_view_reads_everything_and_writes_nothing(book: Book) -> None:
    customer = book.customer("全面", tier="顶级", birth_date=date(1970, 11, 27))
    book.visit(customer, at(TODAY, 15))
    book.account(customer, "large_cd", "500000", matures_on=TODAY + timedelta(days=7))
    view = service(book).view(NOW)
    assert view.counts() == {
        "visits": 1,
        "overdue": 0,
        "maturities": 1,
        "birthdays": 1,
        "dormant": 0,
        # A visit is planned for today, so no "visit due" reminder.
        "visits_due": 0,
    }
    assert outbox(book.cache) == []


def test_without_an_rm_the_whole_cache_is_the_book(book: Book) -> None:
    book.customer("甲", birth_date=date(1980, 11, 24))
    book.customer("乙", birth_date=date(1980, 11, 24), rm_id=book.other_rm_id)
    assert len(TodayService(book.cache).birthdays(TODAY)) == 2
    assert len(TodayService(book.cache, rm_id=book.rm_id).birthdays(TODAY)) == 1
