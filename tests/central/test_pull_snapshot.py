"""Snapshot pages and pull pages: order, resumability, wire encoding, tombstones,
cursors, checksums, and the cost of a sync with nothing to do."""

from __future__ import annotations

from sqlalchemy import select

from central_crm.rows import CODECS
from central_crm.schema import SYNCED, device
from rm_contract.wire import row_digest
from tests.central.conftest import (
    Api,
    Book,
    Service,
    counter,
    customer_row,
    insert_rows,
    new_id,
    synced_row,
)


def _typed_rows(svc: Service, table: str, owner: str | None) -> dict[str, dict[str, object]]:
    t = SYNCED[table]
    query = select(t).where(t.c.deleted.is_(False))
    if owner is not None and "owner_rm_id" in t.c:
        query = query.where(t.c.owner_rm_id == owner)
    with svc.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    encoded = CODECS[table].encode(rows)
    return {str(r["id"]): r for r in encoded}


def test_snapshot_pages_are_resumable_and_wire_encoded(
    svc: Service, book: Book, alice: Api
) -> None:
    more = [customer_row(book.rms["a"], book.branch, f"客户{i}") for i in range(7)]
    more[0]["aum"] = more[0]["aum"] * -1  # a negative amount: "-1250000.50"
    more[1]["birth_date"] = None
    insert_rows(svc.engine, "customer", more)
    pages = []
    after = None
    while True:
        params = {"table": "customer", "limit": 3}
        if after:
            params["after_id"] = after
        page = alice.ok(alice.get("/sync/snapshot", **params))
        assert page["table"] == "customer" and page["snapshot_seq"] == counter(svc.engine)
        pages.append(page["rows"])
        after = page["next_after_id"]
        if after is None:
            break
        assert after == page["rows"][-1]["id"]
    assert [len(p) for p in pages] == [3, 3, 3]
    rows = [r for p in pages for r in p]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    expected = _typed_rows(svc, "customer", book.rms["a"])
    assert {r["id"]: r for r in rows} == expected
    negative = next(r for r in rows if r["id"] == more[0]["id"])
    assert negative["aum"] == "-1250000.50" and negative["contribution"] == "-12.05"
    # An interrupted bootstrap redoes at most the page it was in.
    resumed = alice.ok(alice.get("/sync/snapshot", table="customer", after_id=rows[4]["id"]))
    assert resumed["rows"] == rows[5:]


def test_every_table_encodes_like_encode_row(svc: Service, book: Book, alice: Api) -> None:
    for table in alice.ok(alice.hello())["tables"]:
        got = {r["id"]: r for r in alice.snapshot_all(table)}
        expected = _typed_rows(svc, table, book.rms["a"])
        if table == "customer_group":
            expected = {k: v for k, v in expected.items() if k == book.group}
        assert got == expected, table


def test_pull_pages_in_sequence_order(svc: Service, book: Book, alice: Api) -> None:
    seq = counter(svc.engine)
    hello = alice.ok(alice.hello(cursor=0))
    assert hello["snapshot_seq"] == seq
    everything, cursor = alice.pull_all(0, limit=1000)
    assert cursor == seq
    pages = []
    cursor = 0
    while True:
        page = alice.ok(alice.get("/sync/pull", cursor=cursor, limit=4))
        pages.append(page)
        assert len(page["items"]) <= 4
        if page["items"]:
            assert page["next_cursor"] == (page["items"][-1]["seq"] if page["has_more"] else seq)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    items = [i for p in pages for i in p["items"]]
    assert items == everything
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(set(seqs))
    assert all(i["seq"] == i["row"]["version"] for i in items)
    # Parents come before children: the book was written in foreign-key order.
    tables = [i["table"] for i in items]
    assert tables.index("customer") < tables.index("visit")


def test_nothing_to_do_is_empty_and_cursor_is_recorded(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    seq = counter(svc.engine)
    bob.update("customer", book.customers["b1"], occupation=("教师", "律师"))  # not alice's
    alice.pull_all(seq)
    # (How fast a no-op sync is, is measured by bench/bench_incremental.py.)
    for _ in range(3):
        hello = alice.ok(alice.hello(cursor=counter(svc.engine)))
        page = alice.ok(alice.get("/sync/pull", cursor=hello["server_seq"]))
        assert page == {"items": [], "next_cursor": hello["server_seq"], "has_more": False}
    with svc.engine.connect() as conn:
        recorded = conn.execute(
            select(device.c.cursor).where(device.c.id == alice.device_id)
        ).scalar()
    assert recorded == counter(svc.engine)


def test_other_rms_changes_advance_the_cursor_without_items(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    seq = counter(svc.engine)
    bob.update("customer", book.customers["b1"], occupation=("教师", "律师"))
    page = alice.ok(alice.get("/sync/pull", cursor=seq))
    assert page["items"] == [] and page["next_cursor"] == seq + 1


def test_tombstones_travel_by_pull(svc: Service, book: Book, alice: Api) -> None:
    seq = counter(svc.engine)
    need = book.rows["a2"]["need"]
    assert alice.delete("need", need)["status"] == "applied"
    items, cursor = alice.pull_all(seq)
    assert len(items) == 1
    assert items[0]["table"] == "need" and items[0]["row"]["id"] == need
    assert items[0]["row"]["deleted"] is True
    assert need not in {r["id"] for r in alice.snapshot_all("need")}
    assert cursor == counter(svc.engine)


def test_checksums_match_the_rows_a_device_holds(svc: Service, book: Book, alice: Api) -> None:
    alice.delete("visit", book.rows["a2"]["visit"])
    sums = alice.ok(alice.get("/sync/checksums"))
    assert sums["server_seq"] == counter(svc.engine)
    for table, checksum in sums["tables"].items():
        rows = alice.snapshot_all(table)
        expected = row_digest((r["id"], r["version"]) for r in rows)
        assert checksum == expected.model_dump(), table
    assert sums["tables"]["visit"]["count"] == 1


def test_group_scope_follows_memberships(svc: Service, book: Book, alice: Api) -> None:
    # An empty group of alice's own (made centrally) comes into her scope with its first
    # member; another RM's group cannot be pulled in this way (tests/security/
    # test_scope_groups.py).
    group = synced_row(group_no="G-new", name="新家庭", kind="household", rm_id=book.rms["a"])
    insert_rows(svc.engine, "customer_group", [group])
    assert group["id"] not in {r["id"] for r in alice.snapshot_all("customer_group")}
    membership = {
        "id": new_id(),
        "group_id": group["id"],
        "customer_id": book.customers["a2"],
        "role": "head",
        "valid_from": "2026-11-01",
    }
    assert alice.insert("group_membership", membership)["status"] == "applied"
    assert group["id"] in {r["id"] for r in alice.snapshot_all("customer_group")}
    renamed = alice.update("customer_group", group["id"], name=("新家庭", "钱家"))
    assert renamed["status"] == "applied"
