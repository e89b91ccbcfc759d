"""The bootstrap's fast paths keep its rules: indexes built after the load and put back
whatever happens, pages read ahead without skipping or repeating one, keys above the
stored ones inserted without a lookup; and the checksum pass runs when it should and
tells a real mismatch from a server that moved on. A client of the tests' own serves
the pages (protocol 1's row objects or protocol 2's columnar pages), so these run
without a service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import (
    PROTOCOL_VERSION,
    ChangeItem,
    ChecksumResponse,
    ColumnarSnapshotPage,
    ConflictDetailList,
    HelloResponse,
    PullResponse,
    SnapshotPage,
    encode_row,
    version_digest,
)
from rm_demo.cache import load_demo_book
from rm_workbench.db.bulk import DEFERRED_INDEXES, bulk_upsert, defer_indexes, restore_indexes
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.errors import OfflineError, ServerAnswerError
from rm_workbench.models import Base
from rm_workbench.sync.engine import (
    LAST_VERIFY,
    REBOOTSTRAP,
    VERIFY_DUE,
    ParentNotHere,
    SyncEngine,
    SyncReport,
)

NOW = "2026-11-22T01:00:00.000000+00:00"


def _schema(conn: Connection) -> list[tuple[str, str | None]]:
    return sorted(
        conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).tuples()
    )


def _branch(number: int) -> dict[str, Any]:
    return {
        "id": f"b-{number:05d}",
        "code": f"B{number:05d}",
        "name": f"第{number}支行",
        "city": "杭州",
        "version": number,
        "deleted": False,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _hello(request: Any, seq: int) -> HelloResponse:
    """The server's hello at sequence ``seq``: bootstrap a device that holds nothing."""
    return HelloResponse(
        protocol_min=1,
        protocol_max=PROTOCOL_VERSION,
        server_time=datetime.now(UTC),
        clock_skew_seconds=0.0,
        server_seq=seq,
        must_bootstrap=request.cursor == 0,
        snapshot_seq=seq,
        tables=[t for t in SYNCED_TABLES if t != "audit_log"],
    )


class PagesClient:
    """Serves ``rows`` of the branch table (every other table empty) in pages, as row
    objects or (``columnar``) as protocol 2's column names and value arrays, and the
    checksums of those rows. ``pulls``: pages the next pulls answer, one each."""

    def __init__(
        self, rows: list[dict[str, Any]], *, fail_at: int | None = None, columnar: bool = False
    ) -> None:
        self.rows = sorted(rows, key=lambda r: r["id"])
        self.fail_at = fail_at
        self.columnar = columnar
        self.asked: list[tuple[str, str | None]] = []
        self.hellos: list[int] = []
        self.checksum_calls = 0
        self.pulls: list[list[dict[str, Any]]] = []

    def hello(self, request: Any) -> HelloResponse:
        self.hellos.append(request.cursor)
        return _hello(request, len(self.rows))

    def snapshot(
        self, table: str, after_id: str | None, limit: int
    ) -> SnapshotPage | ColumnarSnapshotPage:
        self.asked.append((table, after_id))
        if self.fail_at is not None and len(self.asked) == self.fail_at:
            self.fail_at = None
            raise OfflineError("断网", "test: the download of a page failed")
        rows = [
            r for r in self.rows if table == "branch" and (after_id is None or r["id"] > after_id)
        ]
        page = rows[:limit]
        more = len(rows) > limit
        following = page[-1]["id"] if more else None
        if self.columnar:
            # Columns in an order of their own, plus one this build does not know.
            columns = ["updated_at", "id", "name", "code", "city", "version", "deleted"]
            columns += ["created_at", "from_a_newer_server"]
            arrays = [[*(r[c] for c in columns[:-1]), "?"] for r in page]
            return ColumnarSnapshotPage(
                table=table,
                snapshot_seq=self.seq,
                columns=columns,
                rows=arrays,
                next_after_id=following,
            )
        return SnapshotPage(table=table, snapshot_seq=self.seq, rows=page, next_after_id=following)

    @property
    def seq(self) -> int:
        return max((r["version"] for r in self.rows), default=0)

    def push(self, request: Any) -> Any:  # the outbox is empty
        raise AssertionError("nothing to push")

    def conflicts(self) -> ConflictDetailList:
        return ConflictDetailList(conflicts=[])

    def pull(self, cursor: int, limit: int) -> PullResponse:
        if not self.pulls:
            return PullResponse(items=[], next_cursor=max(cursor, self.seq), has_more=False)
        changed = self.pulls.pop(0)
        for row in changed:
            self.rows = [r for r in self.rows if r["id"] != row["id"]] + [row]
        items = [
            ChangeItem(seq=row["version"], kind="row", table="branch", row=row) for row in changed
        ]
        return PullResponse(items=items, next_cursor=max(cursor, self.seq), has_more=False)

    def checksums(self) -> ChecksumResponse:
        self.checksum_calls += 1
        tables = {name: version_digest([]) for name in SYNCED_TABLES if name != "audit_log"}
        tables["branch"] = version_digest(r["version"] for r in self.rows)
        return ChecksumResponse(server_seq=self.seq, tables=tables)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Cache]:
    cache = open_cache(tmp_path / "fresh.db")
    try:
        yield cache
    finally:
        cache.dispose()


