"""Issue 13, "a former RM keeps access for ever": customer a1 moves from RM a (alice)
to RM b (bob) and bob changes the phone. Only what alice's device queued before it
learned of the reassignment is handed over; everything later is refused with a clear
message; no answer to alice carries bob's values."""

from __future__ import annotations

from typing import Any

from tests.central.conftest import Api, Book, Service, counter, fetch
from tests.support.security_scope import MARK

BOBS_PHONE = "13912345678"


def _move_a1_to_bob(admin: Api, bob: Api, book: Book) -> str:
    a1 = book.customers["a1"]
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    result = bob.update("customer", a1, mobile_phone=("13800000000", BOBS_PHONE))
    assert result["status"] == "applied"
    # Something else of bob's with a marker (a conflict or a row would carry it).
    result = bob.update("customer", a1, notes=(None, f"{MARK}-bob-note"))
    assert result["status"] == "applied"
    return a1


def _catch_up(api: Api) -> int:
    """The device syncs as the workbench does: hello, then pull to the end."""
    api.ok(api.hello(cursor=0))
    _, cursor = api.pull_all(0)
    api.ok(api.hello(cursor=cursor))
    return cursor


def _no_bob_values(answer: Any) -> None:
    text = str(answer)
    assert BOBS_PHONE not in text and MARK not in text, text


def test_a_made_up_base_after_the_reassignment_is_refused_and_shows_nothing(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    _catch_up(alice)  # alice's device before the move
    a1 = _move_a1_to_bob(admin, bob, book)
    _catch_up(alice)  # ... and after it: it has applied the eviction
    before = counter(svc.engine)
    raw = alice.push_raw(
        [
            alice.mutation(
                "customer",
                a1,
                "update",
                {"mobile_phone": {"base": "made-up", "new": "13700000000"}},
            )
        ]
    )
    (result,) = alice.ok(raw)["results"]
    assert result["status"] == "rejected", result
    assert "移交" in result["message"] and result["conflicts"] == []
    _no_bob_values(raw.text)
    # The next push (a new address) is not stored either.
    result = alice.update("customer", a1, address=(None, "杭州市西湖区新地址 1 号"))
    assert result["status"] == "rejected" and "移交" in result["message"]
    stored = fetch(svc.engine, "customer", a1)
    assert stored is not None
    assert stored["mobile_phone"] == BOBS_PHONE and stored["address"] != "杭州市西湖区新地址 1 号"
    assert counter(svc.engine) == before, "nothing was written"


def test_a_cursor_sent_back_does_not_reopen_the_hand_over(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    _catch_up(alice)
    a1 = _move_a1_to_bob(admin, bob, book)
    _catch_up(alice)
    alice.ok(alice.hello(cursor=1))  # claims it never saw the reassignment
    alice.ok(alice.get("/sync/pull", cursor=1))
    result = alice.update("customer", a1, occupation=("教师", "医生"))
    assert result["status"] == "rejected", result
    assert fetch(svc.engine, "customer", a1)["occupation"] == "教师"  # type: ignore[index]


def test_a_device_registered_after_the_reassignment_hands_nothing_over(
    svc: Service, book: Book, admin: Api, bob: Api
) -> None:
    a1 = _move_a1_to_bob(admin, bob, book)
    fresh = Api(svc, "alice", "device-alice-new")  # a new device, never synced
    raw = fresh.push_raw(
        [
            fresh.mutation(
                "customer",
                a1,
                "update",
                {"mobile_phone": {"base": "13800000000", "new": "13700000000"}},
            )
        ]
    )
    (result,) = fresh.ok(raw)["results"]
    assert result["status"] == "rejected", result
    _no_bob_values(raw.text)
    assert fetch(svc.engine, "customer", a1)["mobile_phone"] == BOBS_PHONE  # type: ignore[index]


def test_an_edit_queued_before_the_reassignment_is_handed_over_without_bobs_values(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    """The hand-over keeps working: alice's device synced, went offline, edited the
    phone; meanwhile a1 moved to bob, who changed it too. Alice's edit reaches bob as
    a conflict of his; alice's answer names the field, never bob's value, replayed
    or not."""
    _catch_up(alice)
    a1 = _move_a1_to_bob(admin, bob, book)
    mutation = alice.mutation(
        "customer", a1, "update", {"mobile_phone": {"base": "13800000000", "new": "13700000000"}}
    )
    for _ in range(2):  # the first answer, then its replay
        raw = alice.push_raw([mutation])
        (result,) = alice.ok(raw)["results"]
        assert (result.get("original_status") or result["status"]) == "handed_over", result
        assert result["conflicts"] == [] and "mobile_phone" in result["message"]
        _no_bob_values(raw.text)
    conflicts = bob.ok(bob.get("/sync/conflicts"))["conflicts"]
    assert [(c["field"], c["theirs"], c["yours"]) for c in conflicts] == [
        ("mobile_phone", BOBS_PHONE, "13700000000")
    ]
    # Once the device has pulled past the reassignment, nothing more is handed over.
    _catch_up(alice)
    result = alice.update("customer", a1, occupation=("教师", "医生"))
    assert result["status"] == "rejected"
