"""Schema migrations of the local cache, run at start-up.

Before a migration touches an existing cache, the file is checkpointed and copied
next to itself (``cache.db.bak-<revision>``), so a failed migration can be undone by
hand. The copy holds customers that may since have been reassigned away, so it lives
only until the new revision has opened: ``open_cache`` then deletes it (overwritten
first; :func:`rm_workbench.db.protect.purge_backups`). A cache written by a newer
workbench is refused, not downgraded.

Alembic is imported only when a migration has to run (or a revision is not one this
build ships): importing it costs a quarter of a second at every start, and a cache is
almost always at head already. That is decided by one query of ``alembic_version``
against the head read from the migration files' text (:func:`shipped_revisions`); a
test holds that reading to Alembic's own.

A migration is one SQLite transaction (:func:`migration_transaction`): pysqlite and
sqlcipher3 begin a transaction only before an INSERT, UPDATE or DELETE, so every
CREATE, DROP or ALTER before the first of those committed on its own, and a workbench
killed during its first migration left half a schema that no later start could migrate
("table … already exists"). Now a kill at any statement leaves the previous revision.
Files that the old code left half-migrated are repaired (:func:`drop_leftovers`).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, create_engine
from sqlalchemy.exc import OperationalError

from rm_workbench.db import protect
from rm_workbench.db.engine import Cache
from rm_workbench.errors import CacheError, CacheTooNewError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    location = resources.files("rm_workbench.db").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    """The migration scripts as Alembic reads them (it executes every file), once per
    process."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The head revision, as Alembic reads the migration scripts."""
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True)
class ShippedRevisions:
    revisions: frozenset[str]
    head: str


# ``revision: str = "0005"`` and ``down_revision: str | None = "0004"`` (or None), as
# Alembic's template writes them.
_REVISION = re.compile(r"""^revision\s*(?::[^=\n]*)?=\s*["']([^"'\n]+)["']\s*$""", re.M)
_DOWN_REVISION = re.compile(
    r"""^down_revision\s*(?::[^=\n]*)?=\s*(?:None|["']([^"'\n]+)["'])\s*$""", re.M
)


@lru_cache(maxsize=1)
def shipped_revisions() -> ShippedRevisions | None:
    """The revisions this build ships and their head, read from the text of the
    migration files without importing Alembic; None when the scripts are not one plain
    chain written the usual way (a merge, a branch, a revision computed in code): then
    Alembic decides, as it always may."""
    versions = resources.files("rm_workbench.db").joinpath("migrations", "versions")
    revisions: set[str] = set()
    parents: set[str] = set()
    roots = 0
    for entry in versions.iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        source = entry.read_text(encoding="utf-8")
        revision = _REVISION.findall(source)
        down = _DOWN_REVISION.findall(source)
        if len(revision) != 1 or len(down) != 1 or revision[0] in revisions:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
        else:
            roots += 1
    heads = revisions - parents
    if len(heads) != 1 or roots != 1 or not parents <= revisions:
        return None
    return ShippedRevisions(frozenset(revisions), heads.pop())


def stored_revisions(connection: Connection) -> list[str] | None:
    """The revisions in the cache's ``alembic_version`` (plain SQL); None when the
    table does not exist (a new or unversioned file)."""
    found = connection.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    ).scalar()
    if not found:
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars()
    return [str(v) for v in rows]


def is_at_head(connection: Connection) -> bool:
    """Whether the cache is at this build's head, known without importing Alembic."""
    shipped = shipped_revisions()
    return shipped is not None and stored_revisions(connection) == [shipped.head]


def backup_before_migration(cache: Cache, revision: str) -> Path:
    """Checkpoint the WAL into the main file and copy it aside; returns the copy."""
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    backup = cache.path.with_name(f"{cache.path.name}.bak-{revision}-{stamp}")
    shutil.copy2(cache.path, backup)
    protect.tighten_siblings(cache.path)
    log.info("cache %s copied to %s before migrating from %s", cache.path, backup, revision)
    return backup


def _foreign_key_breaks(conn: Connection) -> Counter[tuple[str, str]]:
    """Rows whose parent is missing, counted per (table, parent table)."""
    rows = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    return Counter((str(row[0]), str(row[2])) for row in rows)


@contextmanager
def migration_transaction(conn: Connection) -> Iterator[None]:
    """Run what the block does to ``conn`` as one SQLite transaction, with foreign
    keys off (SQLite's recipe for schema changes, which batch mode needs: dropping a
    copied table with foreign keys on deletes its rows first, and with them, through
    ``ON DELETE CASCADE``, its children's). A kill at any statement leaves the file as
    it was; an exception rolls everything back.

    pysqlite and sqlcipher3 open a transaction only before INSERT, UPDATE or DELETE,
    and ``PRAGMA foreign_keys`` is a no-op inside one; so the driver's own transaction
    handling is switched off for the block, foreign keys are switched off before an
    explicit ``BEGIN IMMEDIATE``, and both are restored after ``COMMIT``. The block
    must not commit, nor change ``journal_mode`` (SQLite refuses in a transaction).
    References a migration broke (a parent gone) fail it; ones the file already had
    are logged and left, so that an old fault cannot stop every later start.

    When ``conn`` is in a SQLite transaction already (the caller's, or this one
    nested: Alembic's env.py uses it too), the block simply runs in it.
    """
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if dbapi.in_transaction:
        yield
        return
    isolation = dbapi.isolation_level
    foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    dbapi.isolation_level = None
    try:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            before = _foreign_key_breaks(conn)
            if before:
                log.warning("cache has broken references before migrating: %s", dict(before))
            yield
            broken = _foreign_key_breaks(conn) - before
            if broken:
                raise CacheError(
                    "本地缓存升级失败：升级会破坏数据之间的关联，已撤销，原文件没有改动。"
                    "请联系技术支持。",
                    f"references broken by the migration (table, parent): {dict(broken)}",
                )
            conn.exec_driver_sql("COMMIT")
        except BaseException:
            if dbapi.in_transaction:  # SQLite may have rolled back already (disk full)
                conn.exec_driver_sql("ROLLBACK")
            raise
    finally:
        conn.exec_driver_sql(f"PRAGMA foreign_keys = {1 if foreign_keys else 0}")
        dbapi.isolation_level = isolation


