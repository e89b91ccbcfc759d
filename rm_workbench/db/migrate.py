"""Schema migrations of the local cache, run at start-up.

Before a migration touches an existing cache, the file is checkpointed and copied
next to itself (``cache.db.bak-<revision>``), so a failed or unwanted migration can
always be undone by hand. A cache written by a newer workbench is refused, not
downgraded.

Alembic is imported only when a migration has to run (or a revision is not one this
build ships): importing it costs a quarter of a second at every start, and a cache is
almost always at head already. That is decided by one query of ``alembic_version``
against the head read from the migration files' text (:func:`shipped_revisions`); a
test holds that reading to Alembic's own.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from rm_workbench.db.engine import Cache
from rm_workbench.errors import CacheError, CacheTooNewError

if TYPE_CHECKING:
    from alembic.config import Config

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


def head_revision() -> str:
    """The head revision, as Alembic reads the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
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
    log.info("cache %s copied to %s before migrating from %s", cache.path, backup, revision)
    return backup


def upgrade_cache(cache: Cache, target: str = "head") -> Path | None:
    """Bring the cache's schema to ``target``; returns the backup made, if any."""
    if target == "head":
        with cache.engine.connect() as conn:
            if is_at_head(conn):
                return None
    from alembic import command
    from alembic.script import ScriptDirectory

    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
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
        with cache.engine.begin() as conn:
            command.upgrade(alembic_config(conn), target)
    except CacheError:
        raise
    except Exception as exc:
        raise CacheError(
            "本地缓存升级失败，原文件已备份，数据没有丢失。请联系技术支持。",
            f"backup: {backup}; error: {exc!r}",
        ) from exc
    return backup
