"""A dialog run with exec() is deleted once it closed (found by the working-day soak,
bench/bench_working_day.py: after 7,000 actions 128 print options dialogs and 68
conflict dialogs were still alive, hidden children of their screens, one more each
time the RM printed or looked at the conflicts)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QSettings, QTimer
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import printing
from rm_workbench.ui.conflict_dialog import ConflictDialog
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.login_dialog import LoginDialog
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.printing import PrintOptionsDialog
from rm_workbench.ui.rejected_dialog import RejectedDialog
from rm_workbench.ui.settings import Settings


def close_when_shown(kind: type[QWidget]) -> list[str]:
    """Close the dialog of ``kind`` once its own event loop runs (as the RM would);
    the list returned gets its title."""
    closed: list[str] = []

    def look() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        if shown:
            closed.append(shown[0].windowTitle())
            shown[0].close()
        elif not closed:
            QTimer.singleShot(10, look)

    QTimer.singleShot(10, look)
    return closed


OPENERS: dict[str, tuple[type[QWidget], Callable[[MainWindow], object]]] = {
    "print options": (PrintOptionsDialog, lambda w: printing.ask_options("客户简报", w)),
    "printer": (QPrintDialog, lambda w: printing.ask_printer(QPrinter(), w)),
    "conflicts": (ConflictDialog, MainWindow.show_conflicts),
    "rejected edits": (RejectedDialog, MainWindow.show_rejected),
    "login": (LoginDialog, lambda w: w.ask_login("")),
    "error": (QMessageBox, lambda w: show_error(w, RuntimeError("测试"))),
}


@pytest.mark.parametrize("name", list(OPENERS))
def test_a_dialog_run_with_exec_is_deleted_once_closed(
    name: str, qtbot: Any, workbench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind, open_it = OPENERS[name]
    # The error dialog's exec fails the test in this suite (tests/conftest.py): here it
    # closes as the RM would.
    monkeypatch.setattr(QMessageBox, "exec", QDialog.exec)
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(workbench, None, settings)
    qtbot.addWidget(window)
    window.show()
    closed = close_when_shown(kind)
    open_it(window)
    assert closed, f"no {name} dialog was shown"
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not window.findChildren(kind), f"the {name} dialog is kept after it closed"
