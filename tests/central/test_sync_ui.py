"""The sync as the RM sees it, through real widgets against the real service on
loopback: the login dialog, "sync now" and the status bar, offline, conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.models import Customer, OutboxEntry
from rm_workbench.services.changes import Change
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.workbench import Workbench
from rm_workbench.sync.outbox import update_row
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.conflict_dialog import ConflictDialog
from rm_workbench.ui.events import app_events
from rm_workbench.ui.login_dialog import LoginDialog
from rm_workbench.ui.status_bar import SyncStatusBar
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome
from tests.central.conftest import PASSWORD, Api, Book, Service, fetch
from tests.support.faultproxy import FaultPlan, FaultProxy

pytestmark = pytest.mark.usefixtures("memory_keyring")


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[Workbench]:
    cache: Cache = open_cache(tmp_path / "ui-sync.db")
    bench = Workbench("ui-sync", cache, CustomerService(cache), "示范商业银行")
    yield bench
    wait_for_background()
    cache.dispose()


@pytest.fixture
def network(svc: Service) -> Iterator[FaultProxy]:
    """The way to the service, which a test can unplug (every connection refused)."""
    proxy = FaultProxy(upstream_port=int(svc.root.rsplit(":", 1)[1]), enabled=False)
    yield proxy
    proxy.close()


def unplug(network: FaultProxy) -> None:
    network.plan = FaultPlan(refuse=1.0, cut_request=0, drop_response=0, cut_response=0)
    network.enabled = True


@pytest.fixture
def controller(qtbot: Any, workbench: Workbench) -> Iterator[SyncController]:
    assert workbench.sync is not None
    made = SyncController(workbench.sync)
    yield made
    made.stop_timers()
    wait_for_background()


def _log_in(qtbot: Any, workbench: Workbench, server: str, user: str, password: str) -> LoginDialog:
    assert workbench.sync is not None
    dialog = LoginDialog(workbench.sync)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.server_edit, server)
    qtbot.keyClicks(dialog.user_edit, user)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    return dialog


def _sync(qtbot: Any, bar: SyncStatusBar) -> SyncOutcome:
    outcomes: list[SyncOutcome] = []
    bar.controller.finished.connect(outcomes.append)
    qtbot.mouseClick(bar.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    qtbot.waitUntil(lambda: bar.sync_button.isEnabled())
    return outcomes[0]


def test_a_wrong_password_is_said_in_the_dialog_which_stays_open(
    qtbot: Any, svc: Service, book: Book, workbench: Workbench
) -> None:
    dialog = _log_in(qtbot, workbench, svc.root, "alice", "not-the-password")
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=20_000)
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.error_label.text()
    assert workbench.sync is not None and workbench.sync.configured_server() is None


def test_log_in_sync_now_and_the_status_bar_tells_what_happened(
    qtbot: Any, svc: Service, book: Book, workbench: Workbench, controller: SyncController
) -> None:
    dialog = _log_in(qtbot, workbench, svc.root, "alice", PASSWORD)
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=20_000)
    bar = SyncStatusBar(controller)
    qtbot.addWidget(bar)
    bar.show()
    assert "never" in bar.last_sync_label.text()

    outcome = _sync(qtbot, bar)
    assert outcome.ok, outcome.error
    assert outcome.report is not None and outcome.report.bootstrapped_rows > 0
    qtbot.waitUntil(lambda: bar.online_label.property("online") is True)
    qtbot.waitUntil(lambda: "never" not in bar.last_sync_label.text())
    assert bar.pending_label.text().startswith("0 ")
    assert not bar.progress.isVisible()
    with workbench.cache.session() as session:
        names = set(session.scalars(select(Customer.name)))
    assert len(names) == 2  # alice's two customers, nobody else's

    # An edit typed offline waits in the outbox and the status bar counts it.
    a1 = book.customers["a1"]
    with workbench.cache.engine.begin() as conn:
        update_row(conn, "customer", a1, {"email": "a1@example.cn"})
    controller.refresh_status()
    qtbot.waitUntil(lambda: bar.pending_label.text().startswith("1 "))
    outcome = _sync(qtbot, bar)
    assert outcome.ok and outcome.report is not None and outcome.report.pushed == 1
    assert fetch(svc.engine, "customer", a1)["email"] == "a1@example.cn"  # type: ignore[index]
    qtbot.waitUntil(lambda: bar.pending_label.text().startswith("0 "))


def test_offline_the_edit_stays_queued_and_the_bar_says_offline(
    qtbot: Any,
    network: FaultProxy,
    book: Book,
    workbench: Workbench,
    controller: SyncController,
) -> None:
    dialog = _log_in(qtbot, workbench, network.url, "alice", PASSWORD)
    bar = _synced_bar(qtbot, dialog, controller)
    a1 = book.customers["a1"]
    with workbench.cache.engine.begin() as conn:
        update_row(conn, "customer", a1, {"occupation": "医生"})
    unplug(network)
    outcome = _sync(qtbot, bar)
    assert not outcome.ok
    qtbot.waitUntil(lambda: bar.online_label.property("online") is False)
    assert "Sync failed" in bar.stage_label.text()
    with workbench.cache.session() as session:
        assert len(session.scalars(select(OutboxEntry)).all()) == 1
    qtbot.waitUntil(lambda: bar.pending_label.text().startswith("1 "))


def _synced_bar(qtbot: Any, dialog: LoginDialog, controller: SyncController) -> SyncStatusBar:
    """After a successful login: the status bar, shown, and a first sync done."""
    qtbot.waitUntil(lambda: dialog.result() == 1, timeout=20_000)
    bar = SyncStatusBar(controller)
    qtbot.addWidget(bar)
    bar.show()
    assert _sync(qtbot, bar).ok
    return bar


def _conflicting_edits(svc: Service, book: Book, admin: Api, workbench: Workbench) -> Any:
    """The admin sets a1's occupation to 律师 first, then the device types 医生
    offline: the next sync conflicts. Returns the base value."""
    a1 = book.customers["a1"]
    base = fetch(svc.engine, "customer", a1)["occupation"]  # type: ignore[index]
    admin.update("customer", a1, occupation=(base, "律师"))  # theirs, first
    with workbench.cache.engine.begin() as conn:
        update_row(conn, "customer", a1, {"occupation": "医生"})  # yours, offline
    return base


def test_a_conflict_is_shown_with_base_theirs_yours_and_keep_mine_wins(
    qtbot: Any,
    svc: Service,
    book: Book,
    admin: Api,
    workbench: Workbench,
    controller: SyncController,
) -> None:
    dialog = _log_in(qtbot, workbench, svc.root, "alice", PASSWORD)
    bar = _synced_bar(qtbot, dialog, controller)
    a1 = book.customers["a1"]
    base = _conflicting_edits(svc, book, admin, workbench)
    outcome = _sync(qtbot, bar)
    assert outcome.ok and outcome.report is not None and len(outcome.report.conflicts) == 1
    qtbot.waitUntil(lambda: bar.conflicts_button.isVisible())
    assert bar.conflicts_button.text().startswith("1 ")

    assert workbench.conflicts is not None
    conflicts = ConflictDialog(workbench.conflicts)
    qtbot.addWidget(conflicts)
    conflicts.show()
    assert conflicts.list.count() == 1
    assert (conflicts.base.text(), conflicts.theirs.text(), conflicts.yours.text()) == (
        base or "（空）",
        "律师",
        "医生",
    )
    assert "职业" in conflicts.what.text()
    qtbot.mouseClick(conflicts.mine_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conflicts.list.count() == 0, timeout=20_000)
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]

    assert _sync(qtbot, bar).ok
    with workbench.cache.session() as session:
        assert session.get(Customer, a1).occupation == "医生"  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not bar.conflicts_button.isVisible())


def test_settling_a_conflict_offline_says_so_and_keeps_it(
    qtbot: Any,
    network: FaultProxy,
    svc: Service,
    book: Book,
    admin: Api,
    workbench: Workbench,
    controller: SyncController,
) -> None:
    dialog = _log_in(qtbot, workbench, network.url, "alice", PASSWORD)
    bar = _synced_bar(qtbot, dialog, controller)
    _conflicting_edits(svc, book, admin, workbench)
    assert _sync(qtbot, bar).ok
    assert workbench.conflicts is not None
    unplug(network)
    conflicts = ConflictDialog(workbench.conflicts)
    qtbot.addWidget(conflicts)
    qtbot.mouseClick(conflicts.theirs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not settled" in conflicts.message.text(), timeout=30_000)
    assert conflicts.list.count() == 1 and conflicts.mine_button.isEnabled()


def test_a_sync_announces_exactly_what_it_wrote_and_nothing_when_it_brought_nothing(
    qtbot: Any,
    svc: Service,
    book: Book,
    admin: Api,
    workbench: Workbench,
    controller: SyncController,
) -> None:
    announced: list[Change] = []
    app_events().changed.connect(announced.append)
    try:
        dialog = _log_in(qtbot, workbench, svc.root, "alice", PASSWORD)
        bar = _synced_bar(qtbot, dialog, controller)  # the first sync: a bootstrap
        (first,) = [c for c in announced if c.kind == "synced"]
        assert first.all_customers and {"customer", "visit", "customer_search"} <= first.tables

        announced.clear()
        assert _sync(qtbot, bar).ok  # nothing new on either side
        assert [c for c in announced if c.kind == "synced"] == []

        a1, a2 = book.customers["a1"], book.customers["a2"]
        base = fetch(svc.engine, "customer", a1)["occupation"]  # type: ignore[index]
        admin.update("customer", a1, occupation=(base, "律师"))
        assert _sync(qtbot, bar).ok
        (change,) = [c for c in announced if c.kind == "synced"]
        assert change.tables == {"customer", "customer_search"}
        assert change.customer_ids == {a1} and not change.all_customers
        assert change.concerns(a1) and not change.concerns(a2)
    finally:
        app_events().changed.disconnect(announced.append)
