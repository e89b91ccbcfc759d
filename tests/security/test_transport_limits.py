"""Issue 13, transport: request bodies are capped, and a token is checked before a body
is read.

Against the real service on loopback (SQLite and PostgreSQL), with raw sockets:

* a body without a token (or with an unknown, expired or revoked one) that never ends
  (chunked) or announces 1 GiB gets its 401 while the sender is still sending, i.e.
  before the server read it (a server that reads first never answers: the read times
  out); the service then lingers, reading and dropping what still comes for at most
  LINGER_SECONDS, and closes: closed at once, the sender's next bytes meet a reset, and
  a proxy forwarding them (nginx) answers 502 instead of the 401;
* a body over the endpoint's cap gets 413 with an ErrorBody: by Content-Length before
  a byte is read, counting a chunked body while it comes, and after gzip inflation
  (login's cap is small: 16 KiB; a push's 32 MiB);
* every endpoint of the API needs a token except health and login (derived from the
  routes, so a new endpoint cannot silently skip the check).
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from fastapi.routing import APIRoute
from sqlalchemy import update

from central_crm import db
from central_crm.app import _bearer, create_app
from central_crm.schema import auth_token
from central_crm.security import LINGER_SECONDS, OPEN_PATHS, BodyLimits
from central_crm.server import run_in_thread
from rm_contract.wire import API_PREFIX, FieldChange, LoginRequest, Mutation, PushRequest
from rm_workbench.errors import AuthRequired, RequestRejected
from rm_workbench.sync.client import SyncClient
from tests.central.conftest import FAST_HASHER, PASSWORD, Api, Service, assert_error, seed
from tests.support.security_transport import RawAnswer, raw_request

GIB = 2**30
# The answer must come long before the body would be complete; a server reading the
# body first never answers (the body never ends) and the read times out.
ANSWER_WITHIN = 20.0
JSON_HEADERS = {"Content-Type": "application/json"}


def _send(
    svc: Service,
    path: str,
    token: str | None,
    *,
    declared: int | None,
    headers: dict[str, str] | None = None,
) -> RawAnswer:
    where = urlsplit(svc.root)
    sent_headers = dict(JSON_HEADERS)
    if token is not None:
        sent_headers["Authorization"] = f"Bearer {token}"
    sent_headers.update(headers or {})
    return raw_request(
        where.hostname or "127.0.0.1",
        where.port or 80,
        "POST",
        f"{API_PREFIX}{path}",
        sent_headers,
        declared=declared,
        timeout=ANSWER_WITHIN,
    )


def _error(answer: RawAnswer, status: int, code: str | None = None) -> dict[str, object]:
    assert answer.status == status, (answer.status, answer.body[:300])
    assert answer.headers["content-type"].startswith("application/json")
    body = json.loads(answer.body)
    assert set(body) == {"code", "message", "details"}
    if code is not None:
        assert body["code"] == code, body
    assert " / " in body["message"]  # Chinese, then English
    return dict(body)


def _unread(answer: RawAnswer) -> None:
    """The answer came before the body was complete: the server did not read it all."""
    if answer.declared is not None:
        assert answer.sent < answer.declared
    assert answer.headers.get("connection", "").lower() == "close"


# --- a token before the body ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sync/push", "/sync/hello", "/auth/logout", "/admin/core-feed"])
def test_endless_body_without_token_gets_401_unread(svc: Service, path: str) -> None:
    answer = _send(svc, path, None, declared=None)
    _error(answer, 401, "not_authenticated")
    _unread(answer)


def test_huge_declared_body_without_token_gets_401_unread(svc: Service) -> None:
    answer = _send(svc, "/sync/push", None, declared=GIB)
    _error(answer, 401)
    _unread(answer)


def test_huge_gzip_body_with_unknown_token_gets_401_unread(svc: Service, book: object) -> None:
    answer = _send(
        svc, "/sync/push", "not-a-token", declared=GIB, headers={"Content-Encoding": "gzip"}
    )
    _error(answer, 401, "not_authenticated")
    _unread(answer)


def test_revoked_token_gets_401_before_the_body(svc: Service, alice: Api) -> None:
    assert alice.post("/auth/logout").status_code == 200
    answer = _send(svc, "/sync/push", alice.token, declared=None)
    _error(answer, 401, "token_revoked")
    _unread(answer)


def test_expired_token_gets_401_before_the_body(svc: Service, alice: Api) -> None:
    with db.write_begin(svc.engine) as conn:
        conn.execute(update(auth_token).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    answer = _send(svc, "/sync/hello", alice.token, declared=GIB)
    _error(answer, 401, "token_expired")
    _unread(answer)


def test_valid_token_still_syncs(svc: Service, alice: Api) -> None:
    """The check before the body changes nothing for a good caller."""
    assert alice.hello().status_code == 200
    assert alice.push_raw([]).status_code == 200
    assert alice.post("/auth/logout").status_code == 200


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One answer off a raw socket, without reading past it."""
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(4096)
        assert got, "closed before an answer"
        data += got
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        key.strip().lower(): value.strip()
        for key, _, value in (line.partition(":") for line in lines[1:])
    }
    while len(rest) < int(headers["content-length"]):
        got = sock.recv(4096)
        assert got, "closed inside the answer"
        rest += got
    return int(lines[0].split(" ")[1]), headers, rest