def _engine(
    cache: Cache,
    client: PagesClient,
    *,
    read_ahead: bool = True,
    verify_every: timedelta | None = timedelta(hours=24),
) -> SyncEngine:
    engine = SyncEngine(cache, client, verify_every=verify_every)  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 7
    engine.READ_AHEAD = read_ahead
    return engine


def _branch_ids(cache: Cache) -> list[str]:
    with cache.engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM branch ORDER BY id")).scalars())


def test_deferred_indexes_come_back_exactly(cache: Cache) -> None:
    with cache.engine.connect() as conn:
        before = _schema(conn)
    with cache.engine.begin() as conn:
        dropped = defer_indexes(conn, SYNCED_TABLES)
        left = _schema(conn)
    assert dropped > 0
    # Primary keys and unique constraints are checked row by row and stay; indexes go,
    # unique ones too (their rule is checked when they are built again).
    with cache.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index'")
        ).all()
    for table, sql in kept:
        if table in SYNCED_TABLES:
            assert sql is None, sql
    assert any(sql.startswith("CREATE UNIQUE INDEX") for _, sql in before if sql)
    assert len(before) - len(left) == dropped
    with cache.engine.begin() as conn:
        assert restore_indexes(conn) == dropped
        assert _schema(conn) == before
        assert (
            conn.execute(
                text("SELECT count(*) FROM sync_state WHERE key = :k"), {"k": DEFERRED_INDEXES}
            ).scalar_one()
            == 0
        )
        assert restore_indexes(conn) == 0


def test_restoring_some_tables_indexes_leaves_the_others_deferred(cache: Cache) -> None:
    with cache.engine.connect() as conn:
        before = _schema(conn)
    with cache.engine.begin() as conn:
        dropped = defer_indexes(conn, ["account", "visit", "customer_search"])
        built = restore_indexes(conn, tables=["account"])
        names = {name for name, _ in _schema(conn)}
        assert 0 < built < dropped
        assert "ix_account_account_no" in names and "ix_visit_visit_no" not in names
        assert restore_indexes(conn, tables=["account"]) == 0  # nothing left of account
        assert restore_indexes(conn) == dropped - built
        assert _schema(conn) == before


def test_open_cache_puts_back_indexes_a_crash_left_out(cache_path: Path) -> None:
    cache = open_cache(cache_path)
    with cache.engine.connect() as conn:
        before = _schema(conn)
    with cache.engine.begin() as conn:
        defer_indexes(conn, SYNCED_TABLES)
    cache.dispose()  # the process "dies" here
    reopened = open_cache(cache_path)
    try:
        with reopened.engine.connect() as conn:
            assert _schema(conn) == before
    finally:
        reopened.dispose()


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize("read_ahead", [True, False])
def test_bootstrap_pages_in_order_and_indexes_come_back(
    fresh: Cache, read_ahead: bool, columnar: bool
) -> None:
    with fresh.engine.connect() as conn:
        before = _schema(conn)
    rows = [_branch(n) for n in range(1, 31)]
    client = PagesClient(rows, columnar=columnar)
    report = _engine(fresh, client, read_ahead=read_ahead).run(verify=False)
    assert report.bootstrapped_rows == 30
    assert _branch_ids(fresh) == [r["id"] for r in sorted(rows, key=lambda r: r["id"])]
    branch_pages = [after for table, after in client.asked if table == "branch"]
    assert len(branch_pages) == len(set(branch_pages)) == 5  # 7 + 7 + 7 + 7 + 2
    with fresh.engine.connect() as conn:
        assert _schema(conn) == before


