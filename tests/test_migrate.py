"""Start-up's migration check: Alembic only when the cache is not at head."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import open_engine
from rm_workbench.db.migrate import (
    alembic_config,
    head_revision,
    is_at_head,
    shipped_revisions,
    stored_revisions,
    upgrade_cache,
)

# Opens the cache the way start-up does, then says what it found and imported.
_OPEN = """
import json, sys
from rm_workbench.db.cache import open_cache
from rm_workbench.db.migrate import stored_revisions
cache = open_cache(sys.argv[1])
with cache.engine.connect() as conn:
    revisions = stored_revisions(conn)
cache.dispose()
print(json.dumps({"alembic": "alembic" in sys.modules, "revisions": revisions}))
"""


def _open_in_a_fresh_process(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN, str(path)], capture_output=True, text=True, check=True
    )
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_shipped_revisions_agree_with_alembic() -> None:
    shipped = shipped_revisions()
    assert shipped is not None, "the migration files must stay one plain chain"
    scripts = ScriptDirectory.from_config(alembic_config())
    assert shipped.revisions == {rev.revision for rev in scripts.walk_revisions()}
    assert shipped.head == head_revision()


def test_a_cache_at_head_is_opened_without_alembic(cache_path: Path) -> None:
    open_cache(cache_path).dispose()
    found = _open_in_a_fresh_process(cache_path)
    assert found == {"alembic": False, "revisions": [head_revision()]}


def test_a_cache_at_an_older_revision_is_upgraded_on_open(cache_path: Path) -> None:
    first = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())[-1].revision
    assert first != head_revision()
    cache = open_engine(cache_path)
    upgrade_cache(cache, target=first)
    with cache.engine.connect() as conn:
        assert stored_revisions(conn) == [first]
        assert not is_at_head(conn)
    cache.dispose()
    found = _open_in_a_fresh_process(cache_path)
    assert found == {"alembic": True, "revisions": [head_revision()]}
    # Copied before migrating (upgrade_cache returns the copy: tests/test_cache.py),
    # and deleted once the new revision opened (issue 13: backups keep customers
    # reassigned away).
    assert not list(cache_path.parent.glob("cache.db.bak-*"))


def test_an_empty_file_is_not_at_head(cache_path: Path) -> None:
    cache = open_engine(cache_path)
    try:
        with cache.engine.connect() as conn:
            assert stored_revisions(conn) is None
            assert not is_at_head(conn)
    finally:
        cache.dispose()


def test_0006_turns_the_numbers_into_unique_indexes_and_keeps_every_row(
    cache_path: Path,
) -> None:
    from rm_demo.cache import load_demo_book

    tables = ["customer", "account", "contact_log", "visit", "need", "customer_search"]
    cache = open_engine(cache_path)
    upgrade_cache(cache, target="0005")
    load_demo_book(cache)
    with cache.engine.connect() as conn:
        before = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}
        logs = conn.exec_driver_sql("SELECT * FROM contact_log ORDER BY id").all()
    cache.dispose()
    cache = open_cache(cache_path)
    try:
        with cache.engine.connect() as conn:
            assert stored_revisions(conn) == [head_revision()]
            after = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}
            assert after == before and before["contact_log"] > 0
            assert conn.exec_driver_sql("SELECT * FROM contact_log ORDER BY id").all() == logs
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            for table, column in (
                ("account", "account_no"),
                ("contact_log", "contact_no"),
                ("visit", "visit_no"),
            ):
                sql = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
                ).scalar()
                assert f"uq_{table}" not in sql and "FOREIGN KEY" in sql
                index = conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE name = ?", (f"ix_{table}_{column}",)
                ).scalar()
                assert index == f"CREATE UNIQUE INDEX ix_{table}_{column} ON {table} ({column})"
    finally:
        cache.dispose()
