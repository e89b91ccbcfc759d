"""HTTP client of the central CRM's sync API.

One ``requests.Session`` with explicit timeouts, TLS verification on (a CA bundle path
may be configured), gzip in both directions. Only idempotent calls are retried with
backoff: hello, snapshot, pull, checksums, conflicts and push (a push is idempotent by
design: every mutation carries an idempotency key and replays change nothing). Login
and conflict resolution are never retried.

Every failure becomes a :class:`~rm_workbench.errors.SyncError` with a plain message:
offline, login expired, protocol too old, a garbled answer (HTML error page, truncated
body, JSON of the wrong shape), or the server's own reason for refusing.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from rm_workbench.errors import (
    AuthRequired,
    OfflineError,
    ProtocolUnsupported,
    RequestRejected,
    ServerAnswerError,
    SyncError,
)
from rm_workbench.sync.wire import (
    API_PREFIX,
    PROTOCOL_VERSION,
    ChecksumResponse,
    ColumnarSnapshotPage,
    ConflictList,
    HelloRequest,
    HelloResponse,
    LoginRequest,
    LoginResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    ResolveRequest,
)

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
# Bodies smaller than this go uncompressed: gzip would cost more than it saves.
GZIP_MIN_BYTES = 1024

OFFLINE_MESSAGE = "无法连接总行系统（{reason}）。修改已保存在本机，联网后会自动同步。"


class SyncClient:
    """Talks to one central CRM. Not thread-safe: one sync at a time per client."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        # Imported with the first client, not at start-up: it costs ~0.1 s there, and
        # the window is usable long before the first sync.
        import requests

        self.session = requests.Session()
        self.session.verify = ca_bundle if ca_bundle else True
        self.session.headers.update(
            {"Accept": "application/json", "Accept-Encoding": "gzip", "User-Agent": "rm-workbench"}
        )

    def close(self) -> None:
        self.session.close()

    # --- calls -------------------------------------------------------------------

    def login(self, request: LoginRequest) -> LoginResponse:
        answer = self._call(
            "POST", "/auth/login", LoginResponse, body=request, retry=False, authenticated=False
        )
        self.token = answer.token
        return answer

    def hello(self, request: HelloRequest) -> HelloResponse:
        return self._call("POST", "/sync/hello", HelloResponse, body=request)

    def snapshot(self, table: str, after_id: str | None, limit: int) -> ColumnarSnapshotPage:
        params: dict[str, Any] = {"table": table, "limit": limit, "protocol": PROTOCOL_VERSION}
        if after_id is not None:
            params["after_id"] = after_id
        return self._call("GET", "/sync/snapshot", ColumnarSnapshotPage, params=params)

    def push(self, request: PushRequest) -> PushResponse:
        return self._call("POST", "/sync/push", PushResponse, body=request)

    def pull(self, cursor: int, limit: int) -> PullResponse:
        params = {"cursor": cursor, "limit": limit}
        return self._call("GET", "/sync/pull", PullResponse, params=params)

    def checksums(self) -> ChecksumResponse:
        """Protocol 2's version digests (see ``wire.version_digest``)."""
        params = {"protocol": PROTOCOL_VERSION}
        return self._call("GET", "/sync/checksums", ChecksumResponse, params=params)

    def conflicts(self) -> ConflictList:
        return self._call("GET", "/sync/conflicts", ConflictList)

    def resolve(self, conflict_id: str, choice: str) -> None:
        self._call(
            "POST",
            f"/sync/conflicts/{conflict_id}/resolve",
            None,
            body=ResolveRequest(choice=choice),  # type: ignore[arg-type]
            retry=False,
        )

    # --- plumbing ----------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        answer: type[M] | None,
        *,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
        retry: bool = True,
        authenticated: bool = True,
    ) -> M:
        headers: dict[str, str] = {}
        if authenticated:
            if not self.token:
                raise AuthRequired("尚未登录总行系统，请输入密码。", "no token")
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = body.model_dump_json().encode()
            headers["Content-Type"] = "application/json"
            if len(data) >= GZIP_MIN_BYTES:
                data = gzip.compress(data, compresslevel=5)
                headers["Content-Encoding"] = "gzip"
        url = f"{self.base_url}{API_PREFIX}{path}"
        attempts = 1 + (self.retries if retry else 0)
        import requests

        for attempt in range(attempts):
            try:
                response = self.session.request(
                    method, url, data=data, params=params, headers=headers, timeout=self.timeout
                )
                content = response.content  # reads the whole body: truncation shows here
            except (requests.ConnectionError, requests.Timeout) as exc:
                error: SyncError = OfflineError(
                    OFFLINE_MESSAGE.format(reason=_reason(exc)), f"{method} {url}: {exc!r}"
                )
            except requests.RequestException as exc:
                error = ServerAnswerError(
                    "总行系统的应答不完整或已损坏，本次同步已停止，本机数据未受影响。",
                    f"{method} {url}: {exc!r}",
                )
            else:
                if response.status_code >= 500 or response.status_code in (408, 429):
                    error = _server_error(response, content)
                else:
                    return self._parse(response, content, answer, method, url)
            if attempt + 1 < attempts:
                delay = self.backoff * (2**attempt)
                log.info("%s %s failed (%s); retrying in %.1f s", method, path, error, delay)
                time.sleep(delay)
        raise error

    def _parse(
        self,
        response: requests.Response,
        content: bytes,
        answer: type[M] | None,
        method: str,
        url: str,
    ) -> M:
        status = response.status_code
        where = f"{method} {url} → {status}"
        if status == 401:
            raise AuthRequired(
                "登录已过期或已失效，请重新输入密码。未同步的修改仍保留在本机。",
                f"{where}: {_server_message(content)}",
            )
        if status == 426:
            raise ProtocolUnsupported(
                _server_message(content)
                or "总行系统不再支持此版本的客户经理工作台，请升级后再同步。",
                where,
            )
        if 400 <= status < 500:
            raise RequestRejected(
                _server_message(content) or f"总行系统拒绝了请求（{status}）。", where
            )
        if answer is None:
            return None  # type: ignore[return-value]
        kind = response.headers.get("Content-Type", "")
        if "json" not in kind:
            raise ServerAnswerError(
                "总行系统返回了无法识别的应答（不是数据，可能是网关或代理的错误页面）。"
                "本次同步已停止，本机数据未受影响。",
                f"{where}: Content-Type {kind!r}: {content[:200]!r}",
            )
        try:
            if answer is ColumnarSnapshotPage:
                return ColumnarSnapshotPage.from_json(content)  # type: ignore[return-value]
            return answer.model_validate_json(content)
        except (PydanticValidationError, ValueError) as exc:
            raise ServerAnswerError(
                "总行系统返回的数据格式不正确或不完整，本次同步已停止，本机数据未受影响。",
                f"{where}: {exc}",
            ) from exc


def _reason(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.Timeout):
        return "连接超时"
    return "网络不通或服务器未启动"


def _server_message(content: bytes) -> str | None:
    """The ``message`` of an ErrorBody, if the body is one."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return None


def _server_error(response: requests.Response, content: bytes) -> SyncError:
    message = _server_message(content)
    return ServerAnswerError(
        "总行系统暂时出错，请稍后再同步；修改已保存在本机。"
        + (f"（{message}）" if message else ""),
        f"{response.request.method} {response.url} → {response.status_code}: {content[:300]!r}",
    )
