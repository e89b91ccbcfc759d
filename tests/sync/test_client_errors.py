"""The sync client against a central CRM that misbehaves: every bad answer becomes a
clear SyncError, idempotent calls are retried, login is not."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rm_contract.wire import HelloRequest, LoginRequest
from rm_workbench.errors import (
    AuthRequired,
    OfflineError,
    ProtocolUnsupported,
    RequestRejected,
    ServerAnswerError,
)
from rm_workbench.sync.client import SyncClient

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class FakeCentral:
    """A loopback HTTP server whose answers the test chooses."""

    def __init__(self) -> None:
        self.behaviour: Behaviour = lambda h: None
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                outer.behaviour(self)

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def central() -> Iterator[FakeCentral]:
    fake = FakeCentral()
    yield fake
    fake.close()


def _answer(status: int, body: bytes, kind: str = "application/json") -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return behave


def _hello() -> HelloRequest:
    return HelloRequest(
        protocol_version=1, device_id="device-0001", cursor=0, client_time=datetime.now(UTC)
    )


def _client(central: FakeCentral) -> SyncClient:
    return SyncClient(central.url, token="t0ken", backoff=0.01, timeout=(1.0, 1.0))


def test_html_error_page_from_a_proxy(central: FakeCentral) -> None:
    central.behaviour = _answer(200, b"<html><body>Bad Gateway</body></html>", "text/html")
    with pytest.raises(ServerAnswerError, match="无法识别的应答"):
        _client(central).hello(_hello())


def test_gateway_5xx_is_retried_then_reported(central: FakeCentral) -> None:
    central.behaviour = _answer(502, b"<html>502</html>", "text/html")
    with pytest.raises(ServerAnswerError, match="暂时出错"):
        _client(central).pull(0, 10)
    assert len(central.requests) == 4  # one try and three retries: pull is idempotent


def test_login_is_never_retried(central: FakeCentral) -> None:
    central.behaviour = _answer(503, b"{}")
    with pytest.raises(ServerAnswerError):
        _client(central).login(LoginRequest(username="rm1", password="x", device_id="device-0001"))
    assert len(central.requests) == 1


def test_json_of_the_wrong_shape(central: FakeCentral) -> None:
    central.behaviour = _answer(200, json.dumps({"items": "nope"}).encode())
    with pytest.raises(ServerAnswerError, match="格式不正确"):
        _client(central).pull(0, 10)


def test_garbage_bytes(central: FakeCentral) -> None:
    central.behaviour = _answer(200, b"\x00\xff garbage \x13")
    with pytest.raises(ServerAnswerError, match="格式不正确"):
        _client(central).pull(0, 10)


def test_truncated_body(central: FakeCentral) -> None:
    def truncated(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps({"items": [], "next_cursor": 5, "has_more": False}).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body) + 100))
        handler.end_headers()
        handler.wfile.write(body[:20])
        handler.close_connection = True

    central.behaviour = truncated
    with pytest.raises((ServerAnswerError, OfflineError)):
        _client(central).pull(0, 10)


def test_expired_token_and_old_protocol(central: FakeCentral) -> None:
    central.behaviour = _answer(
        401, json.dumps({"code": "token_expired", "message": "登录已过期"}).encode()
    )
    with pytest.raises(AuthRequired, match="重新输入密码"):
        _client(central).hello(_hello())
    central.behaviour = _answer(
        426, json.dumps({"code": "protocol_unsupported", "message": "请升级工作台"}).encode()
    )
    with pytest.raises(ProtocolUnsupported, match="请升级工作台"):
        _client(central).hello(_hello())
    central.behaviour = _answer(
        403, json.dumps({"code": "forbidden", "message": "不是您的客户"}).encode()
    )
    with pytest.raises(RequestRejected, match="不是您的客户"):
        _client(central).checksums()


def test_nothing_listening_is_offline() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SyncClient(f"http://127.0.0.1:{port}", token="t", backoff=0.01, retries=1)
    with pytest.raises(OfflineError, match="修改已保存在本机"):
        client.pull(0, 10)


def test_slow_server_times_out_as_offline(central: FakeCentral) -> None:
    import time

    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)  # the client has given up by now; nothing is sent back
        handler.close_connection = True

    central.behaviour = slow
    client = SyncClient(central.url, token="t", backoff=0.01, retries=0, timeout=(1.0, 0.3))
    with pytest.raises(OfflineError, match="超时"):
        client.pull(0, 10)


def test_large_bodies_go_gzipped_with_the_token(central: FakeCentral) -> None:
    from rm_contract.wire import FieldChange, Mutation, PushRequest

    central.behaviour = _answer(200, json.dumps({"results": []}).encode())
    mutations = [
        Mutation(
            mutation_id=i + 1,
            idempotency_key=f"key-{i:08d}",
            table="visit",
            row_id=f"row-{i}",
            op="update",
            fields={"report": FieldChange(base="", new="客户对理财产品感兴趣" * 20)},
        )
        for i in range(20)
    ]
    _client(central).push(PushRequest(device_id="device-0001", mutations=mutations))
    _method, _path, headers, body = central.requests[0]
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Authorization"] == "Bearer t0ken"
    assert json.loads(gzip.decompress(body))["mutations"][0]["table"] == "visit"
