"""Every acknowledged edit ends as the server's value, a conflict the customer's
current RM sees, or an entry in the RM's rejected-edits list (issue 12, B1, B3, B4).

Each case was found from outside with two devices of one RM (two profiles) and the
reference service, and failed before its fix:

* B1 "keep mine" overwrote a later edit: the resolution wrote yours whatever the
  field held by then (V3 was lost);
* B3 a conflict vanished once its customer moved to another RM and back (the
  eviction dropped the local copy and nothing brought it back), and an edit handed
  over to the new RM that conflicted was shown to nobody;
* B4 a refused edit left the outbox and was named once in that sync's report, and
  the RM's value was then lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text

from central_crm.schema import sync_conflict
from rm_workbench.models import RejectedEdit
from rm_workbench.services.conflicts import ConflictService
from rm_workbench.services.rejected import RejectedEditService
from rm_workbench.sync.outbox import delete_row, insert_row
from tests.central.conftest import Api, Book, Device, Service, fetch, new_id


def _conflicts(device: Device) -> ConflictService:
    return ConflictService(device.cache, None)  # type: ignore[arg-type]


def _server_conflicts(svc: Service, row_id: str) -> list[Any]:
    with svc.engine.connect() as conn:
        return list(
            conn.execute(
                select(sync_conflict).where(
                    sync_conflict.c.row_id == row_id, sync_conflict.c.resolved_at.is_(None)
                )
            )
        )


def test_keep_mine_on_a_value_that_moved_on_is_a_new_conflict_not_an_overwrite(
    devices: Any, book: Book, svc: Service
) -> None:
    a1 = book.customers["a1"]
    one, two = devices("alice"), devices("alice")
    one.sync()
    two.sync()
    one.edit("customer", a1, address="V1 杭州市西湖区文三路 1 号")
    one.sync()
    two.edit("customer", a1, address="Y 杭州市上城区解放路 9 号")  # not pulled V1
    (conflict,) = two.sync().conflicts
    assert conflict.theirs == "V1 杭州市西湖区文三路 1 号"
    one.edit("customer", a1, address="V3 杭州市滨江区江南大道 3 号")
    assert not one.sync().rejected  # applied and acknowledged

    # The dialog still shows V1 as theirs; the RM keeps mine.
    shown = _conflicts(two).list()
    assert [c.theirs for c in shown] == ["V1 杭州市西湖区文三路 1 号"]
    outcome = _conflicts(two).resolve(shown[0].conflict_id, "mine", client=two.client)
    assert outcome.resolution == "moved"
    assert "V3" in outcome.message
    # Nothing was overwritten: the server holds V3; the new conflict shows it.
    assert fetch(svc.engine, "customer", a1)["address"] == "V3 杭州市滨江区江南大道 3 号"  # type: ignore[index]
    (again,) = _conflicts(two).list()
    assert (again.base, again.theirs, again.yours) == (
        "V1 杭州市西湖区文三路 1 号",
        "V3 杭州市滨江区江南大道 3 号",
        "Y 杭州市上城区解放路 9 号",
    )
    assert two.value("customer", a1, "address") == "V3 杭州市滨江区江南大道 3 号"
    # Now shown V3, the RM keeps mine: written, and said so.
    done = _conflicts(two).resolve(again.conflict_id, "mine", client=two.client)
    assert done.resolution == "mine" and "Y 杭州市上城区解放路 9 号" in done.message
    assert fetch(svc.engine, "customer", a1)["address"] == "Y 杭州市上城区解放路 9 号"  # type: ignore[index]
    assert two.value("customer", a1, "address") == "Y 杭州市上城区解放路 9 号"
    for device in (one, two):
        report = device.sync()
        assert report.converged is True and report.open_conflicts == 0
        assert device.value("customer", a1, "address") == "Y 杭州市上城区解放路 9 号"


def test_a_conflict_comes_back_with_its_customer_and_names_who_made_each_side(
    devices: Any, book: Book, admin: Api, svc: Service
) -> None:
    a1 = book.customers["a1"]
    phone, laptop = devices("alice"), devices("alice")
    phone.sync()
    laptop.sync()
    phone.edit("customer", a1, email="zhang.san@mail.cn")
    phone.sync()
    laptop.edit("customer", a1, email="zs@work.cn")
    laptop.sync()
    (stored,) = _conflicts(laptop).list()
    # Both sides by alice (two devices): the device that made "yours" is named too.
    assert stored.theirs_by == "alice"
    assert stored.yours_by.startswith("alice")

    move = {"customer_ids": [a1], "rm_id": book.rms["b"]}
    admin.ok(admin.post("/admin/assign", move))
    laptop.sync()
    assert _conflicts(laptop).list() == []  # evicted with its customer
    bob = devices("bob")
    bob.sync()
    (bobs,) = _conflicts(bob).list()  # the new RM sees it and may settle it
    assert bobs.conflict_id == stored.conflict_id

    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["a"]}))
    laptop.sync()
    phone.sync()
    for device in (laptop, phone):
        (back,) = _conflicts(device).list()
        assert (back.conflict_id, back.theirs, back.yours) == (
            stored.conflict_id,
            "zhang.san@mail.cn",
            "zs@work.cn",
        )
        assert back.yours_by and back.theirs_by
    assert _server_conflicts(svc, a1)


def test_an_edit_handed_over_in_conflict_is_shown_to_the_new_rm_with_both_authors(
    devices: Any, book: Book, admin: Api
) -> None:
    a1 = book.customers["a1"]
    alice, bob = devices("alice"), devices("bob")
    alice.sync()
    alice.edit("customer", a1, occupation="建筑师")  # offline, before it learns of the move
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    bob.sync()
    bob.edit("customer", a1, occupation="医生")
    bob.sync()

    report = alice.sync()
    assert report.handed_over and report.handed_over[0].fields == ("occupation",)
    assert "张三" in str(report.handed_over[0])
    assert _conflicts(alice).list() == []  # not the old RM's to settle

    bob.sync()
    (conflict,) = _conflicts(bob).list()
    assert (conflict.field, conflict.theirs, conflict.yours) == ("occupation", "医生", "建筑师")
    assert conflict.theirs_by == "bob" and conflict.yours_by.startswith("alice")
    outcome = _conflicts(bob).resolve(conflict.conflict_id, "mine", client=bob.client)
    assert outcome.resolution == "mine"
    assert bob.value("customer", a1, "occupation") == "建筑师"


def test_a_refused_edit_is_kept_with_the_rms_value_and_can_be_sent_again(
    devices: Any, book: Book, svc: Service
) -> None:
    need = book.rows["a1"]["need"]
    one, two = devices("alice"), devices("alice")
    one.sync()
    two.sync()
    with one.cache.engine.begin() as conn:
        delete_row(conn, "need", need)
    one.sync()
    two.edit("need", need, summary="客户想了解养老年金，下周再谈")  # on a need gone meanwhile
    report = two.sync()
    (refused,) = report.rejected
    assert refused.table == "need" and refused.fields == ("summary",)
    assert "删除" in refused.message and "需求" in str(refused)
    assert two.outbox() == 0 and not two.has("need", need)  # the cache shows the server

    rejected = RejectedEditService(two.cache)
    (entry,) = rejected.list()
    assert entry.reason == refused.message
    assert [(f.name, f.value) for f in entry.fields] == [
        ("summary", "客户想了解养老年金，下周再谈")
    ]
    assert not entry.can_resend  # the need is gone: only discard is offered
    # Later syncs do not lose it.
    two.sync()
    assert [e.fields[0].value for e in rejected.list()] == ["客户想了解养老年金，下周再谈"]
    rejected.discard(entry.id)
    assert rejected.count() == 0


def test_a_refused_delete_brings_the_row_back_and_a_refused_insert_can_be_corrected(
    devices: Any, book: Book, svc: Service
) -> None:
    a1 = book.customers["a1"]
    need = book.rows["a1"]["need"]
    alice = devices("alice")
    alice.sync()
    # An opportunity linked to the need, on the server: the need cannot be deleted.
    with alice.cache.engine.begin() as conn:
        insert_row(
            conn,
            "opportunity",
            {
                "customer_id": a1,
                "opportunity_no": f"OP{new_id()[:10]}",
                "summary": "养老年金",
                "started_on": date(2026, 12, 1),
                "probability": 30,
                "sales_stage": "lead",
                "need_id": need,
            },
        )
    alice.sync()
    with alice.cache.engine.begin() as conn:
        # The local delete of a linked need (a service refuses it; the server must too).
        conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        conn.execute(text("UPDATE opportunity SET need_id = NULL WHERE need_id = :n"), {"n": need})
        delete_row(conn, "need", need)
    report = alice.sync()
    (refused,) = report.rejected
    assert refused.op == "delete" and "商机" in refused.message
    assert alice.has("need", need), "the server's row is shown again"
    assert fetch(svc.engine, "need", need)["deleted"] is False  # type: ignore[index]
    assert report.converged is True
    (kept,) = RejectedEditService(alice.cache).list()
    assert not kept.fields and kept.can_resend  # a delete: send again, or accept
    RejectedEditService(alice.cache).discard(kept.id)
    assert alice.has("need", need)  # discarding a refused delete keeps the row

    # A new visit the server refuses (its number is taken), corrected, sent again.
    taken = fetch(svc.engine, "visit", book.rows["a1"]["visit"])["visit_no"]  # type: ignore[index]
    with alice.cache.engine.begin() as conn:
        visit = insert_row(
            conn,
            "visit",
            {
                "customer_id": a1,
                "visit_no": f"V{new_id()[:12]}",
                "planned_start": datetime(2026, 12, 9, 2, tzinfo=UTC),
                "category": "home",
                "purpose": "送年金方案",
            },
        )
        # As another device's visit took the number first (the cache's own unique
        # index would refuse it here, so the queued insert is given the number).
        conn.execute(
            text(
                "UPDATE outbox SET fields = json_set(fields, '$.visit_no.new', :n)"
                " WHERE row_id = :i"
            ),
            {"n": taken, "i": visit},
        )
    report = alice.sync()
    (refused,) = report.rejected
    assert refused.op == "insert" and "编号" in refused.message
    rejected = RejectedEditService(alice.cache)
    (entry,) = rejected.list()
    assert entry.can_resend
    values = {f.name: f.value for f in entry.fields}
    # As the RM reads them: Beijing time, the choice's Chinese name.
    assert (values["purpose"], values["planned_start"], values["category"]) == (
        "送年金方案",
        "2026-12-09 10:00",
        "上门拜访",
    )
    assert {f.name: f.label for f in entry.fields}["visit_no"] == "拜访编号"
    values["visit_no"] = f"V{new_id()[:12]}"
    rejected.resend(entry.id, values)
    assert rejected.count() == 0
    report = alice.sync()
    assert not report.rejected
    stored = fetch(svc.engine, "visit", visit)
    assert stored is not None and stored["purpose"] == "送年金方案"
    # Read back as typed: the same time and choice went out.
    assert (stored["planned_start"], stored["category"]) == (
        datetime(2026, 12, 9, 2, tzinfo=UTC),
        "home",
    )
    with alice.cache.engine.connect() as conn:
        assert conn.execute(select(RejectedEdit.id)).first() is None
