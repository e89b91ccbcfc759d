"""HTTP client of the central CRM's sync API.

One ``requests.Session`` with explicit timeouts, TLS verification on (a CA bundle path
may be configured), gzip in both directions. Only idempotent calls are retried with
backoff: hello, snapshot, pull, checksums, conflicts and push (a push is idempotent by
design: every mutation carries an idempotency key and replays change nothing). Login
and conflict resolution are never retried.

Every failure becomes a :class:`~rm_workbench.errors.SyncError` with a plain message:
offline, login expired, protocol too old, a garbled answer (HTML error page, truncated
body, JSON of the wrong shape), or the server's own reason for refusing.

A broken or hostile server can neither exhaust memory nor hold a sync: every answer is
read as a stream, decompressed chunk by chunk with a bound on what comes out
(``max_answer_bytes``, checked before more is read; an error page's body is cut at
``ERROR_BODY_BYTES``), and every call has a wall-clock deadline (``request_timeout``,
and the sync's ``deadline`` when one is set) covering connect, headers and body. The
per-read timeout of the sockets cannot give one (a server dripping a byte a second
resets it with every byte), so a watchdog timer shuts the request's socket down when
the deadline passes, which ends any read in progress; retries never start past it.
Answers are validated strictly (JSON types as declared, sequence numbers within
``MAX_SEQ``), and an error body is parsed by a depth-limited parser.

Transport: the address must be ``https://`` unless it is this machine's loopback
(:func:`~rm_workbench.sync.address.check_server_url`, checked again here as the last
line of defence), and no redirect is ever followed, on any call: a 3xx answer is a
:class:`~rm_workbench.errors.RedirectRefused` naming the target, and nothing is sent
there (a login answered with a 307 would otherwise post the password again to
wherever the answer points).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import logging
import socket
import threading
import time
import zlib
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import from_json

from rm_contract.wire import (
    API_PREFIX,
    PROTOCOL_VERSION,
    ChecksumResponse,
    ColumnarSnapshotPage,
    ConflictDetailList,
    HelloRequest,
    HelloResponse,
    LoginRequest,
    LoginResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    ResolveRequest,
    ResolveResult,
)
from rm_workbench.errors import (
    AuthRequired,
    OfflineError,
    ProtocolUnsupported,
    RedirectRefused,
    RequestRejected,
    ServerAnswerError,
    SyncError,
)
from rm_workbench.sync.address import check_server_url

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# Limits, each the default of a SyncClient attribute of the same name in lower case
# (see the class's docstring); sized for a bank's branch network and an RM's mobile
# connection at a client's home.
CONNECT_TIMEOUT = 5.0
# Per socket read: the service answers a page in well under a second.
READ_TIMEOUT = 30.0
# One call, all its attempts included: a 10,000-row page (~6 MB of JSON, ~1 MB gzip)
# takes under a minute even at 256 kbit/s.
REQUEST_TIMEOUT = 120.0
# Decompressed: ten times the largest page of a 5,000-customer book (10,000 visits,
# 6 MiB).
MAX_ANSWER_BYTES = 64 * 2**20
# An error page's body is only read for its message.
ERROR_BODY_BYTES = 64 * 2**10
_CHUNK = 64 * 2**10
# Bodies smaller than this go uncompressed: gzip would cost more than it saves.
GZIP_MIN_BYTES = 1024

OFFLINE_MESSAGE = "无法连接总行系统（{reason}）。修改已保存在本机，联网后会自动同步。"


class SyncClient:
    """Talks to one central CRM. Not thread-safe: one sync at a time per client.

    Limits (constructor arguments, kept as attributes of the same names):

    * ``timeout``: (connect, read) seconds for one socket operation (5 s, 30 s).
    * ``request_timeout``: wall-clock seconds one call may take, connect, headers, body,
      retries and their backoff included (120 s); past it the request's socket is shut
      down and the call fails as offline ("应答超时").
    * ``max_answer_bytes``: the largest answer accepted, counted after decompression
      (64 MiB); a larger one (a gzip bomb, a runaway body) is refused after reading at
      most that much, and not retried.
    * ``deadline``: a ``time.monotonic()`` instant no call runs past (the sync's,
      set by :class:`~rm_workbench.sync.engine.SyncEngine` for each run); None: none.
    * ``retries``, ``backoff``: attempts after the first for idempotent calls, and the
      first pause between them (doubling), both within the deadlines above.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        retries: int = 3,
        backoff: float = 0.5,
        request_timeout: float = REQUEST_TIMEOUT,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        # Refused here, before a session exists: plain http to another machine.
        self.base_url = check_server_url(base_url)
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.request_timeout = request_timeout
        self.max_answer_bytes = max_answer_bytes
        self.deadline: float | None = None
        # Imported with the first client, not at start-up: it costs ~0.1 s there, and
        # the window is usable long before the first sync.
        import requests

        self.session = requests.Session()
        adapter = _watched_adapter()
        self.session.mount("http://", adapter())
        self.session.mount("https://", adapter())
        # Given with every request: requests lets $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE
        # override a session's own setting, which silently dropped the bank's CA bundle.
        self.verify: str | bool = ca_bundle if ca_bundle else True
        self.session.verify = self.verify
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

    def logout(self) -> None:
        """Revoke this client's token on the server (``POST /auth/logout``) and forget
        it. A token the server no longer accepts (401) counts as revoked already."""
        try:
            if self.token:
                self._call("POST", "/auth/logout", None, retry=False)
        except AuthRequired:
            pass
        finally:
            self.token = None

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

    def conflicts(self) -> ConflictDetailList:
        """The unresolved conflicts of this RM's customers, with who made each side."""
        params = {"protocol": PROTOCOL_VERSION}
        return self._call("GET", "/sync/conflicts", ConflictDetailList, params=params)

    def resolve(self, conflict_id: str, choice: str, seen: Any = None) -> ResolveResult:
        """Settle a conflict; for "mine", ``seen`` is the server's value the RM was
        shown (wire form): if the field moved on since, the answer is a new conflict."""
        return self._call(
            "POST",
            f"/sync/conflicts/{conflict_id}/resolve",
            ResolveResult,
            body=ResolveRequest(choice=choice, seen=seen),  # type: ignore[arg-type]
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
        until = time.monotonic() + self.request_timeout
        if self.deadline is not None:
            until = min(until, self.deadline)
        error: SyncError | None = None
        for attempt in range(attempts):
            if time.monotonic() >= until:
                break
            try:
                status, kind, content, target = self._exchange(
                    method, url, data, params, headers, until
                )
            except (_Unrepeatable, _Late):
                raise
            except SyncError as exc:
                error = exc
            else:
                if 300 <= status < 400:
                    raise _redirect_refused(method, url, status, target)
                if status >= 500 or status in (408, 429):
                    error = _server_error(method, url, status, content)
                else:
                    return self._parse(status, kind, content, answer, method, url)
            if attempt + 1 < attempts:
                delay = self.backoff * (2**attempt)
                if time.monotonic() + delay >= until:
                    break  # no time left for another attempt
                log.info("%s %s failed (%s); retrying in %.1f s", method, path, error, delay)
                time.sleep(delay)
        if error is None:  # the deadline had passed before the first attempt
            raise self._late(method, url, None)
        raise error

    def _late(self, method: str, url: str, cause: SyncError | None) -> OfflineError:
        seconds = self.request_timeout
        if self.deadline is not None and self.deadline <= time.monotonic() + 0.001:
            return _Late(
                "本次同步超过规定时间仍未完成，已停止（总行系统应答过慢或网络不稳定）。"
                "修改已保存在本机，下次同步会接着进行。",
                f"{method} {url}: the sync's deadline passed ({cause!r})",
            )
        return _Late(
            OFFLINE_MESSAGE.format(reason=f"总行系统应答超时，超过 {seconds:.0f} 秒"),
            f"{method} {url}: no complete answer within {seconds} s ({cause!r})",
        )

    def _exchange(
        self,
        method: str,
        url: str,
        data: bytes | None,
        params: dict[str, Any] | None,
        headers: dict[str, str],
        until: float,
    ) -> tuple[int, str, bytes, str]:
        """One attempt: status, Content-Type, the (decompressed) body, read within
        ``until`` and ``max_answer_bytes``, and the Location header (a redirect's
        target, never followed). Raises a SyncError: _Late past the deadline,
        _Unrepeatable for an answer no retry can fix (too large, unknown encoding),
        OfflineError or ServerAnswerError for what a retry may cure."""
        import requests
        import urllib3

        left = max(0.001, until - time.monotonic())
        connect, read = self.timeout
        watch = _Watch(until)
        _LOCAL.watch = watch
        try:
            with watch:
                response = self.session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=(min(connect, left), min(read, left)),
                    stream=True,
                    allow_redirects=False,
                    verify=self.verify,
                )
                try:
                    status = response.status_code
                    content = _read_body(
                        response,
                        self.max_answer_bytes if status < 400 else ERROR_BODY_BYTES,
                        until,
                        cut=status >= 400,
                        where=f"{method} {url} → {status}",
                    )
                finally:
                    response.close()
        except SyncError:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if watch.expired or time.monotonic() >= until:
                raise self._late(method, url, None) from exc
            if (
                isinstance(
                    exc,
                    requests.ConnectionError
                    | requests.Timeout
                    | urllib3.exceptions.TimeoutError
                    | ConnectionError,
                )
                or type(exc) is OSError
            ):
                raise OfflineError(
                    OFFLINE_MESSAGE.format(reason=_reason(exc)), f"{method} {url}: {exc!r}"
                ) from exc
            raise ServerAnswerError(
                "总行系统的应答不完整或已损坏，本次同步已停止，本机数据未受影响。",
                f"{method} {url}: {exc!r}",
            ) from exc
        finally:
            _LOCAL.watch = None
        headers_in = response.headers
        return status, headers_in.get("Content-Type", ""), content, headers_in.get("Location", "")

    def _parse(
        self,
        status: int,
        kind: str,
        content: bytes,
        answer: type[M] | None,
        method: str,
        url: str,
    ) -> M:
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
        if "json" not in kind:
            raise ServerAnswerError(
                "总行系统返回了无法识别的应答（不是数据，可能是网关或代理的错误页面）。"
                "本次同步已停止，本机数据未受影响。",
                f"{where}: Content-Type {kind!r}: {content[:200]!r}",
            )
        try:
            if answer is ColumnarSnapshotPage:
                return ColumnarSnapshotPage.from_json(content)  # type: ignore[return-value]
            # Strict: a "false" is no boolean, a "5" no sequence number.
            return answer.model_validate_json(content, strict=True)
        except (PydanticValidationError, ValueError) as exc:
            raise ServerAnswerError(
                "总行系统返回的数据格式不正确或不完整，本次同步已停止，本机数据未受影响。",
                f"{where}: {str(exc)[:2000]}",
            ) from exc


