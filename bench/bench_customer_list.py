"""Benchmark of the customer list at 50,000 customers: time to open, GUI-thread stalls.

    .venv/bin/python bench/bench_customer_list.py [--customers 50000] [--keep PATH]

Builds a cache with the demo book generator's 50,000 customers (as bench_search.py
does; ``--keep PATH`` keeps the built cache there and reuses it on the next run), then
drives the real :class:`~rm_workbench.ui.customer_list.CustomerListView` on an
offscreen Qt platform:

* **open**: constructing the view until its first page is shown and the count known;
  baseline in the same run: the bare SQL of a first page (by the customer number's
  index) plus ``count(*)``, on a warm connection.
* **stalls**: a ``QTimer`` on the GUI thread ticks every 2 ms and records the longest
  gap between ticks, i.e. the longest time the event loop could not run. Measured
  while scrolling to the bottom (a simulated RM drags the scroll bar to the end every
  frame until all 50,000 rows are in), while searching (queries typed one character
  every 120 ms, then waiting for the answer), while filtering and sorting (tier
  filter, header clicks), and while syncing (``--sync-rounds`` rounds of five syncs,
  each pulling a page of 1,000 changed customers through ``SyncEngine.pull`` on the
  writer lane: parsed from JSON, written with its cursor in one transaction, indexed
  for search, announced; the list refreshing, the RM scrolling meanwhile). Baselines
  in the same run: the timer on an idle event loop, and a bare ``QTableView`` of the
  same size over a trivial model (constant texts, no database, no background work)
  scrolled to the bottom the same way: the floor set by painting a table on this
  machine; the ratios are against it.
* **pages**: ``CustomerService.page_after`` per page while scrolling (what each
  ``fetchMore`` waits for off the GUI thread), against the bare SQL page query.

Like the app, the run calls ``freeze_startup_objects()`` (``gc.freeze``) once started:
without it one full garbage collection over pypinyin's and Qt's objects stalls every
thread for ~140 ms (``--no-freeze`` shows it). Prints a table and writes
``bench/out/customer_list.json``. Targets: open < 300 ms, longest stall < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import (  # noqa: E402
    QAbstractTableModel,
    QElapsedTimer,
    QEventLoop,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
)
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QHeaderView, QTableView  # noqa: E402
from sqlalchemy import select  # noqa: E402

from rm_contract.wire import PullResponse, encode_row  # noqa: E402
from rm_workbench.db.cache import open_cache  # noqa: E402
from rm_workbench.db.engine import Cache  # noqa: E402
from rm_workbench.domain.names import name_readings, normalize  # noqa: E402
from rm_workbench.models import Base  # noqa: E402
from rm_workbench.services.changes import Change  # noqa: E402
from rm_workbench.services.customer_query import CustomerQuery  # noqa: E402
from rm_workbench.services.customers import CustomerService  # noqa: E402
from rm_workbench.sync.engine import CURSOR, SyncEngine, SyncReport  # noqa: E402
from rm_workbench.ui.background import (  # noqa: E402
    freeze_startup_objects,
    run_in_background,
    wait_for_background,
)
from rm_workbench.ui.customer_list import CustomerListView  # noqa: E402
from rm_workbench.ui.customer_table import PAGE_SIZE, Column  # noqa: E402
from rm_workbench.ui.events import changed  # noqa: E402

TARGET_OPEN_MS = 300.0
TARGET_STALL_MS = 50.0
TICK_MS = 2
TYPING_MS = 120  # one character every 120 ms: a quick typist
FRAME_MS = 16
SYNC_PAGES = 5
SYNC_PAGE_ROWS = 1000  # the service's largest pull page (SyncEngine.PULL_LIMIT)


# --- the book --------------------------------------------------------------------------


def build_cache(path: Path, customers: int, seed: int) -> str:
    from rm_demo.book import BookSize, generate_book
    from rm_workbench.db.bulk import load_book
    from rm_workbench.db.search import rebuild_index

    rms = max(1, round(customers / 5000))
    size: str | BookSize = "50k" if customers == 50_000 else BookSize(rms, customers // rms)
    book = generate_book(size, seed=seed, with_activity=False)
    cache = open_cache(path)
    try:
        with cache.engine.begin() as conn:
            load_book(conn, book.tables)
            rebuild_index(conn)
        with cache.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        cache.dispose()
    return f"rm_demo.book.generate_book({size!r})"


# --- measuring the event loop ------------------------------------------------------------


class StallMeter:
    """The longest gap between ticks of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.last = 0.0
        self.longest = 0.0
        self.gaps: list[float] = []

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        gap = now - self.last
        self.last = now
        self.gaps.append(gap)
        self.longest = max(self.longest, gap)

    def start(self) -> None:
        self.longest = 0.0
        self.gaps = []
        self.clock.start()
        self.last = 0.0
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        return {
            "max_stall_ms": round(self.longest, 1),
            "p99_gap_ms": round(gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))], 2),
            "ticks": len(self.gaps),
        }


