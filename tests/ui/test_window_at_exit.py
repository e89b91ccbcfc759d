"""The main window is gone when its run ends, not left to PySide's clean-up at exit
(found by the working-day soak, bench/bench_working_day.py).

The window's own signal connections keep it alive after ``app.exec()`` returns, to
the interpreter's exit, where PySide deletes every Qt object Python still owns in no
particular order: widgets Python owns under the window (a dialog run with ``exec()``
is Python's afterwards, so are buttons put in a layout before the layout had a
widget) were deleted with it and again on their own, and the process ended with a
segmentation fault or "malloc_consolidate(): unaligned fastbin chunk detected" after
the RM had closed the window (2 of 3 runs of 300 actions with print and conflict
dialogs; none in 4 runs once the window was deleted when its run ended).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import app as app_module
from rm_workbench.ui.conflict_dialog import ConflictDialog
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.settings import Settings


@pytest.fixture
def collector_state() -> Iterator[None]:
    """run_window freezes the start-up objects and sets the collector's schedule."""
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()


def test_the_window_is_deleted_when_its_run_ends(
    qapp: QApplication,
    workbench: Workbench,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    collector_state: None,
) -> None:
    windows: list[MainWindow] = []

    class Recorded(MainWindow):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            windows.append(self)

    monkeypatch.setattr(app_module, "MainWindow", Recorded)
    monkeypatch.setattr(MainWindow, "ask_login", lambda *_args: False)  # no server set
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))

    def the_rms_day() -> None:
        window = windows[0]
        # Ctrl+Shift+K: a dialog run with exec(), Python's once it has run.
        QTimer.singleShot(50, lambda: [d.reject() for d in window.findChildren(ConflictDialog)])
        window.show_conflicts()
        window.close()
        qapp.quit()

    QTimer.singleShot(0, the_rms_day)
    assert app_module.run_window(qapp, workbench, settings, demo=None) == 0
    assert len(windows) == 1
    assert not shiboken6.isValid(windows[0]), "the window outlives its run"
