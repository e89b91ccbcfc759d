"""A migration is all or nothing: a workbench killed at any statement of it leaves the
cache at its previous revision, and the next start migrates it (B7).

Kills run in forked children (the imports are the parent's, so a child costs a
migration, not a start-up) that SIGKILL themselves right after the N-th statement that
can change the file (DDL, rows, BEGIN/COMMIT, PRAGMA settings), for every N. After each
kill the file is looked at the way ``open_cache`` opens it, before it migrates
(``open_engine``): its revision must be the one before, and its whole
``sqlite_master`` that of a cache migrated to that revision (no stray table or
index). The next kill's child opens that same file with ``open_cache`` again — the
further open of the file the last kill left, WAL leftovers included — so every
start after a kill is one of the test's own, and the last one, not killed, must
bring the file to head. Kills after the COMMIT each get a fresh copy and must find
head. One chain of kills per start: on plain SQLite from a new file and from every
revision before head, on SQLCipher from a new file (every statement of every
migration); in forked workers, as many at a time as there are cores.

Files that the migrations of older workbenches (each CREATE committed on its own)
left half-done are repaired when opened, unless what was left holds rows.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import re
import shutil
import signal
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from alembic.util import pyfiles
from sqlalchemy import Connection, Engine, event

from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import open_engine
from rm_workbench.db.migrate import alembic_config, head_revision, stored_revisions, upgrade_cache
from rm_workbench.errors import CacheError
from tests.support.forking import wait_any, wait_child

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked children")

KEY = "ab" * 32
# A worker runs every kill of one migration chain (seconds each on a quiet machine).
WORKER_SECONDS = 900.0
HEAD = head_revision()
# None: a new profile (no file yet); then every revision before head, oldest first.
STARTS: list[str | None] = [None] + [
    rev.revision
    for rev in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))
    if rev.revision != HEAD
]

Schema = frozenset[tuple[str, str, str, str]]


def _normal(sql: str) -> str:
    """A table's CREATE with its columns and constraints in a fixed order: batch mode
    writes a copied table's constraints in an order of its own each time."""
    if not sql.startswith("CREATE TABLE"):
        return sql
    head, _, body = sql.partition("(")
    items = sorted(item.strip() for item in re.split(r",\s*\n", body.rstrip()[:-1]))
    return f"{head.replace('"', '')}({', '.join(items)})"


def _schema(conn: Connection) -> Schema:
    rows = conn.exec_driver_sql(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master"
    ).all()
    return frozenset((str(a), str(b), str(c), _normal(str(d))) for a, b, c, d in rows)


def _look(path: Path, key: str | None) -> tuple[str | None, Schema]:
    """The file's revision and schema, opened the way open_cache opens it, unmigrated."""
    cache = open_engine(path, key)
    try:
        with cache.engine.connect() as conn:
            revisions = stored_revisions(conn)
            assert revisions is None or len(revisions) <= 1, revisions
            return (revisions[0] if revisions else None), _schema(conn)
    finally:
        cache.dispose()


def _expect(path: Path, key: str | None, revision: str | None, schemas: Any, where: str) -> None:
    found, schema = _look(path, key)
    assert found == revision, f"{where}: revision {found}, expected {revision}"
    stray, missing = sorted(schema - schemas[revision]), sorted(schemas[revision] - schema)
    assert not stray and not missing, f"{where}: stray {stray[:3]}, missing {missing[:3]}"


def _open_to_head(path: Path, key: str | None, schemas: Any, where: str) -> None:
    cache = open_cache(path, key)
    try:
        with cache.engine.connect() as conn:
            assert stored_revisions(conn) == [HEAD], where
            assert _schema(conn) == schemas[HEAD], where
            assert conn.exec_driver_sql("PRAGMA quick_check").scalar() == "ok", where
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1, where
    finally:
        cache.dispose()


def _changes_the_file(statement: str) -> bool:
    words = statement.split(None, 1)
    verb = words[0].upper() if words else ""
    return verb != "SELECT" and not (verb == "PRAGMA" and "=" not in statement)


def _counted_statements(path: Path, key: str | None) -> list[str]:
    """The statements that can change the file, in order, of one uninterrupted open."""
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if _changes_the_file(statement):
            seen.append(statement.strip())

    event.listen(Engine, "after_cursor_execute", count)
    try:
        open_cache(path, key).dispose()
    finally:
        event.remove(Engine, "after_cursor_execute", count)
    return seen


