"""Issue 13, "cross-RM references are accepted": every reference column (foreign key)
of every RM-writable synced table, taken from the metadata, must point at a row of
the caller's scope. An opportunity pointing at bob's need (which bob then could not
delete), a proposal at bob's opportunity, and every other such column are refused."""

from __future__ import annotations

from typing import Any

import pytest

from central_crm.schema import SYNCED
from rm_contract.policy import GLOBAL_TABLES, READ_ONLY_TABLES, SYNCED_TABLES
from tests.central.conftest import Api, Book, Service, counter, fetch
from tests.support.security_scope import new_row

# Every (table, column, referred table) an RM writes that is not global.
REFERENCES = sorted(
    (name, fk.parent.name, fk.column.table.name)
    for name in SYNCED_TABLES
    if name not in READ_ONLY_TABLES
    for fk in SYNCED[name].foreign_keys
    if fk.column.table.name not in GLOBAL_TABLES
)


def test_the_reference_list_is_the_metadatas() -> None:
    assert ("opportunity", "need_id", "need") in REFERENCES
    assert ("bundle_proposal", "opportunity_id", "opportunity") in REFERENCES
    assert ("group_membership", "group_id", "customer_group") in REFERENCES


def _target(api: Api, book: Book, owner: str, table: str) -> str:
    """A row of ``table`` in the book of customer ``owner`` (a1 or b1), made if the
    seeded book has none."""
    if table == "customer":
        return book.customers[owner]
    if table == "customer_group":
        return book.group if owner == "a1" else book.group_b
    if table in book.rows[owner]:
        return book.rows[owner][table]
    refs = {
        column: _target(api, book, owner, referred)
        for t, column, referred in REFERENCES
        if t == table and column != "customer_id"
    }
    row = new_row(table, book, owner, refs)
    assert api.insert(table, row)["status"] == "applied"
    book.rows[owner][table] = row["id"]
    return row["id"]


def _insert(api: Api, table: str, row: dict[str, Any]) -> dict[str, Any]:
    return api.insert(table, row)


@pytest.mark.parametrize(
    ("table", "column", "referred"),
    [r for r in REFERENCES if r[1] != "customer_id"],
    ids=lambda v: str(v),
)
def test_a_reference_to_another_rms_row_is_refused(
    svc: Service, book: Book, alice: Api, bob: Api, table: str, column: str, referred: str
) -> None:
    theirs = _target(bob, book, "b1", referred)
    own_refs = {
        c: _target(alice, book, "a1", r)
        for t, c, r in REFERENCES
        if t == table and c != "customer_id"
    }
    # The same row pointing at alice's own rows is applied (the recipe is valid) ...
    assert _insert(alice, table, new_row(table, book, "a1", own_refs))["status"] == "applied"
    # ... pointing at bob's it is refused on insert ...
    before = counter(svc.engine)
    row = new_row(table, book, "a1", {**own_refs, column: theirs})
    result = _insert(alice, table, row)
    assert result["status"] == "rejected", result
    assert fetch(svc.engine, table, row["id"]) is None
    assert counter(svc.engine) == before
    # ... and on update of a row of alice's.
    mine = new_row(table, book, "a1", own_refs)
    assert _insert(alice, table, mine)["status"] == "applied"
    result = alice.update(table, mine["id"], **{column: (own_refs[column], theirs)})
    assert result["status"] == "rejected", result
    assert fetch(svc.engine, table, mine["id"])[column] == own_refs[column]  # type: ignore[index]


def test_bob_can_still_delete_his_need(svc: Service, book: Book, alice: Api, bob: Api) -> None:
    need = book.rows["b1"]["need"]
    row = new_row("opportunity", book, "a1", {"need_id": need})
    assert alice.insert("opportunity", row)["status"] == "rejected"
    assert bob.delete("need", need)["status"] == "applied"


def test_a_new_row_cannot_hang_under_another_rms_customer(
    svc: Service, book: Book, alice: Api
) -> None:
    """customer_id, the reference every child row has, is checked too."""
    for table in sorted({t for t, c, _ in REFERENCES if c == "customer_id"}):
        refs = {
            c: _target(alice, book, "a1", r)
            for t, c, r in REFERENCES
            if t == table and c != "customer_id"
        }
        row = new_row(table, book, "b1", refs)
        assert alice.insert(table, row)["status"] == "rejected", table
        assert fetch(svc.engine, table, row["id"]) is None
