"""UI writes in one line (Anki's ``CollectionOp``): ``WriteOp(parent, fn).success(cb)
.run_in_background()``.

The op runs ``fn`` on the writer lane, announces the
:class:`~rm_workbench.services.changes.Change` it returns (``fn`` may return a Change,
or a result with a ``change`` attribute, or say how to find it with ``change=``) on
the one ``changed`` signal, and then calls ``success(result)``. A failure goes to
``failure(exc)`` when given, else to the one error dialog. The write is announced even
when ``parent`` was deleted meanwhile (every view must hear of it); the callbacks,
which belong to ``parent``, are then dropped (a refusal is logged).

``lane``: the writer lane (the default) for a database transaction; ``"files"`` for
work that makes a file and records it in a short transaction of its own, which it
hands to the writer lane itself (:func:`~rm_workbench.ui.background.on_writer_lane`:
PDF batches and exports), ``"network"`` likewise for a request to the central CRM
followed by a transaction (a conflict settled): a slow document or server never
queues an RM's save.

:class:`DialogSave` is the save of a dialog built on it: buttons off while it runs,
a refusal's message shown inside the dialog, which stays open with what was typed.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any, Literal

import shiboken6
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from rm_workbench.errors import WorkbenchError
from rm_workbench.services.changes import Change
from rm_workbench.ui.background import Task, run_in_background
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import changed

log = logging.getLogger(__name__)

Lane = Literal["write", "files", "network"]


def change_of(result: Any) -> Change | None:
    """The Change a write returned: itself, or its ``change`` attribute (may be None)."""
    if isinstance(result, Change):
        return result
    found = getattr(result, "change", None)
    return found if isinstance(found, Change) else None


def alive(widget: QWidget | None) -> bool:
    """Whether the widget's C++ object still exists (None: there is no widget)."""
    return widget is None or shiboken6.isValid(widget)


class WriteOp[T]:
    """One write of the UI: built with the widget it belongs to and the write itself
    (which runs off the GUI thread and never touches a widget)."""

    def __init__(
        self,
        parent: QWidget | None,
        op: Callable[[], T],
        *,
        change: Callable[[T], Change | None] = change_of,
        lane: Lane = "write",
    ) -> None:
        self.parent = parent
        self.op = op
        self._change = change
        self._lane = lane
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[BaseException], None] | None = None

    def success(self, callback: Callable[[T], None]) -> WriteOp[T]:
        """Called on the GUI thread with the write's result, after its Change was
        announced, if ``parent`` is still there."""
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> WriteOp[T]:
        """Called on the GUI thread with the error instead of the error dialog, if
        ``parent`` is still there."""
        self._failure = callback
        return self

    def run_in_background(self) -> Task:
        return run_in_background(self.op, self._done, self._failed, lane=self._lane)

    def _done(self, result: T) -> None:
        change = self._change(result)
        if change is not None:
            changed(change)  # the write happened: every view hears of it
        if self._success is not None and alive(self.parent):
            self._success(result)

    def _failed(self, exc: BaseException) -> None:
        if not alive(self.parent):
            log.error("a write failed after its window was closed", exc_info=exc)
        elif self._failure is not None:
            self._failure(exc)
        else:
            log.warning("a write failed: %s", exc)
            show_error(self.parent, exc)


class DialogSave:
    """The save of a dialog: one write at a time, the dialog's buttons off while it
    runs, the Change announced when done, the service's message (a WorkbenchError:
    the input was refused) shown in the dialog's error line, any other error in the
    error dialog."""

    def __init__(self, dialog: QWidget, buttons: QDialogButtonBox, error: QLabel) -> None:
        # Weak: the dialog keeps its DialogSave; strong references back made a cycle
        # of Qt wrappers that the collector broke on the GUI thread while the save ran
        # on the writer lane, and the process crashed (tests/ui/test_activity_dialogs.py).
        self._dialog = weakref.ref(dialog)
        self._buttons = weakref.ref(buttons)
        self._error = weakref.ref(error)
        self.task: Task | None = None
        self.change: Change | None = None

    @property
    def dialog(self) -> QWidget | None:
        return self._dialog()

    @property
    def buttons(self) -> QDialogButtonBox | None:
        return self._buttons()

    @property
    def error(self) -> QLabel | None:
        return self._error()

    @property
    def running(self) -> bool:
        return self.task is not None and self.task.running

    def show(self, message: str) -> None:
        error = self.error
        if error is not None and alive(error):
            error.setText(message)
            error.show()

    def start(self, fn: Callable[[], Change], on_saved: Callable[[Change], None]) -> None:
        if self.running:
            return
        self._enable(False)
        error = self.error
        if error is not None and alive(error):
            error.hide()

        def saved(change: Change) -> None:
            self.change = change
            self._enable(True)
            on_saved(change)

        self.task = WriteOp(self.dialog, fn).success(saved).failure(self.failed).run_in_background()

    def _enable(self, enabled: bool) -> None:
        buttons = self.buttons
        if buttons is not None and alive(buttons):
            buttons.setEnabled(enabled)

    def failed(self, exc: BaseException) -> None:
        """The message of a WorkbenchError in the dialog, any other in the error dialog."""
        self._enable(True)
        if isinstance(exc, WorkbenchError):
            self.show(exc.user_message)
        else:
            log.error("saving failed", exc_info=exc)
            show_error(self.dialog, exc)
