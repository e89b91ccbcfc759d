"""The local cache file: migrations, encryption at rest, and every way opening it can fail."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from keyring.backends.fail import Keyring as FailKeyring
from sqlalchemy import select, text

from rm_contract.vocabulary import CustomerCategory, LifecycleStatus
from rm_workbench.db.cache import open_cache, open_profile_cache
from rm_workbench.db.engine import Cache, is_plain_sqlite, open_engine
from rm_workbench.db.migrate import alembic_config, current_revision, head_revision, upgrade_cache
from rm_workbench.errors import (
    CacheCorruptError,
    CacheKeyError,
    CachePasswordRequired,
    CacheTooNewError,
    DiskFullError,
)
from rm_workbench.models import Base, Customer, Product

try:
    from rm_workbench.db.search import SEARCH_INTERNAL_TABLES
except ImportError:  # before the search index exists
    SEARCH_INTERNAL_TABLES = frozenset()

KEY = "ab" * 32


def _include(obj, name, type_, reflected, compare_to):
    # Tables the search index keeps outside the models (virtual tables and their
    # shadow tables) are not the models' business.
    internal = name == "alembic_version" or any(
        name and name.startswith(t) for t in SEARCH_INTERNAL_TABLES
    )
    return not (type_ == "table" and internal)


def _customer(name: str = "张三丰", no: str = "C0000000001") -> Customer:
    return Customer(
        customer_no=no,
        category=CustomerCategory.INDIVIDUAL,
        name=name,
        id_number="110105194912310021",
        birth_date=date(1949, 12, 31),
        mobile_phone="13800138000",
        aum=Decimal("1234567.89"),
        lifecycle_status=LifecycleStatus.ACTIVE,
    )


def test_models_and_migrations_agree(cache: Cache) -> None:
    with cache.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": _include, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_new_cache_is_wal_with_foreign_keys(cache: Cache) -> None:
    with cache.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert current_revision(conn) == head_revision()


def test_foreign_keys_are_enforced(cache: Cache) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), cache.session() as session:
        customer = _customer()
        customer.rm_id = "no-such-rm"
        session.add(customer)


def test_money_and_times_round_trip_exactly(cache: Cache) -> None:
    with cache.session() as session:
        session.add(_customer())
        session.add(
            Product(
                code="TD1Y", name="一年定期", product_type="time_deposit", rate=Decimal("0.0145")
            )
        )
    with cache.session() as session:
        customer = session.scalars(select(Customer)).one()
        product = session.scalars(select(Product)).one()
        assert customer.aum == Decimal("1234567.89")
        assert isinstance(customer.aum, Decimal)
        assert customer.created_at.tzinfo is not None
        assert product.rate == Decimal("0.0145")


def test_float_money_is_refused(cache: Cache) -> None:
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="float"), cache.session() as session:
        customer = _customer()
        customer.aum = 0.1  # type: ignore[assignment]
        session.add(customer)


def test_naive_datetime_is_refused(cache: Cache) -> None:
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="naive"), cache.session() as session:
        customer = _customer()
        customer.created_at = datetime(2026, 1, 1)
        session.add(customer)


def test_upgrade_from_first_migration_keeps_data(cache_path: Path) -> None:
    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    first = revisions[-1].revision
    cache = open_engine(cache_path)
    upgrade_cache(cache, target=first)
    now = datetime(2026, 11, 1, 9, 30, tzinfo=UTC).isoformat()
    with cache.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer (id, customer_no, category, name, id_number, mobile_phone,"
                " lifecycle_status, aum, contribution, deleted, created_at, updated_at)"
                " VALUES ('c1', 'C0000000001', 'individual', '张三丰', '110105194912310021',"
                " '13800138000', 'active', 123456789, 0, 0, :now, :now)"
            ),
            {"now": now},
        )
    backup = upgrade_cache(cache)  # what start-up does: copy, migrate to head
    if first != head_revision():
        assert backup is not None and is_plain_sqlite(backup), "copied before a migration"
        assert backup.stat().st_mode & 0o777 == 0o600
    cache.dispose()

    reopened = open_cache(cache_path)  # the new revision opens: the copy expires
    try:
        with reopened.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
        with reopened.session() as session:
            customer = session.get(Customer, "c1")
            assert customer is not None
            assert customer.name == "张三丰"
            assert customer.aum == Decimal("1234567.89")
        assert not list(cache_path.parent.glob("cache.db.bak-*"))
    finally:
        reopened.dispose()


def test_cache_from_a_newer_workbench_is_refused(cache: Cache) -> None:
    with cache.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(CacheTooNewError, match="更新版本"):
        upgrade_cache(cache)


def test_encrypted_cache_holds_no_readable_customer_data(cache_path: Path) -> None:
    cache = open_cache(cache_path, KEY)
    with cache.session() as session:
        session.add(_customer("欧阳春晓"))
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.dispose()
    raw = b"".join(p.read_bytes() for p in cache_path.parent.glob("cache.db*"))
    assert "欧阳春晓".encode() not in raw
    assert b"13800138000" not in raw
    assert b"110105194912310021" not in raw
    assert not is_plain_sqlite(cache_path)

    reopened = open_cache(cache_path, KEY)
    with reopened.session() as session:
        assert session.scalars(select(Customer.name)).one() == "欧阳春晓"
    reopened.dispose()


def test_wrong_key_gives_a_clear_error_and_leaves_the_file(cache_path: Path) -> None:
    cache = open_cache(cache_path, KEY)
    with cache.session() as session:
        session.add(_customer())
    cache.dispose()
    before = cache_path.read_bytes()
    with pytest.raises(CacheKeyError, match="密钥不对") as info:
        open_cache(cache_path, "cd" * 32)
    assert info.value.details
    with pytest.raises(CacheKeyError, match="找不到它的密钥"):
        open_cache(cache_path, None)
    assert cache_path.read_bytes() == before
    reopened = open_cache(cache_path, KEY)  # the right key still works afterwards
    reopened.dispose()


def test_corrupt_cache_gives_a_clear_error_and_is_kept(cache_path: Path) -> None:
    cache = open_cache(cache_path)
    with cache.session() as session:
        for i in range(300):
            session.add(_customer(f"客户{i}", f"C{i:010d}"))
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.dispose()
    data = bytearray(cache_path.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 6)):
        data[offset] = 0xA5  # scribble over b-tree pages, keep the header
    cache_path.write_bytes(bytes(data))
    damaged = cache_path.read_bytes()
    with pytest.raises(CacheCorruptError, match="已损坏"):
        open_cache(cache_path)
    assert cache_path.read_bytes() == damaged, "a corrupt cache must be left as it was"


def test_garbage_file_is_reported_not_crashed(cache_path: Path) -> None:
    cache_path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(CacheKeyError):
        # No SQLite header: it looks encrypted, and no key was found for it.
        open_cache(cache_path)
    with pytest.raises(CacheKeyError, match="密钥不对"):
        open_cache(cache_path, KEY)


def test_full_disk_is_a_clear_error_and_keeps_saved_data(cache: Cache) -> None:
    with cache.session() as session:
        session.add(_customer("已保存客户", "C0000000001"))
    with cache.engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()
    # Cap the file at its current size: the next big write hits SQLITE_FULL, as on a
    # full disk. max_page_count is per connection, so set it on every new one.
    from sqlalchemy import event

    def cap(dbapi_connection, _record):
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(cache.engine, "connect", cap)
    cache.engine.dispose()
    with pytest.raises(DiskFullError, match="磁盘已满"), cache.session() as session:
        for i in range(2000):
            customer = _customer(f"新客户{i}", f"N{i:010d}")
            customer.notes = "备注" * 200
            session.add(customer)
    event.remove(cache.engine, "connect", cap)
    cache.engine.dispose()
    with cache.session() as session:
        names = session.scalars(select(Customer.name)).all()
    assert names == ["已保存客户"]


def test_profile_cache_is_encrypted_with_a_key_from_the_keyring(
    tmp_path: Path, memory_keyring
) -> None:
    path = tmp_path / "profile.db"
    opened = open_profile_cache(path, "rm001")
    assert opened.warning is None
    assert opened.cache.encrypted
    opened.cache.dispose()
    assert not is_plain_sqlite(path)
    assert ("rm-workbench", "cache-key:rm001") in memory_keyring.store
    again = open_profile_cache(path, "rm001")
    assert again.cache.encrypted
    again.cache.dispose()


def test_no_keyring_asks_for_the_password_or_opens_plain_only_when_told(
    tmp_path: Path,
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        path = tmp_path / "profile.db"
        with pytest.raises(CachePasswordRequired, match="密钥库"):
            open_profile_cache(path, "rm001")
        opened = open_profile_cache(path, "rm001", encrypt=False)
        assert opened.warning is not None and "未加密" in opened.warning
        assert not opened.cache.encrypted
        opened.cache.dispose()
        shutil.copy(path, tmp_path / "copy.db")
        # An encrypted cache whose key store vanished: clear error, file untouched.
        keyring.set_keyring(previous)
        enc = open_profile_cache(tmp_path / "enc.db", "rm002")
        enc.cache.dispose()
        keyring.set_keyring(FailKeyring())
        with pytest.raises(CacheKeyError, match="密钥库不可用"):
            open_profile_cache(tmp_path / "enc.db", "rm002")
    finally:
        keyring.set_keyring(previous)
