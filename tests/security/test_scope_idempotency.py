"""Issue 13, "idempotency keys are global": a key is unique per device. Another
device's key is just a new key: it never returns that device's stored answer (with
its field values) and the mutation is applied as the caller's own."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from central_crm import db
from central_crm.auth import utcnow
from central_crm.schema import applied_mutation
from tests.central.conftest import Api, Book, Service, fetch
from tests.support.security_scope import MARK


def test_another_devices_key_is_a_new_key(svc: Service, book: Book, alice: Api, bob: Api) -> None:
    b1 = book.customers["b1"]
    a1 = book.customers["a1"]
    # Bob's answer holds his values: a conflict with both sides.
    bob.update("customer", b1, email=("old@example.com", f"{MARK}1@example.com"))
    mine = bob.mutation(
        "customer", b1, "update", {"email": {"base": "old@example.com", "new": f"{MARK}2@x.cn"}}
    )
    (answer,) = bob.push(mine)
    assert answer["status"] == "conflict" and MARK in str(answer)

    stolen = alice.mutation(
        "customer", a1, "update", {"occupation": {"base": "教师", "new": "医生"}}
    )
    stolen["idempotency_key"] = mine["idempotency_key"]
    raw = alice.push_raw([stolen])
    (result,) = alice.ok(raw)["results"]
    assert MARK not in raw.text, raw.text
    assert result["status"] == "applied", result  # alice's own edit, not a replay
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]


def test_a_key_is_still_one_mutation_on_its_own_device(
    svc: Service, book: Book, alice: Api
) -> None:
    a1 = book.customers["a1"]
    first = alice.mutation(
        "customer", a1, "update", {"occupation": {"base": "教师", "new": "医生"}}
    )
    again = alice.mutation(
        "customer", a1, "update", {"occupation": {"base": "教师", "new": "律师"}}
    )
    again["idempotency_key"] = first["idempotency_key"]
    results = alice.push(first, again)
    assert [r["status"] for r in results] == ["applied", "duplicate"]
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]


def test_the_database_keeps_keys_unique_per_device(svc: Service, book: Book) -> None:
    row = {"mutation_id": 1, "idempotency_key": "k" * 32, "result": "{}", "applied_at": utcnow()}
    with db.write_begin(svc.engine) as conn:
        conn.execute(applied_mutation.insert(), [{**row, "device_id": "d1"}])
        conn.execute(applied_mutation.insert(), [{**row, "device_id": "d2"}])
    with pytest.raises(IntegrityError), db.write_begin(svc.engine) as conn:
        conn.execute(applied_mutation.insert(), [{**row, "device_id": "d1", "mutation_id": 2}])
