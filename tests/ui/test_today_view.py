"""The Today tab over the demo book in a real cache: sections with the service's counts,
empty states, double click and Enter on an item, refreshing after a write and at
midnight. The clock is fixed at 10:00 on the demo book's "today" (22 November 2026)."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from rm_demo.book import DEFAULT_TODAY
from rm_workbench.db.engine import Cache
from rm_workbench.domain.reminders import day_start
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.today import DORMANT_NOW, DORMANT_SOON
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.events import changed
from rm_workbench.ui.today_model import TodayColumn, TodayItemModel
from rm_workbench.ui.today_view import SECTIONS, TodayView

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
WAIT_MS = 10_000
TITLES = {
    "visits": "Today's visits",
    "overdue": "Overdue follow-ups",
    "maturities": "Maturing in the next 30 days",
    "birthdays": "Birthdays this week",
    "dormant": "Turning dormant",
    "visits_due": "Visits due by tier cadence",
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _workbench(cache: Cache) -> Workbench:
    return Workbench("test", cache, CustomerService(cache), "示范商业银行")


def double_click(qtbot, widget: QWidget, pos: QPoint) -> None:
    """What a real double click sends: a click, then the double click."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def _open(qtbot, workbench: Workbench, clock: Clock | None = None) -> TodayView:
    view = TodayView(workbench, clock=clock or Clock(NOW))
    qtbot.addWidget(view)
    view.resize(1280, 760)
    view.show()
    qtbot.waitUntil(lambda: view.day is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


def test_the_item_model_passes_the_model_tester(qtmodeltester, workbench: Workbench) -> None:
    day = workbench.today.view(NOW)
    model = TodayItemModel()
    model.set_rows(day.maturities)
    assert model.rowCount() == len(day.maturities) > 0
    assert model.columnCount() == len(TodayColumn)
    qtmodeltester.check(model)
    first = day.maturities[0]
    assert model.index(0, TodayColumn.CUSTOMER).data() == first.customer_name
    assert model.index(0, TodayColumn.TITLE).data() == first.title
    assert model.index(0, TodayColumn.AMOUNT).data().endswith("万元")
    assert model.index(0, TodayColumn.REASON).data() == first.reason
    assert model.index(0, 0).data(Qt.ItemDataRole.UserRole) == first.customer_id
    model.set_rows(day.overdue)
    qtmodeltester.check(model)


def test_the_sections_show_the_services_counts(qtbot, workbench: Workbench) -> None:
    expected = workbench.today.view(NOW).counts()
    assert all(expected.values()), expected  # the demo day has something everywhere
    view = _open(qtbot, workbench)
    assert view.counts() == expected
    for key in SECTIONS:
        section = view.sections[key]
        assert section.header.text() == f"{TITLES[key]} ({expected[key]})"
        assert section.showing_items()
    assert view.status_label.text() == f"{sum(expected.values())} items today"
    assert "2026年11月22日" in view.date_label.text() and "Sunday" in view.date_label.text()
    # What and why of an item, and its amount in 万元 (maturities say it in the title).
    maturities = view.sections["maturities"]
    item = maturities.model.row_at(0)
    assert item.amount_wan and item.amount_wan in item.title
    assert maturities.table.isColumnHidden(TodayColumn.AMOUNT)


def test_an_empty_book_shows_an_empty_state_in_every_section(qtbot, cache: Cache) -> None:
    view = _open(qtbot, _workbench(cache))
    for key in SECTIONS:
        section = view.sections[key]
        assert section.header.text() == f"{TITLES[key]} (0)"
        assert not section.showing_items()
        assert section.message.text()  # says there is nothing, not a blank box
    assert view.sections["visits"].message.text() == "No visits planned for today."
    wait_for_background()


def test_double_click_and_enter_open_the_customer(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench)
    section = view.sections["maturities"]
    table = section.table
    first, second = section.model.row_at(0), section.model.row_at(1)
    rect = table.visualRect(section.model.index(0, TodayColumn.TITLE))
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as signal:
        double_click(qtbot, table.viewport(), rect.center())
    assert signal.args == [first.customer_id]

    table.setFocus()
    table.setCurrentIndex(section.model.index(1, TodayColumn.CUSTOMER))
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as signal:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert signal.args == [second.customer_id]


def test_a_contact_takes_the_customer_off_the_dormant_list(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench)
    before = view.counts()["dormant"]
    item = view.sections["dormant"].model.row_at(0)
    assert item.kind in (DORMANT_SOON, DORMANT_NOW)
    change = workbench.activities.add_contact(
        item.customer_id, summary="电话问候，了解近况", channel="phone", now=NOW
    )
    changed(change)
    qtbot.waitUntil(lambda: view.counts()["dormant"] == before - 1, timeout=WAIT_MS)
    assert item.customer_id not in {i.customer_id for i in view.sections["dormant"].model.rows()}
    assert view.sections["dormant"].header.text() == f"Turning dormant ({before - 1})"


def test_a_write_elsewhere_does_not_reload(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench)
    shown = view.day
    customer = view.sections["visits_due"].model.row_at(0).customer_id
    changed(workbench.customer360.reveal(customer, "mobile_phone", "E880004").change)
    assert not view.is_loading() and view.day is shown  # an audit row changes no section


def test_midnight_reads_the_next_day(qtbot, workbench: Workbench) -> None:
    clock = Clock(NOW)
    view = _open(qtbot, workbench, clock)
    assert view.day is not None and view.day.today == DEFAULT_TODAY
    # 10:00 in Beijing: the timer is set for 14 hours ahead (and a second).
    assert view._midnight.isActive()
    assert view._midnight.interval() == (14 * 3600 + 1) * 1000
    clock.now = day_start(DEFAULT_TODAY + timedelta(days=1)) + timedelta(seconds=1)
    view._midnight.timeout.emit()
    tomorrow = DEFAULT_TODAY + timedelta(days=1)
    qtbot.waitUntil(lambda: view.day is not None and view.day.today == tomorrow, timeout=WAIT_MS)
    assert view.counts() == workbench.today.view(clock.now).counts()
    assert "2026年11月23日" in view.date_label.text()