class _Late(OfflineError):
    """A call's (or the sync's) deadline passed: no retry."""


class _Unrepeatable(ServerAnswerError):
    """An answer a retry would only repeat (too large, an unknown encoding)."""


def _reason(exc: Exception) -> str:
    import requests
    import urllib3

    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return "连接超时"
    return "网络不通或服务器未启动"


# Message of an error body longer than this is cut (it is shown in a dialog).
_MESSAGE_CHARS = 500


def _server_message(content: bytes) -> str | None:
    """The ``message`` of an ErrorBody, if the body is one. The parser is pydantic's
    (a depth limit, no recursion in Python: a body nested 100,000 deep is no body)."""
    try:
        body = from_json(content[:ERROR_BODY_BYTES])
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:_MESSAGE_CHARS]
    return None


def _redirect_refused(method: str, url: str, status: int, target: str) -> RedirectRefused:
    shown = "".join(ch for ch in target if ch.isprintable())[:200] or "（未给出）"
    return RedirectRefused(
        f"总行系统要求转到另一个地址（{shown}），工作台不会跟随转向，以免把密码或客户数据"
        "发往未经确认的地址；未向该地址发送任何内容。请向技术支持确认正确的总行系统地址。",
        f"{method} {url} → {status} Location: {target[:500]!r}",
    )


