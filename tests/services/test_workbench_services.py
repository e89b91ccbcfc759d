"""The Workbench facade: who the signed-in RM is, and the new services over the demo book."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from rm_demo.book import DEFAULT_TODAY
from rm_demo.cache import load_demo_book
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import Customer
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.customer360 import Customer360Service
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.needs import NeedDraft
from rm_workbench.services.today import TodayService
from rm_workbench.services.visits import VisitService
from rm_workbench.services.workbench import Workbench, signed_in_rm
from tests.services.helpers import Book, outbox


def test_the_login_names_the_rm(book: Book) -> None:
    book.customer("甲")
    book.customer("乙", rm_id=book.other_rm_id)
    book.login("E880002")
    rm = signed_in_rm(book.cache)
    assert (rm.rm_id, rm.user_name, rm.name, rm.source) == (
        book.other_rm_id,
        "E880002",
        "王磊",
        "login",
    )


def test_a_cache_with_one_rms_book_names_that_rm(book: Book) -> None:
    book.customer("甲")
    book.customer("乙")
    rm = signed_in_rm(book.cache)
    assert (rm.rm_id, rm.user_name, rm.name, rm.source) == (book.rm_id, "E880001", "许丹妮", "book")


def test_otherwise_the_rm_is_unknown(book: Book) -> None:
    book.customer("甲")
    book.customer("乙", rm_id=book.other_rm_id)
    book.login("admin")  # a login that is no RM
    rm = signed_in_rm(book.cache)
    assert (rm.rm_id, rm.user_name, rm.source) == (None, "admin", "unknown")


def test_an_empty_cache_has_no_rm(cache: Cache) -> None:
    assert signed_in_rm(cache).source == "unknown"


def test_the_workbench_carries_the_new_services(book: Book) -> None:
    book.customer("甲")
    workbench = Workbench("test", book.cache, CustomerService(book.cache), "示范商业银行")
    assert workbench.rm.rm_id == book.rm_id
    assert isinstance(workbench.today, TodayService)
    assert isinstance(workbench.visits, VisitService)
    assert isinstance(workbench.activities, ActivityService)
    assert isinstance(workbench.customer360, Customer360Service)
    assert isinstance(workbench.customers, CustomerService)  # existing fields stay


# --- the demo book ------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    """The first demo RM's share of the default demo book, as the demo profile has it."""
    cache = open_cache(Path(tmp_path_factory.mktemp("demo")) / "cache.db")
    load_demo_book(cache)
    workbench = Workbench("demo", cache, CustomerService(cache), "示范商业银行")
    try:
        yield workbench
    finally:
        workbench.close()


DEMO_NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)


def test_demo_book_today_has_something_in_every_section(demo: Workbench) -> None:
    assert demo.rm.source == "book"
    view = demo.today.view(DEMO_NOW)
    assert view.today == DEFAULT_TODAY
    counts = view.counts()
    assert all(counts[section] > 0 for section in counts), counts
    with demo.cache.engine.connect() as conn:
        book = {
            row.id: (row.name, row.tier, row.rm_id)
            for row in conn.execute(
                select(Customer.id, Customer.name, Customer.tier, Customer.rm_id)
            )
        }
    sections = (view.visits, view.overdue, view.maturities, view.birthdays, view.dormant)
    for item in (i for section in sections for i in section):
        assert book[item.customer_id] == (item.customer_name, item.tier, demo.rm.rm_id)
        assert item.title and item.reason
    # The maturity amounts are the accounts' balances, written in 万元.
    assert all(i.amount_wan and i.amount_wan.endswith(("万元", "亿元")) for i in view.maturities)
    # Top and gold customers only, each at most once, none with a visit planned ahead.
    assert {i.tier for i in view.visits_due} <= {"顶级", "黄金"}
    assert len({i.customer_id for i in view.visits_due}) == len(view.visits_due)


def test_demo_book_customer360_and_a_visit_cycle(demo: Workbench) -> None:
    view = demo.today.view(DEMO_NOW)
    customer_id = view.maturities[0].customer_id
    c360 = demo.customer360.load(customer_id, now=DEMO_NOW)
    assert c360.holdings.assets_total > 0
    assert c360.timeline and c360.timeline == tuple(
        sorted(c360.timeline, key=lambda e: (e.at, e.kind, e.id), reverse=True)
    )
    assert "*" in c360.profile.masked_id_number

    before = len(outbox(demo.cache))
    start = DEMO_NOW + timedelta(days=1)
    planned = demo.visits.plan(customer_id, start=start, purpose="到期资金续作沟通")
    assert planned.id in {v.id for v in demo.visits.agenda(DEFAULT_TODAY + timedelta(days=1))}
    done = demo.visits.complete(
        planned.id,
        report="客户同意将到期资金转入稳健理财。",
        needs=[NeedDraft("investment", "到期资金再配置")],
        follow_up_due=DEFAULT_TODAY + timedelta(days=7),
        now=DEMO_NOW,
    )
    contact = demo.activities.add_contact(
        customer_id, summary="电话确认拜访时间", channel="phone", now=DEMO_NOW
    )
    entries = outbox(demo.cache)[before:]
    # The visit's insert folded its completion in; then the need and the contact.
    assert [(e.table, e.op) for e in entries] == [
        ("visit", "insert"),
        ("need", "insert"),
        ("contact_log", "insert"),
    ]
    assert entries[2].fields["user_name"] == {"new": demo.rm.user_name}
    assert {done.customer_id, contact.customer_id} == {customer_id}
    timeline = demo.customer360.timeline(customer_id)
    assert planned.id in {e.id for e in timeline}
