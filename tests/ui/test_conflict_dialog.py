"""What the RM sees of sync conflicts without settling one (settling needs the central
CRM: tests/central/test_sync_ui.py): the conflict dialog with who made each side, and
the status bar's counts. Conflicts and refusals are stored in the cache as the sync
engine stores them from the central CRM's answers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QTranslator
from PySide6.QtWidgets import QApplication
from sqlalchemy import insert, select

from rm_contract.wire import ConflictDetail
from rm_workbench.models import Customer, RejectedEdit
from rm_workbench.services.workbench import Workbench
from rm_workbench.sync.engine import store_conflict
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.conflict_dialog import ConflictDialog
from rm_workbench.ui.status_bar import SyncStatusBar
from rm_workbench.ui.sync_controller import SyncController

WAIT_MS = 10_000
LEFT = Qt.MouseButton.LeftButton
SMALL_SCREEN = QSize(1280, 720)
I18N = Path(__file__).resolve().parents[2] / "rm_workbench" / "resources" / "i18n"
LONG_NOTES = "客户偏好上午联系，不接受周末电话；家庭资产由配偶统一打理，" * 12


def customers(workbench: Workbench, n: int) -> list[tuple[str, str]]:
    with workbench.cache.engine.connect() as conn:
        rows = conn.execute(
            select(Customer.id, Customer.name)
            .where(Customer.deleted.is_(False))
            .order_by(Customer.customer_no)
            .limit(n)
        ).all()
    return [(row.id, row.name) for row in rows]


def conflict(
    workbench: Workbench,
    customer_id: str,
    field: str,
    values: tuple[str, str, str],
    *,
    yours_by: str | None = "许丹妮（E880001）",
    theirs_by: str | None = "赵敏（T02117）",
) -> None:
    base, theirs, yours = values
    with workbench.cache.engine.begin() as conn:
        store_conflict(
            conn,
            ConflictDetail(
                conflict_id=str(uuid.uuid4()),
                table="customer",
                row_id=customer_id,
                field=field,
                base=base,
                theirs=theirs,
                yours=yours,
                customer_id=customer_id,
                yours_by=yours_by,
                yours_device="BJCY-RM-NB0231" if yours_by else None,
                theirs_by=theirs_by,
            ),
            customer_id,
        )


def test_each_side_says_who_made_it_and_nothing_settles_on_enter(qtbot, workbench) -> None:
    (first, first_name), (second, _) = customers(workbench, 2)
    conflict(
        workbench,
        first,
        "address",
        (
            "杭州市西湖区文三路259号",
            "杭州市滨江区江南大道588号1幢",
            "杭州市滨江区江南大道588号1幢1802室",
        ),
    )
    conflict(
        workbench, second, "occupation", ("项目管理", "退休人员", "高级工程师"), theirs_by=None
    )
    dialog = ConflictDialog(workbench.conflicts)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    assert dialog.list.count() == 2
    assert dialog.list.item(0).text() == f"{first_name} · 地址"
    assert dialog.list.item(0).toolTip() == dialog.list.item(0).text()
    assert dialog.theirs.text() == "杭州市滨江区江南大道588号1幢"
    assert dialog.theirs_by.text() == "赵敏（T02117）"
    assert dialog.yours_by.text() == "许丹妮（E880001），设备 BJCY-RM-NB0231"
    dialog.list.setCurrentRow(1)
    assert dialog.theirs_by.text() == "总行系统"  # the bank's own systems
    # Enter in the list must not take a side: no choice is a default button.
    for button in (dialog.mine_button, dialog.theirs_button):
        assert button.isEnabled() and not button.autoDefault() and not button.isDefault()
    qtbot.mouseClick(dialog.close_button, LEFT)
    assert not dialog.isVisible()


def test_long_values_scroll_inside_a_dialog_that_fits_a_small_screen(qtbot, workbench) -> None:
    ((customer_id, _),) = customers(workbench, 1)
    conflict(
        workbench, customer_id, "notes", (LONG_NOTES, LONG_NOTES + "（柜面）", LONG_NOTES + "。")
    )
    dialog = ConflictDialog(workbench.conflicts)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    screen = dialog.screen().availableGeometry().size()
    for limit in (screen, SMALL_SCREEN):
        assert dialog.width() <= limit.width() and dialog.height() <= limit.height()
        hint = dialog.minimumSizeHint()
        assert hint.width() <= limit.width() and hint.height() <= limit.height()
    assert dialog.base.wordWrap() and dialog.base.height() > 3 * dialog.fontMetrics().height()
    # The values scroll; the buttons stay on screen.
    qtbot.waitUntil(lambda: dialog.values_area.verticalScrollBar().maximum() > 0, timeout=WAIT_MS)
    assert dialog.values_area.horizontalScrollBar().maximum() == 0
    assert (
        dialog.mine_button.isVisible() and dialog.mine_button.geometry().bottom() < dialog.height()
    )
    assert dialog.list.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[None]:
    """The workbench's default language, for what is measured on screen."""
    translator = QTranslator()
    assert translator.load(str(I18N / "rm_workbench_zh_CN.qm"))
    qapp.installTranslator(translator)
    try:
        yield
    finally:
        qapp.removeTranslator(translator)


def test_the_status_bar_counts_conflicts_and_refused_edits(qtbot, workbench, chinese) -> None:
    (first, _), (second, _) = customers(workbench, 2)
    conflict(workbench, first, "email", ("a@example.cn", "b@example.cn", "c@example.cn"))
    conflict(workbench, second, "address", ("旧地址", "他人的地址", "我的地址"))
    with workbench.cache.engine.begin() as conn:
        conn.execute(
            insert(RejectedEdit).values(
                mutation_id=1,
                table_name="customer",
                row_id=first,
                customer_id=first,
                op="update",
                fields="{}",
                reason="客户已被删除，修改未保存。",
                rejected_at=datetime.now(UTC),
            )
        )
    controller = SyncController(workbench.sync)
    bar = SyncStatusBar(controller)
    qtbot.addWidget(bar)
    bar.show()
    controller.refresh_status()
    qtbot.waitUntil(lambda: bar.rejected_button.isVisible(), timeout=WAIT_MS)

    assert bar.conflicts_button.text() == bar.tr("{n} conflicts waiting").format(n=2)
    assert bar.rejected_button.text() == bar.tr("{n} edits not accepted").format(n=1)
    assert "Ctrl+Shift+K" in bar.conflicts_button.toolTip()
    assert "Ctrl+Shift+J" in bar.rejected_button.toolTip()
    for button in (bar.conflicts_button, bar.rejected_button):
        assert button.cursor().shape() == Qt.CursorShape.PointingHandCursor
    # The last sync's time and the count after it do not run together.
    layout = bar.layout()
    assert layout is not None and layout.spacing() >= 12
    with qtbot.waitSignal(bar.rejected_clicked, timeout=WAIT_MS):
        qtbot.mouseClick(bar.rejected_button, LEFT)
    with qtbot.waitSignal(bar.conflicts_clicked, timeout=WAIT_MS):
        qtbot.mouseClick(bar.conflicts_button, LEFT)
    # While a sync runs (stage and progress shown) it still leaves room on a small screen.
    bar._started()
    bar._progressed("pull", 3, 10)
    assert bar.sizeHint().width() < SMALL_SCREEN.width() * 3 // 4
    # The status reading's callbacks hold the controller: let the pool let go of them
    # while the test still holds it (a Python-owned QObject must die on this thread).
    assert wait_for_background()
    assert controller.status is not None
