"""Regressions found by the fault-injection rounds (tests/support/harness.py).

The order in which a pull delivers rows must never leave a device stuck or short of
rows, whatever the page size:

* A reassignment gave the customer's groups their versions after its memberships, so a
  page cut between them brought a membership before its group (foreign key failure on
  every retry).
* The server sends each row once, at its latest version: a customer changed after it
  was reassigned comes after its subtree in the stream. A page holding the subtree
  without the customer must wait for the page that brings it.
* A customer reassigned away and back again within one page was evicted after its
  returning rows were applied, so it vanished from the cache for good.
* A customer came to the RM, another was reassigned away, then the first changed
  again: its subtree came before the eviction, its own row after it. The page is
  applied in two parts around the eviction, and the first part's rows had no parent
  yet: foreign keys were meant to be checked at commit (``defer_foreign_keys``), but
  the pragma was set before SQLite's transaction began and the next read switched it
  off, so the first part failed on every retry (soak seed 11, round 1251).
* A bootstrap interrupted after the customers, resumed after a customer came to the
  RM: the snapshot pages of its subtree named a customer the cache did not hold.

And a conflict must not leave the device showing its own value:

* An edit typed between two pulled pages is skipped by the later page that brings the
  same row changed by someone else; its push then conflicts, the server keeps its value
  and the row its version, so no pull ever corrected the device (checksums agreed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from central_crm.schema import SYNCED
from rm_workbench.errors import OfflineError
from rm_workbench.sync.engine import SyncEngine
from tests.central.conftest import Api, Book, Service, fetch
from tests.central.test_sync_client import Device


@pytest.fixture
def alice_device(svc: Service, book: Book, tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "alice")
    yield device
    device.close()


def _assign(admin: Api, customer_id: str, rm_id: str) -> None:
    admin.ok(admin.post("/admin/assign", {"customer_ids": [customer_id], "rm_id": rm_id}))


def test_assign_versions_groups_before_the_memberships_that_need_them(
    svc: Service, book: Book, admin: Api
) -> None:
    b1 = book.customers["b1"]
    _assign(admin, b1, book.rms["a"])
    members = SYNCED["group_membership"]
    with svc.engine.connect() as conn:
        memberships = conn.execute(
            select(members.c.group_id, members.c.version).where(members.c.customer_id == b1)
        ).all()
    customer = fetch(svc.engine, "customer", b1)
    assert customer is not None and memberships
    for group_id, version in memberships:
        group = fetch(svc.engine, "customer_group", group_id)
        assert group is not None
        assert customer["version"] < group["version"] < version, "parents first"


@pytest.mark.parametrize("page", [1, 2, 3, 5, 1000])
def test_reassignments_and_a_later_change_of_the_customer_converge_at_any_page_size(
    alice_device: Device, book: Book, admin: Api, page: int
) -> None:
    alice = alice_device
    alice.engine.PULL_LIMIT = page
    alice.sync()
    a2, b1 = book.customers["a2"], book.customers["b1"]
    _assign(admin, a2, book.rms["b"])  # an eviction first in alice's stream
    _assign(admin, b1, book.rms["a"])  # then b1 with its subtree and groups
    # b1 changes again: its row now comes after its subtree in the stream.
    admin.update("customer", b1, email=("old@example.com", "b1@example.cn"))

    report = alice.sync()
    assert report.converged is True, report.mismatched_tables
    assert not alice.has("customer", a2)
    assert alice.value("customer", b1, "email") == "b1@example.cn"
    for table, row_id in book.rows["b1"].items():
        assert alice.has(table, row_id), table
    assert alice.has("customer_group", book.group_b)


@pytest.mark.parametrize("page", [2, 1000])
def test_a_customer_reassigned_away_and_back_within_one_page_stays(
    alice_device: Device, book: Book, admin: Api, page: int
) -> None:
    alice = alice_device
    alice.engine.PULL_LIMIT = page
    alice.sync()
    a1 = book.customers["a1"]
    _assign(admin, a1, book.rms["b"])
    _assign(admin, a1, book.rms["a"])

    report = alice.sync()
    assert report.converged is True, report.mismatched_tables
    assert alice.has("customer", a1)
    for table, row_id in book.rows["a1"].items():
        assert alice.has(table, row_id), table


@pytest.mark.parametrize("page", [1, 2, 5, 1000])
def test_a_subtree_before_an_eviction_and_its_customer_after_it_converges(
    alice_device: Device, book: Book, admin: Api, page: int
) -> None:
    """b1 (in the household with a1) comes to alice, a1 goes to bob, then b1 changes:
    alice's stream is b1's subtree, a1's eviction, the household, b1 itself."""
    alice = alice_device
    alice.engine.PULL_LIMIT = page
    alice.sync()
    a1, b1 = book.customers["a1"], book.customers["b1"]
    _assign(admin, b1, book.rms["a"])
    _assign(admin, a1, book.rms["b"])
    admin.update("customer", b1, email=("old@example.com", "b1@example.cn"))

    report = alice.sync()
    assert report.converged is True, report.mismatched_tables
    assert not alice.has("customer", a1)
    assert not alice.has("group_membership", book.rows["a1"]["group_membership"])
    assert alice.value("customer", b1, "email") == "b1@example.cn"
    for table, row_id in book.rows["b1"].items():
        assert alice.has(table, row_id), table
    assert alice.has("customer_group", book.group)  # b1's membership still needs it
    assert alice.has("customer_group", book.group_b)


