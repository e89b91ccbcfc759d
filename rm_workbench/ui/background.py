"""Work off the GUI thread: ``run_in_background(fn, on_done, on_error)``.

``fn`` runs on a pool thread and must never touch a widget; ``on_done(result)`` or
``on_error(exc)`` then runs on the GUI thread. Reads go to Qt's global pool; writes
(``lane="write"``) go to one single-thread lane, so edits and syncs never race each
other for SQLite's one writer and are applied in the order they were asked for.

The writer lane carries database transactions only. Work that waits or takes seconds
and writes only at its end runs on a lane of its own and hands each transaction to the
writer lane (:func:`on_writer_lane`): the sync's network calls (``lane="network"``; up
to a minute each) and documents and exports (``lane="files"``: a day's 100 briefs),
so neither ever queues an RM's save behind it.

Both pools' threads run at a lower OS priority than the GUI thread: on a busy machine
a sync's writes and the reads that follow it (SQLite's own work, which runs beside the
GUI thread) otherwise took the CPU the GUI thread needed to paint, and the window froze
for 100 ms at a time (bench/bench_customer_list.py, sync phase: the GUI thread was
waiting for a CPU for 40% of its longest stalls). Start-up is not slower for it
(bench/bench_startup.py): the GUI thread then mostly waits for those reads.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

# How many nice levels below the GUI thread the pools' threads run on Linux (a weight
# of about a third of the GUI thread's when both want a CPU). Elsewhere Qt's
# LowPriority does it (Linux ignores that for ordinary threads).
BACKGROUND_NICE = 5

_writer_pool: QThreadPool | None = None
_reader_pool: QThreadPool | None = None
_lane_pools: dict[str, QThreadPool] = {}  # "network", "files": one thread each
_lowered: set[int] = set()  # native ids of pool threads already lowered


def writer_pool() -> QThreadPool:
    """The one writer lane (a pool with a single thread)."""
    global _writer_pool
    if _writer_pool is None:
        _writer_pool = QThreadPool()
        _writer_pool.setMaxThreadCount(1)
        _writer_pool.setObjectName("writer")
        _writer_pool.setThreadPriority(QThread.Priority.LowPriority)
    return _writer_pool


def lane_pool(lane: Literal["network", "files"]) -> QThreadPool:
    """The single-thread pool of a lane that waits or works long between its writes:
    ``"network"`` (the sync) or ``"files"`` (documents and exports)."""
    pool = _lane_pools.get(lane)
    if pool is None:
        pool = _lane_pools[lane] = QThreadPool()
        pool.setMaxThreadCount(1)
        pool.setObjectName(lane)
        pool.setThreadPriority(QThread.Priority.LowPriority)
    return pool


def reader_pool() -> QThreadPool:
    """Qt's global pool, for reads."""
    global _reader_pool
    if _reader_pool is None:
        _reader_pool = QThreadPool.globalInstance()
        _reader_pool.setThreadPriority(QThread.Priority.LowPriority)
    return _reader_pool


def _below_the_gui_thread() -> None:
    """Lower the calling pool thread's nice level by BACKGROUND_NICE, once (Linux)."""
    thread = threading.get_native_id()
    if thread in _lowered or not sys.platform.startswith("linux"):
        return
    _lowered.add(thread)
    try:
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, nice + BACKGROUND_NICE)
    except OSError as exc:  # not allowed here (a sandbox): the work runs all the same
        log.debug("background thread priority not lowered: %s", exc)


