"""Errors as the API shows them, and the gzip request-body middleware.

Every 4xx/5xx answer is an :class:`~rm_contract.wire.ErrorBody`: a ``code`` a
program can test and a ``message`` a person reads (Chinese first, then English, so an
RM and a bank's integrator both understand it). An unexpected exception becomes a 500
whose body says nothing about the code; the stack trace goes to the server log only.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("central_crm")


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a readable message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"code": code, "message": message, "details": jsonable_encoder(details)}
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求无效。 / Bad request."),
    401: ("not_authenticated", "请先登录。 / Please log in."),
    403: ("forbidden", "没有权限执行此操作。 / You are not allowed to do this."),
    404: ("not_found", "请求的地址或记录不存在。 / Not found."),
    405: ("method_not_allowed", "该地址不支持此请求方法。 / Method not allowed."),
    413: ("too_large", "请求内容过大。 / The request body is too large."),
    415: ("unsupported_media_type", "不支持的请求内容格式。 / Unsupported media type."),
}


def _location(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")] or [str(p) for p in loc]
    return ".".join(parts)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_CODES.get(exc.status_code, (f"http_{exc.status_code}", str(exc.detail)))
    if isinstance(exc.detail, str) and exc.status_code not in _HTTP_CODES:
        message = exc.detail
    return error_response(exc.status_code, code, message, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(
            400,
            "invalid_json",
            "请求内容不是有效的 JSON。 / The request body is not valid JSON.",
            [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors],
        )
    details = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in errors
    ]
    fields = "、".join(dict.fromkeys(_location(e.get("loc", ())) for e in errors))
    return error_response(
        422,
        "invalid_request",
        f"请求内容不符合接口格式，有问题的字段：{fields}。 "
        f"/ The request does not match the API schema; bad fields: {fields}.",
        details,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500,
        "internal_error",
        "总行系统内部出错，请稍后重试；已记录在服务器日志中。 "
        "/ Internal server error; it has been logged.",
    )


async def _refused_value(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the request carried (a NUL character, a number
    # out of range, text too long for a column): bad input, not a server fault.
    log.info("value refused by the database on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        422,
        "invalid_value",
        "请求中有数据库无法保存的值（例如控制字符、超长文本或超出范围的数字）。 "
        "/ The request carries a value the database cannot store.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _refused_value)
    app.add_exception_handler(OverflowError, _refused_value)
    app.add_exception_handler(Exception, _unexpected)


# --- gzip request bodies ------------------------------------------------------------


class GzipRequestMiddleware:
    """Decompresses request bodies sent with ``Content-Encoding: gzip``.

    The whole body is read and inflated before the app sees it, with a cap on the
    inflated size (a small "gzip bomb" must not exhaust memory): ``max_size``, or the
    endpoint's own cap when :class:`~central_crm.security.RequestGuardMiddleware` left
    one in the request's state. A body that is not
    valid gzip is answered with 400 and an ErrorBody; the app never runs.
    """

    def __init__(self, app: ASGIApp, max_size: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.max_size = max_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        encoding = b""
        for key, value in headers:
            if key == b"content-encoding":
                encoding = value.strip().lower()
        if encoding in (b"", b"identity"):
            await self.app(scope, receive, send)
            return
        if encoding != b"gzip":
            await self._refuse(
                scope,
                send,
                415,
                "unsupported_encoding",
                "请求内容只能不压缩或用 gzip 压缩。 / Only gzip request bodies are accepted.",
            )
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        limit = int(scope.get("state", {}).get("body_limit", self.max_size))
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(b"".join(chunks), limit + 1)
            if len(body) > limit:
                await self._refuse(
                    scope, send, 413, "too_large", "请求内容过大。 / The request body is too large."
                )
                return
            if not inflater.eof:
                raise zlib.error("truncated gzip stream")
        except zlib.error:
            await self._refuse(
                scope,
                send,
                400,
                "bad_gzip",
                "请求内容声明为 gzip 压缩，但无法解压（数据损坏或不完整）。 "
                "/ The body is declared gzip but cannot be decompressed.",
            )
            return
        rewritten = [
            (key, value)
            for key, value in headers
            if key not in (b"content-encoding", b"content-length")
        ]
        rewritten.append((b"content-length", str(len(body)).encode()))
        sent = False

        async def inflated_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(dict(scope, headers=rewritten), inflated_receive, send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
        payload = json.dumps(
            {"code": code, "message": message, "details": None}, ensure_ascii=False
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
