"""Issue 13, transport: the security headers of every answer of the service.

nosniff, no framing (X-Frame-Options and CSP frame-ancestors), no referrer, and
``Cache-Control: no-store`` on the API's answers (they carry personal data), errors
and the middlewares' own refusals included; Strict-Transport-Security only when the
request came over HTTPS: here per the X-Forwarded-Proto of a trusted proxy (loopback;
served TLS directly and nginx: test_transport_tls.py). /docs keeps working.
"""

from __future__ import annotations

import pytest
import requests

from tests.central.conftest import Api, Service

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _check(answer: requests.Response, *, api: bool = True) -> None:
    for name, value in COMMON.items():
        assert answer.headers.get(name) == value, (name, dict(answer.headers))
    assert "frame-ancestors 'none'" in answer.headers.get("content-security-policy", "")
    if api:
        assert answer.headers.get("cache-control") == "no-store"
        assert "default-src 'none'" in answer.headers["content-security-policy"]


def test_api_answers_carry_the_headers(svc: Service, alice: Api) -> None:
    answers = [
        requests.get(svc.url("/health"), timeout=10),
        alice.hello(),
        alice.get("/sync/pull", cursor=0, limit=5),
        alice.get("/sync/snapshot", table="customer", limit=5),
        requests.get(svc.url("/sync/pull"), params={"cursor": 0}, timeout=10),  # 401
        requests.post(svc.url("/sync/push"), data=b"x" * 10, timeout=10),  # 401 by the guard
        alice.post("/sync/push", {"device_id": 5}),  # 422
        requests.get(svc.url("/no/such/thing"), timeout=10),  # 404
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 401, 401, 422, 404]
    for answer in answers:
        _check(answer)
        assert "strict-transport-security" not in answer.headers  # plain http


def test_large_gzipped_answer_keeps_the_headers(svc: Service, alice: Api) -> None:
    answer = alice.session.get(
        svc.url("/sync/snapshot"),
        params={"table": "customer", "limit": 1000},
        headers={"Accept-Encoding": "gzip"},
        timeout=30,
    )
    _check(answer)


def test_hsts_when_a_trusted_proxy_says_https(svc: Service) -> None:
    # The embedded uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (serve's default).
    answer = requests.get(svc.url("/health"), headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert int(answer.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 15552000
    _check(answer)


@pytest.mark.parametrize("path", ["/docs", "/openapi.json"])
def test_docs_still_work(svc: Service, path: str) -> None:
    answer = requests.get(f"{svc.root}{path}", timeout=10)
    assert answer.status_code == 200
    _check(answer, api=False)
    # Swagger UI's script comes from a CDN: no default-src that would block it.
    assert "default-src" not in answer.headers["content-security-policy"]
    if path == "/docs":
        assert "swagger-ui" in answer.text


def test_even_an_internal_error_carries_the_headers(tmp_path: object) -> None:
    """Starlette's own error middleware answers a 500 outside the app's middlewares;
    the security headers wrap even that."""
    from central_crm.app import create_app
    from central_crm.server import run_in_thread

    app = create_app("sqlite://")

    @app.get("/api/v1/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    running = run_in_thread(app)
    try:
        answer = requests.get(f"{running.root}/api/v1/broken", timeout=10)
    finally:
        running.stop()
        app.state.engine.dispose()
    assert answer.status_code == 500
    _check(answer)
