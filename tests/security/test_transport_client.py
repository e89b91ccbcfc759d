"""Issue 13, transport, the workbench's side: no password in clear, no redirect followed.

* ``http://`` to another machine is refused before anything is sent, at every place an
  address enters: the SyncClient itself (last line of defence), SyncService.login, the
  ``rm-workbench sync --server`` command line (before a password is asked for), the
  login dialog and the connectivity probe. Loopback (localhost, 127.0.0.0/8, ::1) stays
  allowed: the demo and the tests use it.
* A redirect is never followed, on any call: a hostile server on loopback answers 307
  to another loopback port, which records what reaches it; nothing must, and the RM
  reads a plain Chinese message naming the target.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rm_contract.wire import HelloRequest, LoginRequest, PushRequest
from rm_workbench.errors import InsecureServerAddress, RedirectRefused, WorkbenchError
from rm_workbench.services.connectivity import probe
from rm_workbench.sync.address import check_server_url, is_loopback
from rm_workbench.sync.client import SyncClient
from tests.support.security_transport import Recorder, redirecting_to

REMOTE_HTTP = [
    "http://crm.example-bank.cn",
    "http://10.1.2.3:8700",
    "HTTP://CRM.EXAMPLE-BANK.CN/",
    "http://127.0.0.1.example-bank.cn",
    "http://localhost.example-bank.cn:8700",
    "http://[2001:db8::1]:8700",
    "http://0.0.0.0:8700",
]
LOOPBACK_HTTP = [
    "http://127.0.0.1:8700",
    "http://localhost:8700/",
    "http://127.9.9.9",
    "http://[::1]:8700",
    "http://LOCALHOST",
]
LOGIN = LoginRequest(username="alice", password="the-password-1", device_id="device-alice-1")


@pytest.fixture
def collector() -> Iterator[Recorder]:
    """Where a hostile server sends the workbench; must receive nothing."""
    recorder = Recorder()
    yield recorder
    recorder.close()


# --- plain http to another machine ------------------------------------------------------


@pytest.mark.parametrize("url", REMOTE_HTTP)
def test_client_refuses_plain_http_to_another_machine(url: str) -> None:
    with pytest.raises(InsecureServerAddress) as caught:
        SyncClient(url)
    assert "https://" in caught.value.user_message
    assert "明文" in caught.value.user_message


@pytest.mark.parametrize("url", LOOPBACK_HTTP)
def test_client_accepts_loopback_http_and_any_https(url: str) -> None:
    SyncClient(url).close()
    SyncClient(url.replace("http://", "https://").replace("HTTP://", "https://")).close()


@pytest.mark.parametrize(
    "url", ["ftp://crm.example-bank.cn", "crm.example-bank.cn", "https://", "https://a:b@crm.cn"]
)
def test_no_web_address_or_credentials_in_it(url: str) -> None:
    with pytest.raises(InsecureServerAddress):
        check_server_url(url)


def test_loopback_is_only_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("[::1]")
    assert is_loopback("localhost.") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("127.0.0.1.nip.io") and not is_loopback("10.0.0.1")
    assert not is_loopback("0x7f000001") and not is_loopback("")


def test_service_login_refuses_before_sending_the_password(
    tmp_path: Path, collector: Recorder
) -> None:
    from rm_workbench.db.cache import open_cache
    from rm_workbench.services.sync import SyncService

    cache = open_cache(tmp_path / "rm.db")
    try:
        service = SyncService(cache, "transport")
        with pytest.raises(InsecureServerAddress):
            service.login("http://crm.example-bank.cn", "alice", "the-password-1")
        assert service.configured_server() is None
    finally:
        cache.dispose()


def test_cli_sync_refuses_plain_http_before_asking_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rm_workbench import cli

    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("the-password-1\n"))
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or "pw")
    status = cli.main(
        [
            "--profile",
            "transport-cli",
            "--no-encrypt",
            "sync",
            "--server",
            "http://crm.example-bank.cn",
            "--user",
            "alice",
            "--password-stdin",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "https://" in err and "明文" in err
    assert asked == []
    assert not list(tmp_path.rglob("*.db")), "no cache is opened for a refused address"


def test_probe_never_contacts_a_plain_http_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def no_network(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the probe must not send anything")

    monkeypatch.setattr(requests, "get", no_network)
    assert probe("http://crm.example-bank.cn") is False


def test_login_dialog_refuses_plain_http(qtbot: Any, tmp_path: Path) -> None:
    from rm_workbench.db.cache import open_cache
    from rm_workbench.services.sync import SyncService
    from rm_workbench.ui.login_dialog import LoginDialog

    cache = open_cache(tmp_path / "rm.db")
    try:
        service = SyncService(cache, "transport")
        calls: list[tuple[str, ...]] = []
        service.login = lambda *a: calls.append(a)  # type: ignore[method-assign,assignment,return-value]
        dialog = LoginDialog(service)
        qtbot.addWidget(dialog)
        dialog.server_edit.setText("http://crm.example-bank.cn")
        dialog.user_edit.setText("alice")
        dialog.password_edit.setText("the-password-1")
        dialog.log_in()
        assert calls == []
        assert "https://" in dialog.error_label.text()
        assert "明文" in dialog.error_label.text()
    finally:
        cache.dispose()


# --- redirects ----------------------------------------------------------------------------


def _hello() -> HelloRequest:
    return HelloRequest(
        protocol_version=3, device_id="device-alice-1", cursor=0, client_time=datetime.now(UTC)
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_login_redirect_is_not_followed(status: int, collector: Recorder) -> None:
    hostile = Recorder(redirecting_to(collector.url, status))
    client = SyncClient(hostile.url, backoff=0.01)
    try:
        with pytest.raises(RedirectRefused) as caught:
            client.login(LOGIN)
    finally:
        client.close()
        hostile.close()
    assert collector.received == [], "the password was sent to the redirect's target"
    assert len(hostile.received) == 1, "a redirect is not retried"
    assert collector.url in caught.value.user_message
    assert "不会跟随" in caught.value.user_message


@pytest.mark.parametrize("call", ["hello", "push", "pull", "snapshot", "checksums", "conflicts"])
def test_no_call_follows_a_redirect(call: str, collector: Recorder) -> None:
    hostile = Recorder(redirecting_to(collector.url, 307))
    client = SyncClient(hostile.url, token="a-token", backoff=0.01)
    calls: dict[str, Any] = {
        "hello": lambda: client.hello(_hello()),
        "push": lambda: client.push(PushRequest(device_id="device-alice-1", mutations=[])),
        "pull": lambda: client.pull(0, 10),
        "snapshot": lambda: client.snapshot("customer", None, 10),
        "checksums": client.checksums,
        "conflicts": client.conflicts,
    }
    try:
        with pytest.raises(RedirectRefused):
            calls[call]()
    finally:
        client.close()
        hostile.close()
    assert collector.received == [], "the token or the edits went to the redirect's target"
    assert len(hostile.received) == 1


def test_redirect_message_is_plain_and_bounded(collector: Recorder) -> None:
    hostile = Recorder(redirecting_to(collector.url + "/\x1b[31m" + "x" * 5000, 302))
    client = SyncClient(hostile.url, token="a-token", backoff=0.01)
    try:
        with pytest.raises(WorkbenchError) as caught:
            client.pull(0, 10)
    finally:
        client.close()
        hostile.close()
    assert isinstance(caught.value, RedirectRefused)
    assert "\x1b" not in caught.value.user_message
    assert len(caught.value.user_message) < 400


def test_probe_does_not_follow_a_redirect(collector: Recorder) -> None:
    hostile = Recorder(redirecting_to(collector.url, 302))
    try:
        assert probe(hostile.url) is False
    finally:
        hostile.close()
    assert collector.received == []
