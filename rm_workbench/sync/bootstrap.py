"""The bootstrap: the first (or a repeated) full download of a cache, snapshot pages
table by table.

Held here, apart from the round's orchestration in :mod:`rm_workbench.sync.engine`
(hello, push, pull, conflicts, verify), because it is a machine of its own: the
snapshot reader that downloads ahead on a thread, the connection it holds with its
pragmas, the deferred indexes (:func:`~rm_workbench.db.bulk.defer_indexes` /
:func:`~rm_workbench.db.bulk.restore_indexes`), the staging copy (``STAGED``) of a
re-bootstrap and its swap, the search index rebuilt at the swap, and the resumable
position in sync_state (``BOOT_*``). :class:`Bootstrap` is the base class of
:class:`~rm_workbench.sync.engine.SyncEngine`: the engine's ``run`` calls
:meth:`Bootstrap.bootstrap`, which uses the engine's cache, client, writer lane and
progress, and its ``_apply_rows`` (shared with the pull). Its knobs
(``SNAPSHOT_LIMIT``, ``READ_AHEAD`` …) stay attributes of the engine, set per
instance by the tests and benchmarks.

Transaction rules (with those of the engine's docstring):

* Bootstrap is resumable: each snapshot page is stored with its position, so an
  interrupted bootstrap redoes at most one page. Its pages' parents are checked by
  the engine before the insert (rows whose parent is not here are left to the pull),
  a table's indexes, unique ones included, are built after its last page, and a
  number that came twice fails it and makes the next sync start over.
* A re-bootstrap (a cache that holds anything) never empties the workbench: the pages
  go into a staging copy, and the copy replaces the synced tables in ONE transaction
  once it is complete (:meth:`Bootstrap.bootstrap`); until then the RM reads and
  edits the old data, and edits still queued then survive the swap as a pull would
  keep them. Only a first bootstrap into an empty cache writes in place.
* Every transaction goes through the engine's ``writer`` (the UI's one writer lane);
  each download waits outside it.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import Column, Connection, MetaData, Table, delete
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateTable

from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import ColumnarSnapshotPage, HelloResponse, SnapshotPage
from rm_workbench.db.bulk import defer_indexes, restore_indexes
from rm_workbench.db.engine import Cache, Writer
from rm_workbench.db.search import TABLE as SEARCH_TABLE
from rm_workbench.db.search import rebuild_index
from rm_workbench.domain.names import warm_up_readings
from rm_workbench.errors import ServerAnswerError
from rm_workbench.models import Base, SyncState
from rm_workbench.sync.base import (
    CONFLICTS,
    CURSOR,
    OUTBOX,
    REBOOTSTRAP,
    STATE,
    _bad_answer,
    _get_state,
    _out_of_scope,
    _set_state,
)
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.outbox import pending_fields

if TYPE_CHECKING:
    from rm_workbench.sync.engine import Progress, SyncReport

log = logging.getLogger(__name__)

# Where the bootstrap in progress stands (sync_state keys; the staging copy has its own).
BOOT_SEQ = "bootstrap_seq"
BOOT_TABLE = "bootstrap_table"
BOOT_AFTER = "bootstrap_after_id"
# "1": the bootstrap in progress downloads into the staging copy (a re-bootstrap).
BOOT_STAGED = "bootstrap_staged"


# The staging copy of a re-bootstrap: a database file next to the cache, ATTACHed to
# the bootstrap's connection under this name (see Bootstrap.bootstrap), holding the
# synced tables (without secondary indexes) and a sync_state of its own (the position).
STAGING = "staging"
_STAGING_METADATA = MetaData()
STAGED: dict[str, Table] = {
    table.name: table.to_metadata(_STAGING_METADATA, schema=STAGING)
    for table in Base.metadata.sorted_tables
    if table.name in SYNCED_TABLES or table.name == SyncState.__tablename__
}
STAGED_STATE = STAGED[SyncState.__tablename__]

AnyPage = SnapshotPage | ColumnarSnapshotPage


def _checkpoint(conn: Connection) -> None:
    """The one WAL checkpoint after a bootstrap's pages (``ONE_CHECKPOINT``)."""
    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").close()