@pytest.mark.parametrize("path", ["/sync/push", "/auth/logout"])
def test_refused_sender_may_go_on_sending_for_a_while(svc: Service, path: str) -> None:
    """Reproduces the 502 seen behind nginx: the service answered 401 and closed at
    once, the body's next bytes met a reset, and nginx, still forwarding them, answered
    502. Now the sender can go on sending for a second after the answer came (the
    service reads and drops it), and the connection is closed once the linger is over."""
    where = urlsplit(svc.root)
    sock = socket.create_connection((where.hostname or "127.0.0.1", where.port or 80), timeout=20)
    piece = b"x" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    try:
        sock.sendall(
            (
                f"POST {API_PREFIX}{path} HTTP/1.1\r\nHost: localhost\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode("latin-1")
            + chunk
        )
        status, headers, body = _read_answer(sock)
        assert status == 401
        assert headers["connection"].lower() == "close"
        assert json.loads(body)["code"] == "not_authenticated"
        answered = time.monotonic()
        while time.monotonic() - answered < LINGER_SECONDS / 2:
            sock.sendall(chunk)  # a reset here is the defect
            time.sleep(0.02)
        # The linger ends: the service closes, and sending fails soon after.
        with pytest.raises(OSError):
            while time.monotonic() - answered < LINGER_SECONDS + 15:
                sock.sendall(chunk)
                time.sleep(0.02)
    finally:
        sock.close()


# --- size caps -------------------------------------------------------------------------------


def test_declared_body_over_the_push_cap_refused_before_reading(svc: Service, alice: Api) -> None:
    answer = _send(svc, "/sync/push", alice.token, declared=BodyLimits().push + 1)
    _error(answer, 413, "too_large")
    _unread(answer)


def test_chunked_body_over_the_push_cap_refused_while_coming(svc: Service, alice: Api) -> None:
    answer = _send(svc, "/sync/push", alice.token, declared=None)
    _error(answer, 413, "too_large")
    # Cut once past the cap, not read to the end (it has none).
    assert answer.sent <= BodyLimits().push + 64 * 2**20


def test_login_body_over_its_small_cap(svc: Service, book: object) -> None:
    body = {"username": "alice", "password": "x" * 100_000, "device_id": "device-alice-1"}
    answer = requests.post(svc.url("/auth/login"), json=body, timeout=30)
    assert_error(answer, 413, "too_large")


def test_login_gzip_bomb_refused_after_inflation(svc: Service, book: object) -> None:
    inflated = json.dumps(
        {"username": "alice", "password": "x" * 2_000_000, "device_id": "device-alice-1"}
    ).encode()
    packed = gzip.compress(inflated)
    assert len(packed) < BodyLimits().login  # small on the wire, large inflated
    answer = requests.post(
        svc.url("/auth/login"),
        data=packed,
        headers={**JSON_HEADERS, "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert_error(answer, 413, "too_large")


def test_endless_login_body_refused_at_its_cap(svc: Service) -> None:
    answer = _send(svc, "/auth/login", None, declared=None)
    _error(answer, 413, "too_large")


def test_gzip_push_inflating_past_its_cap(svc: Service, alice: Api) -> None:
    limit = BodyLimits().push
    inflated = b'{"device_id": "device-alice-1", "mutations": [], "x": "' + b"y" * limit + b'"}'
    answer = alice.session.post(
        svc.url("/sync/push"),
        data=gzip.compress(inflated, compresslevel=1),
        headers={**JSON_HEADERS, "Content-Encoding": "gzip"},
        timeout=60,
    )
    assert_error(answer, 413, "too_large")


# --- which endpoints need a token ------------------------------------------------------------


def _uses_bearer(route: APIRoute) -> bool:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call is _bearer:
            return True
        pending.extend(dependant.dependencies)
    return False


def test_every_api_endpoint_but_health_and_login_takes_a_token(tmp_path: object) -> None:
    app = create_app("sqlite://", migrate=True)
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith(API_PREFIX)]
    assert len(routes) > 10
    for route in routes:
        assert _uses_bearer(route) == (route.path not in OPEN_PATHS), route.path
    app.state.engine.dispose()


# --- the workbench meets the early answers ---------------------------------------------------


def _big_push(megabytes: int) -> PushRequest:
    """A push of 1,000 mutations whose gzip body is about ``megabytes`` MB (random hex
    text compresses about 2x)."""
    size = megabytes * 2**20 // 1000  # random bytes per mutation, hex: twice as many
    mutations = [
        Mutation(
            mutation_id=n,
            idempotency_key=f"key-{n:08d}",
            table="contact_log",
            row_id=str(n),
            op="update",
            fields={"summary": FieldChange(new=os.urandom(size).hex(), base="")},
        )
        for n in range(1, 1001)
    ]
    return PushRequest(device_id="device-alice-1", mutations=mutations)


@pytest.mark.parametrize("repeat", range(3))
def test_workbench_pushing_with_a_revoked_token_is_asked_to_log_in(
    svc: Service, alice: Api, repeat: int
) -> None:
    """The 401 comes while the client is still sending a large push; the workbench must
    read it as "log in again", not as "offline"."""
    assert alice.post("/auth/logout").status_code == 200
    client = SyncClient(svc.root, token=alice.token, backoff=0.01)
    try:
        with pytest.raises(AuthRequired):
            client.push(_big_push(8))
    finally:
        client.close()


def test_workbench_push_over_the_cap_is_refused_plainly(tmp_path: Path) -> None:
    """A service with a 1 MiB push cap; a 2 MB push gets the 413's plain message."""
    app = create_app(
        f"sqlite:///{tmp_path / 'small.db'}",
        password_hasher=FAST_HASHER,
        body_limits=BodyLimits(push=2**20),
    )
    seed(app.state.engine)
    running = run_in_thread(app)
    client = SyncClient(running.root, backoff=0.01)
    try:
        client.login(LoginRequest(username="alice", password=PASSWORD, device_id="device-alice-1"))
        with pytest.raises(RequestRejected) as caught:
            client.push(_big_push(2))
    finally:
        client.close()
        running.stop()
        app.state.engine.dispose()
    assert "过大" in caught.value.user_message