def _kill(path: Path, key: str | None, kill_at: int) -> None:
    """Open the cache in a forked child that SIGKILLs itself right after the
    kill_at-th statement that can change the file (past the last: after open_cache)."""
    pid = os.fork()
    if pid == 0:
        gc.disable()  # a collection would touch, and so copy, every page of the parent's
        try:
            done = 0

            def count(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
                nonlocal done
                if _changes_the_file(statement):
                    done += 1
                    if done == kill_at:
                        os.kill(os.getpid(), signal.SIGKILL)

            event.listen(Engine, "after_cursor_execute", count)
            open_cache(path, key)
            os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(3)  # not killed: open_cache raised
    status = wait_child(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
        f"the open to be killed at statement {kill_at} failed (status {status})"
    )


def _kill_chain(root: Path, key: str | None, revision: str | None, schemas: Any) -> None:
    """Every kill of a migration from ``revision``; runs in a forked worker."""
    flavor = "sqlcipher" if key else "plain"
    template = root / f"{flavor}-{revision}.db"
    if revision is not None:
        cache = open_engine(template, key)
        upgrade_cache(cache, target=revision)
        cache.dispose()  # the last connection's close checkpoints the WAL into the file

    def fresh(name: str) -> Path:
        path = root / f"{flavor}-{revision}-{name}.db"
        if revision is not None:
            shutil.copy(template, path)
        return path

    statements = _counted_statements(fresh("count"), key)
    # Some migration ran (the last one may only add columns).
    assert any(s.upper().startswith(("CREATE", "ALTER")) for s in statements), statements
    # Kills up to the migration's COMMIT must leave the start; the ones after, head.
    committed = statements.index("COMMIT") + 1 if "COMMIT" in statements else None
    path = fresh("chain")
    for kill_at in range(1, (committed or len(statements) + 1)):
        _kill(path, key, kill_at)
        _expect(path, key, revision, schemas, f"{flavor} from {revision}, killed at {kill_at}")
    _open_to_head(path, key, schemas, f"{flavor} from {revision}, after every kill")
    for kill_at in range(committed or len(statements) + 1, len(statements) + 2):
        path = fresh(f"after-{kill_at}")
        where = f"{flavor} from {revision}, killed at {kill_at} (committed)"
        _kill(path, key, kill_at)
        _expect(path, key, HEAD, schemas, where)
        _open_to_head(path, key, schemas, where)


def _in_forked_workers(jobs: list[Callable[[], None]], reports: Path) -> list[str]:
    """Runs each job in a forked worker, as many at a time as there are cores;
    returns the failures' tracebacks."""
    failures: list[str] = []
    running: dict[int, Path] = {}
    started: dict[int, float] = {}

    def reap() -> None:
        pid, status = wait_any(started, WORKER_SECONDS)
        report = running.pop(pid)
        del started[pid]
        if os.waitstatus_to_exitcode(status) != 0:
            failures.append(report.read_text() if report.exists() else f"worker: {status}")

    for number, job in enumerate(jobs):
        while len(running) >= (os.cpu_count() or 2):
            reap()
        report = reports / f"report-{number}.txt"
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                job()
                code = 0
            except BaseException:
                report.write_text(traceback.format_exc())
            finally:
                os._exit(code)
        running[pid] = report
        started[pid] = time.monotonic()
    while running:
        reap()
    return failures


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Schema]:
    """sqlite_master of a cache at each revision (the same for both flavors)."""
    found: dict[str | None, Schema] = {None: frozenset()}
    root = tmp_path_factory.mktemp("schemas")
    for revision in [*STARTS[1:], HEAD]:
        cache = open_engine(root / f"{revision}.db")
        upgrade_cache(cache, target=revision)
        with cache.engine.connect() as conn:
            found[revision] = _schema(conn)
        cache.dispose()
    return found


