"""The customer list, driven through real widgets on a real cache: typing in the search
box, choosing filters, clicking headers, scrolling; queries run off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QComboBox

from rm_contract.vocabulary import CustomerCategory, LifecycleStatus
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import index_customers, rebuild_index
from rm_workbench.models import Branch, Customer
from rm_workbench.services.changes import Change
from rm_workbench.services.customer_query import CustomerQuery, SortColumn
from rm_workbench.services.customers import CustomerService
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.customer_list import CustomerListView
from rm_workbench.ui.customer_table import PAGE_SIZE, Column, CustomerTableModel
from rm_workbench.ui.events import changed

EXTRA = 500  # more than two pages
WAIT_MS = 5000


def _fill(cache: Cache) -> None:
    with cache.session() as session:
        east = Branch(code="B01", name="城东支行")
        west = Branch(code="B02", name="城西支行")
        session.add_all([east, west])
        session.flush()
        session.add(
            Customer(
                customer_no="C0000000001",
                category=CustomerCategory.INDIVIDUAL,
                name="张三丰",
                id_number="110105194912310021",
                birth_date=date(1949, 12, 31),
                mobile_phone="13800138000",
                tier="顶级",
                aum=Decimal("8000000"),
                lifecycle_status=LifecycleStatus.ACTIVE,
                branch_id=west.id,
            )
        )
        for number, name in enumerate(["李四", "曾国藩", "阿大", "赵六"]):
            session.add(
                Customer(
                    customer_no=f"C000000010{number}",
                    category=CustomerCategory.INDIVIDUAL,
                    name=name,
                    tier="黄金",
                    aum=Decimal(600000 + number),
                    lifecycle_status=LifecycleStatus.DORMANT,
                    branch_id=west.id,
                )
            )
        for i in range(EXTRA):
            session.add(
                Customer(
                    customer_no=f"C1{i:09d}",
                    category=CustomerCategory.INDIVIDUAL,
                    name=f"王客户{i}",
                    tier="一般",
                    aum=Decimal(i),
                    branch_id=east.id,
                )
            )
    with cache.engine.begin() as conn:
        rebuild_index(conn)


TOTAL = 5 + EXTRA


@pytest.fixture
def service(cache: Cache) -> Iterator[CustomerService]:
    _fill(cache)
    yield CustomerService(cache)
    wait_for_background()  # no query may still run when the cache closes


@pytest.fixture
def view(qtbot, service: CustomerService) -> CustomerListView:
    widget = CustomerListView(service)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitUntil(lambda: _ready(widget), timeout=WAIT_MS)
    return widget


def _ready(view: CustomerListView) -> bool:
    return not view.model.is_loading() and view.model.total() is not None


def _names(model: CustomerTableModel) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def _run_now(
    fn: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]
) -> None:
    try:
        result = fn()
    except Exception as exc:
        on_error(exc)
    else:
        on_done(result)


def test_model_passes_the_model_tester(qapp, qtmodeltester, service: CustomerService) -> None:
    model = CustomerTableModel(service, runner=_run_now)
    model.refresh()
    assert model.rowCount() == PAGE_SIZE and model.total() == TOTAL
    qtmodeltester.check(model)
    model.sort(Column.AUM, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(model)


def test_opening_shows_the_first_page_and_the_count(view: CustomerListView) -> None:
    assert view.model.rowCount() == PAGE_SIZE, "rows are paged in, not loaded at once"
    assert view.model.total() == TOTAL
    assert view.count_label.text() == f"{TOTAL} customers in my book"
    # Pinyin order: 阿 (a), 李 (li), 王 (wang) …, 曾 (zeng), 张 (zhang), 赵 (zhao).
    assert _names(view.model)[:2] == ["阿大", "李四"]


def test_typing_pinyin_initials_finds_the_customer(qtbot, view: CustomerListView) -> None:
    qtbot.keyClicks(view.search_box, "zsf")
    qtbot.waitUntil(lambda: _names(view.model) == ["张三丰"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.count_label.text() == "1 matches", timeout=WAIT_MS)
    assert view.model.index(0, Column.PHONE).data() == "138****8000", "masked on screen"
    id_shown = view.model.index(0, Column.ID_NUMBER).data()
    assert "19491231" not in id_shown and id_shown.endswith("0021")
    # Phone tail, then Esc: the whole book again.
    view.search_box.clear()
    qtbot.keyClicks(view.search_box, "8000")
    qtbot.waitUntil(lambda: _names(view.model) == ["张三丰"], timeout=WAIT_MS)
    qtbot.keyClick(view.search_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: _ready(view) and view.model.total() == TOTAL, timeout=WAIT_MS)


def test_scrolling_pages_rows_in(qtbot, view: CustomerListView) -> None:
    def scrolled_all() -> bool:
        view.table.scrollToBottom()
        return not view.model.has_more() and view.model.rowCount() == TOTAL

    qtbot.waitUntil(scrolled_all, timeout=WAIT_MS)
    ids = [view.model.customer_at(r).id for r in range(view.model.rowCount())]
    assert len(set(ids)) == TOTAL


def test_filters_change_the_rows(qtbot, view: CustomerListView) -> None:
    _choose(view.tier_filter, "黄金")
    qtbot.waitUntil(lambda: _ready(view) and view.model.total() == 4, timeout=WAIT_MS)
    assert _names(view.model) == ["阿大", "李四", "曾国藩", "赵六"]
    assert view.count_label.text() == "4 customers match the filters"
    _choose(view.lifecycle_filter, "active")
    qtbot.waitUntil(
        lambda: view.model.total() == 0 and not view.model.is_loading(), timeout=WAIT_MS
    )
    assert view.model.rowCount() == 0
    _choose(view.tier_filter, None)
    qtbot.waitUntil(lambda: _names(view.model) == ["张三丰"], timeout=WAIT_MS)
    _choose(view.lifecycle_filter, None)
    _choose(view.branch_filter, "城西支行")
    qtbot.waitUntil(lambda: _ready(view) and view.model.total() == 5, timeout=WAIT_MS)
    # The search text combines with the filters; best matches first: li-si starts
    # with "li", zhao-liu only contains it.
    qtbot.keyClicks(view.search_box, "li")
    qtbot.waitUntil(lambda: _names(view.model) == ["李四", "赵六"], timeout=WAIT_MS)


def _choose(combo: QComboBox, label: str | None) -> None:
    """Pick the item shown as ``label`` (None: the first, "all" item)."""
    index = 0 if label is None else combo.findText(label)
    if label is not None and index < 0:  # lifecycle items show translated labels
        index = combo.findData(label)
    assert index >= 0, (label, [combo.itemText(i) for i in range(combo.count())])
    combo.setCurrentIndex(index)


def test_filter_choices_come_from_the_book(qtbot, view: CustomerListView) -> None:
    qtbot.waitUntil(lambda: view.branch_filter.count() == 3, timeout=WAIT_MS)
    assert [view.branch_filter.itemText(i) for i in (1, 2)] == ["城东支行", "城西支行"]
    assert view.tier_filter.findText("顶级") == 1
    assert view.life_stage_filter.count() > 1


def _click_header(qtbot, view: CustomerListView, column: Column) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def test_clicking_headers_sorts(qtbot, view: CustomerListView) -> None:
    _click_header(qtbot, view, Column.AUM)  # richest first on the first click
    qtbot.waitUntil(lambda: _names(view.model)[:2] == ["张三丰", "赵六"], timeout=WAIT_MS)
    assert view.query().sort is SortColumn.AUM and view.query().descending
    _click_header(qtbot, view, Column.AUM)
    qtbot.waitUntil(lambda: _names(view.model)[:2] == ["王客户0", "王客户1"], timeout=WAIT_MS)
    _click_header(qtbot, view, Column.NAME)
    qtbot.waitUntil(lambda: _names(view.model)[:2] == ["阿大", "李四"], timeout=WAIT_MS)
    _click_header(qtbot, view, Column.NAME)
    qtbot.waitUntil(lambda: _names(view.model)[:3] == ["赵六", "张三丰", "曾国藩"], timeout=WAIT_MS)
    # Phone numbers have no order: the click changes nothing.
    _click_header(qtbot, view, Column.PHONE)
    assert view.query().sort is SortColumn.NAME
    assert view.table.horizontalHeader().sortIndicatorSection() == Column.NAME
    # Searching keeps the chosen order.
    qtbot.keyClicks(view.search_box, "wang")
    qtbot.waitUntil(
        lambda: view.model.total() == EXTRA and not view.model.is_loading(), timeout=WAIT_MS
    )
    names = _names(view.model)
    assert names[0] == "王客户99" and names == sorted(names, reverse=True)


def test_enter_on_a_row_announces_the_customer(qtbot, view: CustomerListView) -> None:
    qtbot.keyClicks(view.search_box, "zsf")
    qtbot.waitUntil(lambda: _names(view.model) == ["张三丰"], timeout=WAIT_MS)
    wanted = view.model.customer_at(0).id
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as signal:
        qtbot.keyClick(view.search_box, Qt.Key.Key_Return)
    assert signal.args == [wanted]
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as signal:
        view.table.setFocus()
        view.table.setCurrentIndex(view.model.index(0, Column.NAME))
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert signal.args == [wanted]


def test_a_sync_refreshes_the_list(qtbot, view: CustomerListView, cache: Cache) -> None:
    with cache.session() as session:
        customer = Customer(customer_no="NEW1", category="individual", name="阿新", tier="顶级")
        session.add(customer)
    with cache.engine.begin() as conn:
        stored = conn.execute(Customer.__table__.select().where(Customer.id == customer.id))
        index_customers(conn, [dict(row._mapping) for row in stored])
    changed(Change("synced", None, (), frozenset({"customer"})))
    qtbot.waitUntil(lambda: _ready(view) and view.model.total() == TOTAL + 1, timeout=WAIT_MS)
    assert _names(view.model)[:2] == ["阿大", "阿新"]


def test_a_refresh_stays_where_the_rm_was(qtbot, view: CustomerListView) -> None:
    def scrolled() -> bool:
        view.table.scrollToBottom()
        return view.model.rowCount() >= 3 * PAGE_SIZE

    qtbot.waitUntil(scrolled, timeout=WAIT_MS)
    current = view.model.customer_at(2 * PAGE_SIZE + 5).id
    view.table.setCurrentIndex(view.model.index(2 * PAGE_SIZE + 5, Column.NAME))
    loaded = view.model.rowCount()
    changed(Change("synced", None, (), frozenset({"customer"})))
    qtbot.waitUntil(lambda: _ready(view) and view.model.rowCount() >= loaded, timeout=WAIT_MS)
    assert view.model.customer_at(view.table.currentIndex().row()).id == current
    top = view.table.indexAt(view.table.viewport().rect().topLeft()).row()
    assert top > PAGE_SIZE, "still scrolled down, not back at the top"


class _HeldRunner:
    """Runs nothing until told: answers can be delivered in any order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(self, fn: Any, on_done: Any, on_error: Any) -> None:
        self.calls.append((fn, on_done))

    def deliver(self, index: int) -> None:
        fn, on_done = self.calls[index]
        on_done(fn())


