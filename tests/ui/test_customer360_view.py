"""The Customer 360 tab over the demo book in a real cache: the masked profile and the
audited reveal, warnings, holdings and the chart, members, the timeline, and the
contact, need and opportunity dialogs opened from the tab with the mouse and the
keyboard. Reads and writes run off the GUI thread."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from sqlalchemy import select, text

from rm_demo.book import DEFAULT_TODAY
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import AuditLog, Customer
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.activity_dialogs import (
    CloseNeedDialog,
    ContactDialog,
    NeedDialog,
    OpportunityDialog,
)
from rm_workbench.ui.customer360.view import Customer360View
from rm_workbench.ui.customer360_model import (
    HoldingColumn,
    HoldingsModel,
    MemberColumn,
    MembersModel,
    NeedsModel,
    OpportunitiesModel,
    OpportunityColumn,
    TimelineModel,
)
from rm_workbench.ui.events import changed
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.settings import Settings
from tests.services.helpers import outbox

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


def _scalar(workbench: Workbench, sql: str) -> str:
    with workbench.cache.engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    assert value is not None, sql
    return str(value)


def household_customer(workbench: Workbench) -> str:
    """An individual with a valid 18-digit ID, a mobile, a household, holdings, open needs
    and open opportunities."""
    return _scalar(
        workbench,
        """select c.id from customer c
           join group_membership m on m.customer_id = c.id
           join account a on a.customer_id = c.id
           join need n on n.customer_id = c.id and n.status in ('open', 'in_progress')
           join opportunity o on o.customer_id = c.id and o.sales_stage in ('lead', 'qualified')
           where c.category = 'individual' and length(c.id_number) = 18
             and c.mobile_phone is not null
           group by c.id order by count(distinct a.account_type) desc, c.customer_no limit 1""",
    )


def duplicate_customer(workbench: Workbench) -> str:
    """One of two customer numbers with the same name and mobile."""
    return _scalar(
        workbench,
        """select min(id) from customer where mobile_phone is not null
           group by name, mobile_phone having count(*) > 1 order by 1 limit 1""",
    )


def _open(qtbot, workbench: Workbench, customer_id: str) -> Customer360View:
    view = Customer360View(workbench, customer_id, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


def _activate(qtbot, window: QWidget, focus: QWidget) -> None:
    """Keyboard shortcuts go to the active window, and the tab's to the focus in it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    focus.setFocus()
    qtbot.waitUntil(focus.hasFocus, timeout=WAIT_MS)


def double_click(qtbot, widget: QWidget, pos: QPoint) -> None:
    qtbot.mouseClick(widget, LEFT, pos=pos)
    qtbot.mouseDClick(widget, LEFT, pos=pos)