def _compiled_once(module_id: str, path: str | os.PathLike[str]) -> ModuleType:
    """Alembic's ``load_module_py`` (a fresh module, the file's code run in it), with
    each file compiled once per run, as its ``.pyc`` would be: the tests run without
    bytecode files, and every kill's child loads every migration script again."""
    code = _CODE.get(str(path))
    if code is None:
        code = _CODE[str(path)] = compile(Path(path).read_bytes(), str(path), "exec")
    spec = importlib.util.spec_from_file_location(module_id, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(code, module.__dict__)
    return module


_CODE: dict[str, CodeType] = {}


def test_a_kill_at_any_statement_leaves_the_previous_revision(
    tmp_path: Path, schemas: dict[str | None, Schema], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyfiles, "load_module_py", _compiled_once)
    # The longest chains first, so that the last ones to finish are short.
    starts = [(None, None), (KEY, None)] + [(None, r) for r in STARTS[1:]]
    jobs: list[Callable[[], None]] = [
        lambda k=key, r=revision: _kill_chain(tmp_path, k, r, schemas) for key, revision in starts
    ]
    failures = _in_forked_workers(jobs, tmp_path)
    assert not failures, f"{len(failures)} of {len(jobs)} starts:\n" + "\n".join(failures)


# --- caches the non-atomic migrations of older workbenches left half-done ---------


def _half_migrated(
    path: Path, revision: str | None, schemas: Any, created: int, *, version_table: bool = True
) -> None:
    """A cache at ``revision`` plus the first ``created`` tables (with their indexes)
    that the next revision adds, as an older workbench killed before the migration's
    first row left it: each of those CREATEs had committed on its own, nothing else
    (before the first migration, Alembic's empty version table was one of them)."""
    after = [*STARTS, HEAD][STARTS.index(revision) + 1]
    model = path.with_name(f"model-{after}.db")
    cache = open_engine(model)
    upgrade_cache(cache, target=after)
    with cache.engine.connect() as conn:
        creates = conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            " ORDER BY name"
        ).all()
    cache.dispose()
    new = {name for _, name, _, _ in schemas[after] - schemas[revision]}
    added = [row for row in creates if row[1] in new]
    tables = [r for r in added if r[0] == "table" and r[1] != "alembic_version"][:created]
    if revision is None and version_table:
        tables.insert(0, next(r for r in added if r[1] == "alembic_version"))
    names = {r[1] for r in tables}
    indexes = [r for r in added if r[0] == "index" and r[2] in names]
    cache = open_engine(path)
    if revision is not None:
        upgrade_cache(cache, target=revision)
    with cache.engine.begin() as conn:
        for row in tables + indexes:
            conn.exec_driver_sql(row[3])
    cache.dispose()


@pytest.mark.parametrize(
    ("revision", "created", "version_table"),
    [
        (None, 1, True),
        (None, 1, False),
        (None, 7, True),
        (None, 100, True),
        ("0001", 1, True),
        ("0004", 1, True),
    ],
    ids=["first-1", "first-1-no-version-table", "first-7", "first-all", "0001", "0004"],
)
def test_a_cache_an_older_migration_left_half_done_is_repaired(
    cache_path: Path,
    revision: str | None,
    created: int,
    version_table: bool,
    schemas: dict[str | None, Schema],
) -> None:
    _half_migrated(cache_path, revision, schemas, created, version_table=version_table)
    left, schema = _look(cache_path, None)
    assert left == revision and schema != schemas[revision]
    cache = open_cache(cache_path)
    try:
        with cache.engine.connect() as conn:
            assert stored_revisions(conn) == [HEAD]
            assert _schema(conn) == schemas[HEAD]
    finally:
        cache.dispose()


def test_a_batch_copy_an_older_migration_left_is_dropped(
    cache_path: Path, schemas: dict[str | None, Schema]
) -> None:
    cache = open_engine(cache_path)
    upgrade_cache(cache, target="0005")
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE _alembic_tmp_account (id VARCHAR(36) PRIMARY KEY)")
    cache.dispose()
    cache = open_cache(cache_path)
    try:
        with cache.engine.connect() as conn:
            assert stored_revisions(conn) == [HEAD]
            assert _schema(conn) == schemas[HEAD]
    finally:
        cache.dispose()


def test_a_half_done_cache_whose_leftovers_hold_rows_is_refused_untouched(
    cache_path: Path, schemas: dict[str | None, Schema]
) -> None:
    _half_migrated(cache_path, None, schemas, 100)
    cache = open_engine(cache_path)
    with cache.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO branch (code, name, id, created_at, updated_at)"
            " VALUES ('B1', '总行营业部', 'b1', '2026-01-01', '2026-01-01')"
        )
    cache.dispose()
    before = _look(cache_path, None)
    with pytest.raises(CacheError, match="已有数据") as info:
        open_cache(cache_path)
    assert "branch" in info.value.details and "backup" in info.value.details
    assert _look(cache_path, None) == before