class Task:
    """One background call, seen from the GUI thread: its answer comes back through the
    one :class:`_Deliverer`. Not a QObject: views keep their tasks and the tasks keep the
    views' callbacks, a cycle the collector frees on whatever thread it runs on (a pool
    thread allocating), and a QObject destroyed there corrupts Qt's heap (found by
    bench/bench_working_day.py; tests/ui/test_background_threads.py)."""

    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        self.fn: Callable[[], Any] | None = fn
        self.on_done = on_done
        self.on_error = on_error
        self.cancelled = False
        self.running = True

    def cancel(self) -> None:
        """Drop the result when it comes (the call itself runs to its end)."""
        self.cancelled = True

    def _deliver(self, ok: bool, value: Any) -> None:
        self.running = False
        _pending.discard(self)
        # Answered: let go of the call and the callbacks (and the view they belong to),
        # here on the GUI thread. PySide keeps a few finished runnables alive, each with
        # its task (351 after 7,000 actions of bench/bench_working_day.py).
        on_done, on_error = self.on_done, self.on_error
        self.fn = self.on_done = self.on_error = None
        if self.cancelled:
            return
        if ok:
            if on_done is not None:
                on_done(value)
        elif on_error is not None:
            on_error(value)
        else:
            log.error("background task failed", exc_info=value)


class _Deliverer(QObject):
    """Posts every task's answer to the GUI thread; one for the program, made there."""

    finished = Signal(object, bool, object)  # task, ok, result or exception

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._deliver)

    @Slot(object, bool, object)
    def _deliver(self, task: Task, ok: bool, value: Any) -> None:
        task._deliver(ok, value)


_deliverer: _Deliverer | None = None


class _Runnable(QRunnable):
    def __init__(self, task: Task, deliverer: _Deliverer, *, writer: bool = False) -> None:
        super().__init__()
        self.task = task
        self.deliverer = deliverer
        self.writer = writer

    def run(self) -> None:
        _below_the_gui_thread()
        fn = self.task.fn
        _on_writer.here = self.writer  # on_writer_lane() from here runs at once
        try:
            assert fn is not None  # let go of only once answered
            result = fn()
        except BaseException as exc:  # handed to on_error on the GUI thread
            self.deliverer.finished.emit(self.task, False, exc)
        else:
            self.deliverer.finished.emit(self.task, True, result)
        finally:
            _on_writer.here = False


# Set on the writer lane's thread while it runs a task (see on_writer_lane).
_on_writer = threading.local()


_pending: set[Task] = set()  # keeps tasks alive until their answer is delivered

Lane = Literal["read", "write", "network", "files"]


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    lane: Lane = "read",
) -> Task:
    """Run ``fn`` off the GUI thread, on ``lane``'s pool. UI writes go through
    :class:`rm_workbench.ui.operations.WriteOp`, not here."""
    global _deliverer
    if _deliverer is None:
        _deliverer = _Deliverer()  # on the GUI thread: the answers are delivered there
    task = Task(fn, on_done, on_error)
    _pending.add(task)
    if lane == "read":
        pool = reader_pool()
    elif lane == "write":
        pool = writer_pool()
    else:
        pool = lane_pool(lane)
    pool.start(_Runnable(task, _deliverer, writer=lane == "write"))
    return task


