"""Push: idempotent replays, field-by-field merge, conflicts, server-owned fields,
append-only tables and append fields, tombstones, bad mutations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from central_crm.schema import SYNCED, applied_mutation, sync_conflict
from tests.central.conftest import Api, Book, Service, assert_error, counter, fetch, new_id


def _visit(customer_id: str, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id(),
        "visit_no": f"V{new_id()[:12]}",
        "customer_id": customer_id,
        "planned_start": "2026-12-01T02:00:00.000000+00:00",
        "category": "home",
        "purpose": "上门拜访",
    }
    row.update(extra)
    return row


def _state(svc: Service) -> tuple[int, int, int]:
    """(counter, number of visits, number of conflicts): what a replay must not change."""
    with svc.engine.connect() as conn:
        visits = conn.execute(select(func.count()).select_from(SYNCED["visit"])).scalar_one()
        conflicts = conn.execute(select(func.count()).select_from(sync_conflict)).scalar_one()
    return counter(svc.engine), int(visits), int(conflicts)


def test_a_push_replayed_three_times_changes_nothing(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    mutations = [
        alice.mutation(
            "visit",
            (visit := _visit(a1))["id"],
            "insert",
            {k: {"new": v} for k, v in visit.items() if k != "id"},
        ),
        alice.mutation(
            "customer",
            a1,
            "update",
            {
                "occupation": {"base": "教师", "new": "医生"},
                "aum": {"base": "1250000.50", "new": "1"},
            },
        ),
        alice.mutation(
            "customer", a1, "update", {"email": {"base": "stale@x.cn", "new": "y@x.cn"}}
        ),
        alice.mutation("account", book.rows["a1"]["account"], "delete"),
    ]
    first = alice.push(*mutations)
    assert [r["status"] for r in first] == ["applied", "applied", "conflict", "rejected"]
    state = _state(svc)
    replays = [alice.push(*mutations) for _ in range(3)]
    assert _state(svc) == state
    for replay in replays:
        assert replay == replays[0]
        for original, again in zip(first, replay, strict=True):
            assert again["status"] == "duplicate"
            assert again["original_status"] == original["status"]
            assert {k: v for k, v in again.items() if k not in ("status", "original_status")} == {
                k: v for k, v in original.items() if k not in ("status", "original_status")
            }
    # The same idempotency key under a new mutation id is still the same mutation.
    again = dict(mutations[1], mutation_id=99)
    assert alice.push(again)[0]["status"] == "duplicate"
    assert _state(svc) == state


def test_an_old_unknown_mutation_id_is_not_applied(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    alice.next_mutation = 10
    assert alice.update("customer", a1, occupation=("教师", "医生"))["status"] == "applied"
    alice.next_mutation = 5
    late = alice.update("customer", a1, occupation=("医生", "律师"))
    assert late["status"] == "duplicate" and late["version"] is None
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]


def test_different_fields_merge(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    laptop = Api(svc, "alice", "device-alice-laptop")
    one = alice.update("customer", a1, mobile_phone=("13800000000", "13911112222"))
    two = laptop.update("customer", a1, email=("old@example.com", "zhang@example.com"))
    assert one["status"] == two["status"] == "applied"
    assert two["version"] > one["version"]
    row = fetch(svc.engine, "customer", a1)
    assert row is not None
    assert (row["mobile_phone"], row["email"], row["version"]) == (
        "13911112222",
        "zhang@example.com",
        two["version"],
    )
    # new == theirs is a no-op: no new version.
    same = laptop.update("customer", a1, email=("old@example.com", "zhang@example.com"))
    assert same["status"] == "applied" and same["version"] == two["version"]


def test_same_field_conflict_is_stored_and_resolved(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    laptop = Api(svc, "alice", "device-alice-laptop")
    alice.update("customer", a1, occupation=("教师", "医生"))
    result = laptop.update("customer", a1, occupation=("教师", "律师"), employer=(None, "律所"))
    assert result["status"] == "conflict"
    assert "冲突" in result["message"]
    [conflict] = result["conflicts"]
    assert {k: conflict[k] for k in ("table", "row_id", "field", "base", "theirs", "yours")} == {
        "table": "customer",
        "row_id": a1,
        "field": "occupation",
        "base": "教师",
        "theirs": "医生",
        "yours": "律师",
    }
    row = fetch(svc.engine, "customer", a1)
    assert row is not None and row["occupation"] == "医生" and row["employer"] == "律所"
    listed = alice.ok(alice.get("/sync/conflicts"))["conflicts"]
    assert listed == [conflict]
    # "mine": yours becomes a new change with a new version.
    before = row["version"]
    answer = alice.ok(
        alice.post(f"/sync/conflicts/{conflict['conflict_id']}/resolve", {"choice": "mine"})
    )
    assert answer["resolution"] == "mine" and answer["version"] > before
    row = fetch(svc.engine, "customer", a1)
    assert row is not None and row["occupation"] == "律师" and row["version"] == answer["version"]
    assert alice.ok(alice.get("/sync/conflicts"))["conflicts"] == []
    items, _ = alice.pull_all(before)
    assert [i["row"]["occupation"] for i in items] == ["律师"]
    # Resolving again returns the first resolution.
    again = alice.ok(
        alice.post(f"/sync/conflicts/{conflict['conflict_id']}/resolve", {"choice": "theirs"})
    )
    assert again["resolution"] == "mine"


def test_resolve_theirs_keeps_the_server_value(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    alice.update("customer", a1, occupation=("教师", "医生"))
    conflict = alice.update("customer", a1, occupation=("教师", "律师"))["conflicts"][0]
    seq = counter(svc.engine)
    answer = alice.ok(
        alice.post(f"/sync/conflicts/{conflict['conflict_id']}/resolve", {"choice": "theirs"})
    )
    assert answer == {
        "conflict_id": conflict["conflict_id"],
        "resolution": "theirs",
        "table": "customer",
        "row_id": a1,
        "field": "occupation",
        "value": "医生",  # what the server holds after it
        "version": None,
        "conflict": None,
        "message": None,
    }
    assert counter(svc.engine) == seq
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]
    with svc.engine.connect() as conn:
        assert conn.execute(select(sync_conflict.c.resolution)).scalar() == "theirs"


def test_server_owned_fields_are_rejected_the_rest_applies(
    svc: Service, book: Book, alice: Api
) -> None:
    a1 = book.customers["a1"]
    result = alice.update(
        "customer",
        a1,
        aum=("1250000.50", "99999999.00"),
        tier=("黄金", "顶级"),
        occupation=("教师", "工程师"),
    )
    assert result["status"] == "applied"
    assert result["rejected_fields"] == ["aum", "tier"]
    assert "aum" in result["message"]
    row = fetch(svc.engine, "customer", a1)
    assert row is not None
    assert (row["aum"], row["tier"], row["occupation"]) == (Decimal("1250000.50"), "黄金", "工程师")
    only_owned = alice.update("customer", a1, rm_id=(book.rms["a"], book.rms["b"]))
    assert only_owned["status"] == "rejected" and only_owned["rejected_fields"] == ["rm_id"]
    read_only = alice.update("account", book.rows["a1"]["account"], balance=("500000.00", "1.00"))
    assert read_only["status"] == "rejected" and "总行" in read_only["message"]


def test_contact_logs_are_append_only(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    contact: dict[str, Any] = {
        "id": new_id(),
        "contact_no": "K-new-1",
        "customer_id": a1,
        "started_at": "2026-11-21T01:00:00.000000+00:00",
        "channel": "wechat",
        "call_made": False,
        "summary": "微信沟通理财到期",
    }
    inserted = alice.insert("contact_log", contact)
    assert inserted["status"] == "applied"
    # A retried insert (its answer was lost) is the same row, not a second one.
    retried = alice.insert("contact_log", contact)
    assert retried["status"] == "applied" and retried["version"] == inserted["version"]
    changed = alice.insert("contact_log", dict(contact, summary="改过的内容"))
    assert changed["status"] == "rejected"
    update = alice.update("contact_log", contact["id"], summary=("微信沟通理财到期", "x"))
    assert update["status"] == "rejected" and "不能修改" in update["message"]
    assert alice.delete("contact_log", contact["id"])["status"] == "rejected"
    row = fetch(svc.engine, "contact_log", contact["id"])
    assert row is not None and row["summary"] == "微信沟通理财到期" and not row["deleted"]
    with svc.engine.connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(SYNCED["contact_log"])
            .where(SYNCED["contact_log"].c.customer_id == a1)
        ).scalar_one()
    assert count == 2


def test_visit_report_keeps_both_texts(svc: Service, book: Book, alice: Api) -> None:
    visit = book.rows["a1"]["visit"]
    laptop = Api(svc, "alice", "device-alice-laptop")
    base = "客户关心养老规划。"
    one = alice.update("visit", visit, report=(base, base + "\n建议个人养老金。"))
    two = laptop.update("visit", visit, report=(base, base + "\n下周带方案再访。"))
    assert one["status"] == two["status"] == "applied"
    assert two["conflicts"] == []
    report = fetch(svc.engine, "visit", visit)["report"]  # type: ignore[index]
    assert report == base + "\n建议个人养老金。\n\n下周带方案再访。"
    # Pushing text already there changes nothing.
    again = laptop.update("visit", visit, report=(base, base + "\n下周带方案再访。"))
    assert again["version"] == two["version"]


def test_insert_of_an_existing_id_is_an_update_without_base(
    svc: Service, book: Book, alice: Api
) -> None:
    visit = _visit(book.customers["a1"])
    first = alice.insert("visit", visit)
    assert first["status"] == "applied"
    again = alice.insert("visit", visit)
    assert again["status"] == "applied" and again["version"] == first["version"]
    alice.update("visit", str(visit["id"]), purpose=("上门拜访", "送生日礼物"))
    clash = alice.insert("visit", dict(visit, purpose="别的目的"))
    assert clash["status"] == "conflict"
    assert clash["conflicts"][0]["base"] is None
    assert fetch(svc.engine, "visit", str(visit["id"]))["purpose"] == "送生日礼物"  # type: ignore[index]


def test_new_customer_belongs_to_its_rm(svc: Service, book: Book, alice: Api, bob: Api) -> None:
    customer = {
        "id": new_id(),
        "customer_no": "P000001",
        "category": "individual",
        "name": "新客户",
        "aum": "0.00",
        "lifecycle_status": "potential",
        "rm_id": book.rms["b"],
        "tier": "顶级",
    }
    result = alice.insert("customer", customer)
    assert result["status"] == "applied"
    assert result["rejected_fields"] == ["rm_id", "tier"]
    row = fetch(svc.engine, "customer", str(customer["id"]))
    assert row is not None
    assert (row["rm_id"], row["owner_rm_id"], row["tier"]) == (book.rms["a"], book.rms["a"], None)
    assert str(customer["id"]) in alice.row_ids()["customer"]
    assert str(customer["id"]) not in bob.row_ids()["customer"]
    visit = alice.insert("visit", _visit(str(customer["id"])))
    assert visit["status"] == "applied"


def test_delete_makes_tombstones_of_the_subtree(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    seq = counter(svc.engine)
    result = alice.delete("customer", a1)
    assert result["status"] == "applied"
    items, _ = alice.pull_all(seq)
    deleted = {(i["table"], i["row"]["id"]) for i in items if i["row"]["deleted"]}
    expected = {("customer", a1)} | {(t, rid) for t, rid in book.rows["a1"].items()}
    assert deleted == expected
    assert len({i["seq"] for i in items}) == len(items)  # one sequence number per row
    assert a1 not in {r["id"] for r in alice.snapshot_all("customer")}
    again = alice.delete("customer", a1)
    assert again["status"] == "applied" and again["version"] == result["version"]
    assert alice.update("customer", a1, occupation=("教师", "x"))["status"] == "rejected"
    missing = alice.delete("visit", new_id())
    assert missing["status"] == "applied" and missing["version"] is None


def test_bad_mutations(svc: Service, book: Book, alice: Api) -> None:
    a1 = book.customers["a1"]
    unknown_table = alice.push_raw([alice.mutation("no_such_table", a1, "update")])
    body = assert_error(unknown_table, 422, "unknown_table_or_column")
    assert body["details"][0]["problem"] == "unknown table no_such_table"
    unknown_column = alice.push_raw(
        [alice.mutation("customer", a1, "update", {"shoe_size": {"base": None, "new": 42}})]
    )
    assert_error(unknown_column, 422, "unknown_table_or_column")
    assert alice.push_raw([{"mutation_id": 1}]).status_code == 422
    seq = counter(svc.engine)
    results = alice.push(
        alice.mutation(
            "customer", a1, "update", {"birth_date": {"base": None, "new": "1990-13-45"}}
        ),
        alice.mutation("customer", a1, "update", {"children_count": {"base": None, "new": "two"}}),
        alice.mutation("customer", a1, "update", {"education": {"base": None, "new": "wizard"}}),
        alice.mutation("customer", a1, "update", {"address": {"base": None, "new": "长" * 300}}),
        alice.mutation("visit", new_id(), "insert", {"customer_id": {"new": new_id()}}),
        alice.mutation("visit", new_id(), "insert", {"customer_id": {"new": a1}}),
        alice.mutation("visit", new_id(), "update", {"purpose": {"base": None, "new": "x"}}),
        alice.mutation(
            "visit",
            new_id(),
            "insert",
            {k: {"new": v} for k, v in _visit(a1, visit_no=None).items() if k != "id"},
        ),
    )
    assert [r["status"] for r in results] == ["rejected"] * 8
    assert "birth_date" in results[0]["message"]
    assert "超过" in results[3]["message"]
    assert "不存在" in results[4]["message"]
    assert "必填" in results[5]["message"] or "缺少" in results[5]["message"]
    assert counter(svc.engine) == seq
    with svc.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(applied_mutation)).scalar_one()
    assert stored == 8  # rejections are remembered: a replay answers the same


def test_duplicate_visit_number_is_rejected_not_an_error(
    svc: Service, book: Book, alice: Api
) -> None:
    first = _visit(book.customers["a1"], visit_no="V-same")
    second = _visit(book.customers["a2"], visit_no="V-same")
    assert alice.insert("visit", first)["status"] == "applied"
    clash = alice.insert("visit", second)
    assert clash["status"] == "rejected" and "重复" in clash["message"]


def test_audit_log_insert_only(svc: Service, book: Book, alice: Api, admin: Api) -> None:
    entry = {
        "id": new_id(),
        "at": "2026-11-21T03:00:00.000000+00:00",
        "user_name": "alice",
        "action": "print_brief",
        "entity_type": "customer",
        "entity_id": book.customers["a1"],
    }
    assert alice.insert("audit_log", entry)["status"] == "applied"
    assert alice.delete("audit_log", str(entry["id"]))["status"] == "rejected"
    row = fetch(svc.engine, "audit_log", str(entry["id"]))
    assert row is not None and row["owner_rm_id"] == book.rms["a"]
    assert_error(alice.get("/sync/snapshot", table="audit_log"), 400, "unknown_table")


def test_the_same_key_twice_in_one_push(svc: Service, book: Book, alice: Api) -> None:
    first = alice.mutation(
        "customer", book.customers["a1"], "update", {"occupation": {"base": "教师", "new": "医生"}}
    )
    second = dict(first, mutation_id=first["mutation_id"] + 1)
    results = alice.push(first, second)
    assert [r["status"] for r in results] == ["applied", "duplicate"]
    assert results[1]["original_status"] == "applied"
    assert results[1]["version"] == results[0]["version"]