def run_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> bool:
    """Run the event loop (blocking in it, not spinning) until ``condition`` holds."""
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(1)
    check.timeout.connect(lambda: loop.quit() if condition() else None)
    check.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not condition():
        loop.exec()
    check.stop()
    return condition()


def wait_ms(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def settled(view: CustomerListView) -> bool:
    return not view.model.is_loading() and view.model.total() is not None


# --- the phases ------------------------------------------------------------------------


def typed_queries(cache: Cache, count: int, seed: int) -> list[str]:
    """Initials, Chinese names, pinyin prefixes and phone tails of random customers,
    plus the worst case: one common syllable."""
    with cache.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, category, mobile_phone FROM customer WHERE deleted = 0 ORDER BY id"
        ).all()
    picked = random.Random(seed).sample(rows, count)
    queries: list[str] = ["wang"]
    for number, (name, category, phone) in enumerate(picked):
        readings = name_readings(normalize(name), individual=category != "corporate")
        syllables = readings[0].syllables if readings else ()
        kind = number % 4
        if kind == 0 and syllables:
            queries.append("".join(s[0] for s in syllables)[:4])
        elif kind == 1:
            queries.append(normalize(name)[:4])
        elif kind == 2 and syllables:
            queries.append("".join(syllables)[:6])
        elif phone and len(phone) >= 4:
            queries.append(phone[-4:])
    return queries


def type_char(view: CustomerListView, char: str) -> None:
    """A key press; a Chinese character arrives as an input method's commit."""
    if char.isascii():
        QTest.keyClicks(view.search_box, char)
        return
    event = QInputMethodEvent()
    event.setCommitString(char)
    QApplication.sendEvent(view.search_box, event)


def phase_search(view: CustomerListView, queries: list[str]) -> dict[str, Any]:
    latencies: list[float] = []
    keystrokes = 0
    clock = QElapsedTimer()
    for query in queries:
        view.search_box.clear()
        run_until(lambda: settled(view) and not view.query().text, 30)
        for char in query:
            type_char(view, char)
            keystrokes += 1
            wait_ms(TYPING_MS)
        clock.start()
        expected = query.strip()

        def answered(wanted: str = expected) -> bool:
            return view.query().text == wanted and settled(view)

        run_until(answered, 30)
        latencies.append(clock.nsecsElapsed() / 1e6)
    view.search_box.clear()
    run_until(lambda: settled(view) and not view.query().text, 30)
    return {
        "queries": len(queries),
        "keystrokes": keystrokes,
        # From the last keystroke to the answer on screen, the typing pause included.
        "answer_after_last_key_p50_ms": round(statistics.median(latencies), 1),
        "answer_after_last_key_max_ms": round(max(latencies), 1),
    }


def phase_scroll(view: CustomerListView) -> dict[str, Any]:
    bar = view.table.verticalScrollBar()
    frames = QTimer()
    frames.setInterval(FRAME_MS)
    frames.timeout.connect(lambda: bar.setValue(bar.maximum()))
    started = time.perf_counter()
    frames.start()
    total = view.model.total()
    done = run_until(
        lambda: not view.model.has_more() and view.model.rowCount() == total, timeout_s=600
    )
    frames.stop()
    return {
        "rows": view.model.rowCount(),
        "complete": done,
        "seconds": round(time.perf_counter() - started, 2),
    }