# Batch mode copies a table into ``_alembic_tmp_<name>`` and renames the copy.
_BATCH_COPY = "_alembic_tmp_"


def schemas_at(*revisions: str | None) -> list[set[tuple[str, str]]]:
    """The (type, name) of every table and index a cache has at each of ``revisions``
    (in upgrade order; None: before the first), found by migrating an empty
    in-memory database."""
    from alembic import command

    engine = create_engine("sqlite://")
    found: list[set[tuple[str, str]]] = []
    try:
        with engine.begin() as conn, migration_transaction(conn):
            for revision in revisions:
                if revision is not None:
                    command.upgrade(alembic_config(conn), revision)
                rows = conn.exec_driver_sql(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')"
                    " AND name NOT LIKE 'sqlite_%'"
                ).all()
                found.append({(str(kind), str(name)) for kind, name in rows})
    finally:
        engine.dispose()
    return found


def drop_leftovers(conn: Connection, current: str | None, target: str) -> list[str]:
    """Drop what an interrupted, non-atomic migration (workbenches before migrations
    were one transaction) left in a cache at revision ``current``: the tables and
    indexes that the migrations to ``target`` create and that are there already, and
    batch mode's copies. Returns their names.

    Such a leftover was created by a statement that committed on its own, before the
    migration's first write of a row (from then on the old code was in one
    transaction too), so it holds no rows; one that does is not a leftover, and
    the cache is refused rather than losing it (CacheError).
    """
    here, there = schemas_at(current, target)
    rows = conn.exec_driver_sql(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')"
        " AND name NOT LIKE 'sqlite_%'"
    ).all()
    present = {(str(kind), str(name)) for kind, name in rows}
    leftovers = (present & (there - here)) | {
        (kind, name) for kind, name in present if kind == "table" and name.startswith(_BATCH_COPY)
    }
    tables = sorted(name for kind, name in leftovers if kind == "table")
    for table in tables:
        if conn.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first():
            raise CacheError(
                "本地缓存上次升级被中断，留下的数据表里已有数据，无法自动修复。"
                "原文件已备份，数据没有丢失。请联系技术支持。",
                f"table {table} is not at revision {current} and holds rows",
            )
    for table in tables:
        conn.exec_driver_sql(f'DROP TABLE "{table}"')
    indexes = sorted(name for kind, name in leftovers if kind == "index")
    for index in indexes:
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index}"')  # gone with its table
    return tables + indexes


def _migrate(cache: Cache, current: str | None, target: str, *, recover: bool) -> None:
    from alembic import command

    with cache.engine.begin() as conn, migration_transaction(conn):
        if recover:
            dropped = drop_leftovers(conn, current, target)
            log.warning("cache %s: dropped what a broken migration left: %s", cache.path, dropped)
        command.upgrade(alembic_config(conn), target)


def upgrade_cache(cache: Cache, target: str = "head") -> Path | None:
    """Bring the cache's schema to ``target`` in one transaction; returns the backup
    made, if any. A cache that a migration of an older workbench left half-done
    (its tables there, its revision not) is repaired and migrated."""
    if target == "head":
        with cache.engine.connect() as conn:
            if is_at_head(conn):
                return None
    known = {rev.revision for rev in script_directory().walk_revisions()}
    with cache.engine.connect() as conn:
        current = current_revision(conn)
        has_tables = bool(
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type='table'").scalar()
        )
    if current is not None and current not in known:
        raise CacheTooNewError(
            "本地缓存由更新版本的客户经理工作台创建，当前版本无法打开。请升级工作台。",
            f"cache revision {current} unknown to this build (head {head_revision()})",
        )
    wanted = head_revision() if target == "head" else target
    if current == wanted:
        return None
    backup = None
    if current is not None or has_tables:
        backup = backup_before_migration(cache, current or "unversioned")
    try:
        try:
            _migrate(cache, current, target, recover=False)
        except OperationalError as exc:
            if "already exists" not in str(exc.orig):
                raise
            log.warning(
                "cache %s: migrating from %s failed (%s), repairing", cache.path, current, exc.orig
            )
            _migrate(cache, current, target, recover=True)
    except CacheError as exc:
        if backup is not None:
            exc.details = f"backup: {backup}; {exc.details}"
        raise
    except Exception as exc:
        raise CacheError(
            "本地缓存升级失败，原文件已备份，数据没有丢失。请联系技术支持。",
            f"backup: {backup}; error: {exc!r}",
        ) from exc
    return backup
