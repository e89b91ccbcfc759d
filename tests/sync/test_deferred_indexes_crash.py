"""A bootstrap's deferred indexes survive a kill while they are dropped.

Found by reading the migration kill test's neighbour (issue 12, B7's root cause):
``defer_indexes`` dropped the indexes first and recorded them after, and pysqlite runs
a DDL statement outside a transaction on its own, so each DROP INDEX committed at
once. A device killed between a drop and the record lost that index for good: the
record that ``open_cache`` restores from did not name it (a unique number's index,
too, so duplicates could come in unchecked).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import event

from rm_contract.policy import SYNCED_TABLES
from rm_workbench.db.bulk import defer_indexes
from rm_workbench.db.cache import open_cache
from tests.support.forking import wait_child

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked child")


def _indexes(path: Path) -> set[str]:
    cache = open_cache(path)
    try:
        with cache.engine.connect() as conn:
            return set(
                conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                ).scalars()
            )
    finally:
        cache.dispose()


@pytest.mark.parametrize("kill_after", [1, 2, 5])
def test_a_kill_between_the_drops_leaves_every_index_to_come_back(
    tmp_path: Path, kill_after: int
) -> None:
    path = tmp_path / "cache.db"
    expected = _indexes(path)
    assert len(expected) > kill_after
    pid = os.fork()
    if pid == 0:  # the child: a bootstrap starting, killed after the n-th drop
        try:
            cache = open_cache(path)
            drops = 0

            def after(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
                nonlocal drops
                if statement.startswith("DROP INDEX"):
                    drops += 1
                    if drops == kill_after:
                        os.kill(os.getpid(), signal.SIGKILL)

            event.listen(cache.engine, "after_cursor_execute", after)
            with cache.engine.begin() as conn:
                defer_indexes(conn, SYNCED_TABLES)
        finally:
            os._exit(3)  # not reached: killed above
    status = wait_child(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    # Opened again (open_cache restores what is recorded as deferred): every index is
    # there, whichever statement the kill came after.
    assert _indexes(path) == expected
