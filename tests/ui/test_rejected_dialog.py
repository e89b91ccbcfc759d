"""The rejected-edits dialog, clicked for real over the demo book: the RM's edits are
made through the services, and the central CRM's refusal is written into the cache
as the sync engine writes it (``SyncEngine._acknowledge``: the entry leaves the
outbox and lands in ``rejected_edit`` with the reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from sqlalchemy import delete, exists, insert, select

from rm_workbench.domain.formatting import SHANGHAI
from rm_workbench.models import Customer, Need, Opportunity, OutboxEntry, RejectedEdit
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.rejected_dialog import RejectedDialog
from tests.services.helpers import outbox

WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton
SMALL_SCREEN = QSize(1280, 720)
LONG_REASON = (
    "该需求已关联商机 O20261205C41E9A7B22（养老年金险＋稳健理财组合，预计金额 80万元），"
    "删除未执行；请先解除商机与该需求的关联或关闭该需求。"
)


def refuse(workbench: Workbench, table: str, row_id: str, reason: str) -> None:
    """The central CRM's answer to the row's last queued edit: refused."""
    with workbench.cache.engine.begin() as conn:
        entry = conn.execute(
            select(OutboxEntry.__table__)
            .where(OutboxEntry.table_name == table, OutboxEntry.row_id == row_id)
            .order_by(OutboxEntry.mutation_id.desc())
        ).first()
        assert entry is not None
        conn.execute(delete(OutboxEntry).where(OutboxEntry.mutation_id == entry.mutation_id))
        conn.execute(
            insert(RejectedEdit).values(
                mutation_id=entry.mutation_id,
                table_name=table,
                row_id=row_id,
                customer_id=entry.customer_id,
                op=entry.op,
                fields=entry.fields,
                reason=reason,
                rejected_at=datetime.now(UTC),
            )
        )


def a_customer(workbench: Workbench) -> str:
    with workbench.cache.engine.connect() as conn:
        return str(
            conn.execute(
                select(Customer.id)
                .where(Customer.deleted.is_(False))
                .order_by(Customer.customer_no)
            ).scalar()
        )


def an_unlinked_need(workbench: Workbench) -> str:
    with workbench.cache.engine.connect() as conn:
        return str(
            conn.execute(
                select(Need.id)
                .where(Need.deleted.is_(False), ~exists().where(Opportunity.need_id == Need.id))
                .order_by(Need.need_no)
            ).scalar()
        )


def refused_visit(workbench: Workbench) -> str:
    """A new visit whose number the central CRM already had."""
    customer_id = a_customer(workbench)
    start = (datetime.now(UTC) + timedelta(days=1)).astimezone(SHANGHAI)
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    workbench.visits.plan(customer_id, start=start, purpose="年末定期存款到期续作沟通")
    visit_id = outbox(workbench.cache)[-1].row_id
    refuse(workbench, "visit", visit_id, "拜访未保存：编号与已有记录重复。")
    return visit_id


def open_dialog(qtbot, workbench: Workbench) -> RejectedDialog:
    dialog = RejectedDialog(workbench.rejected)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def settled(dialog: QWidget) -> None:
    """Let the writer lane let go of the dialog's callbacks while the test still holds
    the dialog: a pool thread dropping the last reference to a Python-owned widget
    has its C++ object deleted from that thread (rm_workbench/ui/background.py)."""
    assert wait_for_background()
    assert dialog.isVisible()


def tab_chain(dialog: QWidget, start: QWidget, length: int) -> list[QWidget]:
    """The widgets Tab visits from ``start``, in order."""
    chain: list[QWidget] = []
    widget = start
    while len(chain) < length:
        following = widget.nextInFocusChain()
        assert following is not None
        widget = following
        tab = widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        if widget.isVisible() and widget.isEnabled() and tab:
            chain.append(widget)
    return chain


def test_resend_with_a_corrected_number_queues_the_visit_again(qtbot, workbench) -> None:
    visit_id = refused_visit(workbench)
    dialog = open_dialog(qtbot, workbench)
    assert dialog.list.count() == 1
    assert "拜访未保存：编号与已有记录重复。" in dialog.reason.text()
    number = dialog.findChild(type(dialog.editors["visit_no"]), "rejected_field_visit_no")
    assert number is dialog.editors["visit_no"] and not number.isReadOnly()
    # The links to the customer and the RM are not for the RM to correct here.
    assert "customer_id" not in dialog.editors and "rm_id" not in dialog.editors
    # Enter after correcting sends again; it never discards.
    assert dialog.resend_button.isDefault() and dialog.resend_button.isEnabled()
    assert not dialog.discard_button.autoDefault() and not dialog.discard_button.isDefault()
    # Tab goes from the list through the values to "send again".
    chain = tab_chain(dialog, dialog.list, len(dialog.editors) + 1)
    assert chain == [*dialog.editors.values(), dialog.resend_button]

    number.clear()
    qtbot.keyClicks(number, "V20261209A1B2C3D4E5")
    qtbot.mouseClick(dialog.resend_button, LEFT)
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=WAIT_MS)

    assert workbench.rejected.count() == 0
    entry = outbox(workbench.cache)[-1]
    assert (entry.table, entry.op, entry.row_id) == ("visit", "insert", visit_id)
    assert entry.fields["visit_no"]["new"] == "V20261209A1B2C3D4E5"
    assert dialog.message.text() == dialog.tr("Sent again")
    settled(dialog)


def test_discard_asks_first_then_removes_the_entry(qtbot, workbench, monkeypatch) -> None:
    need_id = an_unlinked_need(workbench)
    workbench.activities.edit_need(need_id, summary="客户计划明年三月前为女儿配置教育金")
    refuse(workbench, "need", need_id, "该需求已被删除，修改未保存。")
    # The server's tombstone took the need out of the cache: nothing to send again to.
    with workbench.cache.engine.begin() as conn:
        conn.execute(delete(Need).where(Need.id == need_id))
    before = len(outbox(workbench.cache))
    dialog = open_dialog(qtbot, workbench)
    assert not dialog.resend_button.isEnabled()
    assert dialog.hint.isVisible() and dialog.hint.text()
    assert dialog.editors["summary"].isReadOnly()

    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent, title, _text, *_args):
        asked.append(title)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.mouseClick(dialog.discard_button, LEFT)
    assert len(asked) == 1 and dialog.list.count() == 1  # "No": kept
    assert workbench.rejected.count() == 1

    qtbot.mouseClick(dialog.discard_button, LEFT)
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=WAIT_MS)
    assert len(asked) == 2 and workbench.rejected.count() == 0
    assert len(outbox(workbench.cache)) == before  # nothing sent
    assert not dialog.discard_button.isEnabled() and not dialog.resend_button.isEnabled()
    settled(dialog)


def test_a_long_chinese_reason_wraps_and_the_dialog_fits_a_small_screen(qtbot, workbench) -> None:
    refused_visit(workbench)
    need_id = an_unlinked_need(workbench)
    workbench.activities.delete_need(need_id)
    refuse(workbench, "need", need_id, LONG_REASON)
    dialog = open_dialog(qtbot, workbench)
    dialog.list.setCurrentRow(1)

    screen = dialog.screen().availableGeometry().size()
    for limit in (screen, SMALL_SCREEN):
        assert dialog.width() <= limit.width() and dialog.height() <= limit.height()
        hint = dialog.minimumSizeHint()
        assert hint.width() <= limit.width() and hint.height() <= limit.height()
    reason = dialog.reason
    assert reason.wordWrap() and LONG_REASON in reason.text()
    line = reason.fontMetrics().height()
    qtbot.waitUntil(lambda: reason.height() >= 2 * line, timeout=WAIT_MS)  # wrapped
    assert reason.heightForWidth(reason.width()) <= reason.height()  # nothing cut off
    column = reason.parentWidget()
    assert column is not None and reason.geometry().right() <= column.width()
    # A long list line is cut with "…", not scrolled sideways; the tooltip has it all.
    assert dialog.list.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    item = dialog.list.item(0)
    assert item.toolTip() == item.text() and "新建拜访记录" in item.text()
    # A refused delete has no values to correct.
    assert dialog.editors == {}


@pytest.mark.parametrize("size", [QSize(1280, 720), QSize(1920, 1080)])
def test_the_dialog_opens_no_larger_than_the_screen_allows(qtbot, workbench, size) -> None:
    refused_visit(workbench)
    dialog = open_dialog(qtbot, workbench)
    screen = dialog.screen().availableGeometry().size()
    fitted = size.boundedTo(screen)
    assert dialog.width() <= fitted.width() and dialog.height() <= fitted.height()
    # Every value of the refused visit is reachable: the values scroll, the buttons stay.
    area = dialog.fields_area
    assert area.widgetResizable()
    assert dialog.resend_button.isVisible() and dialog.close_button.isVisible()
