"""The one write wrapper: ``WriteOp(parent, fn).success(cb).run_in_background()`` runs
``fn`` on the writer lane, announces its Change, and keeps the widget's lifetime in
mind; errors go to the one error dialog. On the demo book's real cache."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import shiboken6
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from rm_workbench.errors import ValidationError
from rm_workbench.models import ContactLog, Customer
from rm_workbench.services.changes import Change
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import operations
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.events import app_events
from rm_workbench.ui.operations import WriteOp

WAIT_MS = 10_000


def _customer(workbench: Workbench) -> str:
    with workbench.cache.engine.connect() as conn:
        return str(conn.execute(select(Customer.id).order_by(Customer.customer_no)).scalar())


def _contact(workbench: Workbench, customer_id: str) -> Change:
    return workbench.activities.add_contact(customer_id, summary="电话回访", channel="phone")


def test_a_write_runs_on_the_writer_lane_and_is_announced_before_success(
    qtbot: Any, workbench: Workbench
) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    customer_id = _customer(workbench)
    order: list[str] = []
    threads: list[str] = []

    def write() -> Change:
        threads.append(threading.current_thread().name)
        return _contact(workbench, customer_id)

    def heard(change: Change) -> None:
        order.append(f"announced {change.kind}")

    app_events().changed.connect(heard)
    try:
        WriteOp(widget, write).success(lambda _c: order.append("success")).run_in_background()
        qtbot.waitUntil(lambda: "success" in order, timeout=WAIT_MS)
    finally:
        app_events().changed.disconnect(heard)
    assert order == ["announced contact_added", "success"]
    assert threads and threads[0] != threading.main_thread().name


def test_a_widget_deleted_meanwhile_hears_nothing_but_the_write_is_announced(
    qtbot: Any, workbench: Workbench
) -> None:
    widget = QWidget()
    customer_id = _customer(workbench)
    go_on = threading.Event()
    called: list[str] = []
    announced: list[Change] = []
    app_events().changed.connect(announced.append)

    def write() -> Change:
        go_on.wait(10)
        return _contact(workbench, customer_id)

    try:
        WriteOp(widget, write).success(lambda _c: called.append(widget.objectName())).failure(
            lambda _e: called.append("failure")
        ).run_in_background()
        shiboken6.delete(widget)  # the RM closed the window while it saved
        go_on.set()
        qtbot.waitUntil(lambda: bool(announced), timeout=WAIT_MS)
        wait_for_background()
        qtbot.wait(50)
    finally:
        app_events().changed.disconnect(announced.append)
    assert called == []
    assert announced[0].kind == "contact_added"
    with workbench.cache.engine.connect() as conn:
        assert conn.execute(select(ContactLog.id).where(ContactLog.id == announced[0].id)).first()


def test_an_error_goes_to_the_one_error_dialog_unless_the_op_takes_it(
    qtbot: Any, workbench: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    shown: list[tuple[QWidget | None, BaseException]] = []
    monkeypatch.setattr(operations, "show_error", lambda parent, exc: shown.append((parent, exc)))

    def refused() -> Change:
        raise ValidationError("摘要不能为空", "test")

    WriteOp(widget, refused).run_in_background()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    assert shown[0][0] is widget and isinstance(shown[0][1], ValidationError)

    taken: list[BaseException] = []
    WriteOp(widget, refused).failure(taken.append).run_in_background()
    qtbot.waitUntil(lambda: bool(taken), timeout=WAIT_MS)
    assert len(shown) == 1
