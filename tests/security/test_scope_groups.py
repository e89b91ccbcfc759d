"""Issue 13, "another RM's group can be pulled into scope": a membership of alice's
own customer in a group only bob's customers belong to would bring the group into her
scope (and let her rename it). Memberships go only into groups in the caller's scope;
the workbench's own group flows keep working."""

from __future__ import annotations

import uuid

from tests.central.conftest import Api, Book, Service, counter, fetch
from tests.support.security_scope import new_row


def test_a_membership_cannot_pull_another_rms_group_into_scope(
    svc: Service, book: Book, alice: Api
) -> None:
    before = counter(svc.engine)
    membership = new_row("group_membership", book, "a1", {"group_id": book.group_b})
    result = alice.insert("group_membership", membership)
    assert result["status"] == "rejected", result
    assert "客户群" in result["message"]
    renamed = alice.update("customer_group", book.group_b, name=("孙氏集团", "已被改名"))
    assert renamed["status"] == "rejected"
    assert fetch(svc.engine, "group_membership", membership["id"]) is None
    assert fetch(svc.engine, "customer_group", book.group_b)["name"] == "孙氏集团"  # type: ignore[index]
    assert {r["id"] for r in alice.snapshot_all("customer_group")} == {book.group}
    assert counter(svc.engine) == before


def test_an_own_membership_cannot_be_moved_into_another_rms_group(
    svc: Service, book: Book, alice: Api
) -> None:
    mine = book.rows["a1"]["group_membership"]
    result = alice.update("group_membership", mine, group_id=(book.group, book.group_b))
    assert result["status"] == "rejected", result
    assert fetch(svc.engine, "group_membership", mine)["group_id"] == book.group  # type: ignore[index]


def test_the_workbench_group_flows_keep_working(svc: Service, book: Book, alice: Api) -> None:
    """A new group filled in the same push, a member added to a group in scope, a
    rename of it: all applied."""
    group = new_row("customer_group", book, "a1", {})
    first = new_row("group_membership", book, "a1", {"group_id": group["id"]})
    second = new_row("group_membership", book, "a2", {"group_id": group["id"]})
    joined = new_row("group_membership", book, "a2", {"group_id": book.group})
    results = alice.push(
        *[
            alice.mutation(table, row["id"], "insert", {k: {"new": v} for k, v in row.items()})
            for table, row in [
                ("customer_group", group),
                ("group_membership", first),
                ("group_membership", second),
                ("group_membership", joined),
            ]
        ],
        alice.mutation(
            "customer_group", group["id"], "update", {"name": {"base": "新客户群", "new": "改名"}}
        ),
    )
    assert [r["status"] for r in results] == ["applied"] * 5, results
    assert fetch(svc.engine, "customer_group", group["id"])["name"] == "改名"  # type: ignore[index]
    # An empty group alice made is hers to fill later too.
    empty = new_row("customer_group", book, "a1", {})
    assert alice.insert("customer_group", empty)["status"] == "applied"
    later = new_row("group_membership", book, "a1", {"group_id": empty["id"]})
    assert alice.insert("group_membership", later)["status"] == "applied"


def test_an_empty_group_of_another_rm_cannot_be_joined(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    empty = new_row("customer_group", book, "b1", {})
    assert bob.insert("customer_group", empty)["status"] == "applied"
    membership = new_row("group_membership", book, "a1", {"group_id": empty["id"]})
    assert alice.insert("group_membership", membership)["status"] == "rejected"
    missing = new_row("group_membership", book, "a1", {"group_id": str(uuid.uuid4())})
    assert alice.insert("group_membership", missing)["status"] == "rejected"