def test_a_stale_answer_is_dropped(qapp, service: CustomerService) -> None:
    runner = _HeldRunner()
    model = CustomerTableModel(service, runner=runner)
    model.set_query(CustomerQuery(text="li"))  # calls 0 (page) and 1 (count)
    model.set_query(CustomerQuery(text="zsf"))  # calls 2 and 3: the RM typed on
    runner.deliver(2)
    runner.deliver(3)
    runner.deliver(0)  # the old answer arrives last
    runner.deliver(1)
    assert _names(model) == ["张三丰"] and model.total() == 1
    # A page asked for before the query changed is dropped too.
    model.set_query(CustomerQuery())
    runner.deliver(4)
    model.fetchMore(QModelIndex())
    model.set_query(CustomerQuery(sort=SortColumn.AUM))
    runner.deliver(7)
    runner.deliver(6)  # the page of the old order
    assert model.rowCount() == PAGE_SIZE
    assert _names(model)[0] == "王客户0"


def test_a_failed_query_is_said_where_the_count_is(
    qtbot, view: CustomerListView, cache: Cache
) -> None:
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE customer_search")  # the index is gone: reads fail
    changed(Change("synced", None, (), frozenset({"customer"})))
    qtbot.waitUntil(lambda: view.count_label.text().startswith("⚠"), timeout=WAIT_MS)
    assert "customer_search" in view.count_label.toolTip()
    assert not view.model.has_more(), "no retry on every scroll"
