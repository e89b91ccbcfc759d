"""Issue 13, the audit chain: an RM holding the cache key deletes one queued audit row
and rewrites another (another user's name, dated 2020). The server detects the
missing and the altered entry, raises an audit-integrity alarm the bank can list, and
stores who and when from the token; an honest device (many entries over several
syncs, offline periods, a push whose answer was lost, a push that never arrived)
raises none. Real service (SQLite and PostgreSQL), real workbench caches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from central_crm.schema import SYNCED
from rm_contract.wire import PushRequest, PushResponse
from tests.central.conftest import Api, Book, Service, fetch
from tests.support.security_audit import (
    alarms,
    audit_row,
    delete_queued,
    record,
    rewrite_queued,
    utc,
)

SLACK = timedelta(seconds=5)


def test_a_deleted_and_a_rewritten_queued_audit_row_raise_an_alarm(
    svc: Service, book: Book, devices: Any, admin: Api
) -> None:
    alice = devices("alice")
    alice.sync()
    seen = [record(alice, n, customer_id=book.customers["a1"]) for n in range(2)]
    alice.sync()
    assert alarms(admin) == []
    # Offline: four more, then the cache file is edited before the next sync.
    queued = [record(alice, n, customer_id=book.customers["a1"]) for n in range(2, 6)]
    deleted, rewritten = queued[1], queued[2]
    delete_queued(alice, deleted)
    rewrite_queued(alice, rewritten, user_name="bob", at=utc(2020, 5, 4, 10))
    alice.edit("customer", book.customers["a1"], email="after@example.com")
    before = datetime.now(UTC)
    alice.sync()
    after = datetime.now(UTC)

    found = alarms(admin)
    kinds = {alarm["kind"] for alarm in found}
    assert {"gap", "altered"} <= kinds, found
    for alarm in found:
        assert alarm["device_id"] == alice.engine.device_id
        assert alarm["username"] == "alice"
        assert alarm["message"]
    gap = next(alarm for alarm in found if alarm["kind"] == "gap")
    assert (gap["expected_seq"], gap["received_seq"]) == (4, 5)
    altered = next(alarm for alarm in found if alarm["kind"] == "altered")
    assert altered["row_id"] == rewritten
    # Who and when are the token's and the server's, whatever the row said.
    stored = fetch(svc.engine, "audit_log", rewritten)
    assert stored is not None and stored["user_name"] == "alice"
    assert before - SLACK <= stored["at"] <= after + SLACK
    assert stored["client_time"] == utc(2020, 5, 4, 10)
    assert fetch(svc.engine, "audit_log", deleted) is None
    # The rest of the push still applied: a customer's edit is not lost over it.
    customer = fetch(svc.engine, "customer", book.customers["a1"])
    assert customer is not None and customer["email"] == "after@example.com"
    for row_id in (*seen, queued[0], queued[3]):
        assert fetch(svc.engine, "audit_log", row_id) is not None


def test_an_altered_entry_before_a_deletion_is_named_too(
    svc: Service, book: Book, devices: Any, admin: Api
) -> None:
    """The other order: the rewritten row comes before the deleted one."""
    alice = devices("alice")
    alice.sync()
    queued = [record(alice, n) for n in range(4)]
    rewrite_queued(alice, queued[0], user_name="bob", at=utc(2020, 1, 1))
    delete_queued(alice, queued[2])
    alice.sync()
    found = alarms(admin)
    assert [(a["kind"], a["row_id"]) for a in found if a["kind"] == "altered"] == [
        ("altered", queued[0])
    ]
    assert [(a["expected_seq"], a["received_seq"]) for a in found if a["kind"] == "gap"] == [(3, 4)]


def _flaky(device: Any, *, answer_lost: bool) -> Callable[[], None]:
    """Make the device's next push fail once: before it reaches the server, or after
    the server committed it (the answer lost on the way back)."""
    real: Callable[[PushRequest], PushResponse] = device.client.push
    state = {"armed": True}

    def push(request: PushRequest) -> PushResponse:
        if state["armed"]:
            state["armed"] = False
            if answer_lost:
                real(request)
            raise ConnectionError("network dropped")
        return real(request)

    device.client.push = push

    def restore() -> None:
        device.client.push = real

    return restore


def test_an_honest_device_raises_no_alarm(
    svc: Service, book: Book, devices: Any, admin: Api
) -> None:
    alice = devices("alice")
    alice.engine.PUSH_BATCH = 3  # several pushes per sync
    alice.sync()
    made: list[str] = []
    made += [record(alice, n) for n in range(4)]
    alice.sync()
    # Offline for a while: entries pile up over several pushes' worth.
    made += [record(alice, n, customer_id=book.customers["a2"]) for n in range(4, 11)]
    alice.edit("customer", book.customers["a2"], email="offline@example.com")
    alice.sync()
    # A push whose answer is lost: the server applied it, the device sends it again.
    made += [record(alice, n) for n in range(11, 15)]
    _flaky(alice, answer_lost=True)
    with pytest.raises(ConnectionError):
        alice.sync()
    made += [record(alice, n) for n in range(15, 17)]
    alice.sync()
    # A push that never reached the server.
    made += [record(alice, n) for n in range(17, 20)]
    _flaky(alice, answer_lost=False)
    with pytest.raises(ConnectionError):
        alice.sync()
    alice.sync()
    # A second device of another RM has a chain of its own.
    bob = devices("bob")
    bob.sync()
    record(bob, 0)
    bob.sync()

    assert alarms(admin) == []
    audit = SYNCED["audit_log"]
    with svc.engine.connect() as conn:
        stored = conn.execute(
            select(audit.c.id, audit.c.device_seq, audit.c.user_name).where(audit.c.id.in_(made))
        ).all()
    assert sorted(row.device_seq for row in stored) == list(range(1, len(made) + 1))
    assert {row.user_name for row in stored} == {"alice"}
    assert audit_row(alice, made[-1]) is not None
    assert alice.outbox() == 0
