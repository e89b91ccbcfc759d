"""The Visits tab, driven through real widgets over the demo book in a real cache: typing
in the customer picker, clicking cards and buttons, keyboard shortcuts. Reads and writes
run off the GUI thread; there is no server anywhere (the workbench is offline).

The clock is fixed at 10:00 on the demo book's "today" (Sunday 22 November 2026), so the
shown week runs from Monday 16 to Sunday 22 November.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from sqlalchemy import select

from rm_demo.book import DEFAULT_TODAY
from rm_workbench.domain.formatting import format_short_date
from rm_workbench.domain.names import name_readings
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import Need
from rm_workbench.services.visits import VisitSummary
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.events import app_events, changed
from rm_workbench.ui.visit_agenda_model import CANCELLED, DONE, AgendaColumn, AgendaModel, time_span
from rm_workbench.ui.visit_dialogs import (
    CancelVisitDialog,
    PlanVisitDialog,
    RescheduleDialog,
    RunVisitDialog,
    VisitDetailDialog,
)
from rm_workbench.ui.visits_view import VisitsView
from rm_workbench.ui.week_calendar import STATE_ROLE
from tests.services.helpers import outbox

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
MONDAY = DEFAULT_TODAY - timedelta(days=DEFAULT_TODAY.weekday())
NEXT_MONDAY = MONDAY + timedelta(days=7)
WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return day_start(day) + timedelta(hours=hour, minutes=minute)


# --- fixtures -----------------------------------------------------------------------


def loaded(view: VisitsView) -> bool:
    return view.week is not None and not view.is_loading() and view.week.monday == view.monday


@pytest.fixture
def view(qtbot, workbench: Workbench) -> Iterator[VisitsView]:
    widget = VisitsView(workbench, clock=lambda: NOW)
    qtbot.addWidget(widget)
    widget.resize(1200, 720)
    widget.show()
    qtbot.waitUntil(lambda: loaded(widget), timeout=WAIT_MS)
    yield widget
    if widget.dialog is not None:
        widget.dialog.done(0)
    wait_for_background()


def plan(workbench: Workbench, start: datetime, purpose: str = "到期资金续作沟通") -> str:
    """A planned visit written through the service, announced as a dialog would."""
    customer = workbench.customers.page(0, 1)[0]
    change = workbench.visits.plan(
        customer.id, start=start, end=start + timedelta(hours=1), purpose=purpose
    )
    changed(change)
    return change.id


def shown(qtbot, view: VisitsView, visit_id: str, day: date) -> None:
    qtbot.waitUntil(
        lambda: loaded(view) and visit_id in view.calendar.visit_ids(day), timeout=WAIT_MS
    )


def click_card(qtbot, view: VisitsView, visit_id: str, *, double: bool = False) -> None:
    found = view.calendar.card_rect(visit_id)
    assert found is not None
    cards, rect = found
    # A real double click is a press and release, then the double click.
    qtbot.mouseClick(cards.viewport(), LEFT, pos=rect.center())
    if double:
        qtbot.mouseDClick(cards.viewport(), LEFT, pos=rect.center())


def open_dialog(qtbot, view: VisitsView, kind: type) -> QWidget:
    qtbot.waitUntil(lambda: isinstance(view.dialog, kind), timeout=WAIT_MS)
    dialog = view.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def closed(qtbot, view: VisitsView) -> None:
    qtbot.waitUntil(lambda: view.dialog is None, timeout=WAIT_MS)


def state_of(view: VisitsView, visit_id: str) -> str:
    for cards in view.calendar.lists:
        for row in range(cards.count()):
            item = cards.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == visit_id:
                return str(item.data(STATE_ROLE))
    raise AssertionError(f"no card for {visit_id}")


def ime(widget: QWidget | None, text: str) -> None:
    """Type Chinese as an input method does: the IME commits the characters chosen
    (QTest can only press keys of the Latin alphabet)."""
    assert widget is not None
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def initials(name: str) -> str:
    reading = name_readings(name)[0]
    return "".join(syllable[0] for syllable in reading.syllables)


# --- the week and the agenda ----------------------------------------------------------


def test_the_week_shows_each_days_visits_and_the_agenda_of_today(
    view: VisitsView, workbench: Workbench
) -> None:
    week = workbench.visits.week(DEFAULT_TODAY)
    assert view.monday == MONDAY
    for i, day in enumerate(week.days):
        assert view.calendar.visit_ids(day.day) == [v.id for v in day.visits]
        assert format_short_date(day.day) in view.calendar.headers[i].text()
    assert sum(len(d.visits) for d in week.days) > 5  # the demo book has a busy week
    # Today is selected; the agenda holds today's visits in time order.
    assert view.selected_day() == DEFAULT_TODAY
    today = [v.id for v in week.days[6].visits]
    assert [view.agenda.visit_at(r).id for r in range(view.agenda.rowCount())] == today
    # Done visits and visits whose time has passed without a record look different.
    states = {state_of(view, v.id) for d in week.days for v in d.visits}
    assert {DONE, "overdue"} <= states


def test_clicking_a_day_shows_its_agenda_and_a_card_selects_the_row(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    week = workbench.visits.week(DEFAULT_TODAY)
    busiest = max(week.days, key=lambda d: len(d.visits))
    index = (busiest.day - MONDAY).days
    qtbot.mouseClick(view.calendar.headers[index], LEFT)
    assert view.selected_day() == busiest.day
    assert view.agenda.rowCount() == len(busiest.visits)
    second = busiest.visits[1]
    click_card(qtbot, view, second.id)
    assert view.selected_visit() == second
    assert view.agenda_table.currentIndex().row() == 1
    # And the other way round: a row of the agenda selects its card.
    qtbot.mouseClick(
        view.agenda_table.viewport(),
        LEFT,
        pos=view.agenda_table.visualRect(view.agenda.index(0, AgendaColumn.CUSTOMER)).center(),
    )
    assert view.calendar.selected_visit_id() == busiest.visits[0].id


def test_week_navigation_by_buttons_and_keys(qtbot, view: VisitsView) -> None:
    qtbot.mouseClick(view.next_button, LEFT)
    qtbot.waitUntil(lambda: loaded(view) and view.monday == NEXT_MONDAY, timeout=WAIT_MS)
    assert "11月23日" in view.calendar.headers[0].text()
    assert view.selected_day() == NEXT_MONDAY
    qtbot.mouseClick(view.previous_button, LEFT)
    qtbot.mouseClick(view.previous_button, LEFT)
    qtbot.waitUntil(
        lambda: loaded(view) and view.monday == MONDAY - timedelta(days=7), timeout=WAIT_MS
    )
    qtbot.mouseClick(view.this_week_button, LEFT)
    qtbot.waitUntil(lambda: loaded(view) and view.monday == MONDAY, timeout=WAIT_MS)
    assert view.selected_day() == DEFAULT_TODAY

    # The keyboard: Ctrl+Right / Ctrl+Left change the week, Ctrl+T comes back.
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.calendar.lists[0].setFocus()
    control = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(view.calendar.lists[0], Qt.Key.Key_Right, control)
    qtbot.waitUntil(lambda: loaded(view) and view.monday == NEXT_MONDAY, timeout=WAIT_MS)
    qtbot.keyClick(view.calendar.lists[0], Qt.Key.Key_Left, control)
    qtbot.keyClick(view.calendar.lists[0], Qt.Key.Key_Left, control)
    qtbot.waitUntil(
        lambda: loaded(view) and view.monday == MONDAY - timedelta(days=7), timeout=WAIT_MS
    )
    qtbot.keyClick(view.calendar.lists[0], Qt.Key.Key_T, control)
    qtbot.waitUntil(lambda: loaded(view) and view.monday == MONDAY, timeout=WAIT_MS)


def test_left_and_right_move_between_days(qtbot, view: VisitsView, workbench: Workbench) -> None:
    week = workbench.visits.week(DEFAULT_TODAY)
    monday = week.days[0].visits[0]
    click_card(qtbot, view, monday.id)
    qtbot.keyClick(view.calendar.lists[0], Qt.Key.Key_Right)
    assert view.selected_day() == MONDAY + timedelta(days=1)
    assert view.calendar.selected_visit_id() == week.days[1].visits[0].id
    qtbot.keyClick(view.calendar.lists[1], Qt.Key.Key_Left)
    assert view.calendar.selected_visit_id() == monday.id


def test_the_agenda_model_passes_the_model_tester(qtmodeltester, workbench: Workbench) -> None:
    model = AgendaModel()
    week = workbench.visits.week(DEFAULT_TODAY)
    visits: list[VisitSummary] = [v for d in week.days for v in d.visits]
    model.set_visits(visits, NOW)
    assert model.rowCount() == len(visits) and model.columnCount() == len(AgendaColumn)
    qtmodeltester.check(model)
    first = visits[0]
    assert model.index(0, AgendaColumn.CUSTOMER).data() == first.customer_name
    assert model.index(0, AgendaColumn.TIME).data() == time_span(first)
    assert model.headerData(AgendaColumn.PURPOSE, Qt.Orientation.Horizontal) == "Purpose"
    model.set_visits([], NOW)
    qtmodeltester.check(model)


# --- plan -------------------------------------------------------------------------------


def test_plan_a_visit_by_pinyin_initials_offline(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    customer = next(
        c
        for c in workbench.customers.page(0, 200)
        if c.category == "individual" and len(c.name) == 3
    )
    typed = initials(customer.name)
    before = len(outbox(workbench.cache))

    qtbot.mouseClick(view.plan_button, LEFT)
    dialog = open_dialog(qtbot, view, PlanVisitDialog)
    assert isinstance(dialog, PlanVisitDialog)
    qtbot.keyClicks(dialog.search_edit, typed)

    def result_row() -> int | None:
        for row in range(dialog.results.count()):
            if dialog.results.item(row).data(Qt.ItemDataRole.UserRole) == customer.id:
                return row
        return None

    qtbot.waitUntil(lambda: result_row() is not None, timeout=WAIT_MS)
    item = dialog.results.item(result_row() or 0)
    qtbot.mouseClick(
        dialog.results.viewport(), LEFT, pos=dialog.results.visualItemRect(item).center()
    )
    assert dialog.customer_id == customer.id
    assert customer.name in dialog.chosen_label.text()

    tuesday = NEXT_MONDAY + timedelta(days=1)
    dialog.date_edit.setDate(QDate(tuesday.year, tuesday.month, tuesday.day))
    dialog.start_edit.setTime(QTime(15, 0))
    dialog.duration_combo.setCurrentIndex(dialog.duration_combo.findData(90))
    assert dialog.end_edit.time() == QTime(16, 30)
    ime(dialog.purpose_combo.lineEdit(), "到期资金续作沟通")
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findData("home"))
    ime(dialog.place_edit, "客户家中")
    with qtbot.waitSignal(app_events().changed, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.save_button, LEFT)
    change = saved.args[0]
    assert change.kind == "visit_planned" and change.customer_id == customer.id
    closed(qtbot, view)

    # The view follows the new visit to its week and day, and selects it.
    shown(qtbot, view, change.id, tuesday)
    assert view.monday == NEXT_MONDAY and view.selected_day() == tuesday
    selected = view.selected_visit()
    assert selected is not None and selected.id == change.id
    row = view.agenda.row_of(change.id)
    assert row is not None
    assert view.agenda.index(row, AgendaColumn.TIME).data() == "15:00–16:30"
    assert view.agenda.index(row, AgendaColumn.CUSTOMER).data() == customer.name
    assert view.agenda.index(row, AgendaColumn.PURPOSE).data() == "到期资金续作沟通"
    assert view.agenda.index(row, AgendaColumn.PLACE).data() == "客户家中"

    # Saved offline: the insert waits in the outbox for the next sync.
    entries = outbox(workbench.cache)[before:]
    assert [(e.table, e.op, e.row_id) for e in entries] == [("visit", "insert", change.id)]
    assert entries[0].fields["purpose"] == {"new": "到期资金续作沟通"}
    assert entries[0].fields["category"] == {"new": "home"}


def test_plan_for_a_given_customer_preselects_it(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    customer = workbench.customers.page(0, 1)[0]
    view.plan_visit(customer.id)
    dialog = open_dialog(qtbot, view, PlanVisitDialog)
    assert isinstance(dialog, PlanVisitDialog)
    qtbot.waitUntil(lambda: dialog.customer_id == customer.id, timeout=WAIT_MS)
    assert dialog.search_edit.text() == customer.name
    # Today is selected: the plan starts at the next full hour.
    assert dialog.start() == NOW + timedelta(hours=1)
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), LEFT)
    closed(qtbot, view)


def test_invalid_input_is_shown_in_the_dialog_which_stays_open(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    before = outbox(workbench.cache)
    view.plan_visit(None)
    dialog = open_dialog(qtbot, view, PlanVisitDialog)
    assert isinstance(dialog, PlanVisitDialog)

    qtbot.mouseClick(dialog.save_button, LEFT)  # no customer yet
    assert "Choose the customer first" in dialog.error_text()

    customer = workbench.customers.page(0, 1)[0]
    qtbot.keyClicks(dialog.search_edit, customer.customer_no)
    qtbot.waitUntil(lambda: dialog.results.count() > 0, timeout=WAIT_MS)
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)  # Enter picks the first match
    assert dialog.customer_id == customer.id
    assert dialog.isVisible()

    qtbot.mouseClick(dialog.save_button, LEFT)  # empty purpose
    qtbot.waitUntil(lambda: dialog.error_text() == "请填写拜访目的。", timeout=WAIT_MS)
    assert dialog.isVisible() and view.dialog is dialog

    ime(dialog.purpose_combo.lineEdit(), "新产品推介")
    dialog.start_edit.setTime(QTime(15, 0))
    dialog.end_edit.setTime(QTime(14, 0))  # the end before the start
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: "不能早于计划开始时间" in dialog.error_text(), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    # Nothing typed is lost, and nothing was written.
    assert dialog.purpose_combo.currentText() == "新产品推介"
    assert dialog.customer_id == customer.id
    assert outbox(workbench.cache) == before

    dialog.end_edit.setTime(QTime(16, 0))
    qtbot.mouseClick(dialog.save_button, LEFT)
    closed(qtbot, view)
    assert len(outbox(workbench.cache)) == len(before) + 1


# --- run, reschedule, cancel ----------------------------------------------------------------


def test_record_a_visit_with_notes_a_need_a_product_and_a_follow_up(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    visit_id = plan(workbench, NOW - timedelta(hours=2))
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    click_card(qtbot, view, visit_id)
    assert view.run_button.isEnabled()
    qtbot.mouseClick(view.run_button, LEFT)
    dialog = open_dialog(qtbot, view, RunVisitDialog)
    assert isinstance(dialog, RunVisitDialog)
    # The actual times start from the plan (it is over).
    assert (dialog.start_edit.time(), dialog.end_edit.time()) == (QTime(8, 0), QTime(9, 0))

    ime(dialog.report_edit, "客户计划明年送女儿出国读书，关注稳健理财。")
    ime(dialog.attendees_edit, "客户及配偶")
    qtbot.mouseClick(dialog.add_need_button, LEFT)
    category, summary = dialog.need_row(0)
    assert isinstance(category, QComboBox)
    category.setCurrentIndex(category.findData("education"))
    ime(summary, "女儿出国留学资金")
    ime(dialog.outcome_combo.lineEdit(), "客户有意向")
    qtbot.mouseClick(dialog.follow_up_check, LEFT)
    follow_up = DEFAULT_TODAY + timedelta(days=7)
    dialog.follow_up_edit.setDate(QDate(follow_up.year, follow_up.month, follow_up.day))
    qtbot.waitUntil(dialog.products_loaded, timeout=WAIT_MS)
    product = workbench.visits.products()[0]
    dialog.check_product(product.id)

    qtbot.mouseClick(dialog.save_button, LEFT)
    closed(qtbot, view)
    qtbot.waitUntil(lambda: loaded(view) and state_of(view, visit_id) == DONE, timeout=WAIT_MS)

    detail = workbench.visits.get(visit_id)
    assert detail.status == "done"
    assert detail.follow_up_due == follow_up
    assert detail.outcome == "客户有意向" and detail.attendees == "客户及配偶"
    assert detail.report is not None
    assert "出国读书" in detail.report and f"洽谈产品：{product.name}" in detail.report
    with workbench.cache.engine.connect() as conn:
        needs = conn.execute(
            select(Need.category, Need.summary, Need.status).where(
                Need.customer_id == detail.customer_id, Need.summary == "女儿出国留学资金"
            )
        ).all()
    assert [tuple(n) for n in needs] == [("education", "女儿出国留学资金", "open")]
    # A done visit cannot be recorded, moved or cancelled again; it can be read.
    assert not view.run_button.isEnabled() and not view.cancel_button.isEnabled()
    assert view.detail_button.isEnabled()


def test_recording_refuses_empty_notes_and_keeps_the_dialog(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    visit_id = plan(workbench, NOW - timedelta(hours=2))
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    click_card(qtbot, view, visit_id, double=True)  # a planned visit: the record dialog
    dialog = open_dialog(qtbot, view, RunVisitDialog)
    assert isinstance(dialog, RunVisitDialog)
    qtbot.mouseClick(dialog.add_need_button, LEFT)
    ime(dialog.need_row(0)[1], "购车贷款")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.error_text() == "请填写拜访记录。", timeout=WAIT_MS)
    dialog.end_edit.setTime(QTime(7, 0))
    ime(dialog.report_edit, "电话确认。")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: "不能早于实际开始时间" in dialog.error_text(), timeout=WAIT_MS)
    assert dialog.need_row(0)[1].text() == "购车贷款"
    assert workbench.visits.get(visit_id).status == "planned"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    closed(qtbot, view)


def test_reschedule_moves_the_visit_to_another_day(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    visit_id = plan(workbench, at(DEFAULT_TODAY, 15))
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    click_card(qtbot, view, visit_id)
    qtbot.mouseClick(view.reschedule_button, LEFT)
    dialog = open_dialog(qtbot, view, RescheduleDialog)
    assert isinstance(dialog, RescheduleDialog)
    wednesday = NEXT_MONDAY + timedelta(days=2)
    dialog.date_edit.setDate(QDate(wednesday.year, wednesday.month, wednesday.day))
    dialog.start_edit.setTime(QTime(9, 30))
    assert dialog.end_edit.time() == QTime(10, 30)  # it keeps its length
    with qtbot.waitSignal(app_events().changed, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert saved.args[0].kind == "visit_rescheduled"
    closed(qtbot, view)
    shown(qtbot, view, visit_id, wednesday)
    assert view.selected_day() == wednesday
    assert view.calendar.selected_visit_id() == visit_id
    detail = workbench.visits.get(visit_id)
    assert (detail.planned_start, detail.planned_end) == (
        at(wednesday, 9, 30),
        at(wednesday, 10, 30),
    )
    qtbot.mouseClick(view.this_week_button, LEFT)
    qtbot.waitUntil(lambda: loaded(view) and view.monday == MONDAY, timeout=WAIT_MS)
    assert visit_id not in view.calendar.visit_ids(DEFAULT_TODAY)


def test_cancel_with_a_reason(qtbot, view: VisitsView, workbench: Workbench) -> None:
    visit_id = plan(workbench, at(DEFAULT_TODAY, 16))
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    click_card(qtbot, view, visit_id)
    qtbot.mouseClick(view.cancel_button, LEFT)
    dialog = open_dialog(qtbot, view, CancelVisitDialog)
    assert isinstance(dialog, CancelVisitDialog)
    qtbot.mouseClick(dialog.save_button, LEFT)  # no reason
    qtbot.waitUntil(lambda: dialog.error_text() == "请填写取消原因。", timeout=WAIT_MS)
    ime(dialog.reason_combo.lineEdit(), "客户出差，下周再约")
    qtbot.mouseClick(dialog.save_button, LEFT)
    closed(qtbot, view)
    qtbot.waitUntil(lambda: loaded(view) and state_of(view, visit_id) == CANCELLED, timeout=WAIT_MS)
    detail = workbench.visits.get(visit_id)
    assert detail.status == "cancelled"
    assert detail.report is not None and "取消原因：客户出差，下周再约" in detail.report
    row = view.agenda.row_of(visit_id)
    assert row is not None
    assert view.agenda.index(row, AgendaColumn.STATUS).data() == "已取消"
    assert not view.reschedule_button.isEnabled()
    # A cancelled visit opens read-only on a double click.
    click_card(qtbot, view, visit_id, double=True)
    detail_dialog = open_dialog(qtbot, view, VisitDetailDialog)
    assert isinstance(detail_dialog, VisitDetailDialog)
    qtbot.waitUntil(lambda: detail_dialog.detail is not None, timeout=WAIT_MS)
    assert "客户出差" in detail_dialog.report_view.toPlainText()
    assert not detail_dialog.save_button.isVisible()


def test_a_done_visit_opens_its_record_and_takes_more_notes(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    week = workbench.visits.week(DEFAULT_TODAY)
    done = next(v for d in week.days for v in d.visits if v.status == "done")
    click_card(qtbot, view, done.id, double=True)
    dialog = open_dialog(qtbot, view, VisitDetailDialog)
    assert isinstance(dialog, VisitDetailDialog)
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=WAIT_MS)
    before = dialog.report_view.toPlainText()
    assert before
    ime(dialog.note_edit, "补充：客户来电确认资料已收到。")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(
        lambda: dialog.report_view.toPlainText().endswith("补充：客户来电确认资料已收到。"),
        timeout=WAIT_MS,
    )
    assert dialog.report_view.toPlainText().startswith(before)
    assert dialog.note_edit.toPlainText() == ""


def test_open_customer_announces_the_visits_customer(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    assert not view.open_customer_button.isEnabled()  # nothing selected yet
    visit = workbench.visits.week(DEFAULT_TODAY).days[0].visits[0]
    click_card(qtbot, view, visit.id)
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as opened:
        qtbot.mouseClick(view.open_customer_button, LEFT)
    assert opened.args == [visit.customer_id]


def test_a_sync_or_another_screens_write_refreshes_the_week(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    visit_id = plan(workbench, at(DEFAULT_TODAY, 18))  # announced like any screen's write
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    assert view.agenda.row_of(visit_id) is not None


def test_keyboard_enter_records_and_shortcuts_open_the_actions(
    qtbot, view: VisitsView, workbench: Workbench
) -> None:
    visit_id = plan(workbench, NOW - timedelta(hours=2))
    shown(qtbot, view, visit_id, DEFAULT_TODAY)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    click_card(qtbot, view, visit_id)
    cards = view.calendar.lists[6]
    assert cards.hasFocus()
    control = Qt.KeyboardModifier.ControlModifier
    for key, modifier, kind in (
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, RunVisitDialog),
        (Qt.Key.Key_R, control, RunVisitDialog),
        (Qt.Key.Key_E, control, RescheduleDialog),
        (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier, CancelVisitDialog),
        (Qt.Key.Key_I, control, VisitDetailDialog),
    ):
        qtbot.keyClick(cards, key, modifier)
        dialog = open_dialog(qtbot, view, kind)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        closed(qtbot, view)
        cards.setFocus()
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS):
        qtbot.keyClick(cards, Qt.Key.Key_O, control)
