"""The contact, need and opportunity dialogs on a small hand-made book in a real cache:
typing and clicking, the service's message shown inside the dialog when it refuses
the input (the dialog stays open, nothing typed is lost), the save on the writer lane
and the change announced on the application's signal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import select, text

from rm_workbench.db.engine import Cache
from rm_workbench.models import ContactLog, Opportunity
from rm_workbench.services.activities import ActivityService
from rm_workbench.ui.activity_dialogs import (
    ActivityDialog,
    CloseNeedDialog,
    CloseOpportunityDialog,
    ContactDialog,
    NeedDialog,
    OpportunityDialog,
)
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.events import app_events
from tests.services.helpers import Book, outbox

WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def book(cache: Cache) -> Iterator[Book]:
    yield Book(cache)
    wait_for_background()  # no write may still run when the cache closes


@pytest.fixture
def service(book: Book) -> ActivityService:
    return ActivityService(book.cache, rm_id=book.rm_id, user_name="E880001")


def type_chinese(widget: QWidget, text: str) -> None:
    """Type Chinese as an input method does (QTest's key clicks only know ASCII)."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _show(qtbot, dialog: ActivityDialog) -> ActivityDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _save(qtbot, dialog: ActivityDialog) -> None:
    """Click Save and wait for the answer from the writer lane."""
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=WAIT_MS)


def _refused(qtbot, dialog: ActivityDialog, book: Book, message: str) -> None:
    before = outbox(book.cache)
    _save(qtbot, dialog)
    assert message in (dialog.problem() or ""), dialog.problem()
    assert dialog.isVisible() and dialog.change is None
    assert outbox(book.cache) == before


# --- contacts ----------------------------------------------------------------------------


def test_a_contact_is_saved_and_announced(qtbot, book: Book, service: ActivityService) -> None:
    customer = book.customer("王芳")
    dialog = _show(qtbot, ContactDialog(service, customer, "王芳"))
    assert "王芳" in dialog.windowTitle()
    assert dialog.call_box.isChecked()  # a phone call by default
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findText("WeChat"))
    assert not dialog.call_box.isChecked()
    dialog.minutes_spin.selectAll()
    qtbot.keyClicks(dialog.minutes_spin, "30")
    type_chinese(dialog.summary_edit, "微信沟通理财到期续作")
    type_chinese(dialog.content_edit, "客户希望了解三年期定期利率。")
    with qtbot.waitSignal(app_events().changed, timeout=WAIT_MS) as announced:
        qtbot.mouseClick(dialog.save_button, LEFT)
    change = announced.args[0]
    assert change.kind == "contact_added" and change.customer_id == customer
    assert dialog.change == change and dialog.result() == QDialog.DialogCode.Accepted
    assert not dialog.isVisible()
    with book.cache.session() as session:
        contact = session.get(ContactLog, change.id)
        assert contact is not None
        assert (contact.channel, contact.call_made, contact.summary, contact.user_name) == (
            "wechat",
            False,
            "微信沟通理财到期续作",
            "E880001",
        )
        assert contact.ended_at is not None
        assert contact.ended_at - contact.started_at == timedelta(minutes=30)
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.row_id) == ("contact_log", "insert", change.id)


def test_a_contact_in_the_future_is_refused_inside_the_dialog(
    qtbot, book: Book, service: ActivityService
) -> None:
    customer = book.customer("王芳")
    dialog = _show(qtbot, ContactDialog(service, customer, "王芳"))
    type_chinese(dialog.summary_edit, "电话预约下周面谈")
    dialog.started_edit.setDateTime(dialog.started_edit.dateTime().addDays(2))
    _refused(qtbot, dialog, book, "还没有到")
    assert dialog.summary_edit.text() == "电话预约下周面谈"  # nothing typed is lost
    # Fixed: saved, and the message goes away with the dialog.
    dialog.started_edit.setDateTime(dialog.started_edit.dateTime().addDays(-2))
    _save(qtbot, dialog)
    assert dialog.change is not None and not dialog.isVisible()


def test_cancel_writes_nothing(qtbot, book: Book, service: ActivityService) -> None:
    dialog = _show(qtbot, ContactDialog(service, book.customer("王芳"), "王芳"))
    type_chinese(dialog.summary_edit, "不保存")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert outbox(book.cache) == []


# --- needs ---------------------------------------------------------------------------------


def test_a_new_need_with_an_end_before_its_start_is_refused_then_saved(
    qtbot, book: Book, service: ActivityService
) -> None:
    customer = book.customer("王芳")
    dialog = _show(qtbot, NeedDialog(service, customer, customer_name="王芳"))
    _refused(qtbot, dialog, book, "请填写需求概要。")
    type_chinese(dialog.summary_edit, "退休后的养老规划")
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findText("Retirement planning"))
    dialog.ends_box.setChecked(True)
    dialog.ends_edit.setDate(dialog.started_edit.date().addDays(-3))
    _refused(qtbot, dialog, book, "不能早于需求开始日期")
    dialog.ends_edit.setDate(dialog.started_edit.date().addMonths(6))
    dialog.urgency_combo.setCurrentIndex(dialog.urgency_combo.findText("High"))
    _save(qtbot, dialog)
    assert dialog.change is not None and not dialog.isVisible()
    need = service.need(dialog.change.id)
    assert (need.category, need.summary, need.urgency, need.status) == (
        "retirement",
        "退休后的养老规划",
        "high",
        "open",
    )
    assert need.ends_on == dialog.ends_edit.date().toPython()


