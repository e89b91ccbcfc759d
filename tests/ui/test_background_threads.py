"""run_in_background and the garbage collector's thread (found by the working-day soak,
bench/bench_working_day.py: the app crashed with a segmentation fault or glibc's
"malloc_consolidate(): unaligned fastbin chunk" after a few hundred actions, while
the collector ran on a pool thread allocating in SQLAlchemy).

Views keep their readings' tasks (``self._tasks``) and each task keeps the view's
callbacks: a reference cycle. When a task was a QObject owned by Python, the cyclic
collector destroyed it, C++ object included, on whatever thread ran the collection.
And once the app has started, the collector must not run on a pool thread at all: it
walks and frees Qt's wrappers there while the GUI thread changes them.
"""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from PySide6.QtCore import QObject, Qt

from rm_workbench.ui.background import (
    freeze_startup_objects,
    run_in_background,
    wait_for_background,
)
from tests.ui.test_background import collector_state  # noqa: F401 (a fixture)

TASKS = 300


def test_a_collection_on_a_pool_thread_destroys_no_qt_object_of_a_task(qtbot: Any) -> None:
    gui = threading.get_ident()
    delivered_on: list[int] = []
    destroyed_on: list[int] = []
    for number in range(TASKS):
        readings: list[Any] = []  # a view's list of its readings
        task = run_in_background(
            lambda n=number: n,
            lambda _result, view=readings: delivered_on.append(threading.get_ident()),
            lane="write" if number % 2 == 0 else "read",
        )
        readings.append(task)  # the cycle: list -> task -> callback -> list
        if isinstance(task, QObject):
            task.destroyed.connect(
                lambda *_: destroyed_on.append(threading.get_ident()),
                Qt.ConnectionType.DirectConnection,
            )
        del task, readings
    qtbot.waitUntil(lambda: len(delivered_on) == TASKS, timeout=30_000)
    assert wait_for_background()
    assert set(delivered_on) == {gui}

    collector = threading.Thread(target=gc.collect)  # as a pool thread's allocations do
    collector.start()
    collector.join()
    qtbot.wait(50)
    off_the_gui_thread = [t for t in destroyed_on if t != gui]
    assert not off_the_gui_thread, (
        f"{len(off_the_gui_thread)} task QObjects destroyed on the collector's thread"
    )


def test_after_start_up_the_collector_runs_on_the_gui_thread_only(
    qtbot: Any,
    collector_state: None,  # noqa: F811
) -> None:
    freeze_startup_objects()
    gui = threading.get_ident()
    collected_on: list[int] = []

    def record(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            collected_on.append(threading.get_ident())

    def churn() -> bool:
        for _ in range(20_000):  # cyclic garbage, as a sync's pages make
            node: dict[str, Any] = {}
            node["me"] = node
        return True

    done: list[bool] = []
    gc.callbacks.append(record)
    try:
        for _ in range(8):
            run_in_background(churn, done.append)
        qtbot.waitUntil(lambda: len(done) == 8, timeout=60_000)
        qtbot.waitUntil(lambda: gui in collected_on, timeout=10_000)
    finally:
        gc.callbacks.remove(record)
    assert set(collected_on) == {gui}, (
        f"{sum(t != gui for t in collected_on)} of {len(collected_on)} collections ran on a"
        " pool thread"
    )


class Reader:
    """A view's stand-in: what a reading's callback belongs to."""

    def __init__(self) -> None:
        self.shown: list[int] = []

    def show(self, value: int) -> None:
        self.shown.append(value)


def test_an_answered_task_keeps_nothing_of_its_caller(qtbot: Any) -> None:
    """PySide keeps a few of the pool's finished runnables alive (after 7,000 soak
    actions, 351 of them, each with its task): once answered, a task lets go of the
    call and the callbacks, and of the view they belong to."""
    reader = Reader()
    gone = weakref.ref(reader)
    task = run_in_background(lambda: 7, reader.show, reader.show)  # kept, as PySide does
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    assert reader.shown == [7]
    del reader
    gc.collect()
    assert gone() is None, "the answered task keeps its caller alive"
