"""Issue 13, attribution: who and when come from the token and the server's clock,
never from what a device sends (a contact's RM and recorder, an audit row's user and
time, a proposal's RM), through the real service (SQLite and PostgreSQL) and a real
workbench cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rm_contract.types import utc_iso
from rm_workbench.sync.outbox import insert_row
from tests.central.conftest import Api, Book, Service, fetch, new_id
from tests.support.security_audit import audit_row, utc

SLACK = timedelta(seconds=5)  # the server's clock is this machine's: same clock


def _spoofed_contact(customer_id: str, rm_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "contact_no": f"CT{new_id()[:12]}",
        "rm_id": rm_id,
        "started_at": utc(2026, 11, 30, 2),
        "channel": "phone",
        "call_made": True,
        "summary": "电话沟通理财到期",
        "user_name": "bob",
    }


def test_a_contact_with_another_rms_name_is_stored_as_the_callers(
    svc: Service, book: Book, devices: Any
) -> None:
    alice = devices("alice")
    alice.sync()
    with alice.cache.engine.begin() as conn:
        contact = insert_row(
            conn, "contact_log", _spoofed_contact(book.customers["a1"], book.rms["b"])
        )
    report = alice.sync()
    stored = fetch(svc.engine, "contact_log", contact)
    assert stored is not None
    assert stored["rm_id"] == book.rms["a"] and stored["user_name"] == "alice"
    # The device shows what the server stored, and the two still agree.
    assert alice.value("contact_log", contact, "rm_id") == book.rms["a"]
    assert alice.value("contact_log", contact, "user_name") == "alice"
    assert report.converged is True


def test_an_audit_row_in_another_users_name_dated_2020_is_stamped_by_the_server(
    svc: Service, book: Book, devices: Any
) -> None:
    alice = devices("alice")
    alice.sync()
    claimed = utc(2020, 3, 1, 9)
    with alice.cache.engine.begin() as conn:
        entry = insert_row(
            conn,
            "audit_log",
            {
                "at": claimed,
                "user_name": "bob",
                "action": "export_customers",
                "details": "导出客户名单（30 位客户）",
            },
        )
    before = datetime.now(UTC)
    alice.sync()
    after = datetime.now(UTC)
    stored = fetch(svc.engine, "audit_log", entry)
    assert stored is not None
    assert stored["user_name"] == "alice"
    assert before - SLACK <= stored["at"] <= after + SLACK
    # What the device claimed is kept apart, for the bank to compare.
    assert stored["client_time"] == claimed
    # The device's own copy converges to the stamped values.
    local = audit_row(alice, entry)
    assert local is not None and local["user_name"] == "alice"
    assert utc_iso(local["at"]) == utc_iso(stored["at"])


def test_a_raw_push_cannot_choose_who_or_when(svc: Service, book: Book, alice: Api) -> None:
    contact_id, audit_id = new_id(), new_id()
    contact = {"id": contact_id, **_spoofed_contact(book.customers["a2"], book.rms["b"])}
    contact["started_at"] = utc_iso(contact["started_at"])
    assert alice.insert("contact_log", contact)["status"] == "applied"
    entry = {
        "id": audit_id,
        "at": "2020-01-02T03:04:05.000000+00:00",
        "user_name": "bob",
        "action": "print_brief",
    }
    before = datetime.now(UTC)
    assert alice.insert("audit_log", entry)["status"] == "applied"
    stored_contact = fetch(svc.engine, "contact_log", contact_id)
    stored_audit = fetch(svc.engine, "audit_log", audit_id)
    assert stored_contact is not None and stored_audit is not None
    assert (stored_contact["rm_id"], stored_contact["user_name"]) == (book.rms["a"], "alice")
    assert stored_audit["user_name"] == "alice"
    assert stored_audit["at"] >= before - SLACK
    assert stored_audit["client_time"] == utc(2020, 1, 2, 3, 4) + timedelta(seconds=5)


def test_a_proposal_names_the_rm_who_pushed_it(svc: Service, book: Book, alice: Api) -> None:
    proposal_id = new_id()
    proposal = {
        "id": proposal_id,
        "proposal_no": f"BP{new_id()[:12]}",
        "customer_id": book.customers["a1"],
        "rm_id": book.rms["b"],
        "title": "稳健养老组合",
        "status": "draft",
        "items": "[]",
        "reasons": "[]",
    }
    assert alice.insert("bundle_proposal", proposal)["status"] == "applied"
    stored = fetch(svc.engine, "bundle_proposal", proposal_id)
    assert stored is not None and stored["rm_id"] == book.rms["a"]


# "Who" columns an RM may write that the server does not stamp, and why.
NOT_STAMPED = {
    ("customer", "rm_id"): "server-owned: the owner, the caller's RM on insert (sync/push.py)",
    ("customer_group", "rm_id"): "server-owned: the owner, the caller's RM on insert",
    ("visit", "rm_id"): "the RM the visit is planned for; moves with the customer",
}


def test_every_who_column_is_stamped_or_said_why_not() -> None:
    """A guard: a new ``rm_id``, ``user_name`` or ``*_by`` column of a table RMs write
    must be added to ``central_crm.audit.STAMPED`` or to ``NOT_STAMPED`` above."""
    from central_crm.audit import STAMPED
    from rm_contract.policy import READ_ONLY_TABLES, SYNCED_TABLES
    from rm_contract.wire import table_of

    for name in SYNCED_TABLES:
        if name in READ_ONLY_TABLES:
            continue
        for column in table_of(name).c:
            who = column.name in ("rm_id", "user_name") or column.name.endswith("_by")
            if who:
                assert column.name in STAMPED.get(name, ()) or (name, column.name) in NOT_STAMPED, (
                    f"{name}.{column.name}"
                )