def click_header(view: CustomerListView, column: Column) -> None:
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(
        header.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QPoint(x, header.height() // 2),
    )


def phase_filter_sort(view: CustomerListView) -> dict[str, Any]:
    steps = 0
    tiers = view.tier_filter
    for index in range(1, tiers.count()):
        tiers.setCurrentIndex(index)
        run_until(lambda: settled(view), 30)
        steps += 1
    tiers.setCurrentIndex(0)
    run_until(lambda: settled(view), 30)
    for column in (Column.AUM, Column.AUM, Column.TIER, Column.LIFECYCLE, Column.NAME):
        click_header(view, column)
        run_until(lambda: settled(view), 30)
        steps += 1
    stage = view.life_stage_filter
    stage.setCurrentIndex(1)
    run_until(lambda: settled(view), 30)
    stage.setCurrentIndex(0)
    run_until(lambda: settled(view), 30)
    return {"steps": steps + 2}


class _PagesClient:
    """Serves prepared pull pages the way the HTTP client hands them over: JSON bytes
    parsed into a ``PullResponse`` by pydantic (on the writer lane, as in a sync)."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies

    def pull(self, cursor: int, limit: int) -> PullResponse:
        return PullResponse.model_validate_json(self.bodies.pop(0))


def sync_pages(cache: Cache, rounds: int, pages: int, page_rows: int) -> list[list[bytes]]:
    """For each round, pull pages of ``page_rows`` changed customers each (AUM up by
    1,000 yuan every round, as a nightly balance update brings), as the central CRM
    sends them, with cursors following the cache's."""
    table = Base.metadata.tables["customer"]
    with cache.engine.connect() as conn:
        cursor = int(
            conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = ?", (CURSOR,)).scalar()
            or 0
        )
        stored = conn.execute(select(table).order_by(table.c.id).limit(pages * page_rows))
        rows = [dict(row._mapping) for row in stored]
    bodies: list[list[bytes]] = []
    for round_ in range(1, rounds + 1):
        raised = Decimal(1000 * round_)
        bodies.append([])
        for start in range(0, len(rows), page_rows):
            items = []
            for row in rows[start : start + page_rows]:
                cursor += 1
                wire = encode_row("customer", {**row, "aum": row["aum"] + raised})
                items.append({"seq": cursor, "kind": "row", "table": "customer", "row": wire})
            page = {"items": items, "next_cursor": cursor, "has_more": False}
            bodies[-1].append(json.dumps(page, ensure_ascii=False).encode())
    return bodies


def phase_sync(
    view: CustomerListView, engine: SyncEngine, rounds: list[list[bytes]], meter: StallMeter
) -> dict[str, Any]:
    """Rounds of syncs that each pull one page of changed customers, on the writer lane
    as the app's SyncController runs them (``SyncEngine.pull``: the page and its cursor
    in one transaction, search terms included), each announced as the app does when it
    ends (the list refreshes in place while the next page is written); the RM scrolls
    the list meanwhile. The pages are built and encoded before the meter starts. The
    longest stall of each round is reported too: it is one extreme, and varies."""
    bar = view.table.verticalScrollBar()
    frames = QTimer()
    frames.setInterval(FRAME_MS)
    frames.timeout.connect(lambda: bar.setValue((bar.value() + 37) % max(bar.maximum(), 1)))
    started = time.perf_counter()
    frames.start()
    longest: list[float] = []
    for bodies in rounds:
        finished: list[float] = []
        pages = len(bodies)
        engine.client = _PagesClient(list(bodies))  # type: ignore[assignment]
        first_gap = len(meter.gaps)

        def applied(_result: object, done: list[float] = finished) -> None:
            done.append(time.perf_counter())
            changed(Change("synced", None, ("sync",), frozenset({"customer"})))

        for _ in range(pages):
            run_in_background(partial(engine.pull, SyncReport()), applied, None, lane="write")

        def caught_up(n: int = pages, done: list[float] = finished) -> bool:
            return len(done) == n and settled(view)

        run_until(caught_up, 300)
        longest.append(round(max(meter.gaps[first_gap:], default=0.0), 1))
    frames.stop()
    return {
        "rounds": len(rounds),
        "pages": sum(len(bodies) for bodies in rounds),
        "rows_written": sum(len(bodies) for bodies in rounds) * SYNC_PAGE_ROWS,
        "seconds": round(time.perf_counter() - started, 2),
        "round_max_stall_ms": longest,
        "median_round_max_stall_ms": statistics.median(longest),
    }


# --- baselines -------------------------------------------------------------------------


class _BareModel(QAbstractTableModel):
    """The floor: the same table, rows of constant text added on the GUI thread."""

    TEXTS = (
        "C0000012345",
        "张三丰",
        "黄金",
        "123.45万元",
        "活跃",
        "青年期",
        "138****8000",
        "1101**0021",
    )

    def __init__(self, total: int) -> None:
        super().__init__()
        self.rows = PAGE_SIZE
        self.total = total

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.rows

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.TEXTS)

    def data(self, index: Any, role: int = 0) -> Any:
        return self.TEXTS[index.column()] if role == 0 else None

    def canFetchMore(self, parent: Any) -> bool:
        return not parent.isValid() and self.rows < self.total

    def fetchMore(self, parent: Any) -> None:
        step = min(PAGE_SIZE, self.total - self.rows)
        self.beginInsertRows(QModelIndex(), self.rows, self.rows + step - 1)
        self.rows += step
        self.endInsertRows()


