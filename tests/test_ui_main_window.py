"""The main window, driven through real widgets: typing in the search box, scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import rebuild_index
from rm_workbench.models import Customer
from rm_workbench.models.enums import CustomerCategory
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.workbench import Workbench, open_workbench
from rm_workbench.ui.customer_table import Column, CustomerTableModel
from rm_workbench.ui.main_window import MainWindow


def _fill(cache: Cache, extra: int = 0) -> None:
    with cache.session() as session:
        session.add(
            Customer(
                customer_no="C0000000001",
                category=CustomerCategory.INDIVIDUAL,
                name="张三丰",
                id_number="110105194912310021",
                birth_date=date(1949, 12, 31),
                mobile_phone="13800138000",
                tier="顶级",
            )
        )
        session.add(
            Customer(customer_no="C0000000002", category=CustomerCategory.INDIVIDUAL, name="李四")
        )
        for i in range(extra):
            session.add(
                Customer(
                    customer_no=f"C1{i:09d}",
                    category=CustomerCategory.INDIVIDUAL,
                    name=f"王客户{i}",
                )
            )
    with cache.engine.begin() as conn:
        rebuild_index(conn)


@pytest.fixture
def window(qtbot, cache: Cache) -> Iterator[MainWindow]:
    _fill(cache, extra=500)
    workbench = Workbench("test", cache, CustomerService(cache), "示范商业银行")
    win = MainWindow(workbench)
    qtbot.addWidget(win)
    win.show()
    yield win


def _names(model: CustomerTableModel) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


def test_typing_pinyin_initials_finds_the_customer(qtbot, window: MainWindow) -> None:
    qtbot.keyClicks(window.search_box, "zsf")
    qtbot.waitUntil(lambda: _names(window.model) == ["张三丰"], timeout=3000)
    phone = window.model.index(0, Column.PHONE).data()
    assert phone == "138****8000", "the phone is masked on screen"
    id_shown = window.model.index(0, Column.ID_NUMBER).data()
    assert "19491231" not in id_shown and id_shown.endswith("0021")


def test_clearing_the_search_shows_the_whole_book_paged(qtbot, window: MainWindow) -> None:
    assert window.model.total() == 502
    assert window.model.rowCount() < 502, "rows are paged in, not loaded at once"
    qtbot.keyClicks(window.search_box, "8000")
    qtbot.waitUntil(lambda: _names(window.model) == ["张三丰"], timeout=3000)
    qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.model.total() == 502, timeout=3000)
    while window.model.canFetchMore(QModelIndex()):
        window.model.fetchMore(QModelIndex())
    assert window.model.rowCount() == 502
    assert len(set(_names(window.model))) == 502


def test_table_model_passes_the_model_tester(qtmodeltester, window: MainWindow) -> None:
    qtmodeltester.check(window.model)


def test_demo_launch_fills_a_demo_book(qtbot, tmp_path: Path, monkeypatch, memory_keyring) -> None:
    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    workbench = open_workbench("demo", demo=True)
    try:
        assert workbench.cache.encrypted
        total = workbench.customers.count()
        assert 250 <= total <= 400, "one RM's share of the demo book"
        win = MainWindow(workbench)
        qtbot.addWidget(win)
        assert win.model.total() == total
        assert "示范商业银行" in win.windowTitle()
    finally:
        workbench.close()
    again = open_workbench("demo", demo=True)  # second start: no second load
    try:
        assert again.customers.count() == total
    finally:
        again.close()