@pytest.mark.parametrize("columnar", [True, False])
@pytest.mark.parametrize("read_ahead", [True, False])
def test_a_failed_download_stops_the_bootstrap_and_it_resumes(
    fresh: Cache, read_ahead: bool, columnar: bool
) -> None:
    with fresh.engine.connect() as conn:
        before = _schema(conn)
    rows = [_branch(n) for n in range(1, 31)]
    # Branch is the first table: its third page.
    client = PagesClient(rows, fail_at=3, columnar=columnar)
    engine = _engine(fresh, client, read_ahead=read_ahead)
    with pytest.raises(OfflineError):
        engine.run(verify=False)
    assert len(_branch_ids(fresh)) == 14  # two pages committed, nothing after
    with fresh.engine.connect() as conn:
        assert _schema(conn) == before  # the workbench reads an indexed cache meanwhile
    client.asked.clear()
    report: SyncReport = engine.run(verify=False)
    assert report.bootstrapped_rows == 16
    assert client.asked[0] == ("branch", "b-00014")  # resumed after the last page in
    assert len(_branch_ids(fresh)) == 30


def test_upsert_of_keys_above_and_below_the_stored_ones(cache: Cache) -> None:
    table = Base.metadata.tables["branch"]
    with cache.engine.begin() as conn:
        bulk_upsert(conn, table, [_branch(2), _branch(4)], wire=True)
    above = [_branch(5), _branch(6)]
    mixed = [_branch(1), {**_branch(4), "name": "改名支行"}, _branch(3)]
    with cache.engine.begin() as conn:
        bulk_upsert(conn, table, above, wire=True)
        bulk_upsert(conn, table, mixed, wire=True)
        names = dict(conn.execute(text("SELECT id, name FROM branch")).tuples().all())
    assert sorted(names) == [f"b-{n:05d}" for n in range(1, 7)]
    assert names["b-00004"] == "改名支行"


class DyingEngine(SyncEngine):
    """Fails once, in the apply of page ``die_at`` (1-based), after its rows were
    written and before its transaction commits."""

    die_at: int | None = None
    applied = 0

    def _apply_snapshot(self, conn: Connection, table: str, page: Any, **kwargs: Any) -> None:
        super()._apply_snapshot(conn, table, page, **kwargs)
        self.applied += 1
        if self.applied == self.die_at:
            self.die_at = None
            raise OfflineError("断电", "test: killed in the apply of a page")


@pytest.mark.parametrize("read_ahead", [True, False])
def test_a_bootstrap_killed_in_an_apply_redoes_that_page_only(
    fresh: Cache, read_ahead: bool
) -> None:
    rows = [_branch(n) for n in range(1, 31)]
    client = PagesClient(rows, columnar=True)
    engine = DyingEngine(fresh, client)  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 7
    engine.READ_AHEAD = read_ahead
    engine.die_at = 3
    with pytest.raises(OfflineError):
        engine.run(verify=False)
    assert len(_branch_ids(fresh)) == 14  # pages 1 and 2; page 3 rolled back
    client.asked.clear()
    engine.applied = 0
    report = engine.run(verify=False)
    assert client.asked[0] == ("branch", "b-00014")  # page 3 again, not page 1
    assert report.bootstrapped_rows == 16 and report.bootstrapped
    assert _branch_ids(fresh) == [r["id"] for r in rows]


class WatchedEngine(SyncEngine):
    """Calls ``watch(conn, table)`` before applying each snapshot page."""

    def __init__(self, *args: Any, watch: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch = watch

    def _apply_snapshot(self, conn: Connection, table: str, page: Any, **kwargs: Any) -> None:
        self.watch(conn, table)
        super()._apply_snapshot(conn, table, page, **kwargs)


def test_pages_are_read_ahead_up_to_the_limit_and_no_further(fresh: Cache) -> None:
    """While the first page is applied (slowly), the reader downloads the next pages,
    READ_AHEAD_PAGES of them and not one more."""
    rows = [_branch(n) for n in range(1, 71)]  # 10 pages of 7
    client = PagesClient(rows, columnar=True)
    seen: list[int] = []

    def watch(conn: Connection, table: str) -> None:
        if not seen:  # the first page: wait for the reader to fill its slots
            deadline = time.monotonic() + 10
            while len(client.asked) < 1 + engine.READ_AHEAD_PAGES and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)  # time to overrun, if it would
        seen.append(len(client.asked))

    engine = WatchedEngine(fresh, client, watch=watch)  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 7
    assert engine.READ_AHEAD_PAGES > 1
    report = engine.run(verify=False)
    assert report.bootstrapped_rows == 70
    assert seen[0] == 1 + engine.READ_AHEAD_PAGES
    # Applying page k, at most k + READ_AHEAD_PAGES are downloaded (the other tables'
    # single empty pages come after branch's ten).
    assert all(asked <= k + engine.READ_AHEAD_PAGES for k, asked in enumerate(seen, 1))
    assert _branch_ids(fresh) == [r["id"] for r in rows]