def type_chinese(widget: QWidget, text: str) -> None:
    """Type Chinese as an input method does: one committed string (QTest's key clicks
    only know ASCII)."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _saved(qtbot, dialog: QWidget) -> None:
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


# --- models ---------------------------------------------------------------------------


def test_the_models_pass_the_model_tester(qtmodeltester, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    c = workbench.customer360.load(customer_id, now=NOW)
    holdings = HoldingsModel()
    holdings.set_holdings(c.holdings)
    rows = len(c.holdings.groups) + sum(len(g.holdings) for g in c.holdings.groups)
    assert holdings.rowCount() == rows
    group = c.holdings.groups[0]
    assert holdings.index(0, HoldingColumn.BALANCE).data() == group.total_text
    assert holdings.index(0, HoldingColumn.PRODUCT).data() == f"{group.label} ({group.count})"
    assert holdings.index(1, HoldingColumn.ACCOUNT).data().startswith("ending ")
    members = MembersModel()
    members.set_groups(c.groups)
    assert members.rowCount() == sum(len(g.members) for g in c.groups) >= 2
    timeline = TimelineModel()
    timeline.set_rows(c.timeline)
    needs = NeedsModel()
    needs.set_rows(workbench.activities.needs(customer_id))
    opportunities = OpportunitiesModel()
    opportunities.set_rows(workbench.activities.opportunities(customer_id))
    for model in (holdings, members, timeline, needs, opportunities):
        assert model.rowCount() > 0, type(model).__name__
        qtmodeltester.check(model)


# --- what the tab shows -----------------------------------------------------------------


def test_the_profile_is_masked_with_holdings_members_and_timeline(
    qtbot, workbench: Workbench
) -> None:
    customer_id = household_customer(workbench)
    expected = workbench.customer360.load(customer_id, now=NOW)
    view = _open(qtbot, workbench, customer_id)
    profile = expected.profile
    assert view.title() == profile.name == view.name_label.text()
    assert profile.customer_no in view.badges_label.text()
    assert (
        view.profile.id_label.text() == profile.masked_id_number
        and "*" in view.profile.id_label.text()
    )
    assert view.profile.mobile_label.text() == profile.masked_mobile_phone
    assert (
        view.profile.reveal_id_button.isVisible() and view.profile.reveal_id_button.text() == "Show"
    )
    assert view.holdings.totals_label.text() == (
        f"Assets {expected.holdings.assets_text} · Liabilities {expected.holdings.liabilities_text}"
    )
    assert [s.label for s in view.holdings.chart.asset_slices()] == [
        g.label for g in expected.holdings.groups if not g.is_liability and g.total > 0
    ]
    assert abs(sum(s.share for s in view.holdings.chart.asset_slices()) - 1) < 1e-9
    assert view.activity_tabs.timeline_model.rows() == list(expected.timeline)  # newest first
    assert view.activity_tabs.tabText(0) == f"Timeline ({len(expected.timeline)})"
    assert view.members.members_table.isVisibleTo(view)
    assert view.warnings() == (
        [f"⚠ {w.message}" for w in expected.warnings] or ["No problem found in this record."]
    )


def test_warnings_say_why(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench, duplicate_customer(workbench))
    duplicates = [w for w in view.warnings() if "可能重复" in w]
    assert duplicates and "姓名与手机号相同" in duplicates[0]
    label = view.findChild(QWidget, "warning_duplicate")
    assert label is not None and "#c2410c" in label.styleSheet()


def test_a_member_opens_with_a_double_click(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench, household_customer(workbench))
    model = view.members.members_model
    row = next(r for r in range(model.rowCount()) if not model.row_at(r)[1].is_self)
    member = model.row_at(row)[1]
    rect = view.members.members_table.visualRect(model.index(row, MemberColumn.NAME))
    with qtbot.waitSignal(view.customer_activated, timeout=WAIT_MS) as signal:
        double_click(qtbot, view.members.members_table.viewport(), rect.center())
    assert signal.args == [member.customer_id]


# --- revealing an identifier ------------------------------------------------------------


def _audit_rows(workbench: Workbench, customer_id: str) -> list[AuditLog]:
    with workbench.cache.session() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity_id == customer_id)).all()
        session.expunge_all()
        return list(rows)


def test_reveal_asks_shows_the_clear_value_and_is_audited(
    qtbot, monkeypatch: pytest.MonkeyPatch, workbench: Workbench
) -> None:
    customer_id = household_customer(workbench)
    with workbench.cache.engine.connect() as conn:
        clear = conn.execute(select(Customer.id_number).where(Customer.id == customer_id)).scalar()
    view = _open(qtbot, workbench, customer_id)
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton):
        def question(parent, title, message, *args, **kwargs):
            asked.append(message)
            return button

        return question

    # "No": nothing shown, nothing written.
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    before = len(outbox(workbench.cache))
    qtbot.mouseClick(view.profile.reveal_id_button, LEFT)
    assert asked and "audit log" in asked[0]
    assert view.profile.id_label.text() != clear
    assert _audit_rows(workbench, customer_id) == [] and len(outbox(workbench.cache)) == before

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(view.identifier_revealed, timeout=WAIT_MS):
        qtbot.mouseClick(view.profile.reveal_id_button, LEFT)
    assert view.profile.id_label.text() == clear
    assert (
        not view.profile.reveal_id_button.isEnabled()
        and view.profile.reveal_id_button.text() == "Shown"
    )
    (audit,) = _audit_rows(workbench, customer_id)
    assert (audit.action, audit.user_name) == ("reveal_id_number", workbench.rm.user_name)
    assert clear not in (audit.details or "")  # who saw what, never the value itself
    entries = outbox(workbench.cache)[before:]
    assert [(e.table, e.op, e.row_id) for e in entries] == [("audit_log", "insert", audit.id)]
    # A later reading (after a contact) keeps the value shown and asks nothing again.
    change = workbench.activities.add_contact(
        customer_id, summary="电话核实身份信息", channel="phone"
    )
    loaded = view.data
    changed(change)
    qtbot.waitUntil(lambda: view.data is not loaded and not view.is_loading(), timeout=WAIT_MS)
    assert view.profile.id_label.text() == clear and len(asked) == 2


# --- dialogs from the tab ------------------------------------------------------------------


def test_ctrl_l_logs_a_contact_that_the_timeline_shows(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    view = _open(qtbot, workbench, customer_id)
    _activate(qtbot, view, view.activity_tabs.timeline_table)
    qtbot.keyClick(
        view.activity_tabs.timeline_table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
    )
    dialog = view.dialog
    assert isinstance(dialog, ContactDialog) and dialog.isVisible()
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findText("WeChat"))
    assert not dialog.call_box.isChecked()
    type_chinese(dialog.summary_edit, "微信沟通到期资金安排")
    type_chinese(dialog.content_edit, "客户倾向续作三年期定期。")
    before = len(view.activity_tabs.timeline_model.rows())
    qtbot.mouseClick(dialog.save_button, LEFT)
    _saved(qtbot, dialog)
    assert dialog.change is not None
    contact_id = dialog.change.id
    qtbot.waitUntil(
        lambda: contact_id in {e.id for e in view.activity_tabs.timeline_model.rows()},
        timeout=WAIT_MS,
    )
    entry = next(e for e in view.activity_tabs.timeline_model.rows() if e.id == contact_id)
    assert entry.title == "微信：微信沟通到期资金安排"
    assert len(view.activity_tabs.timeline_model.rows()) in (before, before + 1)  # capped at 200
    (last,) = outbox(workbench.cache)[-1:]
    assert (last.table, last.op, last.row_id) == ("contact_log", "insert", contact_id)


def test_an_invalid_need_keeps_the_dialog_open_then_a_valid_one_is_saved(
    qtbot, workbench: Workbench
) -> None:
    customer_id = household_customer(workbench)
    view = _open(qtbot, workbench, customer_id)
    _activate(qtbot, view, view.activity_tabs.timeline_table)
    qtbot.keyClick(
        view.activity_tabs.timeline_table,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = view.dialog
    assert isinstance(dialog, NeedDialog) and dialog.isVisible()
    before = len(outbox(workbench.cache))
    # No summary: the service says what is missing; the dialog stays open.
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.problem() is not None, timeout=WAIT_MS)
    assert dialog.problem() == "请填写需求概要。" and dialog.isVisible()
    # A due date before the start: refused, and what was typed is still there.
    type_chinese(dialog.summary_edit, "子女明年出国留学，需要换汇和留学贷款")
    dialog.ends_box.setChecked(True)
    dialog.ends_edit.setDate(dialog.started_edit.date().addDays(-1))
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: "不能早于" in (dialog.problem() or ""), timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.summary_edit.text().startswith("子女明年出国留学")
    assert len(outbox(workbench.cache)) == before
    # Fixed: saved, shown in the needs list and the timeline.
    dialog.ends_edit.setDate(dialog.started_edit.date().addDays(90))
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findText("Children's education"))
    qtbot.mouseClick(dialog.save_button, LEFT)
    _saved(qtbot, dialog)
    assert dialog.change is not None
    need_id = dialog.change.id
    qtbot.waitUntil(
        lambda: need_id in {n.id for n in view.activity_tabs.needs_model.rows()}, timeout=WAIT_MS
    )
    assert need_id in {e.id for e in view.activity_tabs.timeline_model.rows()}
    need = next(n for n in view.activity_tabs.needs_model.rows() if n.id == need_id)
    assert (need.category, need.status_label) == ("education", "待跟进")


def test_editing_an_opportunitys_stage(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    view = _open(qtbot, workbench, customer_id)
    view.activity_tabs.setCurrentIndex(2)
    model = view.activity_tabs.opportunities_model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).is_open)
    item = model.row_at(row)
    view.activity_tabs.opportunities_table.selectRow(row)
    assert view.activity_tabs.edit_opportunity_button.isEnabled()
    qtbot.mouseClick(view.activity_tabs.edit_opportunity_button, LEFT)
    dialog = view.dialog
    assert isinstance(dialog, OpportunityDialog) and dialog.opportunity == item
    dialog.stage_combo.setCurrentIndex(dialog.stage_combo.findText("Negotiation"))
    dialog.probability_spin.setValue(70)
    before = len(outbox(workbench.cache))
    qtbot.mouseClick(dialog.save_button, LEFT)
    _saved(qtbot, dialog)
    qtbot.waitUntil(
        lambda: next(o for o in model.rows() if o.id == item.id).stage_label == "商谈",
        timeout=WAIT_MS,
    )
    edited = next(o for o in model.rows() if o.id == item.id)
    assert edited.probability == 70
    shown = model.index(model.rows().index(edited), OpportunityColumn.STAGE).data()
    assert shown == "商谈"
    (entry,) = outbox(workbench.cache)[before:]
    assert (entry.table, entry.op, entry.row_id) == ("opportunity", "update", item.id)
    assert set(entry.fields) == {"sales_stage", "probability"}  # only what changed


def test_closing_a_need_from_its_list(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    view = _open(qtbot, workbench, customer_id)
    view.activity_tabs.setCurrentIndex(1)
    model = view.activity_tabs.needs_model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).is_open)
    need = model.row_at(row)
    view.activity_tabs.needs_table.selectRow(row)
    qtbot.mouseClick(view.activity_tabs.close_need_button, LEFT)
    dialog = view.dialog
    assert isinstance(dialog, CloseNeedDialog)
    type_chinese(dialog.note_edit, "已配置教育金保险")
    qtbot.mouseClick(dialog.save_button, LEFT)
    _saved(qtbot, dialog)
    qtbot.waitUntil(
        lambda: not next(n for n in model.rows() if n.id == need.id).is_open, timeout=WAIT_MS
    )
    closed = next(n for n in model.rows() if n.id == need.id)
    assert (closed.status_label, closed.sub_status) == ("已满足", "已配置教育金保险")


def test_in_the_main_window_ctrl_l_opens_the_current_customers_contact_dialog(
    qtbot, tmp_path: Path, workbench: Workbench
) -> None:
    """The main window routes Ctrl+L to log_contact() of the current tab; the tab's own
    shortcut stands down so that the key is not ambiguous."""
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(workbench, settings=settings)
    qtbot.addWidget(window)
    window.show()
    customer_id = household_customer(workbench)
    window.open_customer(customer_id)
    view = window.tabs.currentWidget()
    assert isinstance(view, Customer360View) and view.customer_id == customer_id
    assert window.tabs.tabText(window.tabs.currentIndex()) == view.title()
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    assert not view.log_contact_shortcut.isEnabled()
    assert view.new_need_shortcut.isEnabled() and view.new_opportunity_shortcut.isEnabled()
    _activate(qtbot, window, view.activity_tabs.timeline_table)
    qtbot.keyClick(
        view.activity_tabs.timeline_table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier
    )
    assert isinstance(view.dialog, ContactDialog) and view.dialog.isVisible()
    view.dialog.reject()
    qtbot.keyClick(
        view.activity_tabs.timeline_table,
        Qt.Key.Key_O,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert isinstance(view.dialog, OpportunityDialog) and view.dialog.isVisible()
    view.dialog.reject()


def test_a_customer_no_longer_in_the_book_says_so(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    with workbench.cache.engine.begin() as conn:
        conn.execute(text("update customer set deleted = 1 where id = :id"), {"id": customer_id})
    view = Customer360View(workbench, customer_id, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(
        lambda: not view.is_loading() and view.retry_button.isVisible(), timeout=WAIT_MS
    )
    assert "不在您的客户名单中" in view.message_label.text()
    assert not view.contact_button.isEnabled()
    assert view.title() == "Customer"


def test_enter_on_a_need_of_the_timeline_edits_it(qtbot, workbench: Workbench) -> None:
    view = _open(qtbot, workbench, household_customer(workbench))
    model = view.activity_tabs.timeline_model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).kind == "need")
    entry = model.row_at(row)
    _activate(qtbot, view, view.activity_tabs.timeline_table)
    view.activity_tabs.timeline_table.setCurrentIndex(model.index(row, 0))
    qtbot.keyClick(view.activity_tabs.timeline_table, Qt.Key.Key_Return)
    dialog = view.dialog
    assert isinstance(dialog, NeedDialog) and dialog.need is not None
    assert dialog.need.id == entry.id and dialog.isVisible()
    dialog.reject()
