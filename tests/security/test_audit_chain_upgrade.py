"""Issue 13, rolling the audit chain out: a cache written by the build before it, with
audit rows still queued, is upgraded (cache migration 0008 chains the unsent ones)
and its first push raises no alarm; the migration's frozen copy of the hash is the
contract's."""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from rm_contract.audit_chain import CHAINED, entry_hash, genesis
from rm_workbench.db.engine import open_engine
from rm_workbench.db.migrate import upgrade_cache
from tests.central.conftest import Api, Book, Device, Service, fetch
from tests.support.security_audit import alarms, record

MIGRATION = Path(__file__).parents[2] / "rm_workbench/db/migrations/versions/0008_audit_chain.py"


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("cache_0008", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_copy_of_the_hash_is_the_contracts() -> None:
    frozen = _migration()
    entry = {name: f"值-{name}" for name in CHAINED}
    assert frozen._CHAINED == CHAINED
    assert frozen._genesis("device-x") == genesis("device-x")
    assert frozen._entry_hash(genesis("d"), 7, entry) == entry_hash(genesis("d"), 7, entry)


def _queue_old_entry(conn: Any, number: int) -> str:
    """An audit row and its queued insert as the build before the chain wrote them."""
    row_id = str(uuid.uuid4())
    at = f"2026-11-2{number}T03:00:00.000000+00:00"
    conn.execute(
        text(
            "INSERT INTO audit_log (id, at, user_name, action, details, version, deleted,"
            " created_at, updated_at) VALUES (:id, :at, 'alice', 'print_brief', :d, NULL, 0,"
            " :at, :at)"
        ),
        {"id": row_id, "at": at, "d": f"打印客户简报 {number}"},
    )
    fields = {
        "at": {"new": at},
        "user_name": {"new": "alice"},
        "action": {"new": "print_brief"},
        "details": {"new": f"打印客户简报 {number}"},
    }
    conn.execute(
        text(
            "INSERT INTO outbox (idempotency_key, table_name, row_id, customer_id, op, fields,"
            " created_at, sent_at) VALUES (:k, 'audit_log', :id, NULL, 'insert', :f, :at, NULL)"
        ),
        {"k": str(uuid.uuid4()), "id": row_id, "f": json.dumps(fields), "at": at},
    )
    return row_id


def test_entries_queued_before_the_upgrade_raise_no_alarm(
    svc: Service, book: Book, admin: Api, tmp_path: Path
) -> None:
    folder = tmp_path / "profile"
    folder.mkdir()
    path = folder / "alice-1.db"  # the name Device gives the first file of a folder
    old = open_engine(path, None)
    upgrade_cache(old, target="0007")
    with old.engine.begin() as conn:
        queued = [_queue_old_entry(conn, n) for n in range(3)]
    old.dispose()
    assert [p.name for p in folder.iterdir()] == ["alice-1.db"]

    alice = Device(svc, folder, "alice")  # opens (and upgrades) that file
    try:
        assert str(alice.cache.engine.url).endswith("alice-1.db")
        alice.sync()
        assert alarms(admin) == []
        for row_id in queued:
            stored = fetch(svc.engine, "audit_log", row_id)
            assert stored is not None and stored["chain_hash"] is not None
        # The chain goes on after the migrated entries.
        record(alice, 3)
        alice.sync()
        assert alarms(admin) == []
    finally:
        alice.close()
