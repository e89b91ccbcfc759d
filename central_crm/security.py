"""Transport security of the service: response headers, request size caps, and the
token checked before a request's body is read.

Pure ASGI middlewares (no ``BaseHTTPMiddleware``: it would buffer every answer):

* :class:`SecurityHeadersMiddleware` adds the usual headers to every answer (``nosniff``,
  no framing, no referrer, ``no-store`` on the API's answers: they carry personal data)
  and ``Strict-Transport-Security`` when the request came over HTTPS, directly
  (``serve --tls-cert``) or per the ``X-Forwarded-Proto`` of a proxy uvicorn trusts
  (``--forwarded-allow-ips``: uvicorn then sets the ASGI scope's scheme).
* :class:`RequestGuardMiddleware`, for a request that carries a body: on an endpoint
  that needs a token, the token is checked first (one indexed read) and a missing,
  unknown, expired or revoked one is answered 401 before a byte of the body is
  received; then the body is read with a cap per endpoint (:class:`BodyLimits`:
  small for the login, the largest for the administrators' bulk loads), by
  Content-Length before reading and by counting while reading (chunked bodies); a
  gzip body's inflated size is capped by :class:`~central_crm.errors.GzipRequestMiddleware`
  with the same limit. Requests without a body (the GETs of pull, snapshot …) pass
  untouched: their endpoints authenticate in their own first statement, as before.

A refusal before the body is read (:func:`refuse_unread`) goes out whole at once, then
the service lingers, as nginx and Apache do: it reads and drops what is still coming
for at most :data:`LINGER_SECONDS` (and :data:`LINGER_BYTES`) before it closes. A
socket closed with data still arriving answers that data with a TCP reset, and a proxy
in between (nginx with ``proxy_request_buffering off``) that meets the reset while
still forwarding the body answers 502 instead of passing the 401 on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import anyio
from anyio.to_thread import run_sync
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central_crm import auth, db
from central_crm.errors import ApiError
from rm_contract.wire import API_PREFIX

KIB = 2**10
MIB = 2**20

# Endpoints of the API anyone may call; every other one under API_PREFIX needs a token
# (tests/security/test_transport_limits.py checks this against the routes).
OPEN_PATHS = frozenset({f"{API_PREFIX}/health", f"{API_PREFIX}/auth/login"})

TOO_LARGE = "请求内容过大，总行系统未予处理。 / The request body is too large."

HSTS = "max-age=31536000"

# How long, and for how many bytes, a refused request's body is still read and dropped
# after the answer went out (see the module's docstring).
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * MIB
# The API's answers are JSON only: nothing to load, nothing to frame.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# /docs loads Swagger UI's script and style from a CDN: only framing is forbidden there.
DOCS_CSP = "frame-ancestors 'none'"


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body (bytes, after gzip inflation) per endpoint."""

    # Login, anyone may send it: a user name, a password (256 characters at most),
    # a device id and name fit in a few hundred bytes.
    login: int = 16 * KIB
    # A push of 1,000 mutations (the wire's maximum; the workbench sends 200), a
    # visit report or a long note each.
    push: int = 32 * MIB
    # Demo book, core-banking feed, catalog: the bulk loads of an administrator.
    admin: int = 64 * MIB
    # Everything else (hello, resolve, logout): small documents.
    other: int = 1 * MIB

    def for_path(self, path: str) -> int:
        if path == f"{API_PREFIX}/auth/login":
            return self.login
        if path == f"{API_PREFIX}/sync/push":
            return self.push
        if path.startswith(f"{API_PREFIX}/admin/"):
            return self.admin
        return self.other


def needs_token(path: str) -> bool:
    return path.startswith(f"{API_PREFIX}/") and path not in OPEN_PATHS


async def refuse_unread(
    send: Send,
    receive: Receive,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    """Refuse a request whose body was not (all) read, with an ErrorBody (the app's
    handlers are not reached): the whole answer goes out at once with ``Connection:
    close``; then what is still coming is read and dropped until the body ends, the
    client goes, or the linger's time or bytes run out, and only then is the answer
    ended (which closes the connection)."""
    payload = json.dumps(
        {"code": code, "message": message, "details": None}, ensure_ascii=False
    ).encode("utf-8")
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    # All of the answer's bytes (its Content-Length): the client can act on it now.
    await send({"type": "http.response.body", "body": payload, "more_body": True})
    dropped = 0
    with anyio.move_on_after(LINGER_SECONDS):
        while dropped <= LINGER_BYTES:
            incoming = await receive()
            if incoming["type"] == "http.disconnect":
                return  # gone: nothing left to end
            dropped += len(incoming.get("body", b""))
            if not incoming.get("more_body", False):
                break
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class SecurityHeadersMiddleware:
    """The security headers of every answer (see the module's docstring); a header the
    app set itself is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if path.startswith(f"{API_PREFIX}/"):
            extra.append((b"cache-control", b"no-store"))
            extra.append((b"content-security-policy", API_CSP.encode()))
        else:
            extra.append((b"content-security-policy", DOCS_CSP.encode()))
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestGuardMiddleware:
    """Token first, then the body within its cap (see the module's docstring). The
    caller found here is left in the request's state (``request.state.principal``)
    for the endpoints that would look it up again."""

    def __init__(self, app: ASGIApp, engine: Engine, limits: BodyLimits | None = None) -> None:
        self.app = app
        self.engine = engine
        self.limits = limits or BodyLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        declared: int | None = None
        streamed = False
        bearer: str | None = None
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                    streamed = True  # h11 refuses these; count what comes anyway
            elif key == b"transfer-encoding":
                streamed = True
            elif key == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and credentials.strip():
                    bearer = credentials.strip()
        if not streamed and not declared:
            await self.app(scope, receive, send)  # no body: nothing to guard
            return
        if needs_token(path):
            try:
                if bearer is None:  # no database needed to refuse it
                    raise auth.no_token()
                principal = await run_sync(self._authenticate, bearer)
            except ApiError as exc:
                await refuse_unread(send, receive, exc.status, exc.code, exc.message, exc.headers)
                return
            scope.setdefault("state", {})["principal"] = principal
        limit = self.limits.for_path(path)
        scope.setdefault("state", {})["body_limit"] = limit
        if declared is not None and declared > limit:
            await refuse_unread(send, receive, 413, "too_large", TOO_LARGE)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await refuse_unread(send, receive, 413, "too_large", TOO_LARGE)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _authenticate(self, token: str) -> auth.Principal:
        with db.one_statement(self.engine) as conn:
            return auth.authenticate(conn, token)
