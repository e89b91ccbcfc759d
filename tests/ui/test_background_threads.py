"""run_in_background and the garbage collector's thread (found by the working-day soak,
bench/bench_working_day.py: the app crashed with a segmentation fault or glibc's
"malloc_consolidate(): unaligned fastbin chunk" after a few hundred actions).

Views keep their readings' tasks (``self._tasks``) and each task keeps the view's
callbacks: a reference cycle. When a task was a QObject owned by Python, the cyclic
collector destroyed it, C++ object included, on whatever thread ran the collection:
a pool thread allocating in SQLAlchemy, while the GUI thread used Qt.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt

from rm_workbench.ui.background import run_in_background, wait_for_background

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
            write=number % 2 == 0,
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
