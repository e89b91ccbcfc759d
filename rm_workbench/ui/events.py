"""One application-level signal that says what changed (Anki's op-changes).

Every write a screen makes returns a :class:`~rm_workbench.services.changes.Change`;
the write's :class:`~rm_workbench.ui.operations.WriteOp` hands it to :func:`changed`,
and every view decides for itself whether it shows one of the tables (its ``TABLES``)
and must refresh. A sync announces the tables and customers it wrote
(``Change(kind="synced", ...)``, see ``sync_controller.synced_change``), and nothing
when it wrote nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from rm_workbench.services.changes import Change


class AppEvents(QObject):
    changed = Signal(object)  # Change

    def announce(self, change: Change) -> None:
        self.changed.emit(change)


_events: AppEvents | None = None


def app_events() -> AppEvents:
    """The one instance (created on first use, on the GUI thread)."""
    global _events
    if _events is None:
        _events = AppEvents()
    return _events


def changed(change: Change) -> None:
    app_events().announce(change)
