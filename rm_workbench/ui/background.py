"""Work off the GUI thread: ``run_in_background(fn, on_done, on_error)``.

``fn`` runs on a pool thread and must never touch a widget; ``on_done(result)`` or
``on_error(exc)`` then runs on the GUI thread. Reads go to Qt's global pool; writes
(``write=True``) go to one single-thread lane, so edits and syncs never race each
other for SQLite's one writer and are applied in the order they were asked for.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_writer_pool: QThreadPool | None = None


def writer_pool() -> QThreadPool:
    """The one writer lane (a pool with a single thread)."""
    global _writer_pool
    if _writer_pool is None:
        _writer_pool = QThreadPool()
        _writer_pool.setMaxThreadCount(1)
        _writer_pool.setObjectName("writer")
    return _writer_pool


class Task(QObject):
    """One background call. Lives on the GUI thread; the runnable posts back to it."""

    _finished = Signal(bool, object)  # ok, result or exception

    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        super().__init__()
        self.fn = fn
        self.on_done = on_done
        self.on_error = on_error
        self.cancelled = False
        self.running = True
        self._finished.connect(self._deliver)

    def cancel(self) -> None:
        """Drop the result when it comes (the call itself runs to its end)."""
        self.cancelled = True

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: Any) -> None:
        self.running = False
        _pending.discard(self)
        if self.cancelled:
            return
        if ok:
            if self.on_done is not None:
                self.on_done(value)
        elif self.on_error is not None:
            self.on_error(value)
        else:
            log.error("background task failed", exc_info=value)


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task

    def run(self) -> None:
        try:
            result = self.task.fn()
        except BaseException as exc:  # handed to on_error on the GUI thread
            self.task._finished.emit(False, exc)
        else:
            self.task._finished.emit(True, result)


_pending: set[Task] = set()  # keeps tasks alive until their answer is delivered


def run_in_background(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    *,
    write: bool = False,
) -> Task:
    """Run ``fn`` off the GUI thread (on the writer lane when ``write``)."""
    task = Task(fn, on_done, on_error)
    _pending.add(task)
    pool = writer_pool() if write else QThreadPool.globalInstance()
    pool.start(_Runnable(task))
    return task


def freeze_startup_objects() -> None:
    """Put every object alive now out of the cyclic garbage collector's reach; call it
    once when start-up is done (the main window shown).

    Imported modules, pypinyin's dictionaries and Qt's wrappers are millions of
    objects that live as long as the program. Left in the collector's oldest
    generation, each full collection walks all of them: 140 ms during which no
    thread runs Python, so the GUI thread stalls (bench/bench_customer_list.py,
    scrolling 50,000 customers: longest stall 156 ms without, 33 ms with). Reference
    counting still frees frozen objects; only cycles among them would be kept.
    """
    gc.freeze()


def wait_for_background(timeout_ms: int = 30_000) -> bool:
    """Wait until both pools are idle (at shutdown and in tests)."""
    ok = writer_pool().waitForDone(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and ok