def _server_error(method: str, url: str, status: int, content: bytes) -> SyncError:
    message = _server_message(content)
    return ServerAnswerError(
        "总行系统暂时出错，请稍后再同步；修改已保存在本机。"
        + (f"（{message}）" if message else ""),
        f"{method} {url} → {status}: {content[:300]!r}",
    )


# --- reading an answer within its limits ----------------------------------------------


def _too_large(where: str, limit: int) -> _Unrepeatable:
    return _Unrepeatable(
        f"总行系统的应答超过了允许的大小（{limit // 2**20} MB），本次同步已停止，"
        "本机数据未受影响。请联系技术支持检查总行系统。",
        f"{where}: more than {limit} bytes (decompressed)",
    )


def _read_body(
    response: requests.Response, limit: int, until: float, *, cut: bool, where: str
) -> bytes:
    """The answer's body, decompressed, read chunk by chunk from the socket: at most
    ``limit`` bytes come out (more: refused, or with ``cut`` the rest is left unread),
    and never past ``until``. gzip (one or more members) and deflate are decoded with
    zlib's ``max_length``, so a bomb never inflates more than the bound at once."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    inflate: Any = None
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj()
    elif encoding not in ("", "identity"):
        raise _Unrepeatable(
            "总行系统的应答使用了无法识别的压缩方式，本次同步已停止，本机数据未受影响。",
            f"{where}: Content-Encoding {encoding!r:.100}",
        )
    declared = response.headers.get("Content-Length", "")
    if not cut and declared.isdigit() and int(declared) > limit:
        raise _too_large(where, limit)
    raw = response.raw
    body = bytearray()
    read = 0
    while True:
        if time.monotonic() >= until:
            raise TimeoutError("deadline passed while reading the body")
        chunk = raw.read(_CHUNK, decode_content=False)
        if not chunk:
            break
        read += len(chunk)
        if inflate is None:
            body += chunk
        else:
            try:
                inflate = _inflate(inflate, chunk, body, limit + 1 - len(body))
            except zlib.error as exc:
                raise ServerAnswerError(
                    "总行系统的应答已损坏（无法解压），本次同步已停止，本机数据未受影响。",
                    f"{where}: {exc}",
                ) from exc
        if len(body) > limit or read > limit:
            if cut:
                return bytes(body[:limit])
            raise _too_large(where, limit)
    if inflate is not None and read and not inflate.eof:
        raise ServerAnswerError(
            "总行系统的应答不完整或已损坏，本次同步已停止，本机数据未受影响。",
            f"{where}: the compressed body ends early",
        )
    return bytes(body)


def _inflate(inflate: Any, data: bytes, body: bytearray, room: int) -> Any:
    """Decompress ``data`` into ``body``, ``room`` bytes at most (then stop: the caller
    refuses the answer); a new member after the end of one is decoded too. Returns the
    decompressor for what follows."""
    while data and room > 0:
        out = inflate.decompress(data, room)
        body += out
        room -= len(out)
        data = inflate.unconsumed_tail
        if inflate.eof:
            data = inflate.unused_data
            if not data:
                break
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return inflate


# --- the watchdog ---------------------------------------------------------------------

_LOCAL = threading.local()


class _Watch:
    """Shuts down the sockets of one request when its deadline passes: the blocked
    read (headers or body) then fails at once (a connect is bounded by its own
    timeout, cut to what is left). The request's sockets are registered by the
    session's own connection classes (:func:`_watched_adapter`) from the thread making
    the request, as soon as they exist: the connection lets go of its socket once the
    response is under way (http.client hands it to the response), the watch keeps it.
    A socket registered after the deadline is shut down at once. One watchdog thread
    serves every watch of the process (:class:`_Watchdog`)."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> _Watch:
        _WATCHDOG.add(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        _WATCHDOG.remove(self)

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            if sock not in self._sockets:
                self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


class _Watchdog:
    """The one thread that expires watches whose deadline passed (a thread per request
    cost more than the rest of a small request's client side)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._watches: set[_Watch] = set()
        self._thread: threading.Thread | None = None
        # When the thread wakes up next (inf: only when told); a watch due later needs
        # no wake-up (deadlines mostly come in increasing order).
        self._next = float("inf")

    def add(self, watch: _Watch) -> None:
        with self._changed:
            self._watches.add(watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sync-watchdog", daemon=True)
                self._thread.start()
            if watch.until < self._next:
                self._changed.notify()

    def remove(self, watch: _Watch) -> None:
        with self._changed:
            self._watches.discard(watch)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [w for w in self._watches if w.until <= now]
                self._watches.difference_update(due)
                if not due:
                    self._next = min((w.until for w in self._watches), default=float("inf"))
                    self._changed.wait(None if self._next == float("inf") else self._next - now)
                    self._next = float("-inf")  # awake: every new watch is looked at
            for watch in due:
                watch.expire()


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for a TLS socket: the descriptor is shut, the
    # TLS object is left to the reading thread, whose read now fails.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch_connection(connection: Any) -> None:
    """Register ``connection``'s socket (if it has one yet) with the request's watch."""
    watch = getattr(_LOCAL, "watch", None)
    sock = getattr(connection, "sock", None)
    if watch is not None and isinstance(sock, socket.socket):
        watch.track(sock)


@functools.cache
def _watched_adapter() -> type[Any]:
    """requests' HTTPAdapter whose connections register with the current request's
    watchdog (built on first use: requests and urllib3 are imported with the first
    client, not at start-up)."""
    import urllib3
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class WatchedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            _watch_connection(self)
            super().connect()
            _watch_connection(self)  # shut at once if the deadline passed meanwhile

        def request(self, *args: Any, **kwargs: Any) -> None:
            _watch_connection(self)  # a kept-alive connection used again
            super().request(*args, **kwargs)

    class WatchedHTTPSConnection(HTTPSConnection):
        def connect(self) -> None:
            _watch_connection(self)
            super().connect()
            _watch_connection(self)

        def request(self, *args: Any, **kwargs: Any) -> None:
            _watch_connection(self)
            super().request(*args, **kwargs)

    class WatchedPool(HTTPConnectionPool):
        ConnectionCls = WatchedHTTPConnection

    class WatchedTLSPool(HTTPSConnectionPool):
        ConnectionCls = WatchedHTTPSConnection

    pools = {"http": WatchedPool, "https": WatchedTLSPool}

    class WatchedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            # An HTTP(S) proxy; a SOCKS one keeps its own connections (the body's reads
            # still stop at the deadline, headers at the read timeout).
            if isinstance(manager, urllib3.ProxyManager):
                manager.pool_classes_by_scheme = pools
            return manager

    return WatchedAdapter
