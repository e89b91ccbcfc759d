"""Issue 13, part D: every file the workbench keeps under its home is 0600 and every
folder 0700, whatever the umask; migration backups expire once the new revision has
opened; an eviction purges every local trace of the customer (rows, synced audit
rows, backups, the WAL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rm_workbench.db.cache import open_cache, open_profile_cache
from rm_workbench.db.engine import open_engine
from rm_workbench.db.migrate import head_revision, script_directory, upgrade_cache
from rm_workbench.models import AuditLog, OutboxEntry
from rm_workbench.paths import cache_path, profile_dir
from rm_workbench.services.audit import record_audit
from tests.central.conftest import Book, Service, customer_row, insert_rows
from tests.support.security_atrest import (
    PEOPLE,
    add_people,
    mode,
    no_keyring,
    sibling_files,
    traces,
)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("keyring_kind", ["keyring", "password"])
def test_cache_files_are_0600_and_folders_0700(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    loose_umask: None,
    keyring_kind: str,
    request: Any,
) -> None:
    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path / "home"))
    path = cache_path("rm001")
    if keyring_kind == "keyring":
        request.getfixturevalue("memory_keyring")
        opened = open_profile_cache(path, "rm001")
    else:
        with no_keyring():
            opened = open_profile_cache(path, "rm001", password="s3cret-pass")
    try:
        add_people(opened.cache)
        files = sibling_files(path)
        assert {p.name for p in files} >= {"cache.db", "cache.db-wal", "cache.db-shm"}
        assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert mode(path.parent) == 0o700
        assert mode(tmp_path / "home") == 0o700
    finally:
        opened.cache.dispose()


def test_looser_files_and_folders_are_tightened_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None, memory_keyring: Any
) -> None:
    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path / "home"))
    folder = profile_dir("rm001")
    opened = open_profile_cache(folder / "cache.db", "rm001")
    add_people(opened.cache)
    opened.cache.dispose()
    (folder / "settings.ini").write_text("[x]\n")
    exports = folder / "exports"
    exports.mkdir()
    (exports / "customers.xlsx").write_bytes(b"x")
    for p in [folder, exports, *folder.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    reopened = open_profile_cache(folder / "cache.db", "rm001")
    reopened.cache.dispose()
    for p in [folder, *folder.rglob("*")]:
        assert mode(p) == (0o700 if p.is_dir() else 0o600), p


def test_migration_backups_expire_once_the_new_revision_opened(tmp_path: Path) -> None:
    """Before: ``cache.db.bak-*`` were never deleted, ID numbers and phones in clear."""
    path = tmp_path / "cache.db"
    first = list(script_directory().walk_revisions())[-1].revision
    assert first != head_revision()
    cache = open_engine(path)
    upgrade_cache(cache, target=first)
    add_people(cache)
    cache.dispose()
    reopened = open_cache(path)  # migrates to head, backup first
    reopened.dispose()
    assert not list(tmp_path.glob("cache.db.bak-*"))
    assert len(traces(sibling_files(path))) == 3 * len(PEOPLE)  # plain cache: data is there
    assert traces([p for p in tmp_path.iterdir() if ".bak-" in p.name]) == []


# --- eviction ---------------------------------------------------------------------------


def test_an_eviction_purges_every_local_trace_of_the_customer(
    svc: Service, book: Book, tmp_path: Path, devices: Any, admin: Any
) -> None:
    """A customer reassigned away: after the sync, no file of the (unencrypted) profile
    holds its name, ID number or phone: not the cache, not its WAL, not a backup, not
    an audit row already synced. Before: the backup and the audit log kept them."""
    name, id_number, phone = PEOPLE[0]
    row = customer_row(book.rms["a"], book.branch, name)
    row.update(id_number=id_number, mobile_phone=phone, customer_no="C9000000001")
    insert_rows(svc.engine, "customer", [row])
    alice = devices("alice")
    alice.sync()
    assert alice.has("customer", row["id"])
    with alice.cache.engine.begin() as conn:
        record_audit(
            conn,
            user_name="alice",
            action="print_brief",
            details=f"打印客户简报 C9000000001 {name}，手机 {phone}",
            entity_type="customer",
            entity_id=row["id"],
        )
    alice.sync()  # the audit row reaches the central CRM
    with alice.cache.session() as session:
        assert not session.scalars(select(OutboxEntry)).all()
        assert session.scalars(select(AuditLog.entity_id)).all() == [row["id"]]
    path = alice.cache.path
    with alice.cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path.with_name(f"{path.name}.bak-0006-20260101T000000").write_bytes(path.read_bytes())
    assert traces(sibling_files(path), [PEOPLE[0]]), "the test needs traces to start from"

    admin.ok(admin.post("/admin/assign", {"customer_ids": [row["id"]], "rm_id": book.rms["b"]}))
    report = alice.sync()
    assert report.evicted
    assert not alice.has("customer", row["id"])
    files = sibling_files(path)
    assert traces(files, [PEOPLE[0]]) == [], f"readable in {[p.name for p in files]}"
    # The other customers of the book are still there, and so are audit rows of others.
    assert alice.has("customer", book.customers["a1"])