class _WriterCall(QRunnable):
    """One transaction handed to the writer lane by a thread that waits for it."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn: Callable[[], Any] | None = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        _below_the_gui_thread()
        _on_writer.here = True
        try:
            assert self.fn is not None
            self.result = self.fn()
        except BaseException as exc:  # raised again in the waiting thread
            self.error = exc
        finally:
            _on_writer.here = False
            self.done.set()


def on_writer_lane[T](fn: Callable[[], T]) -> T:
    """Run ``fn`` (one transaction) on the writer lane and wait for it; its result or
    its exception comes back here. Called from the network or files lane (the sync
    engine's and the documents' ``writer``); on the writer lane itself ``fn`` runs
    at once. Never from the GUI thread (it would wait for the writer)."""
    if getattr(_on_writer, "here", False):
        return fn()
    call = _WriterCall(fn)
    call.setAutoDelete(False)  # read after it ran
    writer_pool().start(call)
    call.done.wait()
    result, error = call.result, call.error
    call.fn = call.result = call.error = None  # nothing kept alive by the runnable
    if error is not None:
        raise error
    return result


# After start-up the collector's full passes run on a timer, not on allocation counts:
# a full pass walks every container object alive (the 50,000 rows of a scrolled list,
# a sync's pages) with the interpreter lock held, a 50-100 ms stall of the window each
# time, several a minute while scrolling or syncing. Young generations are collected
# as the counts the collector keeps say (they are small), looked at every 100 ms, and
# cycles that live long enough to reach the old generation wait at most two minutes.
# Anki schedules its collections too. All of it on the GUI thread: an automatic
# collection runs on whichever thread allocates past the threshold, a pool thread
# parsing a sync's pages, and there it walks and frees Qt's wrappers while the GUI
# thread changes them (segfaults found by bench/bench_working_day.py;
# tests/ui/test_background_threads.py).
FULL_COLLECTION_EVERY_MS = 120_000
YOUNG_CHECK_EVERY_MS = 100
_NEVER = 1_000_000_000  # allocations before an automatic collection


class _FullCollections(QObject):
    """The collector's passes, all on the GUI thread: the young generations' when the
    collector's counts reach its thresholds of before (looked at every 100 ms), the
    full one every two minutes."""

    def __init__(self, young: int, middle: int) -> None:
        super().__init__()
        self.young, self.middle = young, middle
        self.timer = QTimer(self)
        self.timer.setInterval(FULL_COLLECTION_EVERY_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()
        self.young_timer = QTimer(self)
        self.young_timer.setInterval(YOUNG_CHECK_EVERY_MS)
        self.young_timer.timeout.connect(self.collect_young)
        self.young_timer.start()

    def collect_young(self) -> None:
        allocated, collected_young = gc.get_count()[:2]
        if collected_young >= self.middle:
            gc.collect(1)
        elif allocated >= self.young:
            gc.collect(0)

    def collect(self) -> int:
        started = time.perf_counter()
        found = gc.collect()
        log.debug(
            "full collection: %d objects in %.0f ms", found, (time.perf_counter() - started) * 1000
        )
        return found


_full_collections: _FullCollections | None = None


def freeze_startup_objects() -> _FullCollections:
    """Put every object alive now out of the cyclic garbage collector's reach, and from
    now on run its passes on timers of the GUI thread, never on allocation counts; call
    it once when start-up is done (the main window shown), on the GUI thread. Returns
    the timers' owner (tests run a pass by hand).

    Imported modules, pypinyin's dictionaries and Qt's wrappers are millions of
    objects that live as long as the program. Left in the collector's oldest
    generation, each full collection walks all of them: 140 ms during which no
    thread runs Python, so the GUI thread stalls (bench/bench_customer_list.py,
    scrolling 50,000 customers: longest stall 156 ms without, 33 ms with). Reference
    counting still frees frozen objects; only cycles among them would be kept.
    With the full passes on a timer, the same bench's longest stalls fell again:
    scrolling 57-72 → 24-33 ms, searching 36-43 → 23-36 ms, syncing 65-105 → 53-67 ms.

    Start-up may have held the collector until now (``rm_workbench.cli.start_early``):
    it is turned on again here.
    """
    global _full_collections
    gc.freeze()
    young, middle, _old = gc.get_threshold()
    if _full_collections is None:
        _full_collections = _FullCollections(young, middle)
    gc.set_threshold(_NEVER, middle, _NEVER)
    gc.enable()
    return _full_collections


def wait_for_background(timeout_ms: int = 30_000) -> bool:
    """Wait until every pool is idle (at shutdown and in tests): the lanes that hand
    transactions to the writer lane first, then the writer lane, then the readers."""
    ok = all([pool.waitForDone(timeout_ms) for pool in list(_lane_pools.values())])
    ok = writer_pool().waitForDone(timeout_ms) and ok
    return reader_pool().waitForDone(timeout_ms) and ok