def test_a_table_is_indexed_as_soon_as_its_last_page_is_in(
    fresh: Cache, small_book: dict[str, list[dict[str, Any]]]
) -> None:
    """Each table's deferred indexes are built right after its last page (while the
    next pages download), not all at the end."""
    present: dict[str, set[str]] = {}

    def watch(conn: Connection, table: str) -> None:
        present.setdefault(table, {name for name, _ in _schema(conn)})

    engine = WatchedEngine(fresh, BookClient(small_book), watch=watch)  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 100
    assert engine.run(verify=False).bootstrapped
    order = [t for t in SYNCED_TABLES if t in present]
    first, later = order.index("customer"), order.index("visit")
    assert first < later
    at_visit = present["visit"]
    assert "ix_visit_visit_no" not in at_visit  # still deferred while visits come
    for done in order[:later]:
        table = Base.metadata.tables[done]
        assert {i.name for i in table.indexes} <= at_visit, done
    assert "ix_customer_search_customer_id" in at_visit  # built with the customers'


def _state(cache: Cache, key: str) -> str | None:
    with cache.engine.connect() as conn:
        value = conn.execute(
            text("SELECT value FROM sync_state WHERE key = :k"), {"k": key}
        ).scalar()
    return None if value is None else str(value)


def test_checksums_after_a_bootstrap_then_at_the_interval(fresh: Cache) -> None:
    client = PagesClient([_branch(n) for n in range(1, 11)], columnar=True)
    engine = _engine(fresh, client)
    first = engine.run()
    assert first.bootstrapped and first.verified and first.converged is True
    assert "校验一致" in "\n".join(first.lines())
    assert _state(fresh, LAST_VERIFY) is not None
    second = engine.run()
    assert not second.verified and second.converged is None and client.checksum_calls == 1
    # Explicitly asked, or once the interval has passed.
    assert engine.run(verify=True).converged is True
    assert not engine.run(verify=False).verified
    with fresh.engine.begin() as conn:
        conn.execute(
            text("UPDATE sync_state SET value = :v WHERE key = :k"),
            {"v": (datetime.now(UTC) - timedelta(hours=25)).isoformat(), "k": LAST_VERIFY},
        )
    assert engine.run().converged is True
    every_sync = _engine(fresh, client, verify_every=timedelta(0))
    assert every_sync.run().verified and every_sync.run().verified
    never = _engine(fresh, client, verify_every=None)
    assert not never.run().verified


def test_a_confirmed_mismatch_is_reported_and_the_next_sync_bootstraps_again(
    fresh: Cache,
) -> None:
    client = PagesClient([_branch(n) for n in range(1, 11)], columnar=True)
    engine = _engine(fresh, client)
    engine.run()
    with fresh.engine.begin() as conn:  # a row the server deleted long ago lingers here
        conn.exec_driver_sql(
            "INSERT INTO branch (id, code, name, city, version, deleted, created_at, updated_at)"
            " VALUES ('b-ghost', 'BX', '幽灵支行', '杭州', 3, 0, ?, ?)",
            (NOW, NOW),
        )
    report = engine.run(verify=True)
    assert report.converged is False and report.mismatched_tables == ["branch"]
    text_lines = "\n".join(report.lines())
    assert "校验不一致" in text_lines and "重新下载全部数据" in text_lines
    assert _state(fresh, REBOOTSTRAP) == "branch"
    client.asked.clear()
    healed = engine.run()
    assert client.hellos[-1] == 0  # asked for a bootstrap, as a new device does
    assert healed.bootstrapped and healed.converged is True
    assert "b-ghost" not in _branch_ids(fresh)
    assert _state(fresh, REBOOTSTRAP) is None