def bare_scroll(total: int) -> dict[str, Any]:
    """Scrolling a bare QTableView (trivial model, no database, no background) to the
    bottom the same way: what painting the table costs on this machine."""
    model = _BareModel(total)
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setStretchLastSection(True)
    table.resize(1200, 760)
    table.show()
    wait_ms(200)
    bar = table.verticalScrollBar()
    frames = QTimer()
    frames.setInterval(FRAME_MS)
    frames.timeout.connect(lambda: bar.setValue(bar.maximum()))
    started = time.perf_counter()
    frames.start()
    run_until(lambda: model.rows >= total, timeout_s=600)
    frames.stop()
    table.close()
    return {"rows": model.rows, "seconds": round(time.perf_counter() - started, 2)}


_BARE_PAGE = (
    "SELECT id, customer_no, name, category, tier, lifecycle_status, id_type, id_number,"
    " credit_code, mobile_phone, other_phone, aum, birth_date, marital_status,"
    " children_count FROM customer WHERE deleted = 0 AND customer_no > ?"
    " ORDER BY customer_no LIMIT ?"
)


def bare_open_ms(cache: Cache) -> float:
    """The bare SQL of a first page plus a count (best of 5, warm connection)."""
    best = float("inf")
    with cache.engine.connect() as conn:
        for _ in range(5):
            started = time.perf_counter()
            conn.exec_driver_sql(_BARE_PAGE, ("", PAGE_SIZE)).all()
            conn.exec_driver_sql("SELECT count(*) FROM customer WHERE deleted = 0").scalar()
            best = min(best, (time.perf_counter() - started) * 1000)
    return best


def page_timings(cache: Cache, service: CustomerService, pages: int) -> dict[str, Any]:
    """page_after (ours) and the bare SQL keyset page on the customer number's index."""
    ours: list[float] = []
    base: list[float] = []
    query = CustomerQuery()
    after = None
    last_no = ""
    with cache.engine.connect() as conn:
        for _ in range(pages):
            started = time.perf_counter()
            page = service.page_after(query, after, PAGE_SIZE)
            ours.append((time.perf_counter() - started) * 1000)
            after = page.next_key
            started = time.perf_counter()
            rows = conn.exec_driver_sql(_BARE_PAGE, (last_no, PAGE_SIZE)).all()
            base.append((time.perf_counter() - started) * 1000)
            last_no = rows[-1][1] if rows else ""
            if after is None:
                break
    return {
        "pages": len(ours),
        "ours_p50_ms": round(statistics.median(ours), 2),
        "ours_max_ms": round(max(ours), 2),
        "bare_sql_p50_ms": round(statistics.median(base), 3),
        "ratio_p50": round(statistics.median(ours) / max(statistics.median(base), 1e-6), 1),
    }


