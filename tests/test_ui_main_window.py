"""The main window, driven through real widgets: tabs and shortcuts, opening a
customer, the layout kept across restarts, sync messages, and the demo launch against
the embedded central CRM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from rm_demo.cache import load_demo_book
from rm_workbench.db.engine import Cache
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.workbench import Workbench, open_workbench
from rm_workbench.sync.engine import SyncReport
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.customer360.view import Customer360View
from rm_workbench.ui.main_window import CUSTOMERS, TODAY, VISITS, MainWindow
from rm_workbench.ui.settings import Settings
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome


@pytest.fixture
def workbench(cache: Cache) -> Iterator[Workbench]:
    load_demo_book(cache)
    bench = Workbench("test", cache, CustomerService(cache), "示范商业银行")
    yield bench
    wait_for_background()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot: Any, workbench: Workbench, settings: Settings) -> Iterator[MainWindow]:
    win = MainWindow(workbench, None, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    wait_for_background()


def _press(qtbot: Any, window: MainWindow, keys: str) -> None:
    from PySide6.QtGui import QKeySequence

    sequence = QKeySequence(keys)
    combo = sequence[0]
    qtbot.keyClick(window, combo.key(), combo.keyboardModifiers())


def test_tabs_follow_the_shortcuts(qtbot: Any, window: MainWindow) -> None:
    assert window.tabs.currentIndex() == TODAY
    _press(qtbot, window, "Ctrl+2")
    assert window.tabs.currentIndex() == CUSTOMERS
    _press(qtbot, window, "Ctrl+3")
    assert window.tabs.currentIndex() == VISITS
    _press(qtbot, window, "Ctrl+1")
    assert window.tabs.currentIndex() == TODAY
    _press(qtbot, window, "Ctrl+F")
    assert window.tabs.currentIndex() == CUSTOMERS
    qtbot.waitUntil(lambda: window.customers.search_box.hasFocus())


def test_a_customer_found_by_initials_opens_in_its_own_tab(qtbot: Any, window: MainWindow) -> None:
    from pypinyin import Style, lazy_pinyin

    window.find_customer()
    model = window.customers.model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    target = model.customer_at(0)
    initials = "".join(lazy_pinyin(target.name, style=Style.FIRST_LETTER))
    qtbot.keyClicks(window.customers.search_box, initials)
    qtbot.waitUntil(
        lambda: (
            model.rowCount() > 0
            and any(model.customer_at(r).id == target.id for r in range(model.rowCount()))
        ),
        timeout=10_000,
    )
    with qtbot.waitSignal(window.customers.customer_activated, timeout=5000):
        window.customers.customer_activated.emit(target.id)
    page = window.tabs.currentWidget()
    assert isinstance(page, Customer360View) and page.customer_id == target.id
    assert window.tabs.tabText(window.tabs.currentIndex()) == target.name
    window.open_customer(target.id)  # a second time: the same tab, not a new one
    assert len(window.customer_tabs()) == 1
    _press(qtbot, window, "Ctrl+W")
    assert window.customer_tabs() == []
    assert window.tabs.count() == 3


def test_the_window_layout_comes_back_after_a_restart(
    qtbot: Any, workbench: Workbench, settings: Settings
) -> None:
    first = MainWindow(workbench, None, settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(first.minimumSizeHint().width(), 560)
    first.go(VISITS)
    first.close()
    again = MainWindow(workbench, None, settings)
    qtbot.addWidget(again)
    again.show()
    assert again.tabs.currentIndex() == VISITS
    # (the offscreen screen is narrower than the window's minimum width: Qt keeps a
    # restored window on screen, so only the height is compared exactly)
    assert again.height() == 560


def test_a_reassignment_is_explained_after_the_sync(
    qtbot: Any, workbench: Workbench, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller = SyncController(workbench.sync)
    win = MainWindow(workbench, controller, settings)
    qtbot.addWidget(win)
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "information", lambda _parent, _title, text: shown.append(text)
    )
    report = SyncReport(evicted=["客户 张三 已移交给 李经理"])
    controller.finished.emit(SyncOutcome(ok=True, report=report, error=None))
    assert len(shown) == 1
    assert "张三" in shown[0] and "none was lost" in shown[0]
    assert win.sync_bar is not None
    assert win.sync_bar.sync_button.isEnabled()


def test_the_demo_launch_logs_in_to_the_embedded_central_crm_and_syncs(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: Any
) -> None:
    """What the README's demo command does, minus the event loop it hands to the RM."""
    from rm_workbench.ui.app import DemoLauncher

    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    workbench = open_workbench("demo")
    settings = Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    controller = SyncController(workbench.sync)
    window = MainWindow(workbench, controller, settings)
    qtbot.addWidget(window)
    window.show()
    outcomes: list[SyncOutcome] = []
    controller.finished.connect(outcomes.append)
    from rm_demo.central import DEMO_PASSWORD, start_demo_central
    from rm_workbench.launch import Demo

    demo = Demo(start_central=start_demo_central, password=DEMO_PASSWORD)
    launcher = DemoLauncher(window, controller, demo)
    try:
        assert workbench.customers.count() == 0
        launcher.start()
        qtbot.waitUntil(lambda: bool(outcomes), timeout=240_000)
        assert outcomes[0].ok, outcomes[0].error
        assert workbench.cache.encrypted
        total = workbench.customers.count()
        assert 250 <= total <= 400, "one RM's share of the demo book"
        assert workbench.rm.rm_id is not None, "the signed-in RM is known after the sync"
        status = workbench.sync.status()
        assert status.logged_in and status.pending_edits == 0 and status.last_sync_at
        assert window.sync_bar is not None
        qtbot.waitUntil(lambda: window.sync_bar.online_label.property("online") is True)
        window.go(CUSTOMERS)
        qtbot.waitUntil(lambda: window.customers.model.total() == total, timeout=20_000)
        assert "示范商业银行" in window.windowTitle()
    finally:
        controller.stop_timers()
        wait_for_background()
        launcher.stop()
        window.close()
        QApplication.processEvents()
        workbench.close()


def test_duplicate_flags_come_after_the_first_today_reading(
    qtbot: Any, workbench: Workbench, settings: Settings
) -> None:
    """The start-up path (app.run) opens the cache without the duplicate pass; the
    window runs it in the background once Today is on screen."""
    workbench.customers._duplicates = {}
    workbench.duplicates_pending = True
    win = MainWindow(workbench, None, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: bool(workbench.customers._duplicates), timeout=20_000)
    assert workbench.duplicates_pending is False


def test_the_first_window_fits_the_screen_with_its_status_bar(window: MainWindow) -> None:
    """Found at 1280×720: the first start opened 1280×800 and the status bar (sync,
    edits waiting, conflicts) was below the screen's edge."""
    screen = window.screen()
    assert screen is not None
    free = screen.availableGeometry()
    frame = window.frameGeometry()
    assert frame.height() <= free.height()
    bar = window.statusBar()
    bottom = bar.mapToGlobal(bar.rect().bottomLeft()).y()
    assert bottom <= free.bottom(), (bottom, free)