def test_differences_while_the_server_moves_on_are_no_mismatch(fresh: Cache) -> None:
    client = PagesClient([_branch(n) for n in range(1, 11)], columnar=True)
    engine = _engine(fresh, client)
    engine.run()
    # The server changed a branch after this device's pull: the first comparison
    # differs, the pull it makes brings the change, the second one agrees.
    moved = {**_branch(4), "name": "新名字", "version": 11}
    client.rows = [r for r in client.rows if r["id"] != moved["id"]] + [moved]
    client.pulls = [[moved]]
    client.checksum_calls = 0
    verdict = SyncReport()
    engine.verify(verdict)  # the pass alone, as a sync ends
    assert verdict.converged is True and client.checksum_calls == 2
    assert _state(fresh, REBOOTSTRAP) is None


def test_pending_edits_make_a_difference_inconclusive(fresh: Cache) -> None:
    client = PagesClient([_branch(n) for n in range(1, 11)], columnar=True)
    engine = _engine(fresh, client)
    engine.run()
    with fresh.engine.begin() as conn:
        conn.execute(text("UPDATE branch SET version = 99 WHERE id = 'b-00002'"))
        # An edit waiting in the outbox (of a row the RM may edit, in real life).
        conn.execute(
            text(
                "INSERT INTO outbox (idempotency_key, table_name, row_id, op, fields, created_at)"
                " VALUES ('k-000001', 'branch', 'b-00003', 'update', '{}', :now)"
            ),
            {"now": NOW},
        )
    report = SyncReport()
    engine.verify(report)
    assert report.verified and report.converged is None
    assert "校验未完成" in "\n".join(report.lines())
    assert _state(fresh, VERIFY_DUE) == "1" and _state(fresh, REBOOTSTRAP) is None


def test_a_page_retried_without_its_orphans_keeps_its_amounts(cache: Cache) -> None:
    """Soak seed 11, round 8,214: a columnar page failed on a row whose customer had not
    arrived, and its retry without that row stored every amount 100 times too large —
    the first try had turned the page's yuan into fen in place, and the retry turned
    them into fen again. Each try now works on the page as it came."""
    load_demo_book(cache)
    visits = Base.metadata.tables["visit"]
    with cache.engine.connect() as conn:
        template = dict(conn.execute(select(visits).limit(1)).mappings().one())
    columns = list(template)
    rows = []
    for number, customer in ((1, template["customer_id"]), (2, "no-such-customer")):
        wire = encode_row("visit", template)
        wire.update(id=f"v-retry-{number}", visit_no=f"VRETRY{number}", cost="35.00")
        wire["customer_id"] = customer
        rows.append([wire[name] for name in columns])
    page = ColumnarSnapshotPage(
        table="visit", snapshot_seq=1, columns=columns, rows=rows, next_after_id=None
    )
    engine = SyncEngine(cache, None)  # type: ignore[arg-type]
    with cache.engine.connect() as conn:
        with pytest.raises(ParentNotHere), conn.begin():
            engine._apply_snapshot(conn, "visit", page)
        with conn.begin():
            engine._apply_snapshot(conn, "visit", page, parents_only=True)
        stored = conn.execute(
            select(visits.c.id, visits.c.cost).where(visits.c.id.like("v-retry-%"))
        ).all()
    assert [(row.id, row.cost) for row in stored] == [("v-retry-1", Decimal("35.00"))]


# --- a real book's tables, and numbers that come twice ----------------------------------


@pytest.fixture(scope="module")
def small_book() -> dict[str, list[dict[str, Any]]]:
    """Twenty customers of the demo RM's book with everything they have, as wire rows."""
    from rm_demo.book import generate_book
    from rm_demo.cache import rm_share

    book = generate_book("default")
    share = rm_share(book.tables, book.tables["relationship_manager"][0]["id"])
    kept = {c["id"] for c in share["customer"][:20]}
    rows: dict[str, list[dict[str, Any]]] = {}
    for table, found in share.items():
        if table in ("customer_group", "group_membership"):
            continue
        if "customer_id" in Base.metadata.tables[table].c:
            found = [r for r in found if r["customer_id"] in kept]
        elif table == "customer":
            found = [r for r in found if r["id"] in kept]
        rows[table] = [encode_row(table, r) for r in found]
    return rows