# --- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--queries", type=int, default=24, help="typed search queries")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the built cache here")
    parser.add_argument(
        "--sync-rounds", type=int, default=3, help="rounds of five one-page syncs (default 3)"
    )
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="skip freeze_startup_objects() (what the app calls once it has started)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "customer_list.json")
    args = parser.parse_args()

    load_at_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="bench_customer_list_"))
    path = workdir / "cache.db"
    started = time.perf_counter()
    if args.keep is not None and args.keep.exists():
        shutil.copy2(args.keep, path)
        source = f"kept cache {args.keep}"
    else:
        source = build_cache(path, args.customers, args.seed)
        if args.keep is not None:
            shutil.copy2(path, args.keep)
    build_s = time.perf_counter() - started

    app = QApplication.instance() or QApplication(sys.argv)
    cache = open_cache(path)  # migrates a kept cache of an older revision
    results: dict[str, Any] = {}
    try:
        service = CustomerService(cache)
        with cache.engine.connect() as conn:
            customers = conn.exec_driver_sql(
                "SELECT count(*) FROM customer WHERE deleted = 0"
            ).scalar_one()
        service.page_after(CustomerQuery())  # warm the page cache, as a running app has
        service.count()
        if not args.no_freeze:
            freeze_startup_objects()  # as the app does once it has started
        meter = StallMeter()

        meter.start()
        wait_ms(1000)
        results["idle"] = meter.stop()
        meter.start()
        figures = bare_scroll(customers)
        results["bare_scroll"] = {**figures, **meter.stop()}

        base_open = bare_open_ms(cache)
        meter.start()
        clock = QElapsedTimer()
        clock.start()
        view = CustomerListView(service)
        view.resize(1200, 800)
        view.show()
        run_until(lambda: settled(view) and view.model.rowCount() > 0, 30)
        open_ms = clock.nsecsElapsed() / 1e6
        opened = meter.stop()
        results["open"] = {
            "open_ms": round(open_ms, 1),
            "bare_sql_ms": round(base_open, 2),
            "ratio": round(open_ms / max(base_open, 1e-6), 1),
            "first_rows": view.model.rowCount(),
            "count": view.model.total(),
            "max_stall_ms_while_opening": opened["max_stall_ms"],
        }
        run_until(lambda: view.tier_filter.count() > 1, 30)

        queries = typed_queries(cache, args.queries, args.seed)
        # Prepared before any meter runs: what the central CRM would send.
        rounds = sync_pages(cache, args.sync_rounds, SYNC_PAGES, SYNC_PAGE_ROWS)
        engine = SyncEngine(cache, _PagesClient([]))  # type: ignore[arg-type]
        phases: dict[str, Callable[[], dict[str, Any]]] = {
            "scroll": lambda: phase_scroll(view),
            "search": lambda: phase_search(view, queries),
            "filter_sort": lambda: phase_filter_sort(view),
            "sync": lambda: phase_sync(view, engine, rounds, meter),
        }
        for name, phase in phases.items():
            meter.start()
            figures = phase()
            results[name] = {**figures, **meter.stop()}
        results["pages"] = page_timings(cache, service, pages=250)
        view.close()
        wait_for_background()
    finally:
        cache.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    del app

    bare = results["bare_scroll"]["max_stall_ms"]
    worst = max(results[p]["max_stall_ms"] for p in ("scroll", "search", "filter_sort", "sync"))
    open_ms = results["open"]["open_ms"]
    met = open_ms < TARGET_OPEN_MS and worst < TARGET_STALL_MS
    print(
        f"source: {source}; customers: {customers:,}; build {build_s:.1f} s;"
        f" gc.freeze() after start-up: {'no' if args.no_freeze else 'yes'};"
        f" load average {load_at_start[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print(
        f"open: {open_ms:.1f} ms to the first page and the count"
        f" (bare SQL page + count: {results['open']['bare_sql_ms']:.2f} ms,"
        f" ratio {results['open']['ratio']:.0f}x); target < {TARGET_OPEN_MS:.0f} ms"
    )
    header = f"{'phase':<12}{'longest stall':>14}{'p99 gap':>9}{'vs bare':>9}   what"
    print(header)
    print("-" * (len(header) + 40))
    for label in ("idle", "bare_scroll", "scroll", "search", "filter_sort", "sync"):
        row = results[label]
        what = ", ".join(
            f"{k}={v}" for k, v in row.items() if k not in ("max_stall_ms", "p99_gap_ms", "ticks")
        )
        print(
            f"{label:<12}{row['max_stall_ms']:>11.1f} ms{row['p99_gap_ms']:>6.1f} ms"
            f"{row['max_stall_ms'] / max(bare, 1e-6):>8.1f}x   {what}"
        )
    pages = results["pages"]
    print(
        f"pages (off the GUI thread): page_after p50 {pages['ours_p50_ms']:.2f} ms,"
        f" max {pages['ours_max_ms']:.2f} ms; bare SQL page p50 {pages['bare_sql_p50_ms']:.3f} ms"
        f" (ratio {pages['ratio_p50']:.0f}x)"
    )
    print(
        f"targets: open < {TARGET_OPEN_MS:.0f} ms, longest stall < {TARGET_STALL_MS:.0f} ms:"
        f" {'OK' if met else 'MISSED'} (open {open_ms:.0f} ms, stall {worst:.1f} ms;"
        f" timer tick {TICK_MS} ms)"
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "qt_platform": os.environ.get("QT_QPA_PLATFORM"),
        },
        "source": source,
        "customers": customers,
        "tick_ms": TICK_MS,
        "gc_freeze_after_startup": not args.no_freeze,
        "typing_ms": TYPING_MS,
        "targets": {"open_ms": TARGET_OPEN_MS, "max_stall_ms": TARGET_STALL_MS},
        "target_met": met,
        "results": results,
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written {args.out}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
