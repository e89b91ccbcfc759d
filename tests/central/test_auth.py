"""Login, tokens (missing, unknown, expired, revoked), devices, protocol range, roles."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from central_crm.schema import app_user, auth_token, device
from rm_contract.wire import PROTOCOL_VERSION
from tests.central.conftest import PASSWORD, Api, Book, Service, assert_error, counter


def test_login_returns_token_stored_only_as_hash(svc: Service, book: Book) -> None:
    api = Api(svc, "alice", "device-alice-1")
    assert api.login["user"] == {
        "username": "alice",
        "display_name": "alice",
        "role": "rm",
        "rm_id": book.rms["a"],
    }
    expires = datetime.fromisoformat(api.login["expires_at"])
    assert timedelta(hours=7) < expires - datetime.now(UTC) <= timedelta(hours=8)
    with svc.engine.connect() as conn:
        hashes = list(conn.execute(select(auth_token.c.token_hash)).scalars())
        stored = conn.execute(select(app_user.c.password_hash)).scalars().first()
        registered = conn.execute(select(device)).mappings().one()
    assert hashes == [hashlib.sha256(api.token.encode()).hexdigest()]
    assert api.token not in hashes
    assert stored is not None and stored.startswith("$argon2id$")
    assert registered["user_id"] and registered["name"] == "测试电脑"


def test_wrong_password_and_unknown_user_look_the_same(svc: Service, book: Book) -> None:
    for username, password in [("alice", "wrong-password"), ("nobody", PASSWORD)]:
        answer = requests.post(
            svc.url("/auth/login"),
            json={"username": username, "password": password, "device_id": "device-x-0001"},
            timeout=10,
        )
        body = assert_error(answer, 401, "bad_credentials")
        assert "密码" in body["message"]


def test_missing_and_unknown_token(svc: Service, book: Book) -> None:
    body = assert_error(requests.get(svc.url("/sync/checksums"), timeout=10), 401)
    assert body["code"] == "not_authenticated"
    assert "登录" in body["message"] and "token" in body["message"]
    answer = requests.get(
        svc.url("/sync/checksums"), headers={"Authorization": "Bearer forged"}, timeout=10
    )
    assert_error(answer, 401, "not_authenticated")
    assert answer.headers["www-authenticate"] == "Bearer"


def test_expired_token(svc: Service, alice: Api) -> None:
    assert alice.get("/sync/checksums").status_code == 200
    with svc.engine.begin() as conn:
        conn.execute(
            auth_token.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    body = assert_error(alice.get("/sync/checksums"), 401, "token_expired")
    assert "过期" in body["message"]


def test_logout_revokes_the_token(svc: Service, alice: Api) -> None:
    assert alice.ok(alice.post("/auth/logout")) == {"ok": True}
    body = assert_error(alice.get("/sync/pull", cursor=0), 401, "token_revoked")
    assert "重新登录" in body["message"]
    # Logging in again gives a working token; the device stays the same.
    again = Api(svc, "alice", alice.device_id)
    assert again.get("/sync/checksums").status_code == 200


def test_old_protocol_is_told_to_upgrade(svc: Service, alice: Api) -> None:
    body = assert_error(alice.hello(protocol=0), 426, "protocol_unsupported")
    assert "升级" in body["message"] and "upgrade" in body["message"]
    assert body["details"] == {"protocol_min": 1, "protocol_max": PROTOCOL_VERSION}
    assert_error(alice.hello(protocol=99), 426, "protocol_unsupported")


def test_hello(svc: Service, alice: Api) -> None:
    first = alice.ok(alice.hello(cursor=0))
    seq = counter(svc.engine)
    assert first["must_bootstrap"] is True and first["snapshot_seq"] == seq
    assert first["server_seq"] == seq and first["bootstrap_reason"]
    assert "audit_log" not in first["tables"] and "customer" in first["tables"]
    assert first["tables"].index("customer") < first["tables"].index("visit")
    assert abs(first["clock_skew_seconds"]) < 5
    later = alice.ok(alice.hello(cursor=seq))
    assert later["must_bootstrap"] is False and later["snapshot_seq"] is None
    skewed = alice.post(
        "/sync/hello",
        {
            "protocol_version": 1,
            "device_id": alice.device_id,
            "cursor": seq,
            "client_time": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        },
    )
    assert 590 < alice.ok(skewed)["clock_skew_seconds"] < 610
    # A cursor ahead of the server (a restored database) means: bootstrap again.
    assert alice.ok(alice.hello(cursor=seq + 1000))["must_bootstrap"] is True


def test_token_is_bound_to_its_device(svc: Service, alice: Api) -> None:
    answer = alice.post(
        "/sync/hello",
        {
            "protocol_version": 1,
            "device_id": "someone-elses-device",
            "cursor": 0,
            "client_time": datetime.now(UTC).isoformat(),
        },
    )
    assert_error(answer, 403, "device_mismatch")
    assert_error(
        alice.post("/sync/push", {"device_id": "someone-elses-device", "mutations": []}),
        403,
        "device_mismatch",
    )


def test_device_of_another_user_is_refused(svc: Service, alice: Api) -> None:
    answer = requests.post(
        svc.url("/auth/login"),
        json={"username": "bob", "password": PASSWORD, "device_id": alice.device_id},
        timeout=10,
    )
    body = assert_error(answer, 409, "device_in_use")
    assert "另一位用户" in body["message"]


def test_admin_endpoints_need_the_admin_role(svc: Service, alice: Api, book: Book) -> None:
    for path, body in [
        ("/admin/users", {"username": "x", "password": "password1", "display_name": "x"}),
        ("/admin/assign", {"customer_ids": [book.customers["b1"]], "rm_id": book.rms["a"]}),
        ("/admin/gc", {}),
        ("/admin/catalog", {"products": [{"code": "X"}]}),
        ("/admin/core-feed", {}),
    ]:
        assert_error(alice.post(path, body), 403, "admin_only")


def test_disabled_account(svc: Service, alice: Api) -> None:
    with svc.engine.begin() as conn:
        conn.execute(app_user.update().where(app_user.c.username == "alice").values(active=False))
    assert_error(alice.get("/sync/checksums"), 401, "not_authenticated")
    answer = requests.post(
        svc.url("/auth/login"),
        json={"username": "alice", "password": PASSWORD, "device_id": alice.device_id},
        timeout=10,
    )
    assert_error(answer, 403, "account_disabled")
