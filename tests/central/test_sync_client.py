"""The workbench's sync engine against the real central service on loopback
(SQLite and PostgreSQL): every guarantee of ARCHITECTURE.md's sync section."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from central_crm.app import create_app
from central_crm.server import run_in_thread
from rm_workbench.db.search import search_customers
from rm_workbench.errors import AuthRequired, OfflineError, ProtocolUnsupported, ServerAnswerError
from rm_workbench.models import LocalConflict
from rm_workbench.sync import engine as engine_module
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport
from rm_workbench.sync.outbox import delete_row, insert_row, update_row
from tests.central.conftest import FAST_HASHER, Api, Book, Device, Service, fetch
from tests.support.faultproxy import FaultProxy


def test_bootstrap_holds_only_my_customers_and_converges(devices, book: Book) -> None:
    alice = devices("alice")
    report = alice.sync()
    assert report.bootstrapped_rows > 0
    assert report.converged is True, report.mismatched_tables
    assert alice.has("customer", book.customers["a1"])
    assert alice.has("customer", book.customers["a2"])
    assert not alice.has("customer", book.customers["b1"])
    assert not alice.has("account", book.rows["b1"]["account"])
    with alice.cache.engine.connect() as conn:
        assert [h.name for h in search_customers(conn, "zs")] == ["张三"]
    again = alice.sync()  # nothing to do
    assert (again.pushed, again.pulled, again.bootstrapped_rows) == (0, 0, 0)
    assert again.converged is True


def test_two_devices_and_an_admin_merge_fields_and_store_conflicts(
    devices, book: Book, admin: Api, svc: Service
) -> None:
    a1 = book.customers["a1"]
    laptop, desktop = devices("alice"), devices("alice")
    laptop.sync()
    desktop.sync()
    # Offline on the laptop: occupation; on the desktop: e-mail; the admin: occupation.
    laptop.edit("customer", a1, occupation="医生")
    desktop.edit("customer", a1, email="zhang@example.cn")
    assert admin.update("customer", a1, occupation=("教师", "律师"))["status"] == "applied"

    desktop_report = desktop.sync()
    assert desktop_report.conflicts == []
    laptop_report = laptop.sync()
    (conflict,) = laptop_report.conflicts
    assert (conflict.field, conflict.base, conflict.theirs, conflict.yours) == (
        "occupation",
        "教师",
        "律师",
        "医生",
    )
    assert laptop.value("customer", a1, "occupation") == "律师"  # nothing silently overwritten
    assert laptop.value("customer", a1, "email") == "zhang@example.cn"  # merged
    assert [c.field for c in laptop.conflicts()] == ["occupation"]

    # Keep mine: the server applies "医生" as a new change; everyone converges on it.
    laptop.client.resolve(conflict.conflict_id, "mine")
    with laptop.cache.engine.begin() as conn:
        conn.execute(LocalConflict.__table__.delete())
    for device in (laptop, desktop):
        assert device.sync().converged is True
        assert device.value("customer", a1, "occupation") == "医生"
    assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]


def test_a_push_replayed_three_times_changes_nothing_twice(devices, svc: Service, book: Book):
    proxy = FaultProxy(upstream_port=int(svc.root.rsplit(":", 1)[1]), enabled=False)
    try:
        alice = devices("alice", proxy.url)
        alice.sync()
        a1 = book.customers["a1"]
        with alice.cache.engine.begin() as conn:
            contact = insert_row(
                conn,
                "contact_log",
                {
                    "contact_no": "K-REPLAY-1",
                    "customer_id": a1,
                    "channel": "phone",
                    "started_at": "2026-11-20T01:00:00+00:00",
                    "summary": "电话回访：到期续存",
                },
            )
            update_row(conn, "customer", a1, {"occupation": "医生"})
        # One connection per request, so the proxy's script lines up with the calls:
        # hello passes, the first two pushes reach the server (which applies them) and
        # both answers are lost; the third attempt hears the (replayed) answer.
        alice.client.session.headers["Connection"] = "close"
        proxy.script = ["pass", "drop_response", "drop_response"]
        report = alice.sync()
        assert proxy.stats["drop_response"] == 2
        assert report.pushed == 2 and alice.outbox() == 0
        assert report.converged is True
        with svc.engine.connect() as conn:
            contacts = conn.execute(
                text("SELECT count(*) FROM contact_log WHERE contact_no = 'K-REPLAY-1'")
            ).scalar()
        assert contacts == 1
        assert fetch(svc.engine, "customer", a1)["occupation"] == "医生"  # type: ignore[index]
        assert alice.has("contact_log", contact)
    finally:
        proxy.close()


def test_reassigned_customer_with_unsynced_edits_is_handed_over_and_evicted(
    devices, book: Book, admin: Api
) -> None:
    a1 = book.customers["a1"]
    alice, bob = devices("alice"), devices("bob")
    alice.sync()
    bob.sync()
    alice.edit("customer", a1, notes="客户计划明年换房，关注房贷利率")
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))

    report = alice.sync()
    assert report.handed_over, "the edit reached the server for the new owner"
    assert report.evicted and "张三" in report.evicted[0]
    assert not alice.has("customer", a1)
    assert not alice.has("account", book.rows["a1"]["account"])
    with alice.cache.engine.connect() as conn:
        assert search_customers(conn, "张三") == []
    assert alice.outbox() == 0

    bob.sync()
    assert bob.value("customer", a1, "notes") == "客户计划明年换房，关注房贷利率"
    assert bob.has("account", book.rows["a1"]["account"])
    assert alice.sync().converged is True and bob.sync().converged is True


def test_an_edit_made_between_push_and_pull_is_pushed_before_eviction(
    devices, book: Book, admin: Api
) -> None:
    a1 = book.customers["a1"]
    alice, bob = devices("alice"), devices("bob")
    alice.sync()
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": book.rms["b"]}))
    report = SyncReport()
    alice.engine.push(report)  # nothing pending yet
    alice.edit("customer", a1, occupation="自由职业")  # typed while the sync runs
    alice.engine.pull(report)
    assert report.handed_over and not alice.has("customer", a1)
    bob.sync()
    assert bob.value("customer", a1, "occupation") == "自由职业"


def test_an_interrupted_bootstrap_redoes_at_most_one_page(
    devices, book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = devices("alice")
    reference.engine.SNAPSHOT_LIMIT = 1
    pages_whole: list[str] = []
    real_snapshot = SyncClient.snapshot

    def counting(self: SyncClient, table: str, after_id: str | None, limit: int) -> Any:
        pages_whole.append(table)
        return real_snapshot(self, table, after_id, limit)

    monkeypatch.setattr(SyncClient, "snapshot", counting)
    reference.sync()
    total = len(pages_whole)

    alice = devices("alice")
    alice.engine.SNAPSHOT_LIMIT = 1
    fetched: list[str] = []
    die_at: list[int] = [5]  # the sixth page dies after it was fetched
    real_apply = SyncEngine._apply_rows

    def dying_apply(self: SyncEngine, conn: Any, table: str, rows: Any) -> None:
        fetched.append(table)
        if die_at and len(fetched) == die_at[0] + 1:
            die_at.clear()
            raise OfflineError("断电", "killed mid-apply")  # dies before the page commits
        real_apply(self, conn, table, rows)

    monkeypatch.setattr(SyncEngine, "_apply_rows", dying_apply)
    monkeypatch.setattr(SyncClient, "snapshot", real_snapshot)
    with pytest.raises(OfflineError):
        alice.sync()
    alice.sync()
    assert len(fetched) - total <= 1, "only the page being applied is fetched again"
    assert alice.sync().converged is True


def test_server_restart_between_push_and_pull(devices, svc: Service, book: Book) -> None:
    first = run_in_thread(create_app(str(svc.engine.url), password_hasher=FAST_HASHER))
    alice = devices("alice", first.root)
    alice.sync()
    alice.edit("customer", book.customers["a2"], occupation="工程师")
    report = SyncReport()
    alice.engine.push(report)
    port = first.port
    first.stop()
    with pytest.raises(OfflineError):
        alice.engine.pull(report)
    second = run_in_thread(create_app(str(svc.engine.url), password_hasher=FAST_HASHER), port=port)
    try:
        alice.engine.pull(report)
        assert alice.sync().converged is True
        assert alice.value("customer", book.customers["a2"], "occupation") == "工程师"
    finally:
        second.stop()


def test_expired_token_asks_for_the_password_and_keeps_the_edits(
    devices, svc: Service, book: Book
) -> None:
    alice = devices("alice")
    alice.sync()
    alice.edit("customer", book.customers["a1"], occupation="医生")
    with svc.engine.begin() as conn:
        conn.execute(text("UPDATE auth_token SET expires_at = '2000-01-01T00:00:00+00:00'"))
    with pytest.raises(AuthRequired, match="重新输入密码"):
        alice.sync()
    assert alice.outbox() == 1
    alice.login()
    assert alice.sync().pushed == 1


def test_an_old_protocol_version_gets_a_clear_message(
    devices, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = devices("alice")
    monkeypatch.setattr(engine_module, "PROTOCOL_VERSION", 0)
    with pytest.raises(ProtocolUnsupported) as info:
        alice.sync()
    assert "升级" in info.value.user_message


def test_pending_local_fields_survive_a_pull_and_core_feed_arrives(
    devices, book: Book, admin: Api
) -> None:
    a1 = book.customers["a1"]
    alice = devices("alice")
    alice.sync()
    alice.edit("customer", a1, occupation="医生")  # not pushed yet
    assert (
        admin.update("customer", a1, email=("old@example.com", "new@example.com"))["status"]
        == "applied"
    )
    account = book.rows["a1"]["account"]
    admin.ok(
        admin.post(
            "/admin/core-feed",
            {"balances": [{"account_no": alice_account_no(alice, account), "balance": "88888.88"}]},
        )
    )
    alice.engine.pull(SyncReport())
    assert alice.value("customer", a1, "occupation") == "医生"
    assert alice.value("customer", a1, "email") == "new@example.com"
    assert str(alice.value("account", account, "balance")) == "88888.88"
    report = alice.sync()
    assert report.pushed == 1 and report.converged is True


def alice_account_no(device: Device, account_id: str) -> str:
    return str(device.value("account", account_id, "account_no"))


def test_deletes_travel_as_tombstones_and_gc_forces_a_rebootstrap(
    devices, book: Book, admin: Api
) -> None:
    laptop, desktop = devices("alice"), devices("alice")
    laptop.sync()
    desktop.sync()
    need = book.rows["a1"]["need"]
    with laptop.cache.engine.begin() as conn:
        delete_row(conn, "need", need)
    laptop.sync()
    desktop.edit("customer", book.customers["a2"], occupation="会计")  # pending during gc
    admin.ok(admin.post("/admin/gc", {}))
    admin.ok(admin.post("/admin/gc", {"before_seq": 10**9}))
    report = desktop.sync()
    assert report.bootstrapped_rows > 0, "too far behind: bootstrapped again"
    assert report.pushed == 1, "pending edits went up before the cache was rebuilt"
    assert not desktop.has("need", need)
    assert desktop.value("customer", book.customers["a2"], "occupation") == "会计"
    assert report.converged is True


@pytest.mark.parametrize(
    "garble",
    [
        {"name": None},  # a required field missing
        {"birth_date": "1990-02-30"},  # an impossible date
        {"aum": "一百万"},  # not an amount
    ],
)
def test_rows_the_server_garbles_are_refused_without_losing_anything(
    devices, book: Book, admin: Api, monkeypatch: pytest.MonkeyPatch, garble: dict[str, Any]
) -> None:
    a1, a2 = book.customers["a1"], book.customers["a2"]
    alice = devices("alice")
    alice.sync()
    cursor = _cursor(alice)
    admin.update("customer", a2, email=("old@example.com", "changed@example.com"))
    alice.edit("customer", a1, occupation="医生")
    real_pull = SyncClient.pull

    def garbled(self: SyncClient, cursor: int, limit: int) -> Any:
        page = real_pull(self, cursor, limit)
        for item in page.items:
            if item.row is not None and item.row.get("id") == a2:
                item.row.update(garble)
        return page

    monkeypatch.setattr(SyncClient, "pull", garbled)
    with pytest.raises(ServerAnswerError, match="本机数据未受影响"):
        alice.sync()
    assert _cursor(alice) == cursor, "the page and its cursor were not applied"
    assert alice.value("customer", a2, "name") == "钱七"
    assert alice.value("customer", a2, "email") == "old@example.com"
    assert alice.value("customer", a1, "occupation") == "医生"
    monkeypatch.setattr(SyncClient, "pull", real_pull)
    report = alice.sync()
    assert report.converged is True
    assert alice.value("customer", a2, "email") == "changed@example.com"


def _cursor(device: Device) -> int:
    with device.cache.engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM sync_state WHERE key = 'cursor'")).scalar()
    return int(value or 0)