def _missing(conn: Connection, column: Column[Any], wanted: set[Any]) -> set[Any]:
    """Which of ``wanted`` (values of a key column) the cache does not hold: one
    statement with the values as one JSON parameter, whatever their number (an ``IN``
    list would be compiled anew for every page), answering only the missing ones
    (almost always none)."""
    if not wanted:
        return set()
    table = column.table
    schema = getattr(table, "schema", None)
    name = f'"{schema}"."{table.name}"' if schema else f'"{table.name}"'
    sql = (
        f"SELECT value FROM json_each(?) WHERE NOT EXISTS (SELECT 1 FROM {name}"
        f' WHERE "{column.name}" = value)'
    )
    return set(conn.exec_driver_sql(sql, (json.dumps(list(wanted)),)).scalars())


def _with_parents(
    conn: Connection, table: str, rows: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The wire rows whose parents (the rows their foreign keys name) the cache holds."""
    kept = list(rows)
    for fk in Base.metadata.tables[table].foreign_keys:
        name = fk.parent.name
        wanted = {row[name] for row in kept if row.get(name) is not None}
        missing = _missing(conn, fk.column, wanted)
        if missing:
            kept = [row for row in kept if row.get(name) not in missing]
    return kept


def _arrays_with_parents(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    schema: str | None = None,
) -> Sequence[Sequence[Any]]:
    """:func:`_with_parents` for a columnar page's value arrays (``rows`` itself when
    every parent is here, the common case); ``schema``: the parents are looked for in
    the staging copy."""
    kept = rows
    target = STAGED[table] if schema == STAGING else Base.metadata.tables[table]
    for fk in target.foreign_keys:
        if fk.parent.name not in columns:
            continue
        at = list(columns).index(fk.parent.name)
        wanted = set(map(itemgetter(at), kept))
        wanted.discard(None)
        missing = _missing(conn, fk.column, wanted)
        if missing:
            kept = [row for row in kept if row[at] not in missing]
    return kept


@dataclass(frozen=True)
class ColumnarRows:
    """A columnar snapshot page's rows for :meth:`SyncEngine._apply_rows`: the column
    names once and a value array per row (``len`` is the number of rows)."""

    columns: Sequence[str]
    arrays: Sequence[Sequence[Any]]
    # STAGING: the rows go into the staging copy of a re-bootstrap (no search terms:
    # those are made for the whole copy when it replaces the cache's tables).
    schema: str | None = None

    def __len__(self) -> int:
        return len(self.arrays)


def _page_ids(page: AnyPage) -> tuple[Any, Any]:
    """The first and last row ids of a snapshot page (None, None: no rows; a row
    without an id gives None)."""
    if not page.rows:
        return None, None
    if isinstance(page, SnapshotPage):
        return page.rows[0].get("id"), page.rows[-1].get("id")
    if "id" not in page.columns:
        return None, None
    at = page.columns.index("id")
    return page.rows[0][at], page.rows[-1][at]


def _as_columnar(page: SnapshotPage) -> ColumnarSnapshotPage:
    """A protocol 1 page as a columnar one (for the staging copy, which is written
    through the columnar loader only). Its rows must share one set of columns."""
    columns = list(page.rows[0]) if page.rows else []
    if any(row.keys() != page.rows[0].keys() for row in page.rows):
        raise _bad_answer("一页的记录字段不一致", f"{page.table}: rows of different columns")
    return ColumnarSnapshotPage.model_construct(
        table=page.table,
        snapshot_seq=page.snapshot_seq,
        columns=columns,
        rows=[[row[name] for name in columns] for row in page.rows],
        next_after_id=page.next_after_id,
    )


class _SnapshotReader:
    """Snapshot pages of ``tables`` in order, from ``after`` on; with ``ahead`` > 0,
    the pages are downloaded (and parsed) in a thread of their own while the caller
    applies the ones before, never more than ``ahead`` pages ahead. Without it, pages
    are downloaded when asked for. The client is used by this reader only while it
    runs; ``close`` waits for a download in flight (the client is not thread-safe)."""

    def __init__(
        self,
        client: SyncClient,
        tables: Sequence[str],
        after: str | None,
        limit: int,
        *,
        ahead: int,
    ) -> None:
        self._client = client
        self._tables = list(tables)
        self._after = after
        self._limit = limit
        self._queue: queue.Queue[tuple[str, AnyPage] | BaseException | None] = queue.Queue()
        # Taken per download, given back per page used.
        self._slot = threading.Semaphore(max(1, ahead))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if ahead > 0 and self._tables:
            self._thread = threading.Thread(target=self._run, name="snapshot-read-ahead")
            self._thread.start()

    def _pages(self) -> Iterator[tuple[str, AnyPage]]:
        after = self._after
        for name in self._tables:
            seen: set[str] = set()
            while True:
                page = self._client.snapshot(name, after, self._limit)
                self._check(name, after, page, seen)
                yield name, page
                after = page.next_after_id
                if after is None:
                    break

    def _check(self, name: str, after: str | None, page: AnyPage, seen: set[str]) -> None:
        """A page must be the table asked for, no longer than asked, and make progress:
        the table ends, or the next position is this page's last row (and was never
        a position of this table before: a server going round in circles stops)."""
        where = f"{name} after {after!r:.60}"
        if page.table != name:
            raise _bad_answer("返回了错误的数据表", f"asked {where}, got {page.table!r:.60}")
        if len(page.rows) > self._limit:
            raise _bad_answer("一页的记录超过了请求的数量", f"{where}: {len(page.rows)} rows")
        following = page.next_after_id
        if following is None:
            return
        _first, last = _page_ids(page)
        if following != last or following == after or following in seen:
            raise _bad_answer(
                "分页没有前进", f"{where}: next_after_id {following!r:.60}, last row {last!r:.60}"
            )
        seen.add(following)

    def _run(self) -> None:
        try:
            pages = self._pages()
            while True:
                self._slot.acquire()
                if self._stop.is_set():
                    return
                item = next(pages, None)
                self._queue.put(item)
                if item is None:
                    return
        except BaseException as exc:  # handed to the caller's thread
            self._queue.put(exc)

    def __iter__(self) -> Iterator[tuple[str, AnyPage]]:
        if self._thread is None:
            yield from self._pages()
            return
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            self._slot.release()  # the reader may fetch the next page now
            yield item

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._slot.release()
            self._thread.join()


class Bootstrap:
    """Fills a cache from snapshot pages; the base of
    :class:`~rm_workbench.sync.engine.SyncEngine`, which provides what is declared
    below (set in its ``__init__``) and runs :meth:`bootstrap` within a sync."""

    # The service's maximum: a page is one local transaction and one request, and
    # 10,000 rows measured ~15% less CPU than 5,000 on both sides of a 5k-book
    # bootstrap (bench/bench_bootstrap.py), at most a few seconds to redo.
    SNAPSHOT_LIMIT = 10_000
    # Download the next snapshot pages while applying this one: the service builds a
    # page while the cache writes the previous one (bench/bench_bootstrap.py).
    READ_AHEAD = True
    # Pages downloaded ahead at most (each ~4 MB of parsed rows): more than one lets
    # the downloads run on while a slow page (customers: search readings) or a
    # table's index build is applied, and catch up later.
    READ_AHEAD_PAGES = 3
    # SQLite page cache of the bootstrap's connection, KiB (the default is 2,000).
    BOOTSTRAP_CACHE_KIB = 65_536
    # Build each synced table's secondary indexes once, after its last page
    # (rm_workbench.db.bulk.defer_indexes), instead of updating them page by page.
    DEFER_INDEXES = True
    # No automatic WAL checkpoints while the pages come (each one fsyncs and copies
    # back pages the next ones change again); one at the end instead.
    ONE_CHECKPOINT = True
    # Provided by SyncEngine.
    cache: Cache
    client: SyncClient
    progress: Progress
    rm_id: str | None
    writer: Writer

    if TYPE_CHECKING:

        def _apply_rows(
            self, conn: Connection, table: str, rows: Iterable[Mapping[str, Any]] | ColumnarRows
        ) -> None: ...

    @property
    def staging_path(self) -> Path:
        """The staging copy of a re-bootstrap: a file next to the cache's."""
        return Path(f"{self.cache.path}.staging")

    def bootstrap(self, hello: HelloResponse, report: SyncReport) -> None:
        """Fill the cache from snapshot pages, resuming where an earlier run stopped.

        A cache that holds nothing (no synced row, no queued edit) is filled in place:
        there is nothing to lose, and a first bootstrap is as fast as it can be
        (:meth:`_bootstrap_in_place`). Any other cache (a re-bootstrap: the server
        says so, or a confirmed mismatch, or a damaged cursor) downloads into a
        staging copy and swaps it in at the end, in one transaction
        (:meth:`_bootstrap_staged`): a download that fails midway (an error page, a
        bad page, a network that drops) leaves the workbench with all its data, and
        the next sync goes on from the staging copy's last page.

        Either way each page is applied with its position in one transaction, on one
        connection held for the whole bootstrap (with a larger page cache: the pages'
        secondary index entries land all over their B-trees), and an interruption
        redoes at most one page. With ``READ_AHEAD`` the next page downloads while
        this one is applied (:class:`_SnapshotReader`).
        """
        tables = self._bootstrap_tables(hello)
        with self.cache.engine.connect() as conn:
            seq = _get_state(conn, BOOT_SEQ)
            staged = _get_state(conn, BOOT_STAGED) is not None
            if seq is None:
                staged = not self._holds_nothing(conn)
        if staged:
            self._bootstrap_staged(hello, report, tables)
        else:
            self._bootstrap_in_place(hello, report, tables)

    @staticmethod
    def _bootstrap_tables(hello: HelloResponse) -> list[str]:
        """The tables to download, in foreign-key order: the hello's list, which must
        name known synced tables only, each once, and not be empty (audit logs only
        travel upward: the cache keeps its own)."""
        names = hello.tables
        tables = [t for t in SYNCED_TABLES if t in names and t != "audit_log"]
        if not tables or len(set(names)) != len(names) or not set(names) <= set(SYNCED_TABLES):
            raise _bad_answer(
                "要求重新下载全部数据，但给出的数据表清单有误", f"hello tables {names!r:.500}"
            )
        return tables

    @staticmethod
    def _holds_nothing(conn: Connection) -> bool:
        """No synced row (audit logs aside) and no queued edit: nothing to lose."""
        names = [t for t in SYNCED_TABLES if t != "audit_log"] + [OUTBOX.name]
        probe = " OR ".join(f'EXISTS (SELECT 1 FROM main."{name}")' for name in names)
        return not conn.exec_driver_sql(f"SELECT {probe}").scalar()

    @contextmanager
    def _bootstrap_connection(self) -> Iterator[Connection]:
        """The connection a bootstrap holds: a larger page cache, foreign keys off
        (parents are checked per page by the engine: SQLite's own check of every row's
        every foreign key was a tenth of the apply), and, with ``ONE_CHECKPOINT``, no
        automatic WAL checkpoints; all set back (or the connection dropped) after."""
        with self.cache.engine.connect() as conn:
            cache_size = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size = {-self.BOOTSTRAP_CACHE_KIB}")
            # Outside any transaction (the pragma is ignored inside one).
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            autocheckpoint = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() or 1000)
            if self.ONE_CHECKPOINT:
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            conn.commit()
            try:
                yield conn
            finally:
                if conn.in_transaction():
                    conn.rollback()
                self.writer(lambda: self._restore_after_failure(conn))
                try:
                    conn.exec_driver_sql("PRAGMA foreign_keys = ON")
                    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {autocheckpoint}")
                    conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache_size or -2000)}")
                    conn.commit()
                except Exception:
                    # Never back into the pool without its foreign keys checked.
                    conn.invalidate()
                    raise

    def _reader(self, tables: Sequence[str], after: str | None) -> _SnapshotReader:
        reader = _SnapshotReader(
            self.client,
            tables,
            after,
            self.SNAPSHOT_LIMIT,
            ahead=self.READ_AHEAD_PAGES if self.READ_AHEAD else 0,
        )
        if "customer" in tables:
            warm_up_readings()  # pypinyin's dictionaries load while the first pages come
        return reader

    def _load(
        self,
        conn: Connection,
        reader: _SnapshotReader,
        tables: Sequence[str],
        report: SyncReport,
        *,
        staged: bool,
    ) -> None:
        """Apply every page the reader brings, each with its position in one
        transaction (the cache's, or the staging copy's own sync_state)."""
        state = STAGED_STATE if staged else STATE
        options = {"staged": True} if staged else {}
        for name, page in reader:
            following = page.next_after_id

            def apply(name: str = name, page: AnyPage = page) -> None:
                with conn.begin():
                    # Only rows whose parents are here: a customer (or group) that came
                    # to this RM after its table's pages has its rows re-versioned after
                    # the snapshot, and the pull that follows brings them with their
                    # parent.
                    self._apply_snapshot(conn, name, page, parents_only=True, **options)
                    if page.next_after_id is None:
                        position = tables.index(name)
                        last = position + 1 >= len(tables)
                        next_table = "" if last else tables[position + 1]
                        _set_state(conn, BOOT_TABLE, next_table, state)
                        _set_state(conn, BOOT_AFTER, None, state)
                    else:
                        _set_state(conn, BOOT_AFTER, page.next_after_id, state)

            self.writer(apply)
            if not staged:
                report.wrote([name, SEARCH_TABLE] if name == "customer" else [name], None)
            report.bootstrapped_rows += len(page.rows)
            self.progress("bootstrap", report.bootstrapped_rows, None)
            if following is None and self.DEFER_INDEXES and not staged:
                # The table is complete: its indexes are built now, while the next
                # pages download (if this stops here, the last step builds them).
                built = [name, SEARCH_TABLE] if name == "customer" else [name]

                def build(built: list[str] = built) -> None:
                    self._build_indexes(conn, built)

                self.writer(build)

    def _bootstrap_in_place(
        self, hello: HelloResponse, report: SyncReport, tables: list[str]
    ) -> None:
        """A first bootstrap, into the cache's own tables. A customer page indexes its
        customers for search in its own transaction, as every other writer does, so an
        interrupted bootstrap leaves a searchable cache."""

        def begin() -> tuple[str | None, str | None]:
            with self.cache.engine.begin() as conn:
                seq = _get_state(conn, BOOT_SEQ)
                if seq is None:
                    if hello.snapshot_seq is None:
                        raise _bad_answer("要求初始化，但没有给出快照位置", repr(hello))
                    self._wipe(conn)
                    report.wrote([*tables, SEARCH_TABLE, CONFLICTS.name], None)
                    _set_state(conn, REBOOTSTRAP, None)
                    _set_state(conn, BOOT_SEQ, str(hello.snapshot_seq))
                    _set_state(conn, BOOT_TABLE, tables[0])
                    _set_state(conn, BOOT_AFTER, None)
                    _set_state(conn, CURSOR, "0")
                if self.DEFER_INDEXES:
                    # The search index's customer_id index too: customer pages insert
                    # new customers' terms only (index_customers(new=True)), nothing
                    # to find.
                    defer_indexes(conn, [*tables, SEARCH_TABLE])
                return _get_state(conn, BOOT_TABLE), _get_state(conn, BOOT_AFTER)

        table, after = self.writer(begin)
        # "": every page is in, only the last step was missing.
        start = tables.index(table) if table in tables else len(tables) if table == "" else 0
        reader = self._reader(tables[start:], after)
        try:
            with self._bootstrap_connection() as conn:
                self._load(conn, reader, tables, report, staged=False)

                def finish() -> None:
                    # What is still deferred: the tables a resumed bootstrap had
                    # finished before it stopped. Every page is in: if this stops, a
                    # resume (table "") builds them and comes here again.
                    self._build_indexes(conn, None)
                    with conn.begin():
                        _set_state(conn, CURSOR, _get_state(conn, BOOT_SEQ))
                        for key in (BOOT_SEQ, BOOT_TABLE, BOOT_AFTER):
                            _set_state(conn, key, None)

                self.writer(finish)
                report.bootstrapped = True
                report.wrote([*tables, SEARCH_TABLE], None)
                if self.ONE_CHECKPOINT:
                    self.writer(lambda: _checkpoint(conn))
        finally:
            reader.close()

    def _bootstrap_staged(
        self, hello: HelloResponse, report: SyncReport, tables: list[str]
    ) -> None:
        """A re-bootstrap: the pages go into the staging copy, the RM keeps reading
        (and editing) the cache, and :meth:`_swap` puts the copy in place in one
        transaction once every page is in.

        The staging copy is a database file ATTACHed to the bootstrap's connection as
        ``staging``. ATTACH was chosen over a second engine on the file because
        SQLCipher gives an attached database the key of the main one: the copy is
        encrypted exactly when the cache is, with no key handled here; and the swap is
        then plain ``INSERT … SELECT`` on one connection. Its tables are the synced
        tables' definitions under that schema (:data:`STAGED`, no secondary indexes:
        the cache's are built once at the swap), so the bulk loader and the parent
        checks work on them as on the cache's; its own ``sync_state`` holds the
        position, committed with each page, so a resumed download redoes at most one
        page. The search index is made for the new customers at the swap."""
        path = self.staging_path
        reader: _SnapshotReader | None = None
        with self._bootstrap_connection() as conn:
            self._attach_staging(conn, path)

            def begin() -> tuple[str, tuple[str, str | None]]:
                with conn.begin():
                    seq = _get_state(conn, BOOT_SEQ)
                    position = self._staged_position(conn, seq)
                    if seq is None or position is None:
                        if hello.snapshot_seq is None:
                            raise _bad_answer(
                                "要求重新下载全部数据，但没有给出快照位置", repr(hello)
                            )
                        seq = str(hello.snapshot_seq)
                        self._create_staging(conn)
                        for key, value in ((BOOT_SEQ, seq), (BOOT_TABLE, tables[0])):
                            _set_state(conn, key, value, STAGED_STATE)
                        _set_state(conn, BOOT_SEQ, seq)
                        _set_state(conn, BOOT_STAGED, "1")
                        position = (tables[0], None)
                return seq, position

            try:
                seq, (table, after) = self.writer(begin)
                start = tables.index(table) if table in tables else len(tables) if not table else 0
                reader = self._reader(tables[start:], after)
                self._load(conn, reader, tables, report, staged=True)
                reader.close()
                reader = None
                self.writer(lambda: self._swap(conn, seq, tables))
                report.bootstrapped = True
                report.wrote([*tables, SEARCH_TABLE, CONFLICTS.name], None)
                if self.ONE_CHECKPOINT:
                    self.writer(lambda: _checkpoint(conn))
            finally:
                if reader is not None:
                    reader.close()
                if conn.in_transaction():
                    conn.rollback()
                self._detach_staging(conn)
        if report.bootstrapped:
            self._remove_staging(path)

    def _attach_staging(self, conn: Connection, path: Path) -> None:
        """ATTACH the staging copy (created if missing; one this key cannot read, or
        that is damaged, is started afresh)."""
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGING}", (str(path),))
        try:
            conn.exec_driver_sql(f"SELECT count(*) FROM {STAGING}.sqlite_master").scalar()
        except DBAPIError:
            log.warning("staging copy %s unreadable: started afresh", path, exc_info=True)
            conn.rollback()
            conn.exec_driver_sql(f"DETACH DATABASE {STAGING}")
            self._remove_staging(path)
            conn.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGING}", (str(path),))
        conn.exec_driver_sql(f"PRAGMA {STAGING}.synchronous = NORMAL")
        conn.commit()

    @staticmethod
    def _detach_staging(conn: Connection) -> None:
        try:
            conn.exec_driver_sql(f"DETACH DATABASE {STAGING}")
            conn.commit()
        except DBAPIError:  # the bootstrap's own error is the one to report
            log.exception("could not detach the staging copy")
            conn.invalidate()

    @staticmethod
    def _remove_staging(path: Path) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    @staticmethod
    def _staged_position(conn: Connection, seq: str | None) -> tuple[str, str | None] | None:
        """Where the staged download stopped, if the staging copy is the one of this
        bootstrap (the cache's ``BOOT_SEQ``) and has all its tables; else None."""
        if seq is None:
            return None
        present = set(
            conn.exec_driver_sql(
                f"SELECT name FROM {STAGING}.sqlite_master WHERE type = 'table'"
            ).scalars()
        )
        if not {table.name for table in STAGED.values()} <= present:
            return None
        if _get_state(conn, BOOT_SEQ, STAGED_STATE) != seq:
            return None
        table = _get_state(conn, BOOT_TABLE, STAGED_STATE)
        if table is None:
            return None
        return table, _get_state(conn, BOOT_AFTER, STAGED_STATE)

    @staticmethod
    def _create_staging(conn: Connection) -> None:
        """Empty staging tables (whatever was there goes)."""
        found = conn.exec_driver_sql(
            f"SELECT name FROM {STAGING}.sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).scalars()
        for name in list(found):
            conn.exec_driver_sql(f'DROP TABLE {STAGING}."{name}"')
        for table in STAGED.values():
            conn.execute(CreateTable(table))

    def _swap(self, conn: Connection, seq: str, tables: Sequence[str]) -> None:
        """Replace the synced tables' rows by the staging copy's in ONE transaction
        (readers see the old data until it commits). What the RM queued meanwhile is
        kept the way a pull keeps it (:meth:`_keep_pending`); the search index is made
        for the new rows; local conflicts go, as in any rebuilt cache (the server's
        list comes back with the sync); audit logs stay. The cache's secondary indexes
        are built again once, after the copy: a unique number that came twice rolls
        the whole swap back (the cache as it was) and the next sync starts over."""
        synced = [t for t in SYNCED_TABLES if t != "audit_log"]
        try:
            with conn.begin():
                pending = pending_fields(conn)
                held = self._held_rows(conn, pending)
                defer_indexes(conn, synced)
                conn.execute(delete(Base.metadata.tables[SEARCH_TABLE]))
                conn.execute(delete(CONFLICTS))
                for name in reversed(synced):
                    conn.exec_driver_sql(f'DELETE FROM main."{name}"')
                for name in tables:
                    columns = ", ".join(f'"{c.name}"' for c in Base.metadata.tables[name].columns)
                    conn.exec_driver_sql(
                        f'INSERT INTO main."{name}" ({columns})'
                        f' SELECT {columns} FROM {STAGING}."{name}"'
                    )
                self._keep_pending(conn, pending, held)
                restore_indexes(conn)
                rebuild_index(conn)
                _set_state(conn, CURSOR, seq)
                for key in (BOOT_SEQ, BOOT_TABLE, BOOT_AFTER, BOOT_STAGED, REBOOTSTRAP):
                    _set_state(conn, key, None)
        except IntegrityError as exc:
            if "UNIQUE" not in str(exc.orig):
                raise
            with conn.begin():
                for key in (BOOT_SEQ, BOOT_TABLE, BOOT_AFTER, BOOT_STAGED):
                    _set_state(conn, key, None)
                _set_state(conn, REBOOTSTRAP, "duplicate numbers")
            raise ServerAnswerError(
                "总行系统发来的数据中有重复的编号，本次下载作废，本机数据未受影响；"
                "下次同步将重新下载全部数据。未同步的修改不受影响。",
                f"unique index not built at the swap: {exc.orig}"[:2000],
            ) from exc

    @staticmethod
    def _held_rows(
        conn: Connection, pending: Mapping[tuple[str, str], set[str] | None]
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """The cache's rows (as stored) that have edits queued."""
        wanted: dict[str, list[str]] = defaultdict(list)
        for table, row_id in pending:
            if table in SYNCED_TABLES and table != "audit_log":
                wanted[table].append(row_id)
        held: dict[tuple[str, str], dict[str, Any]] = {}
        for table, ids in wanted.items():
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                found = conn.exec_driver_sql(
                    f'SELECT * FROM main."{table}" WHERE id IN ({marks})', tuple(chunk)
                )
                for row in found.mappings():
                    held[(table, str(row["id"]))] = dict(row)
        return held

    @staticmethod
    def _keep_pending(
        conn: Connection,
        pending: Mapping[tuple[str, str], set[str] | None],
        held: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> None:
        """After the copy, the queued edits as a pull keeps them: a row with an insert
        or a delete queued stays as the cache had it (or absent); a row with fields
        queued keeps the cache's values of those fields (if the new data still has
        the row). A kept row whose parent the new data lacks (its customer left this
        RM meanwhile) goes, as an eviction takes it: its outbox entries stay, and the
        server hands them to the new owner."""
        kept: list[tuple[str, Mapping[str, Any]]] = []
        for (table, row_id), mine in pending.items():
            if table not in SYNCED_TABLES or table == "audit_log":
                continue
            row = held.get((table, row_id))
            if mine is None:
                conn.exec_driver_sql(f'DELETE FROM main."{table}" WHERE id = ?', (row_id,))
                if row is not None:
                    names = ", ".join(f'"{name}"' for name in row)
                    marks = ", ".join("?" * len(row))
                    conn.exec_driver_sql(
                        f'INSERT INTO main."{table}" ({names}) VALUES ({marks})',
                        tuple(row.values()),
                    )
                    kept.append((table, row))
                continue
            fields = [name for name in mine if row is not None and name in row and name != "id"]
            if row is not None and fields:
                assignments = ", ".join(f'"{name}" = ?' for name in fields)
                conn.exec_driver_sql(
                    f'UPDATE main."{table}" SET {assignments} WHERE id = ?',
                    (*[row[name] for name in fields], row_id),
                )
        order = {name: i for i, name in enumerate(SYNCED_TABLES)}
        for table, row in sorted(kept, key=lambda item: order[item[0]]):
            for fk in Base.metadata.tables[table].foreign_keys:
                value = row.get(fk.parent.name)
                if value is not None and _missing(conn, fk.column, {value}):
                    conn.exec_driver_sql(f'DELETE FROM main."{table}" WHERE id = ?', (row["id"],))
                    break

    def _build_indexes(self, conn: Connection, tables: Sequence[str] | None) -> None:
        """Build the deferred indexes of ``tables`` (None: all) in a transaction of
        their own; a unique index the rows break starts the bootstrap over."""
        try:
            with conn.begin():
                restore_indexes(conn, tables=tables)
        except IntegrityError as exc:
            if "UNIQUE" not in str(exc.orig):
                raise
            self._start_over(conn, exc)

    @staticmethod
    def _start_over(conn: Connection, exc: IntegrityError) -> NoReturn:
        """A unique number came twice in the pages (a row renumbered while they were
        read): the unique index cannot be built, so this bootstrap's data cannot
        stand. The next sync starts it over (into a staging copy: the cache holds rows now),
        as after a confirmed mismatch; until then the cache stays readable (the index
        stays deferred)."""
        with conn.begin():
            for key in (BOOT_SEQ, BOOT_TABLE, BOOT_AFTER):
                _set_state(conn, key, None)
            _set_state(conn, REBOOTSTRAP, "duplicate numbers")
        raise ServerAnswerError(
            "总行系统发来的数据中有重复的编号，本次下载作废；下次同步将重新下载全部数据。"
            "未同步的修改不受影响。",
            f"unique index not built after a table's last page: {exc.orig}"[:2000],
        ) from exc

    @staticmethod
    def _restore_after_failure(conn: Connection) -> None:
        """An interrupted bootstrap leaves the cache indexed (the rows so far stay, the
        next sync resumes): the workbench keeps reading it meanwhile. A unique index
        its rows break stays deferred. Best effort: if this fails too, ``open_cache``
        restores them next time."""
        try:
            with conn.begin():
                restore_indexes(conn, strict=False)
        except Exception:  # the bootstrap's own error is the one to report
            log.exception("could not restore the cache's indexes after a failed bootstrap")

    def _wipe(self, conn: Connection) -> None:
        """Empty every synced table but the audit logs, the search index and the local
        conflicts: the start of a bootstrap in place (a cache that holds nothing, so
        this only clears leftovers). A re-bootstrap never calls it: its staging copy
        replaces the rows at the end (:meth:`_swap`)."""
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(delete(Base.metadata.tables["customer_search"]))
        conn.execute(delete(CONFLICTS))
        for name in reversed(SYNCED_TABLES):
            if name != "audit_log":
                conn.execute(delete(Base.metadata.tables[name]))

    def _apply_snapshot(
        self,
        conn: Connection,
        table: str,
        page: AnyPage,
        *,
        parents_only: bool = False,
        staged: bool = False,
    ) -> None:
        """Write one snapshot page (not its position) with :meth:`_apply_rows`;
        ``parents_only``: leave out the rows whose parents are not there;
        ``staged``: into the staging copy. A customer page is checked against the
        signed-in RM first (every value is checked by the loader as it converts)."""
        if table == "customer" and self.rm_id is not None:
            self._check_page_scope(page)
        schema = STAGING if staged else None
        if isinstance(page, SnapshotPage):
            if not staged:
                rows: Sequence[Mapping[str, Any]] = page.rows
                if parents_only:
                    rows = _with_parents(conn, table, rows)
                self._apply_rows(conn, table, rows)
                return
            page = _as_columnar(page)
        arrays: Sequence[Sequence[Any]] = page.rows
        if parents_only:
            arrays = _arrays_with_parents(conn, table, page.columns, arrays, schema=schema)
        # The loader leaves the arrays as they came (a retry applies the same page).
        self._apply_rows(conn, table, ColumnarRows(page.columns, arrays, schema))

    def _check_page_scope(self, page: AnyPage) -> None:
        """Every customer of the page is the signed-in RM's (one pass over a column)."""
        assert self.rm_id is not None
        try:
            if isinstance(page, SnapshotPage):
                found = {row.get("rm_id") for row in page.rows}
            elif "rm_id" in page.columns:
                found = set(map(itemgetter(page.columns.index("rm_id")), page.rows))
            else:
                found = {None} if page.rows else set()
        except TypeError:  # an unhashable value (a list) is no RM
            found = {"?"}
        strangers = found - {self.rm_id}
        if strangers:
            raise _out_of_scope(self.rm_id, next(iter(strangers)), "snapshot page")