class BookClient:
    """Serves whole tables (wire rows) as protocol 2 pages of the asked size, in id
    order; pulls find nothing."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = {t: sorted(rows, key=lambda r: r["id"]) for t, rows in tables.items()}
        self.hellos: list[int] = []

    def hello(self, request: Any) -> HelloResponse:
        self.hellos.append(request.cursor)
        return _hello(request, 1000)

    def snapshot(self, table: str, after_id: str | None, limit: int) -> ColumnarSnapshotPage:
        rows = [r for r in self.tables.get(table, []) if after_id is None or r["id"] > after_id]
        page = rows[:limit]
        columns = list(Base.metadata.tables[table].c.keys())
        return ColumnarSnapshotPage(
            table=table,
            snapshot_seq=1000,
            columns=columns,
            rows=[[r[c] for c in columns] for r in page],
            next_after_id=page[-1]["id"] if len(rows) > limit else None,
        )

    def push(self, request: Any) -> Any:  # the outbox is empty
        raise AssertionError("nothing to push")

    def conflicts(self) -> ConflictDetailList:
        return ConflictDetailList(conflicts=[])

    def pull(self, cursor: int, limit: int) -> PullResponse:
        return PullResponse(items=[], next_cursor=max(cursor, 1000), has_more=False)


def _counts(cache: Cache, tables: Any) -> dict[str, int]:
    with cache.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_a_book_bootstraps_with_its_unique_numbers_built_at_the_end(
    fresh: Cache, small_book: dict[str, list[dict[str, Any]]]
) -> None:
    with fresh.engine.connect() as conn:
        before = _schema(conn)
    engine = SyncEngine(fresh, BookClient(small_book))  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 100
    report = engine.run(verify=False)
    assert report.bootstrapped and report.bootstrapped_rows == sum(map(len, small_book.values()))
    assert _counts(fresh, small_book) == {t: len(rows) for t, rows in small_book.items()}
    with fresh.engine.connect() as conn:
        assert _schema(conn) == before
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # set back
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_number_that_comes_twice_fails_the_bootstrap_and_the_next_sync_starts_over(
    cache_path: Path, small_book: dict[str, list[dict[str, Any]]]
) -> None:
    """Two contact logs with one number (a row renumbered while the pages were read):
    the unique index cannot be built after the table's last page. The bootstrap fails
    with a clear message, the cache stays readable without that index, reopens, and the
    next sync downloads everything again (and succeeds once the server's data is
    right)."""
    tables = {t: [dict(r) for r in rows] for t, rows in small_book.items()}
    logs = tables["contact_log"]
    logs[-1]["contact_no"] = logs[0]["contact_no"]
    cache = open_cache(cache_path)
    client = BookClient(tables)
    engine = SyncEngine(cache, client)  # type: ignore[arg-type]
    engine.SNAPSHOT_LIMIT = 100
    with pytest.raises(ServerAnswerError) as failed:
        engine.run(verify=False)
    assert "重复的编号" in failed.value.user_message
    with cache.engine.connect() as conn:
        indexes = {row[0] for row in _schema(conn)}
        assert "ix_contact_log_contact_no" not in indexes
        assert "ix_contact_log_customer_id_started_at" in indexes  # the others are back
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert _state(cache, REBOOTSTRAP) is not None
    cache.dispose()
    cache = open_cache(cache_path)  # a restart: opens, the index stays deferred
    try:
        assert _counts(cache, ["contact_log"]) == {"contact_log": len(logs)}
        logs[-1]["contact_no"] = "CT-RENUMBERED"  # the server's data is right again
        engine = SyncEngine(cache, client)  # type: ignore[arg-type]
        engine.SNAPSHOT_LIMIT = 100
        client.hellos.clear()
        report = engine.run(verify=False)
        assert client.hellos == [0] and report.bootstrapped
        assert _counts(cache, tables) == {t: len(rows) for t, rows in tables.items()}
        with cache.engine.connect() as conn:
            assert "ix_contact_log_contact_no" in {row[0] for row in _schema(conn)}
            assert _state(cache, REBOOTSTRAP) is None
    finally:
        cache.dispose()


def test_unique_numbers_are_indexes_that_refuse_a_duplicate(cache: Cache) -> None:
    """Migration 0006: the three bulk tables' numbers are unique indexes (droppable for
    a bootstrap), with the same rule as the constraints they replace."""
    load_demo_book(cache)
    for table, column in (
        ("account", "account_no"),
        ("contact_log", "contact_no"),
        ("visit", "visit_no"),
    ):
        with cache.engine.connect() as conn:
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": f"ix_{table}_{column}"}
            ).scalar_one()
        assert sql.startswith("CREATE UNIQUE INDEX"), sql
        columns = list(Base.metadata.tables[table].c.keys())
        copied = ", ".join(f"'{table}-copy'" if c == "id" else c for c in columns)
        with pytest.raises(IntegrityError, match="UNIQUE"), cache.engine.begin() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {copied} FROM {table} LIMIT 1"
            )
