"""The writer lane carries database transactions only: an RM's save is never queued
behind a sync waiting for a slow central CRM, nor behind a batch of documents. Real
widgets over the demo book's real cache; the slow server is a real loopback HTTP
server that holds every request until the test lets it go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import select

from rm_demo.book import DEFAULT_TODAY
from rm_workbench import keystore
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import AuditLog, ContactLog, Customer, SyncState
from rm_workbench.services.sync import SERVER_URL
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import printing
from rm_workbench.ui.activity_dialogs import ContactDialog
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.printing import PrintOptionsDialog
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome
from rm_workbench.ui.visits_view import VisitsView

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
WAIT_MS = 20_000
# A save must be done well within this while the sync or the batch is held.
SAVE_MS = 5_000
LEFT = Qt.MouseButton.LeftButton


class StalledServer:
    """A loopback HTTP server that holds every request until ``release()``, then
    answers 503 (the sync then fails as against a server that is down)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _hold(self) -> None:
                server.arrived.set()
                server.released.wait(60)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _hold

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def stalled() -> Iterator[StalledServer]:
    server = StalledServer()
    yield server
    server.close()


def _customer(workbench: Workbench) -> tuple[str, str]:
    with workbench.cache.engine.connect() as conn:
        row = conn.execute(
            select(Customer.id, Customer.name).order_by(Customer.customer_no)
        ).first()
    assert row is not None
    return row.id, row.name


def _contact_dialog(qtbot: Any, workbench: Workbench) -> ContactDialog:
    customer_id, name = _customer(workbench)
    dialog = ContactDialog(workbench.activities, customer_id, name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.summary_edit.setFocus()
    qtbot.keyClicks(dialog.summary_edit, "call about the deposit")
    return dialog


def _contacts(workbench: Workbench) -> int:
    with workbench.cache.engine.connect() as conn:
        return len(conn.execute(select(ContactLog.id)).all())


def test_a_save_is_done_while_a_sync_waits_for_a_slow_server(
    qtbot: Any, workbench: Workbench, stalled: StalledServer, memory_keyring: Any
) -> None:
    with workbench.cache.session() as session:
        session.merge(SyncState(key=SERVER_URL, value=stalled.url))
    keystore.store_sync_token(workbench.profile, stalled.url, "token")
    controller = SyncController(workbench.sync)
    outcomes: list[SyncOutcome] = []
    controller.finished.connect(outcomes.append)
    try:
        assert controller.sync_now()
        assert stalled.arrived.wait(10), "the sync never asked the server"
        before = _contacts(workbench)
        dialog = _contact_dialog(qtbot, workbench)
        qtbot.mouseClick(dialog.save_button, LEFT)
        # The sync is still held in its request: the save does not wait for it.
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=SAVE_MS)
        assert controller.busy and not outcomes
        assert _contacts(workbench) == before + 1
    finally:
        stalled.release()
        qtbot.waitUntil(lambda: bool(outcomes), timeout=WAIT_MS)
        controller.stop_timers()
        wait_for_background()
    assert not outcomes[0].ok  # the server answered 503 in the end
    assert _contacts(workbench) == before + 1  # the failed sync took nothing away


def _audit(workbench: Workbench, action: str) -> int:
    with workbench.cache.engine.connect() as conn:
        return len(conn.execute(select(AuditLog.id).where(AuditLog.action == action)).all())


def test_a_save_is_not_queued_behind_a_batch_of_documents(
    qtbot: Any, workbench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = VisitsView(workbench, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.week is not None and not view.is_loading(), timeout=WAIT_MS)
    assert view.week is not None
    day = next(d for d in view.week.days if [v for v in d.visits if v.status != "cancelled"])
    briefs = tmp_path / "briefs.pdf"
    monkeypatch.setattr(printing, "ask_options", lambda *_: (PrintOptionsDialog.SAVE, False))
    monkeypatch.setattr(printing, "ask_save_path", lambda *_: briefs)
    # A batch that takes as long as the test wants: the real one, held at its start.
    documents = workbench.documents
    batch = documents.briefs_for_day
    started, go_on = threading.Event(), threading.Event()

    def slow_batch(*args: Any, **kwargs: Any) -> Any:
        started.set()
        go_on.wait(60)
        return batch(*args, **kwargs)

    monkeypatch.setattr(documents, "briefs_for_day", slow_batch)
    try:
        view.print_day_briefs(day.day)
        assert started.wait(10), "the batch never started"
        dialog = _contact_dialog(qtbot, workbench)
        qtbot.mouseClick(dialog.save_button, LEFT)
        qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=SAVE_MS)
        assert _audit(workbench, "save_briefs") == 0  # the batch is still held
    finally:
        go_on.set()
    qtbot.waitUntil(lambda: _audit(workbench, "save_briefs") > 0, timeout=WAIT_MS)
    assert briefs.exists()
    QApplication.processEvents()
    wait_for_background()


def test_the_one_lane_helper_runs_a_transaction_on_the_writer_lane_and_waits(
    qtbot: Any,
) -> None:
    from rm_workbench.ui.background import on_writer_lane, run_in_background

    seen: list[tuple[str, str]] = []

    def on_files_lane() -> str:
        here = threading.current_thread().name
        there = on_writer_lane(lambda: threading.current_thread().name)
        seen.append((here, there))
        return there

    results: list[Any] = []
    run_in_background(on_files_lane, results.append, results.append, lane="files")
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT_MS)
    ((here, there),) = seen
    assert here != there and results == [there]

    def failing() -> None:
        on_writer_lane(lambda: 1 / 0)

    errors: list[Any] = []
    run_in_background(failing, errors.append, errors.append, lane="network")
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)
    assert isinstance(errors[0], ZeroDivisionError)
