"""The bootstrap's fast paths keep its rules: indexes built after the load and put back
whatever happens, pages read ahead without skipping or repeating one, keys above the
stored ones inserted without a lookup. A client of the tests' own serves the pages,
so these run without a service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from rm_workbench.db.bulk import DEFERRED_INDEXES, bulk_upsert, defer_indexes, restore_indexes
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.errors import OfflineError
from rm_workbench.models import Base
from rm_workbench.sync.engine import SyncEngine, SyncReport
from rm_workbench.sync.wire import (
    PROTOCOL_VERSION,
    SYNCED_TABLES,
    HelloResponse,
    PullResponse,
    SnapshotPage,
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


class PagesClient:
    """Serves ``rows`` of the branch table (every other table empty) in pages."""

    def __init__(self, rows: list[dict[str, Any]], *, fail_at: int | None = None) -> None:
        self.rows = sorted(rows, key=lambda r: r["id"])
        self.fail_at = fail_at
        self.asked: list[tuple[str, str | None]] = []

    def hello(self, request: Any) -> HelloResponse:
        return HelloResponse(
            protocol_min=1,
            protocol_max=PROTOCOL_VERSION,
            server_time=datetime.now(UTC),
            clock_skew_seconds=0.0,
            server_seq=len(self.rows),
            must_bootstrap=request.cursor == 0,
            snapshot_seq=len(self.rows),
            tables=[t for t in SYNCED_TABLES if t != "audit_log"],
        )

    def snapshot(self, table: str, after_id: str | None, limit: int) -> SnapshotPage:
        self.asked.append((table, after_id))
        if self.fail_at is not None and len(self.asked) == self.fail_at:
            self.fail_at = None
            raise OfflineError("断网", "test: the download of a page failed")
        rows = [
            r for r in self.rows if table == "branch" and (after_id is None or r["id"] > after_id)
        ]
        page = rows[:limit]
        more = len(rows) > limit
        return SnapshotPage(
            table=table,
            snapshot_seq=len(self.rows),
            rows=page,
            next_after_id=page[-1]["id"] if more else None,
        )

    def push(self, request: Any) -> Any:  # the outbox is empty
        raise AssertionError("nothing to push")

    def pull(self, cursor: int, limit: int) -> PullResponse:
        return PullResponse(items=[], next_cursor=cursor, has_more=False)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Cache]:
    cache = open_cache(tmp_path / "fresh.db")
    try:
        yield cache
    finally:
        cache.dispose()


def _engine(cache: Cache, client: PagesClient, *, read_ahead: bool) -> SyncEngine:
    engine = SyncEngine(cache, client)  # type: ignore[arg-type]
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
    # Primary keys and unique indexes are rules and stay; plain indexes go.
    with cache.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index'")
        ).all()
    for table, sql in kept:
        if table in SYNCED_TABLES:
            assert sql is None or sql.upper().startswith("CREATE UNIQUE"), sql
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


@pytest.mark.parametrize("read_ahead", [True, False])
def test_bootstrap_pages_in_order_and_indexes_come_back(fresh: Cache, read_ahead: bool) -> None:
    with fresh.engine.connect() as conn:
        before = _schema(conn)
    rows = [_branch(n) for n in range(1, 31)]
    client = PagesClient(rows)
    report = _engine(fresh, client, read_ahead=read_ahead).run(verify=False)
    assert report.bootstrapped_rows == 30
    assert _branch_ids(fresh) == [r["id"] for r in sorted(rows, key=lambda r: r["id"])]
    branch_pages = [after for table, after in client.asked if table == "branch"]
    assert len(branch_pages) == len(set(branch_pages)) == 5  # 7 + 7 + 7 + 7 + 2
    with fresh.engine.connect() as conn:
        assert _schema(conn) == before


@pytest.mark.parametrize("read_ahead", [True, False])
def test_a_failed_download_stops_the_bootstrap_and_it_resumes(
    fresh: Cache, read_ahead: bool
) -> None:
    with fresh.engine.connect() as conn:
        before = _schema(conn)
    rows = [_branch(n) for n in range(1, 31)]
    client = PagesClient(rows, fail_at=3)  # branch is the first table: its third page
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
