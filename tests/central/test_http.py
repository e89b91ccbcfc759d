"""HTTP behaviour: gzip both ways, ErrorBody for every refusal (never a 5xx for bad
input), the OpenAPI contract."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import requests

from rm_contract.wire import API_PREFIX
from tests.central.conftest import Api, Book, Service, assert_error, fetch


def _gzipped_push(alice: Api, body: Any, data: bytes | None = None) -> requests.Response:
    raw = json.dumps(body).encode()
    return alice.session.post(
        alice.service.url("/sync/push"),
        data=data if data is not None else gzip.compress(raw),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )


def test_gzip_request_body(svc: Service, book: Book, alice: Api) -> None:
    mutation = alice.mutation(
        "customer",
        book.customers["a1"],
        "update",
        {"occupation": {"base": "教师", "new": "医生" * 20}},
    )
    answer = _gzipped_push(alice, {"device_id": alice.device_id, "mutations": [mutation]})
    assert alice.ok(answer)["results"][0]["status"] == "applied"
    assert fetch(svc.engine, "customer", book.customers["a1"])["occupation"] == "医生" * 20  # type: ignore[index]


def test_corrupt_or_truncated_gzip_is_a_400(svc: Service, book: Book, alice: Api) -> None:
    body = {"device_id": alice.device_id, "mutations": []}
    body_gz = gzip.compress(json.dumps(body).encode())
    for data in (b"this is not gzip at all", body_gz[: len(body_gz) // 2]):
        answer = _gzipped_push(alice, body, data)
        error = assert_error(answer, 400, "bad_gzip")
        assert "gzip" in error["message"]
    other = alice.session.post(
        alice.service.url("/sync/push"),
        data=zlib.compress(json.dumps(body).encode()),
        headers={"Content-Type": "application/json", "Content-Encoding": "br"},
        timeout=30,
    )
    assert_error(other, 415, "unsupported_encoding")


def test_large_answers_are_gzipped(svc: Service, book: Book, alice: Api) -> None:
    answer = alice.session.get(
        alice.service.url("/sync/pull"),
        params={"cursor": 0},
        headers={"Accept-Encoding": "gzip"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.json()["items"]  # requests inflates it transparently


def test_bad_json_is_a_400_with_an_error_body(svc: Service, book: Book, alice: Api) -> None:
    answer = alice.session.post(
        alice.service.url("/sync/push"),
        data=b'{"device_id": "x", "mutations": [',
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert_error(answer, 400, "invalid_json")


def test_schema_errors_name_the_fields(svc: Service, book: Book, alice: Api) -> None:
    answer = alice.post(
        "/sync/push",
        {"device_id": alice.device_id, "mutations": [{"mutation_id": 0, "op": "upsert"}]},
    )
    body = assert_error(answer, 422, "invalid_request")
    assert "mutations.0.op" in body["message"] and "mutations.0.table" in body["message"]
    assert any(d["loc"][-1] == "mutation_id" for d in body["details"])
    assert_error(alice.get("/sync/pull"), 422, "invalid_request")
    assert_error(alice.get("/sync/pull", cursor="abc"), 422, "invalid_request")
    assert_error(alice.get("/sync/pull", cursor=0, limit=100_000), 422, "invalid_request")
    assert_error(alice.get("/sync/snapshot", table="customer", limit=0), 422, "invalid_request")
    resolve = alice.post("/sync/conflicts/x/resolve", {"choice": "both"})
    assert_error(resolve, 422, "invalid_request")
    extra = alice.post(
        "/sync/hello",
        {"protocol_version": 1, "device_id": alice.device_id, "cursor": 0, "client_time": "now"},
    )
    assert_error(extra, 422, "invalid_request")


def test_unknown_table_and_route(svc: Service, book: Book, alice: Api) -> None:
    body = assert_error(alice.get("/sync/snapshot", table="customer_search"), 400, "unknown_table")
    assert "customer_search" in body["message"]
    assert_error(alice.get("/sync/snapshot", table="; drop table customer"), 400, "unknown_table")
    assert_error(alice.get("/no/such/endpoint"), 404, "not_found")
    assert_error(alice.session.delete(svc.url("/sync/pull"), timeout=10), 405, "method_not_allowed")
    assert_error(alice.post("/sync/conflicts/nope/resolve", {"choice": "mine"}), 404)


def test_unexpected_errors_are_a_500_without_internals(svc: Service, book: Book) -> None:
    from central_crm.app import create_app
    from central_crm.server import run_in_thread
    from tests.central.conftest import FAST_HASHER

    app = create_app(engine=svc.engine, password_hasher=FAST_HASHER, migrate=False)

    @app.get(f"{API_PREFIX}/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    running = run_in_thread(app)
    try:
        answer = requests.get(f"{running.base_url}/boom", timeout=10)
        body = assert_error(answer, 500, "internal_error")
        assert "secret" not in answer.text and "Traceback" not in answer.text
        assert "日志" in body["message"]
    finally:
        running.stop()


def test_openapi_is_the_contract(svc: Service) -> None:
    spec = requests.get(f"{svc.root}/openapi.json", timeout=10).json()
    paths = spec["paths"]
    for path in (
        "/auth/login",
        "/auth/logout",
        "/sync/hello",
        "/sync/snapshot",
        "/sync/push",
        "/sync/pull",
        "/sync/checksums",
        "/sync/conflicts",
        "/sync/conflicts/{conflict_id}/resolve",
        "/admin/users",
        "/admin/assign",
        "/admin/catalog",
        "/admin/core-feed",
        "/admin/gc",
    ):
        assert f"{API_PREFIX}{path}" in paths, path
    schemas = spec["components"]["schemas"]
    for model in (
        "HelloRequest",
        "HelloResponse",
        "SnapshotPage",
        "PushRequest",
        "PushResponse",
        "PullResponse",
        "ChecksumResponse",
        "ConflictList",
        "ErrorBody",
    ):
        assert model in schemas, model
    pull = paths[f"{API_PREFIX}/sync/pull"]["get"]["responses"]
    assert pull["200"]["content"]["application/json"]["schema"]["$ref"].endswith("PullResponse")
    assert pull["401"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorBody")
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()
    docs = requests.get(f"{svc.root}/docs", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_health(svc: Service) -> None:
    answer = requests.get(svc.url("/health"), timeout=10)
    assert answer.json() == {"ok": True, "server_seq": 0}
