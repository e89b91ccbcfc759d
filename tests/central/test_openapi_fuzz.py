"""Property-based calls against the published OpenAPI contract (Schemathesis).

Every operation gets generated inputs, valid and invalid, as an RM and as an admin:
the service must never answer 5xx, and every refusal must be an ErrorBody with a
code and a readable message. (The demo's ``/admin/demo-book`` is not in a production
service's document: tests/demo/test_demo_central.py.)
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from central_crm.app import create_app
from tests.central.conftest import Api, Book, Service

# The contract as the service publishes it (built without a database: an in-memory
# SQLite app only renders its OpenAPI document here).
schema = schemathesis.openapi.from_dict(create_app("sqlite://").openapi())

SLOW_OPERATIONS: tuple[str, ...] = ()
# Examples per operation and caller; a long run for a release or a security review:
# RM_FUZZ_EXAMPLES=1000 (every answer is counted in RESPONSES).
EXAMPLES = int(os.environ.get("RM_FUZZ_EXAMPLES", "30"))
RESPONSES: dict[int, int] = {}


def _check(response: Any) -> None:
    RESPONSES[response.status_code] = RESPONSES.get(response.status_code, 0) + 1
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"code", "message"}, body
        assert isinstance(body["message"], str) and len(body["message"]) > 5, body


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_as_an_rm(case: Any, svc: Service, book: Book, alice: Api) -> None:
    response = case.call(base_url=svc.root, headers={"Authorization": f"Bearer {alice.token}"})
    _check(response)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_as_an_admin(case: Any, svc: Service, book: Book, admin: Api) -> None:
    if case.path in SLOW_OPERATIONS:
        return
    response = case.call(base_url=svc.root, headers={"Authorization": f"Bearer {admin.token}"})
    _check(response)


@schema.parametrize()
@settings(
    max_examples=max(1, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_without_a_token(case: Any, svc: Service) -> None:
    response = case.call(base_url=svc.root)
    _check(response)
    if case.path.startswith(("/api/v1/sync", "/api/v1/admin")):
        # Refused one way or another (401, or 400/405/422 for a malformed request
        # found before the token is looked at); never served.
        assert response.status_code >= 400, response.text


def test_report_answers() -> None:
    """Prints how many answers the fuzzing above got, by status (run with -s)."""
    total = sum(RESPONSES.values())
    print(
        f"\nschemathesis: {total} answers, 5xx: "
        f"{sum(n for code, n in RESPONSES.items() if code >= 500)}, "
        f"by status {dict(sorted(RESPONSES.items()))}"
    )
    assert all(code < 500 for code in RESPONSES)
