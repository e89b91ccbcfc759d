"""Issue 13: the workbench never called ``/auth/logout``: a stolen or forgotten
token stayed valid for its 8 hours. Sync → Sign out (退出登录) revokes the token on
the central CRM and forgets it on this computer; the next sync asks for the password
and edits not yet synced stay queued. Real widgets against the real service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction

from rm_workbench import keystore
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.workbench import Workbench
from rm_workbench.sync.outbox import update_row
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.settings import Settings
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome
from tests.central.conftest import PASSWORD, Book, Service, assert_error
from tests.support.faultproxy import FaultPlan, FaultProxy

pytestmark = pytest.mark.usefixtures("memory_keyring")


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[Workbench]:
    cache: Cache = open_cache(tmp_path / "sign-out.db")
    bench = Workbench("sign-out", cache, CustomerService(cache), "示范商业银行")
    yield bench
    wait_for_background()
    cache.dispose()


@pytest.fixture
def window(qtbot: Any, workbench: Workbench, tmp_path: Path) -> Iterator[MainWindow]:
    assert workbench.sync is not None
    controller = SyncController(workbench.sync)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    made = MainWindow(workbench, controller, settings)
    qtbot.addWidget(made)
    made.show()
    yield made
    controller.stop_timers()
    wait_for_background()


def _sync(qtbot: Any, controller: SyncController) -> SyncOutcome:
    outcomes: list[SyncOutcome] = []
    controller.finished.connect(outcomes.append)
    controller.sync_now()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=60_000)
    return outcomes[0]


def _sign_out(qtbot: Any, window: MainWindow) -> bool:
    assert window.controller is not None
    with qtbot.waitSignal(window.controller.signed_out, timeout=30_000) as signal:
        action = window.findChild(QAction, "sign_out")
        assert action is not None and action.text() in ("Sign out", "退出登录")
        action.trigger()
    revoked: bool = signal.args[0]
    return revoked


def _checksums(svc: Service, token: str) -> requests.Response:
    return requests.get(
        svc.url("/sync/checksums"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_login_sign_out_revokes_the_token_on_the_server(
    qtbot: Any, svc: Service, book: Book, workbench: Workbench, window: MainWindow
) -> None:
    service = workbench.sync
    controller = window.controller
    assert service is not None and controller is not None
    service.login(svc.root, "alice", PASSWORD)
    assert _sync(qtbot, controller).ok
    token = service.token_for(svc.root)
    assert token is not None and _checksums(svc, token).status_code == 200
    # An edit typed offline waits in the outbox when the RM signs out.
    with workbench.cache.engine.begin() as conn:
        update_row(conn, "customer", book.customers["a1"], {"occupation": "医生"})

    assert _sign_out(qtbot, window) is True
    assert_error(_checksums(svc, token), 401, "token_revoked")
    assert service.token_for(svc.root) is None
    assert keystore.sync_token("sign-out", svc.root) is None
    assert "Signed out" in window.statusBar().currentMessage() or "退出登录" in (
        window.statusBar().currentMessage()
    )
    assert service.status().pending_edits == 1 and not service.status().logged_in

    # The next sync asks for the password; the edit stays queued.
    asked: list[str] = []
    controller.login_needed.disconnect()
    controller.login_needed.connect(asked.append)
    outcome = _sync(qtbot, controller)
    assert not outcome.ok and asked
    assert service.status().pending_edits == 1
    # Logging in again sends it.
    service.login(svc.root, "alice", PASSWORD)
    outcome = _sync(qtbot, controller)
    assert outcome.ok and outcome.report is not None and outcome.report.pushed == 1


def test_login_sign_out_offline_still_forgets_the_token(
    qtbot: Any, svc: Service, book: Book, workbench: Workbench, window: MainWindow
) -> None:
    service = workbench.sync
    assert service is not None
    proxy = FaultProxy(upstream_port=int(svc.root.rsplit(":", 1)[1]), enabled=False)
    try:
        service.login(proxy.url, "alice", PASSWORD)
        token = service.token_for(proxy.url)
        assert token is not None
        proxy.plan = FaultPlan(refuse=1.0, cut_request=0, drop_response=0, cut_response=0)
        proxy.enabled = True
        assert _sign_out(qtbot, window) is False
        assert service.token_for(proxy.url) is None
        # The server was not told: the token lapses at its expiry (the RM is told so).
        assert _checksums(svc, token).status_code == 200
        message = window.statusBar().currentMessage()
        assert "could not be reached" in message or "无法连接" in message
    finally:
        proxy.close()


def test_login_rm_workbench_logout_command(
    svc: Service,
    book: Book,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: Any,
) -> None:
    import io

    from rm_workbench.cli import main

    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    sync = ["--profile", "alice", "--no-encrypt", "sync", "--server", svc.root, "--user", "alice"]
    assert main([*sync, "--password-stdin", "--no-verify"]) == 0
    token = keystore.sync_token("alice", svc.root)
    assert token is not None and _checksums(svc, token).status_code == 200
    capsys.readouterr()
    assert main(["--profile", "alice", "--no-encrypt", "logout"]) == 0
    assert "已退出登录" in capsys.readouterr().out
    assert_error(_checksums(svc, token), 401, "token_revoked")
    assert keystore.sync_token("alice", svc.root) is None
    # The next sync asks for the password.
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["--profile", "alice", "--no-encrypt", "sync", "--password-stdin"]) == 1
    assert "没有输入密码" in capsys.readouterr().err
