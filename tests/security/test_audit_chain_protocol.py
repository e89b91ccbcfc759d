"""Issue 13, the audit chain at the protocol level: entries pushed by hand (what a
modified workbench could send) against the real service, SQLite and PostgreSQL. Each
way of breaking a device's chain is an alarm the bank can list (endpoint and command
line) and a log line; an entry sent again is none."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from central_crm.cli import main
from rm_contract.audit_chain import CHAINED, canonical, entry_hash, genesis
from tests.central.conftest import Api, Book, Service, assert_error, fetch, new_id
from tests.support.security_audit import alarms


class Chain:
    """A device's audit chain, kept by hand."""

    def __init__(self, device_id: str) -> None:
        self.seq = 0
        self.head = genesis(device_id)

    def entry(self, *, seq: int | None = None, prev: str | None = None) -> dict[str, Any]:
        """The next entry (or one claiming ``seq`` after ``prev``), correctly hashed;
        the chain moves on to it."""
        number = self.seq + 1 if seq is None else seq
        before = self.head if prev is None else prev
        row: dict[str, Any] = {
            "id": new_id(),
            "at": "2026-12-01T02:00:00.000000+00:00",
            "user_name": "alice",
            "action": "print_brief",
            "entity_type": None,
            "entity_id": None,
            "details": f"打印客户简报（第 {number} 条）",
        }
        digest = entry_hash(before, number, row)
        row.update(device_seq=number, prev_hash=before, chain_hash=digest)
        self.seq, self.head = number, digest
        return row


def _kinds(admin: Api) -> list[tuple[str, int | None, int | None]]:
    return [(a["kind"], a["expected_seq"], a["received_seq"]) for a in alarms(admin)]


def test_a_chain_in_order_raises_nothing(svc: Service, book: Book, alice: Api, admin: Api) -> None:
    chain = Chain(alice.device_id)
    entries = [chain.entry() for _ in range(3)]
    results = alice.push(
        *(alice.mutation("audit_log", e["id"], "insert", _fields(e)) for e in entries)
    )
    assert [r["status"] for r in results] == ["applied"] * 3
    assert all(r["message"] is None for r in results)
    assert alarms(admin) == []


def _fields(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: {"new": v} for k, v in entry.items() if k != "id"}


def test_an_entry_sent_again_is_no_alarm(svc: Service, book: Book, alice: Api, admin: Api) -> None:
    """A retried insert whose first answer's record is gone: same row, same hash."""
    chain = Chain(alice.device_id)
    first = chain.entry()
    assert alice.insert("audit_log", first)["status"] == "applied"
    again = alice.insert("audit_log", first)  # a new mutation id and key
    assert again["status"] == "applied", again
    assert alarms(admin) == []


def test_a_number_used_twice_is_an_alarm(
    svc: Service, book: Book, alice: Api, admin: Api, caplog: pytest.LogCaptureFixture
) -> None:
    chain = Chain(alice.device_id)
    first = chain.entry()
    alice.insert("audit_log", first)
    alice.insert("audit_log", chain.entry())
    # Another entry in the place of the second, correctly hashed after the first.
    replacement = chain.entry(seq=2, prev=first["chain_hash"])
    with caplog.at_level(logging.WARNING, logger="central_crm.audit"):
        answer = alice.insert("audit_log", replacement)
    assert answer["status"] == "applied" and "审计日志完整性校验未通过" in answer["message"]
    assert _kinds(admin) == [("reused_seq", 3, 2)]
    assert any("audit-integrity alarm reused_seq" in r.getMessage() for r in caplog.records)
    stored = fetch(svc.engine, "audit_log", replacement["id"])
    assert stored is not None and stored["device_seq"] == 2  # kept, as evidence


def test_entries_pushed_out_of_order_are_an_alarm(
    svc: Service, book: Book, alice: Api, admin: Api
) -> None:
    chain = Chain(alice.device_id)
    one, two = chain.entry(), chain.entry()
    alice.push(
        alice.mutation("audit_log", two["id"], "insert", _fields(two)),
        alice.mutation("audit_log", one["id"], "insert", _fields(one)),
    )
    assert _kinds(admin) == [("gap", 1, 2), ("reused_seq", 3, 1)]


def test_an_entry_that_follows_another_head_is_an_alarm(
    svc: Service, book: Book, alice: Api, admin: Api
) -> None:
    chain = Chain(alice.device_id)
    alice.insert("audit_log", chain.entry())
    # Number 2, consistent with itself, but not after the entry the server holds.
    stray = chain.entry(seq=2, prev="0" * 64)
    alice.insert("audit_log", stray)
    assert _kinds(admin) == [("broken_link", 2, 2)]
    # The chain goes on from what was received: the next entry is in order.
    alice.insert("audit_log", chain.entry())
    assert len(alarms(admin)) == 1


def test_an_entry_without_its_chain_is_an_alarm(
    svc: Service, book: Book, alice: Api, admin: Api
) -> None:
    chain = Chain(alice.device_id)
    alice.insert("audit_log", chain.entry())
    bare = {k: v for k, v in chain.entry().items() if k not in ("prev_hash", "chain_hash")}
    assert alice.insert("audit_log", bare)["status"] == "applied"
    assert _kinds(admin) == [("unchained", 2, None)]


def test_the_chain_is_per_device(svc: Service, book: Book, alice: Api, admin: Api) -> None:
    """A second device of the same user starts its own chain; one device's chain
    replayed from another is an alarm (its genesis differs)."""
    other = Api(svc, "alice", "device-alice-2")
    mine = Chain(alice.device_id)
    alice.insert("audit_log", mine.entry())
    other.insert("audit_log", Chain(other.device_id).entry())
    assert alarms(admin) == []
    copied = Chain(alice.device_id).entry()  # alice's genesis, sent by the other device
    other.insert("audit_log", copied)
    kinds = {a["kind"] for a in alarms(admin)}
    assert "reused_seq" in kinds


def test_only_an_administrator_lists_the_alarms(svc: Service, book: Book, alice: Api) -> None:
    assert_error(alice.get("/admin/audit-alarms"), 403, "admin_only")


def test_the_command_line_lists_the_alarms(
    svc: Service, book: Book, alice: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    url = svc.engine.url.render_as_string(hide_password=False)
    assert main(["audit-alarms", "--db", url]) == 0
    assert "没有审计日志完整性告警" in capsys.readouterr().out
    chain = Chain(alice.device_id)
    chain.entry()  # never sent: number 1 is missing
    alice.insert("audit_log", chain.entry())
    assert main(["audit-alarms", "--db", url]) == 3
    out = capsys.readouterr().out
    assert "gap" in out and "alice" in out and alice.device_id in out


def test_the_hash_covers_every_chained_field_and_the_device() -> None:
    entry = {name: f"v-{name}" for name in CHAINED}
    base = entry_hash(genesis("device-1"), 1, entry)
    assert entry_hash(genesis("device-2"), 1, entry) != base
    assert entry_hash(genesis("device-1"), 2, entry) != base
    for name in CHAINED:
        assert entry_hash(genesis("device-1"), 1, {**entry, name: "other"}) != base, name
    # Canonical: the order of the keys does not matter.
    assert canonical(1, dict(reversed(list(entry.items())))) == canonical(1, entry)
