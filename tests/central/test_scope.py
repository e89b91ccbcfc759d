"""Scope on every endpoint: RM A never reads or writes RM B's customers or their rows."""

from __future__ import annotations

from sqlalchemy import select

from central_crm.schema import sync_conflict
from rm_contract.policy import CUSTOMER_CHILD_TABLES
from tests.central.conftest import Api, Book, Service, assert_error, counter, fetch, new_id


def _ids_of(book: Book, *customers: str) -> dict[str, set[str]]:
    """Customer-scoped row ids of the given customers, per table."""
    ids: dict[str, set[str]] = {"customer": {book.customers[c] for c in customers}}
    for key in customers:
        for table, row_id in book.rows[key].items():
            ids.setdefault(table, set()).add(row_id)
    if "b1" in customers:
        ids["group_membership"].add(book.membership_b)
    return ids


def test_snapshot_holds_only_the_callers_book(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    mine = _ids_of(book, "a1", "a2")
    theirs = _ids_of(book, "b1")
    for table in ("customer", *CUSTOMER_CHILD_TABLES):
        got = {row["id"] for row in alice.snapshot_all(table, limit=1)}
        assert got == mine.get(table, set()), table
        assert not got & theirs.get(table, set())
        assert {row["id"] for row in bob.snapshot_all(table)} == theirs.get(table, set())
    assert all("owner_rm_id" not in row for row in alice.snapshot_all("customer"))
    # Groups: the household (a1 and b1) is alice's and bob's; the group of b1 only bob's.
    assert {r["id"] for r in alice.snapshot_all("customer_group")} == {book.group}
    assert {r["id"] for r in bob.snapshot_all("customer_group")} == {book.group, book.group_b}
    # Reference data is everyone's.
    for api in (alice, bob):
        assert len(api.snapshot_all("relationship_manager")) == 3
        assert [r["code"] for r in api.snapshot_all("product")] == ["TD3Y"]


def test_pull_holds_only_the_callers_book(svc: Service, book: Book, alice: Api, bob: Api) -> None:
    got = alice.row_ids()
    theirs = _ids_of(book, "b1")
    for table, ids in _ids_of(book, "a1", "a2").items():
        assert got[table] == ids, table
        assert not got[table] & theirs.get(table, set())
    assert got["customer_group"] == {book.group}
    assert bob.row_ids()["customer"] == {book.customers["b1"]}
    # Bob's later edit never reaches alice.
    before = counter(svc.engine)
    bob.update("customer", book.customers["b1"], occupation=("教师", "律师"))
    items, cursor = alice.pull_all(before)
    assert items == [] and cursor == counter(svc.engine)


def test_push_cannot_touch_another_rms_customer(svc: Service, book: Book, alice: Api) -> None:
    b1 = book.customers["b1"]
    visit = book.rows["b1"]["visit"]
    seq = counter(svc.engine)
    results = alice.push(
        alice.mutation("customer", b1, "update", {"occupation": {"base": "教师", "new": "x"}}),
        alice.mutation("visit", visit, "update", {"purpose": {"base": "年度回访", "new": "x"}}),
        alice.mutation("visit", visit, "delete"),
        alice.mutation("customer", b1, "delete"),
        alice.mutation(
            "visit",
            new_id(),
            "insert",
            {
                "visit_no": {"new": "V-intruder"},
                "customer_id": {"new": b1},
                "planned_start": {"new": "2026-12-01T02:00:00+00:00"},
                "category": {"new": "home"},
            },
        ),
        alice.mutation(
            "contact_log",
            new_id(),
            "insert",
            {
                "contact_no": {"new": "K-intruder"},
                "customer_id": {"new": b1},
                "started_at": {"new": "2026-12-01T02:00:00+00:00"},
                "channel": {"new": "phone"},
                "summary": {"new": "x"},
            },
        ),
        alice.mutation(
            "customer_group", book.group_b, "update", {"name": {"base": "孙氏集团", "new": "x"}}
        ),
    )
    assert [r["status"] for r in results] == ["rejected"] * 7
    assert all("无权" in r["message"] for r in results)
    assert counter(svc.engine) == seq  # nothing was written
    assert fetch(svc.engine, "customer", b1)["occupation"] == "教师"  # type: ignore[index]
    assert fetch(svc.engine, "visit", visit)["deleted"] is False  # type: ignore[index]


def test_checksums_cover_only_the_callers_book(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    mine = alice.ok(alice.get("/sync/checksums"))["tables"]
    assert mine["customer"]["count"] == 2 and mine["visit"]["count"] == 2
    assert mine["customer_group"]["count"] == 1 and mine["product"]["count"] == 1
    theirs = bob.ok(bob.get("/sync/checksums"))["tables"]
    assert theirs["customer"]["count"] == 1 and theirs["customer_group"]["count"] == 2
    assert "audit_log" not in mine


def test_conflicts_are_seen_and_resolved_only_in_scope(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    b1 = book.customers["b1"]
    bob.update("customer", b1, email=("old@example.com", "new@example.com"))
    result = bob.update("customer", b1, email=("old@example.com", "other@example.com"))
    assert result["status"] == "conflict"
    conflict_id = result["conflicts"][0]["conflict_id"]
    assert [c["conflict_id"] for c in bob.ok(bob.get("/sync/conflicts"))["conflicts"]] == [
        conflict_id
    ]
    assert alice.ok(alice.get("/sync/conflicts"))["conflicts"] == []
    for choice in ("mine", "theirs"):
        assert_error(
            alice.post(f"/sync/conflicts/{conflict_id}/resolve", {"choice": choice}),
            404,
            "conflict_not_found",
        )
    with svc.engine.connect() as conn:
        assert conn.execute(select(sync_conflict.c.resolved_at)).scalar() is None


def test_an_rm_without_customers_sees_only_reference_data(svc: Service, book: Book) -> None:
    carol = Api(svc, "carol", "device-carol-1")
    got = carol.row_ids()
    assert set(got) == {"branch", "relationship_manager", "product"}
    checks = carol.ok(carol.get("/sync/checksums"))["tables"]
    assert checks["customer"]["count"] == 0 and checks["contact_log"]["count"] == 0


def test_admin_sees_everything(svc: Service, book: Book, admin: Api) -> None:
    assert {r["id"] for r in admin.snapshot_all("customer")} == set(book.customers.values())
    assert len(admin.snapshot_all("customer_group")) == 2
