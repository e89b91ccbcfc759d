"""Administration: users, reassignment (evictions, hand-over), catalog, core feed,
tombstone garbage collection, the demo book."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from central_crm.schema import SYNCED, assignment
from rm_contract.wire import row_digest
from tests.central.conftest import (
    PASSWORD,
    Api,
    Book,
    Service,
    assert_error,
    counter,
    fetch,
    new_id,
)


def test_create_users(svc: Service, book: Book, admin: Api) -> None:
    created = admin.ok(
        admin.post(
            "/admin/users",
            {
                "username": "dave",
                "password": PASSWORD,
                "display_name": "周经理",
                "role": "rm",
                "rm_id": book.rms["c"],
            },
        )
    )
    assert created == {
        "username": "dave",
        "display_name": "周经理",
        "role": "rm",
        "rm_id": book.rms["c"],
    }
    dave = Api(svc, "dave", "device-dave-1")
    assert dave.login["user"]["rm_id"] == book.rms["c"]
    taken = admin.post(
        "/admin/users",
        {"username": "dave", "password": PASSWORD, "display_name": "x", "role": "admin"},
    )
    assert_error(taken, 409, "username_taken")
    no_rm = admin.post(
        "/admin/users", {"username": "eve", "password": PASSWORD, "display_name": "e"}
    )
    assert_error(no_rm, 422, "rm_required")
    unknown = admin.post(
        "/admin/users",
        {"username": "eve", "password": PASSWORD, "display_name": "e", "rm_id": new_id()},
    )
    assert_error(unknown, 422, "unknown_rm")
    short = admin.post(
        "/admin/users", {"username": "eve", "password": "short", "display_name": "e"}
    )
    body = assert_error(short, 422, "weak_password")
    assert "至少 10 个字符" in body["message"]


def test_reassignment_evicts_and_delivers_the_subtree(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    a1 = book.customers["a1"]
    seq = counter(svc.engine)
    answer = admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    assert answer["moved"] == 1 and answer["evictions"] == 1
    # The old RM: one eviction with a Chinese message naming the customer and the new RM.
    items, _ = alice.pull_all(seq)
    assert items == [
        {
            "seq": seq + 1,
            "kind": "evict",
            "customer_id": a1,
            "message": "客户 张三 已移交给 李四",
        }
    ]
    assert a1 not in {r["id"] for r in alice.snapshot_all("customer")}
    assert alice.ok(alice.get("/sync/checksums"))["tables"]["customer"]["count"] == 1
    # The new RM: the whole subtree (and the household) by pull.
    got, _ = bob.pull_all(seq)
    received = {(i["table"], i["row"]["id"]) for i in got}
    expected = {("customer", a1)} | {(t, rid) for t, rid in book.rows["a1"].items()}
    assert expected | {("customer_group", book.group)} == received
    customer = next(i["row"] for i in got if i["table"] == "customer")
    assert customer["rm_id"] == book.rms["b"]
    with svc.engine.connect() as conn:
        history = conn.execute(
            select(assignment.c.rm_id, assignment.c.to_seq)
            .where(assignment.c.customer_id == a1)
            .order_by(assignment.c.from_seq)
        ).all()
    assert [(h.rm_id, h.to_seq is None) for h in history] == [
        (book.rms["a"], False),
        (book.rms["b"], True),
    ]
    # Assigning again to the same RM changes nothing.
    again = admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    assert again["moved"] == 0 and again["unchanged"] == [a1]
    assert_error(
        admin.post("/admin/assign", {"customer_ids": [new_id()], "rm_id": book.rms["b"]}),
        422,
        "unknown_customer",
    )


def test_edits_for_a_customer_reassigned_away_are_handed_over(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    a1 = book.customers["a1"]
    visit = book.rows["a1"]["visit"]
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    seq = counter(svc.engine)
    # Alice was offline: her edits arrive after the reassignment.
    results = alice.push(
        alice.mutation("customer", a1, "update", {"occupation": {"base": "教师", "new": "医生"}}),
        alice.mutation(
            "contact_log",
            (contact := new_id()),
            "insert",
            {
                "contact_no": {"new": "K-offline-1"},
                "customer_id": {"new": a1},
                "started_at": {"new": "2026-11-21T01:00:00.000000+00:00"},
                "channel": {"new": "visit"},
                "summary": {"new": "上门拜访后的记录"},
            },
        ),
        alice.mutation("visit", visit, "update", {"purpose": {"base": "旧", "new": "新的目的"}}),
        alice.mutation("visit", visit, "delete"),
    )
    assert [r["status"] for r in results] == [
        "handed_over",
        "handed_over",
        "handed_over",
        "rejected",
    ]
    assert all("李四" in r["message"] for r in results)
    # The conflict is bob's to settle: alice's answer names the field, not bob's value.
    assert results[2]["conflicts"] == [] and "purpose" in results[2]["message"]
    # Never lost: bob gets the changes by pull, and sees the conflict; alice does not.
    got, _ = bob.pull_all(seq)
    rows = {(i["table"], i["row"]["id"]): i["row"] for i in got}
    assert rows[("customer", a1)]["occupation"] == "医生"
    assert rows[("contact_log", contact)]["summary"] == "上门拜访后的记录"
    assert [c["field"] for c in bob.ok(bob.get("/sync/conflicts"))["conflicts"]] == ["purpose"]
    assert alice.ok(alice.get("/sync/conflicts"))["conflicts"] == []
    assert fetch(svc.engine, "visit", visit)["deleted"] is False  # type: ignore[index]
    # A customer never owned by alice stays out of reach.
    other = alice.update("customer", book.customers["b1"], occupation=("教师", "x"))
    assert other["status"] == "rejected"


def test_catalog_reaches_every_rm(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    seq = counter(svc.engine)
    product = {
        "code": "WM90",
        "name": "稳健理财90天",
        "product_type": "wealth",
        "risk_level": "R2",
        "min_amount": "10000.00",
        "term_months": 3,
        "rate": "0.028",
        "currency": "CNY",
        "target_life_stages": ["成家", "退休"],
        "target_tiers": ["黄金"],
        "on_sale": True,
    }
    answer = admin.ok(admin.post("/admin/catalog", {"products": [product]}))
    assert answer["inserted"] == 1
    again = admin.ok(admin.post("/admin/catalog", {"products": [product]}))
    assert again["unchanged"] == 1
    changed = admin.ok(admin.post("/admin/catalog", {"products": [dict(product, rate="0.03")]}))
    assert changed["updated"] == 1
    for api in (alice, bob):
        items, _ = api.pull_all(seq)
        rows = [i["row"] for i in items if i["table"] == "product"]
        assert rows[-1]["code"] == "WM90" and rows[-1]["rate"] == "0.03"
        assert rows[-1]["target_life_stages"] == ["成家", "退休"]
    bad = admin.post("/admin/catalog", {"products": [{"code": "X", "colour": "red"}]})
    assert_error(bad, 422, "invalid_product")
    bad_value = admin.post("/admin/catalog", {"products": [{"code": "X", "rate": "abc"}]})
    assert_error(bad_value, 422, "invalid_product")


_BUNDLE = {
    "code": "BDL-T",
    "name": "测试家庭套餐",
    "target_life_stages": ["成家期"],
    "target_tiers": ["黄金"],
    "need_categories": ["housing"],
    "product_codes": ["WM90", "LN-MORT"],
    "min_aum": None,
    "tier_pricing": json.dumps({"黄金": {"rate_bonus": "0.001", "fee_discount": "0.8"}}),
    "valid_days": 30,
    "on_sale": True,
}


def test_bundle_templates_reach_every_rm(
    svc: Service, book: Book, admin: Api, alice: Api, bob: Api
) -> None:
    seq = counter(svc.engine)
    answer = admin.ok(admin.post("/admin/catalog", {"bundles": [_BUNDLE]}))
    assert answer["inserted"] == 1
    assert admin.ok(admin.post("/admin/catalog", {"bundles": [_BUNDLE]}))["unchanged"] == 1
    for api in (alice, bob):
        items, _ = api.pull_all(seq)
        rows = [i["row"] for i in items if i["table"] == "bundle_template"]
        assert [r["code"] for r in rows] == ["BDL-T"]
        assert rows[0]["product_codes"] == ["WM90", "LN-MORT"]
    # A push can never write the catalog.
    refused = alice.update("bundle_template", rows[0]["id"], name=("测试家庭套餐", "改名"))
    assert refused["status"] == "rejected"
    bad = admin.post("/admin/catalog", {"bundles": [dict(_BUNDLE, tier_pricing="[1]")]})
    assert_error(bad, 422, "invalid_bundle_template")
    empty = admin.post("/admin/catalog", {"products": [], "bundles": []})
    assert empty.status_code == 422


def test_core_feed_reaches_the_rm_by_pull(svc: Service, book: Book, admin: Api, alice: Api) -> None:
    account = fetch(svc.engine, "account", book.rows["a1"]["account"])
    customer = fetch(svc.engine, "customer", book.customers["a1"])
    assert account is not None and customer is not None
    seq = counter(svc.engine)
    answer = admin.ok(
        admin.post(
            "/admin/core-feed",
            {
                "balances": [
                    {"account_no": account["account_no"], "balance": "612345.67"},
                    {"account_no": "NO-SUCH", "balance": "1"},
                ],
                "maturities": [{"account_no": account["account_no"], "matures_on": "2027-06-30"}],
                "tiers": [
                    {
                        "customer_no": customer["customer_no"],
                        "tier": "顶级",
                        "aum": "6000000",
                        "contribution": "12345.6",
                    }
                ],
            },
        )
    )
    assert answer["updated"] == 2 and answer["not_found"] == ["NO-SUCH"]
    items, _ = alice.pull_all(seq)
    rows = {i["table"]: i["row"] for i in items}
    assert set(rows) == {"account", "customer"}
    assert rows["account"]["balance"] == "612345.67"
    assert rows["account"]["matures_on"] == "2027-06-30"
    assert (
        rows["customer"]["tier"],
        rows["customer"]["aum"],
        rows["customer"]["contribution"],
    ) == (
        "顶级",
        "6000000.00",
        "12345.60",
    )
    assert len(items) == 2  # one new version per changed row
    stored = fetch(svc.engine, "customer", book.customers["a1"])
    assert stored is not None and stored["aum"] == Decimal("6000000.00")


def test_gc_purges_tombstones_and_sends_laggards_to_bootstrap(
    svc: Service, book: Book, admin: Api, alice: Api
) -> None:
    old_cursor = counter(svc.engine)
    alice.delete("need", book.rows["a1"]["need"])
    alice.delete("visit", book.rows["a1"]["visit"])
    seq = counter(svc.engine)
    answer = admin.ok(admin.post("/admin/gc", {"before_seq": seq + 1}))
    assert answer["horizon"] == seq
    assert answer["purged"]["need"] == 1 and answer["purged"]["visit"] == 1
    assert fetch(svc.engine, "need", book.rows["a1"]["need"]) is None
    behind = alice.ok(alice.hello(cursor=old_cursor))
    assert behind["must_bootstrap"] is True and "重新下载" in behind["bootstrap_reason"]
    assert alice.ok(alice.hello(cursor=seq))["must_bootstrap"] is False
    # After a bootstrap the device holds what the server holds.
    sums = alice.ok(alice.get("/sync/checksums"))["tables"]
    assert (
        sums["need"]
        == row_digest((r["id"], r["version"]) for r in alice.snapshot_all("need")).model_dump()
    )


def test_gc_keeps_tombstones_still_referenced(
    svc: Service, book: Book, admin: Api, alice: Api
) -> None:
    # A deleted customer whose children are live (written by an admin on purpose) stays.
    customers = SYNCED["customer"]
    with svc.engine.begin() as conn:
        conn.execute(
            customers.update().where(customers.c.id == book.customers["a2"]).values(deleted=True)
        )
    answer = admin.ok(admin.post("/admin/gc", {"before_seq": counter(svc.engine) + 1}))
    assert answer["purged"]["customer"] == 0
    assert fetch(svc.engine, "customer", book.customers["a2"]) is not None


def test_gc_defaults_to_the_slowest_device(
    svc: Service, book: Book, admin: Api, alice: Api
) -> None:
    seq = counter(svc.engine)
    alice.hello(cursor=seq)  # alice's device is at seq
    alice.delete("need", book.rows["a1"]["need"])
    answer = admin.ok(admin.post("/admin/gc", {}))
    assert answer["horizon"] == seq and answer["purged"]["need"] == 0
    assert alice.ok(alice.hello(cursor=seq))["must_bootstrap"] is False


def test_gc_forgets_old_push_answers_and_a_late_replay_still_changes_nothing(
    svc: Service, book: Book, alice: Api
) -> None:
    from datetime import timedelta

    from central_crm import admin as admin_module
    from central_crm import db
    from central_crm.schema import applied_mutation

    mutation = alice.mutation(
        "customer", book.customers["a1"], "update", {"email": {"base": None, "new": "x@a.cn"}}
    )
    mutation["fields"]["email"]["base"] = fetch(svc.engine, "customer", book.customers["a1"])[  # type: ignore[index]
        "email"
    ]
    (first,) = alice.push(mutation)
    assert first["status"] == "applied"
    with db.write_begin(svc.engine) as conn:
        kept = admin_module.gc(conn, 0, keep_answers=timedelta(days=1))
    assert kept.purged["applied_mutation"] == 0
    with db.write_begin(svc.engine) as conn:
        gone = admin_module.gc(conn, 0, keep_answers=timedelta(0))
    assert gone.purged["applied_mutation"] >= 1
    with svc.engine.connect() as conn:
        assert conn.execute(applied_mutation.select()).first() is None
    alice.update("customer", book.customers["a1"], email=("x@a.cn", "y@a.cn"))
    (replayed,) = alice.push(mutation)  # its answer is gone: still not applied again
    assert replayed["status"] == "duplicate"
    assert fetch(svc.engine, "customer", book.customers["a1"])["email"] == "y@a.cn"  # type: ignore[index]