def test_an_edit_typed_between_pulled_pages_that_conflicts_shows_theirs(
    alice_device: Device, svc: Service, book: Book, admin: Api
) -> None:
    alice = alice_device
    alice.engine.PULL_LIMIT = 1
    alice.sync()
    a1, a2 = book.customers["a1"], book.customers["a2"]
    admin.update("customer", a2, email=("old@example.com", "a2@example.cn"))
    admin.update("customer", a1, occupation=("教师", "律师"))
    typed: list[str] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "pull" and not typed:  # after the first page, before a1's
            typed.append("医生")
            alice.edit("customer", a1, occupation="医生")

    alice.engine.progress = progress
    alice.sync()
    assert alice.value("customer", a1, "occupation") == "医生"  # still queued: kept
    report = alice.sync()
    (conflict,) = report.conflicts
    assert (conflict.theirs, conflict.yours) == ("律师", "医生")
    assert [c.yours for c in alice.conflicts()] == ['"医生"']  # the RM still can choose
    assert alice.value("customer", a1, "occupation") == "律师"
    assert fetch(svc.engine, "customer", a1)["occupation"] == "律师"  # type: ignore[index]
    assert report.converged is True


def test_a_bootstrap_resumed_after_a_customer_came_to_the_rm_finishes(
    alice_device: Device, book: Book, admin: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = alice_device
    alice.engine.SNAPSHOT_LIMIT = 1
    real = SyncEngine._apply_rows

    def dies_at_accounts(self: SyncEngine, conn: Any, table: str, rows: Any) -> None:
        if table == "account":
            raise OfflineError("断网", "connection lost before the accounts")
        real(self, conn, table, rows)

    monkeypatch.setattr(SyncEngine, "_apply_rows", dies_at_accounts)
    with pytest.raises(OfflineError):
        alice.sync()  # customers are in; b1 is not alice's yet
    monkeypatch.setattr(SyncEngine, "_apply_rows", real)
    _assign(admin, book.customers["b1"], book.rms["a"])

    report = alice.sync()  # b1's account comes in the next snapshot page: no parent yet
    assert report.converged is True, report.mismatched_tables
    for table, row_id in book.rows["b1"].items():
        assert alice.has(table, row_id), table


# --- scope brought by a new row ------------------------------------------------------


def test_a_new_membership_brings_its_group_to_the_rm(
    alice_device: Device, svc: Service, book: Book, admin: Api
) -> None:
    """group_b had only bob's customer; a membership of alice's a1 (made by an admin:
    alice herself may not join a group outside her scope, see
    tests/security/test_scope_groups.py) makes it alice's to see, although the group
    itself did not change."""
    device = alice_device
    device.sync()
    assert not device.has("customer_group", book.group_b)
    membership = {
        "id": str(uuid.uuid4()),
        "group_id": book.group_b,
        "customer_id": book.customers["a1"],
        "role": "member",
        "valid_from": "2026-11-01",
    }
    result = admin.insert("group_membership", membership)
    assert result["status"] == "applied", result

    report = device.sync()
    assert report.converged is True, report.mismatched_tables
    assert device.has("customer_group", book.group_b)
    assert device.has("group_membership", membership["id"])
    group = fetch(svc.engine, "customer_group", book.group_b)
    row = fetch(svc.engine, "group_membership", membership["id"])
    assert group is not None and row is not None
    assert group["version"] < row["version"], "the group comes first in the stream"


def test_a_need_an_open_opportunity_points_at_is_not_deleted(
    svc: Service, book: Book, alice: Api
) -> None:
    need_id = book.rows["a1"]["need"]
    opportunity = {
        "id": str(uuid.uuid4()),
        "opportunity_no": f"O{uuid.uuid4().hex[:10]}",
        "customer_id": book.customers["a1"],
        "need_id": need_id,
        "started_on": "2026-11-01",
        "probability": 30,
        "sales_stage": "lead",
        "summary": "子女教育金规划",
    }
    assert alice.insert("opportunity", opportunity)["status"] == "applied"

    result = alice.delete("need", need_id)
    assert result["status"] == "rejected"
    assert opportunity["opportunity_no"] in result["message"]
    assert fetch(svc.engine, "need", need_id)["deleted"] is False  # type: ignore[index]

    assert alice.delete("opportunity", opportunity["id"])["status"] == "applied"
    assert alice.delete("need", need_id)["status"] == "applied"
    assert fetch(svc.engine, "need", need_id)["deleted"] is True  # type: ignore[index]
