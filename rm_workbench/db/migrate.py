"""Schema migrations of the local cache, run at start-up.

Before a migration touches an existing cache, the file is checkpointed and copied
next to itself (``cache.db.bak-<revision>``), so a failed or unwanted migration can
always be undone by hand. A cache written by a newer workbench is refused, not
downgraded.
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from rm_workbench.db.engine import Cache
from rm_workbench.errors import CacheError, CacheTooNewError

log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    location = resources.files("rm_workbench.db").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


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
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    with cache.engine.connect() as conn:
        current = current_revision(conn)
        has_tables = bool(
            conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type='table'")).scalar()
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