def test_editing_a_need_sends_only_what_changed(
    qtbot, book: Book, service: ActivityService
) -> None:
    customer = book.customer("王芳")
    need_id = book.need(customer, status="open")
    dialog = _show(qtbot, NeedDialog(service, customer, service.need(need_id)))
    assert dialog.summary_edit.text() == "子女出国留学资金"
    # Saving an untouched need writes nothing.
    _save(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and outbox(book.cache) == []

    dialog = _show(qtbot, NeedDialog(service, customer, service.need(need_id)))
    assert dialog.status_combo is not None and dialog.sub_status_edit is not None
    dialog.status_combo.setCurrentIndex(dialog.status_combo.findText("In progress"))
    type_chinese(dialog.sub_status_edit, "已发送留学贷款资料")
    _save(qtbot, dialog)
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op, entry.row_id) == ("need", "update", need_id)
    assert set(entry.fields) == {"status", "sub_status"}
    assert service.need(need_id).status_label == "跟进中"


def test_closing_a_need_with_a_note_too_long(qtbot, book: Book, service: ActivityService) -> None:
    customer = book.customer("王芳")
    need_id = book.need(customer, status="open")
    dialog = _show(qtbot, CloseNeedDialog(service, service.need(need_id)))
    dialog.dropped_radio.setChecked(True)
    qtbot.keyClicks(dialog.note_edit, "x" * 40)
    _refused(qtbot, dialog, book, "最多 32 个字")
    dialog.note_edit.clear()
    type_chinese(dialog.note_edit, "客户已在他行办理")
    _save(qtbot, dialog)
    need = service.need(need_id)
    assert (need.status, need.sub_status) == ("closed", "客户已在他行办理")


# --- opportunities ----------------------------------------------------------------------------


def test_a_new_opportunity_with_a_bad_amount_then_linked_and_saved(
    qtbot, book: Book, service: ActivityService
) -> None:
    customer = book.customer("王芳")
    need_id = book.need(customer, status="open", summary="到期资金再配置")
    book.need(customer, status="met", summary="已满足的需求")  # closed: not offered
    dialog = _show(
        qtbot,
        OpportunityDialog(
            service,
            customer,
            needs=service.needs(customer),
            products=service.products(),
            customer_name="王芳",
        ),
    )
    assert dialog.need_combo.count() == 2  # (none) and the open need
    type_chinese(dialog.summary_edit, "到期资金配置稳健理财")
    qtbot.keyClicks(dialog.value_edit, "abc")
    assert dialog.value_hint.text() == ""
    _refused(qtbot, dialog, book, "不是有效的金额")
    dialog.value_edit.clear()
    qtbot.keyClicks(dialog.value_edit, "500000")
    assert dialog.value_hint.text() == "= 50万元"
    dialog.stage_combo.setCurrentIndex(dialog.stage_combo.findText("Qualified"))
    dialog.probability_spin.setValue(30)
    dialog.need_combo.setCurrentIndex(dialog.need_combo.findData(need_id))
    dialog.product_combo.setCurrentIndex(dialog.product_combo.findText("稳享理财90天（R2）"))
    _save(qtbot, dialog)
    assert dialog.change is not None and not dialog.isVisible()
    with book.cache.session() as session:
        row = session.get(Opportunity, dialog.change.id)
        assert row is not None
        assert (row.sales_stage, row.probability, row.expected_value) == (
            "qualified",
            30,
            Decimal("500000.00"),
        )
        assert (row.need_id, row.product_id) == (need_id, book.wealth_id)


def test_won_locks_the_probability_at_100(qtbot, book: Book, service: ActivityService) -> None:
    customer = book.customer("王芳")
    opportunity_id = book.opportunity(
        customer, sales_stage="proposal", probability=40, expected_value=Decimal("200000")
    )
    item = service.opportunity(opportunity_id)
    dialog = _show(qtbot, OpportunityDialog(service, customer, item))
    assert dialog.value_edit.text() == "200,000.00" and dialog.value_hint.text() == "= 20万元"
    assert dialog.probability_spin.value() == 40 and dialog.probability_spin.isEnabled()
    dialog.stage_combo.setCurrentIndex(dialog.stage_combo.findText("Won"))
    assert dialog.probability_spin.value() == 100 and not dialog.probability_spin.isEnabled()
    _save(qtbot, dialog)
    (entry,) = outbox(book.cache)
    assert (entry.table, entry.op) == ("opportunity", "update")
    assert set(entry.fields) == {"sales_stage", "probability"}
    assert (service.opportunity(opportunity_id).stage_label, entry.fields["probability"]) == (
        "已成交",
        {"base": 40, "new": 100},
    )


def test_closing_an_opportunity_as_lost(qtbot, book: Book, service: ActivityService) -> None:
    customer = book.customer("王芳")
    opportunity_id = book.opportunity(customer, sales_stage="negotiation", probability=60)
    dialog = _show(qtbot, CloseOpportunityDialog(service, service.opportunity(opportunity_id)))
    dialog.lost_radio.setChecked(True)
    _save(qtbot, dialog)
    assert not dialog.isVisible()
    with book.cache.session() as session:
        row = session.scalars(select(Opportunity).where(Opportunity.id == opportunity_id)).one()
        assert (row.sales_stage, row.probability) == ("lost", 0)


def test_a_need_of_a_customer_handed_over_meanwhile(
    qtbot, book: Book, service: ActivityService
) -> None:
    """The customer left the book while the dialog was open (a sync): the service's
    message says so and the dialog keeps what was typed."""
    customer = book.customer("王芳")
    dialog = _show(qtbot, NeedDialog(service, customer, customer_name="王芳"))
    type_chinese(dialog.summary_edit, "购房贷款咨询")
    with book.cache.engine.begin() as conn:
        conn.execute(
            text("update customer set rm_id = :other where id = :id"),
            {"other": book.other_rm_id, "id": customer},
        )
    _refused(qtbot, dialog, book, "不在您的客户名单中")
    assert dialog.summary_edit.text() == "购房贷款咨询"
