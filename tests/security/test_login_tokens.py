"""Issue 13: every login minted another 8-hour token and the old ones stayed valid.

A device holds one live token (a new login revokes its earlier ones); an
administrator revokes all of a user's tokens, disables a user (tokens revoked) and
sets a new password (tokens revoked), by API and by command line; logout revokes."""

from __future__ import annotations

import pytest
import requests

from central_crm.cli import main
from tests.central.conftest import PASSWORD, Api, Book, Service, assert_error
from tests.support.security_login import db_url, login


def works(svc: Service, token: str) -> int:
    answer = requests.get(
        svc.url("/sync/checksums"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return answer.status_code


def test_login_again_revokes_the_devices_earlier_token(svc: Service, book: Book) -> None:
    first = Api(svc, "alice", "device-alice-1")
    other_device = Api(svc, "alice", "device-alice-2")
    second = Api(svc, "alice", "device-alice-1")
    assert works(svc, second.token) == 200
    assert_error(first.get("/sync/checksums"), 401, "token_revoked")
    # Another device of the same user keeps its own token.
    assert works(svc, other_device.token) == 200


def test_login_admin_revokes_every_token_of_a_user(
    svc: Service, book: Book, admin: Api, bob: Api
) -> None:
    devices = [Api(svc, "alice", f"device-alice-{n}") for n in range(3)]
    state = admin.ok(admin.post("/admin/users/alice/revoke-tokens"))
    assert state == {"username": "alice", "active": True, "locked": False, "revoked_tokens": 3}
    for device in devices:
        assert works(svc, device.token) == 401
    assert works(svc, bob.token) == 200
    # The user may log in again.
    assert login(svc.base, "alice", PASSWORD, "device-alice-0").status_code == 200
    assert_error(admin.post("/admin/users/nobody/revoke-tokens"), 404, "unknown_user")
    assert_error(bob.post("/admin/users/alice/revoke-tokens"), 403, "admin_only")


def test_login_admin_disables_and_enables_a_user(svc: Service, admin: Api, alice: Api) -> None:
    state = admin.ok(admin.post("/admin/users/alice/disable"))
    assert state["active"] is False and state["revoked_tokens"] == 1
    assert_error(alice.get("/sync/checksums"), 401)
    assert_error(login(svc.base, "alice", PASSWORD, alice.device_id), 403, "account_disabled")
    assert admin.ok(admin.post("/admin/users/alice/enable"))["active"] is True
    assert login(svc.base, "alice", PASSWORD, alice.device_id).status_code == 200


def test_login_admin_sets_a_password(svc: Service, admin: Api, alice: Api) -> None:
    state = admin.ok(admin.post("/admin/users/alice/password", {"password": "New-Pass-2026"}))
    assert state["revoked_tokens"] == 1
    assert_error(alice.get("/sync/checksums"), 401, "token_revoked")
    assert_error(login(svc.base, "alice", PASSWORD), 401, "bad_credentials")
    assert login(svc.base, "alice", "New-Pass-2026").status_code == 200


def test_login_account_commands(
    svc: Service, book: Book, alice: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url(svc.engine)
    assert main(["revoke-tokens", "--db", url, "alice"]) == 0
    assert "注销令牌 1 个" in capsys.readouterr().out
    assert works(svc, alice.token) == 401
    token = login(svc.base, "alice", PASSWORD, alice.device_id).json()["token"]
    assert main(["disable-user", "--db", url, "alice"]) == 0
    assert "已停用" in capsys.readouterr().out
    assert works(svc, token) == 401
    assert_error(login(svc.base, "alice", PASSWORD, alice.device_id), 403, "account_disabled")
    assert main(["enable-user", "--db", url, "alice"]) == 0
    token = login(svc.base, "alice", PASSWORD, alice.device_id).json()["token"]
    assert main(["set-password", "--db", url, "alice", "--password", "Another-Pass-7"]) == 0
    assert "已修改密码" in capsys.readouterr().out
    assert works(svc, token) == 401
    assert login(svc.base, "alice", "Another-Pass-7", alice.device_id).status_code == 200
    assert main(["disable-user", "--db", url, "nobody"]) == 1


def test_login_logout_revokes(svc: Service, alice: Api) -> None:
    assert alice.ok(alice.post("/auth/logout")) == {"ok": True}
    assert works(svc, alice.token) == 401
