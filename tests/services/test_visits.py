"""Visits: calendar queries, and plan / complete / note / reschedule / cancel with their
outbox entries; every refused input names the problem and writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from rm_workbench.errors import ValidationError
from rm_workbench.models import Base, Need, Visit
from rm_workbench.services.needs import NeedDraft
from rm_workbench.services.visits import VisitService
from tests.services.helpers import NOW, TODAY, Book, at, days_ago, outbox

OUTBOX = Base.metadata.tables["outbox"]


def service(book: Book) -> VisitService:
    return VisitService(book.cache, rm_id=book.rm_id)


def visit_row(book: Book, visit_id: str) -> Visit:
    with book.cache.session() as session:
        visit = session.get(Visit, visit_id)
        assert visit is not None
        return visit


def acknowledge(book: Book) -> None:
    """As after a push the server answered: entries leave the outbox."""
    with book.cache.engine.begin() as conn:
        conn.execute(OUTBOX.delete())


def refused(book: Book, message: str, call: object, *args: object, **kwargs: object) -> None:
    """``call`` raises a ValidationError containing ``message`` and writes nothing."""
    before = outbox(book.cache)
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert message in caught.value.user_message
    assert outbox(book.cache) == before


# --- calendar -----------------------------------------------------------------------


def test_between_and_week_list_visits_with_customer_names(book: Book) -> None:
    zhang = book.customer("张伟", tier="顶级")
    li = book.customer("李娜")
    monday = date(2026, 11, 23)
    first = book.visit(zhang, at(monday, 9), category="home", purpose="上门送资料")
    second = book.visit(li, at(monday, 14), status="cancelled")
    third = book.visit(li, at(date(2026, 11, 29), 23, 59), status="done")
    book.visit(li, at(date(2026, 11, 30), 0, 0))  # next week
    book.visit(li, at(monday, 0) - timedelta(minutes=1))  # last week
    other = book.customer("王刚", rm_id=book.other_rm_id)
    book.visit(other, at(monday, 10), rm_id=book.other_rm_id)

    visits = service(book).between(monday, date(2026, 11, 29))
    assert [v.id for v in visits] == [first, second, third]
    v = visits[0]
    assert (v.customer_name, v.customer_no, v.tier, v.day) == (
        "张伟",
        v.customer_no,
        "顶级",
        monday,
    )
    assert (v.category_label, v.status_label, v.purpose) == ("上门拜访", "计划中", "上门送资料")

    without = service(book).between(monday, date(2026, 11, 29), include_cancelled=False)
    assert [v.id for v in without] == [first, third]

    week = service(book).week(TODAY)
    assert week.monday == monday
    assert [d.day for d in week.days] == [monday + timedelta(days=i) for i in range(7)]
    assert [len(d.visits) for d in week.days] == [2, 0, 0, 0, 0, 0, 1]
    assert [v.id for v in service(book).agenda(monday)] == [first, second]

    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        service(book).between(TODAY, TODAY - timedelta(days=1))


def test_get_returns_the_report_and_cost(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(
        customer, at(days_ago(1)), status="done", report="客户关注养老规划。", cost=Decimal("88.00")
    )
    detail = service(book).get(visit_id)
    assert (detail.report, detail.cost, detail.customer_name) == (
        "客户关注养老规划。",
        Decimal("88.00"),
        "张伟",
    )
    refused(book, "找不到该拜访记录", service(book).get, "no-such-visit")


# --- plan ---------------------------------------------------------------------------


def test_plan_writes_the_visit_and_its_outbox_entry(book: Book) -> None:
    customer = book.customer("张伟")
    start = at(TODAY + timedelta(days=2), 15)
    change = service(book).plan(
        customer,
        start=start,
        end=start + timedelta(minutes=45),
        purpose="  理财产品到期续作  ",
        category="home",
        place="西湖区文三路100号",
        priority="high",
    )
    assert (change.kind, change.customer_id, change.tables) == (
        "visit_planned",
        customer,
        frozenset({"visit"}),
    )
    visit = visit_row(book, change.id)
    assert (visit.purpose, visit.status, visit.rm_id, visit.planned_start) == (
        "理财产品到期续作",
        "planned",
        book.rm_id,
        start,
    )
    assert visit.visit_no.startswith("V20261127")
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.row_id, entry.customer_id) == (
        "visit",
        "insert",
        change.id,
        customer,
    )
    assert entry.fields["purpose"] == {"new": "理财产品到期续作"}
    assert entry.fields["category"] == {"new": "home"}
    # It shows on the calendar of that day.
    assert [v.id for v in service(book).agenda(TODAY + timedelta(days=2))] == [change.id]


def test_plan_refuses_bad_input_with_clear_messages(book: Book) -> None:
    customer = book.customer("张伟")
    theirs = book.customer("李娜", rm_id=book.other_rm_id)
    start = at(TODAY, 15)
    plan = service(book).plan
    refused(book, "请填写拜访目的", plan, customer, start=start, purpose="   ")
    refused(
        book,
        "计划结束时间（2026年11月25日 14:00）不能早于计划开始时间（2026年11月25日 15:00）",
        plan,
        customer,
        start=start,
        end=start - timedelta(hours=1),
        purpose="回访",
    )
    refused(book, "该客户不在您的客户名单中", plan, theirs, start=start, purpose="回访")
    refused(book, "该客户不在您的客户名单中", plan, "no-such-customer", start=start, purpose="回访")
    refused(
        book,
        "拜访方式“teleport”无法识别",
        plan,
        customer,
        start=start,
        purpose="回访",
        category="teleport",
    )
    refused(book, "拜访目的最多 200 个字", plan, customer, start=start, purpose="很" * 201)
    with pytest.raises(ValueError, match="naive"):
        plan(customer, start=datetime(2026, 11, 25, 15), purpose="回访")
    assert outbox(book.cache) == []


# --- complete -----------------------------------------------------------------------


def test_complete_records_report_needs_products_and_follow_up(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(TODAY, 9), report="拜访前准备：带上养老规划资料。")
    change = service(book).complete(
        visit_id,
        report="客户计划三年后退休，关注养老与子女留学。",
        outcome="同意做养老规划",
        attendees="张伟、张太太",
        needs=[
            NeedDraft("retirement", "退休养老规划", urgency="high"),
            NeedDraft("education", "女儿2028年出国留学", ends_on=date(2028, 6, 30)),
        ],
        products_discussed=[book.wealth_id, "TD3Y"],
        follow_up_due=TODAY + timedelta(days=14),
        cost="128.50",
        now=NOW,
    )
    assert change.kind == "visit_completed"
    assert change.tables == frozenset({"visit", "need"})
    assert change.ids[0] == visit_id and len(change.ids) == 3

    visit = visit_row(book, visit_id)
    assert visit.status == "done"
    assert visit.report == (
        "拜访前准备：带上养老规划资料。\n\n"
        "客户计划三年后退休，关注养老与子女留学。\n"
        "洽谈产品：稳享理财90天（WM001）、三年期定期存款（TD3Y）"
    )
    assert (visit.outcome, visit.attendees, visit.cost) == (
        "同意做养老规划",
        "张伟、张太太",
        Decimal("128.50"),
    )
    assert visit.follow_up_due == TODAY + timedelta(days=14)
    assert (visit.actual_start, visit.actual_end) == (at(TODAY, 9), at(TODAY, 10))

    with book.cache.session() as session:
        needs = session.scalars(select(Need).where(Need.id.in_(change.ids[1:]))).all()
    assert sorted((n.category, n.summary, n.started_on, n.status) for n in needs) == [
        ("education", "女儿2028年出国留学", TODAY, "open"),
        ("retirement", "退休养老规划", TODAY, "open"),
    ]
    entries = outbox(book.cache)
    assert [(e.table, e.op) for e in entries] == [
        ("visit", "update"),
        ("need", "insert"),
        ("need", "insert"),
    ]
    report = entries[0].fields["report"]
    assert report["base"] == "拜访前准备：带上养老规划资料。"
    assert report["new"].startswith(report["base"])  # appended, never replaced
    assert entries[0].fields["status"] == {"base": "planned", "new": "done"}


def test_complete_refuses_bad_input_and_writes_nothing(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(TODAY, 9))
    complete = service(book).complete
    refused(book, "请填写拜访记录", complete, visit_id, report="", now=NOW)
    refused(
        book,
        "下次跟进日期（2026年11月24日）已经过去",
        complete,
        visit_id,
        report="已沟通",
        follow_up_due=days_ago(1),
        now=NOW,
    )
    refused(
        book,
        "实际结束时间（2026年11月25日 08:00）不能早于实际开始时间（2026年11月25日 09:00）",
        complete,
        visit_id,
        report="已沟通",
        actual_start=at(TODAY, 9),
        actual_end=at(TODAY, 8),
        now=NOW,
    )
    refused(
        book,
        "以下产品不在产品目录中：NOPE",
        complete,
        visit_id,
        report="已沟通",
        products_discussed=["NOPE"],
        now=NOW,
    )
    refused(
        book,
        "请填写需求概要",
        complete,
        visit_id,
        report="已沟通",
        needs=[NeedDraft("housing", " ")],
        now=NOW,
    )
    refused(
        book,
        "拜访费用不能为负数",
        complete,
        visit_id,
        report="已沟通",
        cost="-1",
        now=NOW,
    )
    assert visit_row(book, visit_id).status == "planned"

    service(book).complete(visit_id, report="已沟通", now=NOW)
    refused(book, "不能再次完成", complete, visit_id, report="再来一次", now=NOW)


def test_a_follow_up_today_is_fine(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(TODAY, 9))
    service(book).complete(visit_id, report="已沟通", follow_up_due=TODAY, now=NOW)
    assert visit_row(book, visit_id).follow_up_due == TODAY


# --- notes, reschedule, cancel -------------------------------------------------------


def test_add_note_appends_to_the_report(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(days_ago(1)), status="done", report="第一次记录。")
    change = service(book).add_note(visit_id, "补充：客户下月有一笔资金到账。")
    assert change.kind == "visit_noted"
    assert visit_row(book, visit_id).report == "第一次记录。\n\n补充：客户下月有一笔资金到账。"
    (entry,) = outbox(book.cache)
    assert entry.fields == {
        "report": {
            "base": "第一次记录。",
            "new": "第一次记录。\n\n补充：客户下月有一笔资金到账。",
        }
    }
    refused(book, "请填写补充记录", service(book).add_note, visit_id, "  ")


def test_reschedule_keeps_the_length_and_only_moves_planned_visits(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(TODAY, 9), planned_end=at(TODAY, 9, 45))
    new_start = at(TODAY + timedelta(days=1), 14)
    change = service(book).reschedule(visit_id, start=new_start)
    assert change.kind == "visit_rescheduled"
    visit = visit_row(book, visit_id)
    assert (visit.planned_start, visit.planned_end) == (
        new_start,
        new_start + timedelta(minutes=45),
    )
    (entry,) = outbox(book.cache)
    assert set(entry.fields) == {"planned_start", "planned_end"}

    refused(
        book,
        "计划结束时间（2026年11月26日 13:00）不能早于计划开始时间",
        service(book).reschedule,
        visit_id,
        start=new_start,
        end=new_start - timedelta(hours=1),
    )
    done = book.visit(customer, at(days_ago(1)), status="done")
    refused(
        book,
        "只有计划中的拜访可以改期，该拜访已是“已完成”",
        service(book).reschedule,
        done,
        start=new_start,
    )


def test_cancel_records_the_reason_in_the_report(book: Book) -> None:
    customer = book.customer("张伟")
    visit_id = book.visit(customer, at(TODAY, 9))
    refused(book, "请填写取消原因", service(book).cancel, visit_id, reason="")
    change = service(book).cancel(visit_id, reason="客户临时出差")
    assert change.kind == "visit_cancelled"
    visit = visit_row(book, visit_id)
    assert (visit.status, visit.report) == ("cancelled", "取消原因：客户临时出差")
    (entry,) = outbox(book.cache)
    assert entry.fields["status"] == {"base": "planned", "new": "cancelled"}
    refused(book, "只有计划中的拜访可以取消", service(book).cancel, visit_id, reason="再取消")


def test_edits_to_a_visit_of_another_rms_customer_are_refused(book: Book) -> None:
    theirs = book.customer("李娜", rm_id=book.other_rm_id)
    visit_id = book.visit(theirs, at(TODAY, 9), rm_id=book.other_rm_id)
    refused(book, "该客户不在您的客户名单中", service(book).cancel, visit_id, reason="不去了")
    refused(book, "找不到该拜访记录", service(book).cancel, "no-such-visit", reason="不去了")


def test_an_unsent_insert_folds_later_edits(book: Book) -> None:
    customer = book.customer("张伟")
    change = service(book).plan(customer, start=at(TODAY, 9), purpose="回访")
    service(book).reschedule(change.id, start=at(TODAY, 10))
    (entry,) = outbox(book.cache)  # still one insert, now with the new time
    assert entry.op == "insert"
    assert entry.fields["planned_start"]["new"].startswith("2026-11-25T02:00")
    acknowledge(book)
    with book.cache.engine.begin() as conn:
        conn.execute(update(Base.metadata.tables["visit"]).values(version=7))
    service(book).cancel(change.id, reason="改天")
    (entry,) = outbox(book.cache)
    assert entry.op == "update"


def test_actual_times_default_to_the_plan_or_to_now(book: Book) -> None:
    customer = book.customer("张伟")
    early = book.visit(customer, at(TODAY, 15), planned_end=at(TODAY, 16))  # 15:00, now is 10:00
    service(book).complete(early, report="客户提前到网点，已面谈。", now=NOW)
    visit = visit_row(book, early)
    assert (visit.actual_start, visit.actual_end) == (NOW, None)

    later = book.visit(customer, at(TODAY, 16))
    refused(
        book,
        "实际开始时间（2026年11月25日 16:00）还没有到",
        service(book).complete,
        later,
        report="已面谈",
        actual_start=at(TODAY, 16),
        now=NOW,
    )
