"""How fast does a device bootstrap a 5,000-customer book from the central CRM?

    .venv/bin/python bench/bench_bootstrap.py [--size 5k] [--repeat 3] [--backend sqlite|pg]

The service runs in a separate process (``central-crm serve`` on loopback, over a
SQLite file filled by ``central-crm-demo load-demo --size 5k``, or over a PostgreSQL schema
of the bench's own with ``--backend pg``); the client is this process. ``--repeat``
runs each, alternating, every run into a fresh cache file migrated by ``open_cache``:

* ours: ``SyncEngine.run(verify=False)`` on an empty cache, end to end — hello, every
  snapshot page over HTTP (protocol 2's columnar pages, gzip, as the workbench asks
  for them), applied with its bootstrap position in one local transaction, search
  index included, then the pull that finds nothing more — twice: with ``READ_AHEAD``
  (the next page downloads while one is applied, the default) and without. Wall time
  and the CPU seconds of this process and of the service's. The checksum proof
  (``SyncEngine.verify``) is timed separately, with a sync that has nothing to do for
  comparison, and must say the cache converged;
* raw limit: the same snapshot pages' JSON bodies (the same columnar pages, the same
  page size), fetched once beforehand (not timed), then ``json.loads`` of every body
  and plain ``sqlite3`` ``executemany`` of its row arrays (the wire values as they
  are) into the same migrated schema, with the cache's pragmas, one transaction per
  page as the protocol requires. For context: the same with the secondary indexes
  built once at the end (as the engine does), all in ONE transaction, and the ceiling:
  one transaction, indexes at the end, foreign keys off, nothing synced to disk;
* interrupted, in both modes: a bootstrap that fails at the end of the apply of page
  ``--die-after + 1`` (an exception after its rows were written, before the commit),
  then resumed: the pages applied again and the pages downloaded again are counted.

Every figure is the median of ``--repeat`` runs (machines are shared and noisy; the
load average is printed with each run). Targets (the issue): at least 50,000 rows/s
end to end and within 5x of the raw limit; an interrupted bootstrap redoes at most one
page. Prints a table and writes ``bench/out/bootstrap.json`` (``bootstrap-pg.json``
for PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _service import DEMO_PASSWORD, OUT_DIR, PgSchema, ServiceProcess, load_demo, pg_unreachable

from rm_contract.types import JSONList
from rm_contract.wire import API_PREFIX, PROTOCOL_VERSION, SnapshotPage
from rm_demo.book import SIZES, generate_book
from rm_workbench.db.cache import open_cache
from rm_workbench.errors import OfflineError
from rm_workbench.models import Base
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, device_id

TARGET_ROWS_PER_SECOND = 50_000
TARGET_RATIO = 5.0
# The engine with and without downloading the next page while applying one.
MODES = {"read-ahead": True, "no read-ahead": False}
# The raw limit (per page, the ratio's baseline) and two variants for context.
RAW_KINDS: dict[str, dict[str, bool]] = {
    "per page": {"per_page": True},
    "per page, indexes at the end": {"per_page": True, "defer": True},
    "one transaction": {"per_page": False},
    # The most SQLite can take of these rows from Python here: no rule checked while
    # loading, nothing synced to disk. No bootstrap may work this way; it says what
    # "50,000 rows/s end to end" asks of this machine.
    "one transaction, indexes at the end, no foreign keys, no sync": {
        "per_page": False,
        "defer": True,
        "unsafe": True,
    },
}
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


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def login(base_root: str, cache: Any, username: str, **kwargs: Any) -> CountingClient:
    from rm_contract.wire import LoginRequest

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
    directory: Path,
    name: str,
    service: ServiceProcess,
    username: str,
    limit: int,
    *,
    read_ahead: bool,
) -> dict[str, Any]:
    path = directory / name
    cache = open_cache(path)
    client = login(service.root, cache, username)
    try:
        engine = SyncEngine(cache, client)
        engine.SNAPSHOT_LIMIT = limit
        engine.READ_AHEAD = read_ahead
        server_cpu = process_cpu(service.pid)
        cpu = time.process_time()
        started = time.perf_counter()
        report = engine.run(verify=False)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        server_cpu = process_cpu(service.pid) - server_cpu
        started = time.perf_counter()
        engine.verify(report)
        verify_seconds = time.perf_counter() - started
        if report.converged is not True:
            raise SystemExit(f"bootstrap did not converge: {report.mismatched_tables}")
        started = time.perf_counter()
        if engine.run(verify=False).pulled:
            raise SystemExit("the sync after the bootstrap was meant to have nothing to do")
        noop_seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "client_cpu_seconds": cpu,
            "server_cpu_seconds": server_cpu,
            "rows": report.bootstrapped_rows,
            "pages": len(client.pages),
            "verify_seconds": verify_seconds,
            "noop_sync_seconds": noop_seconds,
        }
    finally:
        client.close()
        cache.dispose()
        remove_db(path)


# --- the raw limit ---------------------------------------------------------------------


def fetch_bodies(root: str, username: str, limit: int) -> Bodies:
    """Every snapshot page's JSON body, as a device gets them (protocol 2's columnar
    pages, gzip asked for)."""
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
            params: dict[str, Any] = {"table": table, "limit": limit, "protocol": 2}
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


def run_raw(
    path: Path, bodies: Bodies, *, per_page: bool, defer: bool = False, unsafe: bool = False
) -> tuple[float, int]:
    """json.loads + executemany of every page; returns (seconds, rows). ``defer``: drop
    the secondary indexes first and build them at the end (timed); ``unsafe``: foreign
    keys off and ``synchronous = OFF`` (the ceiling, not a way to bootstrap)."""
    json_columns = _json_columns()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # The same pragmas as rm_workbench.db.engine sets on every connection.
        db.execute(f"PRAGMA foreign_keys = {'OFF' if unsafe else 'ON'}")
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute(f"PRAGMA synchronous = {'OFF' if unsafe else 'NORMAL'}")
        rows_written = 0
        started = time.perf_counter()
        indexes: list[str] = []
        if defer:
            found = db.execute(
                # Every index that is not a key or unique constraint, unique ones
                # too: what the engine defers (rm_workbench.db.bulk.defer_indexes).
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).fetchall()
            for name, sql in found:
                db.execute(f'DROP INDEX "{name}"')
                indexes.append(sql)
        if not per_page:
            db.execute("BEGIN")
        for table, body in bodies:
            page = json.loads(body)
            columns, rows = page["columns"], page["rows"]
            if not rows:
                continue
            for column in json_columns[table] & set(columns):
                at = columns.index(column)
                for row in rows:
                    if row[at] is not None:
                        row[at] = json.dumps(row[at], ensure_ascii=False)
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            if per_page:
                db.execute("BEGIN")
            db.executemany(sql, rows)
            if per_page:
                db.execute("COMMIT")
            rows_written += len(rows)
        if not per_page:
            db.execute("COMMIT")
        if indexes:
            db.execute("BEGIN")
            for sql in indexes:
                db.execute(sql)
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
    parser.add_argument("--die-after", type=int, default=15, help="pages applied before the kill")
    parser.add_argument(
        "--central-db",
        type=Path,
        default=None,
        help="a SQLite file `central-crm-demo load-demo` filled before (copied; saves the load)",
    )
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
            if args.central_db is not None and args.backend == "sqlite":
                shutil.copyfile(args.central_db, directory / "central.db")
            else:
                load_demo(db_url, args.size)
            print(f"central CRM ({args.backend}) loaded in {time.perf_counter() - started:.1f} s")
            with ServiceProcess(db_url, log=directory / "serve.log") as service:
                print(f"service pid {service.pid} on {service.root}")
                bodies = fetch_bodies(service.root, username, limit)
                body_rows = sum(len(json.loads(b)["rows"]) for _, b in bodies)
                ours: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
                raw: dict[str, list[float]] = {kind: [] for kind in RAW_KINDS}
                rows = 0
                for run in range(args.repeat):
                    for mode, read_ahead in MODES.items():
                        ours[mode].append(
                            run_ours(
                                directory,
                                f"ours-{mode}-{run}.db",
                                service,
                                username,
                                limit,
                                read_ahead=read_ahead,
                            )
                        )
                    for kind, options in RAW_KINDS.items():
                        path = fresh_cache_file(directory, f"raw-{run}.db")
                        seconds, rows = run_raw(path, bodies, **options)
                        raw[kind].append(seconds)
                        remove_db(path)
                    for mode in MODES:
                        if ours[mode][-1]["rows"] != rows:
                            raise SystemExit(f"{mode}: {ours[mode][-1]['rows']} rows, not {rows}")
                    last = ours["read-ahead"][-1]
                    print(
                        f"  run {run + 1} (load {os.getloadavg()[0]:.1f}): "
                        + ", ".join(f"{mode} {ours[mode][-1]['seconds']:.2f} s" for mode in MODES)
                        + f" ({last['pages']} pages, CPU client {last['client_cpu_seconds']:.2f}"
                        f" s + service {last['server_cpu_seconds']:.2f} s; verify "
                        f"{last['verify_seconds']:.3f} s, no-op sync "
                        f"{last['noop_sync_seconds']:.3f} s); raw "
                        + ", ".join(f"{kind} {raw[kind][-1]:.2f} s" for kind in RAW_KINDS)
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
    return summarize(args, out, limit, len(bodies), body_rows, ours, raw, interrupted)


def _median(runs: Sequence[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def summarize(
    args: argparse.Namespace,
    out: Path,
    limit: int,
    bodies: int,
    body_rows: int,
    ours: dict[str, list[dict[str, Any]]],
    raw: dict[str, list[float]],
    interrupted: dict[str, dict[str, Any]],
) -> int:
    """Medians of the runs (best in brackets); ratios of medians, same run."""
    rows = ours["read-ahead"][0]["rows"]
    pages = ours["read-ahead"][0]["pages"]
    median = {mode: _median(runs, "seconds") for mode, runs in ours.items()}
    best = {mode: min(r["seconds"] for r in runs) for mode, runs in ours.items()}
    raw_median = {kind: statistics.median(values) for kind, values in raw.items()}
    raw_limit = raw_median["per page"]
    verdicts: dict[str, dict[str, Any]] = {}
    print()
    print(
        f"{'median of ' + str(args.repeat) + ' runs (best)':<46}{'rows':>9}{'seconds':>16}"
        f"{'rows/s':>10}{'x raw':>7}{'CPU client+svc s':>18}"
    )
    for mode, runs in ours.items():
        seconds = median[mode]
        cpu = f"{_median(runs, 'client_cpu_seconds'):.2f}+{_median(runs, 'server_cpu_seconds'):.2f}"
        print(
            f"{'SyncEngine.run, ' + mode:<46}{rows:>9,}{seconds:>8.2f} ({best[mode]:5.2f})"
            f"{rows / seconds:>10,.0f}{seconds / raw_limit:>7.2f}{cpu:>18}"
        )
    for kind, seconds in raw_median.items():
        label = f"raw: json.loads + executemany, {kind}"
        print(
            f"{label:<46}{rows:>9,}{seconds:>8.2f} ({min(raw[kind]):5.2f})"
            f"{rows / seconds:>10,.0f}{seconds / raw_limit:>7.2f}"
        )
    verify = _median(ours["read-ahead"], "verify_seconds")
    noop = _median(ours["read-ahead"], "noop_sync_seconds")
    print(
        f"page size {limit}, {pages} pages, {bodies} bodies, {body_rows:,} rows; checksum "
        f"pass {verify * 1000:.0f} ms = {verify / noop:.1f}x a no-op sync ({noop * 1000:.1f} ms)"
    )
    for mode in MODES:
        rate = rows / median[mode]
        ratio = median[mode] / raw_limit
        killed = interrupted[mode]
        # The killed page, and the pages read ahead of it (thrown away unapplied).
        ahead = SyncEngine.READ_AHEAD_PAGES if MODES[mode] else 0
        verdicts[mode] = {
            "rows_per_second": round(rate),
            "ratio": round(ratio, 3),
            "rate_ok": rate >= TARGET_ROWS_PER_SECOND,
            "ratio_ok": ratio <= TARGET_RATIO,
            "redone_ok": killed["pages_redone"] <= 1,
            "downloaded_again_ok": killed["pages_downloaded_again"] <= 1 + ahead,
        }
        print(
            f"{mode}: {rate:,.0f} rows/s (>= {TARGET_ROWS_PER_SECOND:,}: "
            f"{'OK' if verdicts[mode]['rate_ok'] else 'MISSED'}), {ratio:.2f}x raw "
            f"(<= {TARGET_RATIO:g}: {'OK' if verdicts[mode]['ratio_ok'] else 'MISSED'}); "
            f"killed after {killed['die_after_pages']} pages, the resumed bootstrap redid "
            f"{killed['pages_redone']} page(s) (<= 1: "
            f"{'OK' if verdicts[mode]['redone_ok'] else 'MISSED'}) and downloaded "
            f"{killed['pages_downloaded_again']} page(s) again"
            + (f" (the killed page and up to {ahead} read ahead)" if ahead else "")
        )

    out.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "size": args.size,
        "backend": args.backend,
        "rows": rows,
        "page_size": limit,
        "pages": pages,
        "repeat": args.repeat,
        "statistic": "median",
        "ours_seconds": {mode: round(v, 3) for mode, v in median.items()},
        "ours_best_seconds": {mode: round(v, 3) for mode, v in best.items()},
        "ours_rows_per_second": {mode: v["rows_per_second"] for mode, v in verdicts.items()},
        "ours_cpu_seconds": {
            mode: {
                "client": round(_median(runs, "client_cpu_seconds"), 3),
                "service": round(_median(runs, "server_cpu_seconds"), 3),
            }
            for mode, runs in ours.items()
        },
        "ratio": {mode: v["ratio"] for mode, v in verdicts.items()},
        "verify_seconds": round(verify, 4),
        "noop_sync_seconds": round(noop, 4),
        "verify_to_noop_ratio": round(verify / noop, 2),
        "raw_seconds": {kind: round(v, 3) for kind, v in raw_median.items()},
        "raw_rows_per_second": {kind: round(rows / v) for kind, v in raw_median.items()},
        "target_rows_per_second": TARGET_ROWS_PER_SECOND,
        "target_ratio": TARGET_RATIO,
        "verdicts": verdicts,
        "interrupted": interrupted,
        "runs": {"ours": ours, "raw": raw},
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
