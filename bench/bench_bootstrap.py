"""How fast does a device bootstrap a 5,000-customer book from the central CRM?

    .venv/bin/python bench/bench_bootstrap.py [--size 5k] [--repeat 3] [--backend sqlite|pg]

The service runs in a separate process (``central-crm serve`` on loopback, over a
SQLite file filled by ``central-crm load-demo --size 5k``, or over a PostgreSQL schema
of the bench's own with ``--backend pg``); the client is this process. Best of
``--repeat`` runs each, alternating, every run into a fresh cache file migrated by
``open_cache``:

* ours: ``SyncEngine.run(verify=False)`` on an empty cache, end to end — hello, every
  snapshot page over HTTP (gzip, as the workbench asks for it), applied with its
  bootstrap position in one local transaction, search index included, then the pull
  that finds nothing more — twice: with ``READ_AHEAD`` (the next page downloads while
  one is applied, the default) and without. The checksum proof
  (``SyncEngine.verify``) is timed separately and must say the cache converged;
* raw limit: the same snapshot pages' JSON bodies, fetched once beforehand (not
  timed), then ``json.loads`` of every body and plain ``sqlite3`` ``executemany`` of its
  rows (INSERT of the wire values as they are) into the same migrated schema, with
  the cache's pragmas, one transaction per page as the protocol requires. For
  context, the same in ONE transaction;
* interrupted, in both modes: a bootstrap that fails at the end of the apply of page
  ``--die-after + 1`` (an exception after its rows were written, before the commit),
  then resumed: the pages applied again and the pages downloaded again are counted.

Targets (the issue): at least 50,000 rows/s end to end and within 5x of the raw limit;
an interrupted bootstrap redoes at most one page. Prints a table and writes
``bench/out/bootstrap.json`` (``bootstrap-pg.json`` for PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _service import (
    DEMO_PASSWORD,
    OUT_DIR,
    PgSchema,
    ServiceProcess,
    load_demo,
    pg_unreachable,
)

from central_crm.demo_book import SIZES, generate_book
from rm_workbench.db.cache import open_cache
from rm_workbench.errors import OfflineError
from rm_workbench.models import Base
from rm_workbench.models.types import JSONList
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, device_id
from rm_workbench.sync.wire import API_PREFIX, PROTOCOL_VERSION, SnapshotPage

TARGET_ROWS_PER_SECOND = 50_000
TARGET_RATIO = 5.0
# The engine with and without downloading the next page while applying one.
MODES = {"read-ahead": True, "no read-ahead": False}
Bodies = list[tuple[str, bytes]]


# --- the client under test -------------------------------------------------------------


class CountingClient(SyncClient):
    """Counts the snapshot pages it downloads, by (table, after_id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages: list[tuple[str, str | None]] = []

    def snapshot(self, table: str, after_id: str | None, limit: int) -> SnapshotPage:
        page = super().snapshot(table, after_id, limit)
        self.pages.append((table, after_id))
        return page


class DyingEngine(SyncEngine):
    """Raises at the end of the apply of page ``die_after + 1``, once: its rows are
    written but not committed (the worst moment: the whole page's work is lost, and
    a page read ahead is already downloaded)."""

    def __init__(self, *args: Any, die_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.die_after = die_after
        self.applied: list[tuple[str, int]] = []

    def _apply_rows(self, conn: Any, table: str, rows: Any) -> None:
        super()._apply_rows(conn, table, rows)
        if self.die_after is not None and len(self.applied) == self.die_after:
            self.die_after = None
            raise OfflineError("断电", "bench: killed in the apply of a snapshot page")
        self.applied.append((table, len(rows)))


def login(base_root: str, cache: Any, username: str, **kwargs: Any) -> CountingClient:
    from rm_workbench.sync.wire import LoginRequest

    client = CountingClient(base_root, **kwargs)
    client.login(
        LoginRequest(username=username, password=DEMO_PASSWORD, device_id=device_id(cache))
    )
    return client


def fresh_cache_file(directory: Path, name: str) -> Path:
    path = directory / name
    open_cache(path).dispose()  # the real migrated schema
    return path


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_ours(
    directory: Path, name: str, root: str, username: str, limit: int, *, read_ahead: bool
) -> dict[str, Any]:
    path = directory / name
    cache = open_cache(path)
    client = login(root, cache, username)
    try:
        engine = SyncEngine(cache, client)
        engine.SNAPSHOT_LIMIT = limit
        engine.READ_AHEAD = read_ahead
        started = time.perf_counter()
        report = engine.run(verify=False)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        engine.verify(report)
        verify_seconds = time.perf_counter() - started
        if report.converged is not True:
            raise SystemExit(f"bootstrap did not converge: {report.mismatched_tables}")
        return {
            "seconds": seconds,
            "rows": report.bootstrapped_rows,
            "pages": len(client.pages),
            "verify_seconds": verify_seconds,
        }
    finally:
        client.close()
        cache.dispose()
        remove_db(path)


# --- the raw limit ---------------------------------------------------------------------


def fetch_bodies(root: str, username: str, limit: int) -> Bodies:
    """Every snapshot page's JSON body, as a device gets them (gzip asked for)."""
    base = f"{root}{API_PREFIX}"
    session = requests.Session()
    device = f"bench-raw-{time.time_ns()}"
    login = session.post(
        f"{base}/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_id": device},
        timeout=60,
    )
    login.raise_for_status()
    session.headers["Authorization"] = f"Bearer {login.json()['token']}"
    hello = session.post(
        f"{base}/sync/hello",
        json={
            "protocol_version": PROTOCOL_VERSION,
            "device_id": device,
            "cursor": 0,
            "client_time": datetime.now(UTC).isoformat(),
        },
        timeout=60,
    )
    hello.raise_for_status()
    bodies: Bodies = []
    for table in hello.json()["tables"]:
        after: str | None = None
        while True:
            params: dict[str, Any] = {"table": table, "limit": limit}
            if after is not None:
                params["after_id"] = after
            answer = session.get(f"{base}/sync/snapshot", params=params, timeout=120)
            answer.raise_for_status()
            bodies.append((table, answer.content))
            after = json.loads(answer.content)["next_after_id"]
            if after is None:
                break
    session.close()
    return bodies


def _json_columns() -> Mapping[str, frozenset[str]]:
    return {
        t.name: frozenset(c.name for c in t.columns if isinstance(c.type, JSONList))
        for t in Base.metadata.sorted_tables
    }


def run_raw(path: Path, bodies: Bodies, *, per_page: bool) -> tuple[float, int]:
    """json.loads + executemany of every page; returns (seconds, rows)."""
    json_columns = _json_columns()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # The same pragmas as rm_workbench.db.engine sets on every connection.
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA synchronous = NORMAL")
        rows_written = 0
        started = time.perf_counter()
        if not per_page:
            db.execute("BEGIN")
        for table, body in bodies:
            rows = json.loads(body)["rows"]
            if not rows:
                continue
            columns = list(rows[0])
            dumped = json_columns[table] & set(columns)
            if dumped:
                for row in rows:
                    for column in dumped:
                        if row[column] is not None:
                            row[column] = json.dumps(row[column], ensure_ascii=False)
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            if per_page:
                db.execute("BEGIN")
            db.executemany(sql, list(map(itemgetter(*columns), rows)))
            if per_page:
                db.execute("COMMIT")
            rows_written += len(rows)
        if not per_page:
            db.execute("COMMIT")
        return time.perf_counter() - started, rows_written
    finally:
        db.close()


# --- interrupted bootstrap ---------------------------------------------------------------


def run_interrupted(
    directory: Path,
    root: str,
    username: str,
    limit: int,
    die_after: int,
    total: int,
    *,
    read_ahead: bool,
) -> dict[str, Any]:
    """Kill a bootstrap in the apply of page ``die_after + 1``, resume it, count.

    ``total``: the pages of an uninterrupted bootstrap. Pages are named by
    (table, after_id), so a page downloaded in both runs is a page downloaded again.
    """
    path = directory / "interrupted.db"
    cache = open_cache(path)
    client = login(root, cache, username)
    try:
        engine = DyingEngine(cache, client, die_after=die_after)
        engine.SNAPSHOT_LIMIT = limit
        engine.READ_AHEAD = read_ahead
        try:
            engine.run(verify=False)
        except OfflineError:
            pass
        else:
            raise SystemExit("the bootstrap was meant to fail and did not")
        first_pages = list(client.pages)
        committed = len(engine.applied)  # the failed apply is not counted
        client.pages.clear()
        engine.applied.clear()
        report = engine.run()
        if report.converged is not True:
            raise SystemExit(f"resumed bootstrap did not converge: {report.mismatched_tables}")
        downloaded_again = sorted(set(first_pages) & set(client.pages), key=str)
        return {
            "die_after_pages": die_after,
            "pages_total": total,
            "pages_downloaded_before_kill": len(first_pages),
            "pages_committed_before_kill": committed,
            "pages_downloaded_on_resume": len(client.pages),
            "pages_applied_on_resume": len(engine.applied),
            # Applies started in both runs (the failed one included) beyond a clean run.
            "pages_redone": committed + 1 + len(engine.applied) - total,
            "pages_downloaded_again": len(downloaded_again),
            "downloaded_again": [list(p) for p in downloaded_again],
        }
    finally:
        client.close()
        cache.dispose()
        remove_db(path)


# --- main --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="5k")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument(
        "--limit", type=int, default=None, help="snapshot page size (default: the engine's)"
    )
    parser.add_argument("--die-after", type=int, default=40, help="pages applied before the kill")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    limit = args.limit or SyncEngine.SNAPSHOT_LIMIT
    name = "bootstrap.json" if args.backend == "sqlite" else "bootstrap-pg.json"
    out = args.out or OUT_DIR / name

    book = generate_book(args.size, with_activity=False)
    username = book.tables["relationship_manager"][0]["employee_no"]

    with tempfile.TemporaryDirectory(prefix="bench-bootstrap-") as tmp:
        directory = Path(tmp)
        schema: PgSchema | None = None
        if args.backend == "pg":
            reason = pg_unreachable()
            if reason:
                raise SystemExit(reason)
            schema = PgSchema("bench_bootstrap").__enter__()
            db_url = schema.url
        else:
            db_url = f"sqlite:///{directory / 'central.db'}"
        try:
            started = time.perf_counter()
            load_demo(db_url, args.size)
            print(f"central CRM ({args.backend}) loaded in {time.perf_counter() - started:.1f} s")
            with ServiceProcess(db_url, log=directory / "serve.log") as service:
                print(f"service pid {service.pid} on {service.root}")
                bodies = fetch_bodies(service.root, username, limit)
                body_rows = sum(len(json.loads(b)["rows"]) for _, b in bodies)
                ours: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
                raw: list[float] = []
                raw_one: list[float] = []
                for run in range(args.repeat):
                    for mode, read_ahead in MODES.items():
                        ours[mode].append(
                            run_ours(
                                directory,
                                f"ours-{mode}-{run}.db",
                                service.root,
                                username,
                                limit,
                                read_ahead=read_ahead,
                            )
                        )
                    path = fresh_cache_file(directory, f"raw-{run}.db")
                    seconds, rows = run_raw(path, bodies, per_page=True)
                    raw.append(seconds)
                    remove_db(path)
                    path = fresh_cache_file(directory, f"raw1-{run}.db")
                    raw_one.append(run_raw(path, bodies, per_page=False)[0])
                    remove_db(path)
                    for mode in MODES:
                        if ours[mode][-1]["rows"] != rows:
                            raise SystemExit(f"{mode}: {ours[mode][-1]['rows']} rows, not {rows}")
                    print(
                        f"  run {run + 1}: "
                        + ", ".join(f"{mode} {ours[mode][-1]['seconds']:.2f} s" for mode in MODES)
                        + f" ({ours['read-ahead'][-1]['pages']} pages, verify "
                        f"{ours['read-ahead'][-1]['verify_seconds']:.2f} s), raw per page "
                        f"{raw[-1]:.2f} s, raw one transaction {raw_one[-1]:.2f} s"
                    )
                interrupted = {
                    mode: run_interrupted(
                        directory,
                        service.root,
                        username,
                        limit,
                        args.die_after,
                        ours[mode][0]["pages"],
                        read_ahead=read_ahead,
                    )
                    for mode, read_ahead in MODES.items()
                }
        finally:
            if schema is not None:
                schema.drop()

    best = {mode: min(runs, key=lambda r: r["seconds"]) for mode, runs in ours.items()}
    rows = best["read-ahead"]["rows"]
    pages = best["read-ahead"]["pages"]
    best_raw, best_raw_one = min(raw), min(raw_one)
    verdicts: dict[str, dict[str, Any]] = {}
    print()
    print(f"{'':<44}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'x raw':>8}")
    for mode in MODES:
        seconds = best[mode]["seconds"]
        label = f"SyncEngine.run, {mode}"
        print(
            f"{label:<44}{rows:>10,}{seconds:>10.2f}{rows / seconds:>12,.0f}"
            f"{seconds / best_raw:>8.2f}"
        )
    for label, seconds in (
        ("raw: json.loads + executemany, per page", best_raw),
        ("raw, one transaction (context)", best_raw_one),
    ):
        print(f"{label:<44}{rows:>10,}{seconds:>10.2f}{rows / seconds:>12,.0f}")
    print(
        f"page size {limit}, {pages} pages, {len(bodies)} bodies, {body_rows:,} rows; "
        f"verify (checksums of every table) {best['read-ahead']['verify_seconds']:.2f} s"
    )
    for mode in MODES:
        rate = rows / best[mode]["seconds"]
        ratio = best[mode]["seconds"] / best_raw
        killed = interrupted[mode]
        verdicts[mode] = {
            "rows_per_second": round(rate),
            "ratio": round(ratio, 3),
            "rate_ok": rate >= TARGET_ROWS_PER_SECOND,
            "ratio_ok": ratio <= TARGET_RATIO,
            "redone_ok": killed["pages_redone"] <= 1,
            "downloaded_again_ok": killed["pages_downloaded_again"] <= 1,
        }
        print(
            f"{mode}: {rate:,.0f} rows/s (>= {TARGET_ROWS_PER_SECOND:,}: "
            f"{'OK' if verdicts[mode]['rate_ok'] else 'MISSED'}), {ratio:.2f}x raw "
            f"(<= {TARGET_RATIO:g}: {'OK' if verdicts[mode]['ratio_ok'] else 'MISSED'}); "
            f"killed after {killed['die_after_pages']} pages, the resumed bootstrap redid "
            f"{killed['pages_redone']} page(s) and downloaded {killed['pages_downloaded_again']} "
            f"page(s) again (<= 1: "
            f"{'OK' if verdicts[mode]['downloaded_again_ok'] else 'MISSED'})"
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "size": args.size,
        "backend": args.backend,
        "rows": rows,
        "page_size": limit,
        "pages": pages,
        "repeat": args.repeat,
        "ours_seconds": {mode: round(b["seconds"], 3) for mode, b in best.items()},
        "ours_rows_per_second": {mode: v["rows_per_second"] for mode, v in verdicts.items()},
        "ratio": {mode: v["ratio"] for mode, v in verdicts.items()},
        "verify_seconds": round(best["read-ahead"]["verify_seconds"], 3),
        "raw_per_page_seconds": round(best_raw, 3),
        "raw_per_page_rows_per_second": round(rows / best_raw),
        "raw_one_transaction_seconds": round(best_raw_one, 3),
        "raw_one_transaction_rows_per_second": round(rows / best_raw_one),
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "target_ratio": TARGET_RATIO,
        "verdicts": verdicts,
        "interrupted": interrupted,
        "runs": {"ours": ours, "raw_per_page": raw, "raw_one_transaction": raw_one},
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
