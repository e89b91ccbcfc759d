"""Sync from the GUI: "sync now", automatic sync, online/offline, the status numbers.

The sync runs on the network lane and hands each of its transactions to the writer
lane (the service's ``writer`` is :func:`~rm_workbench.ui.background.on_writer_lane`):
it never races a local edit for the database, never blocks the GUI thread, and an
RM's save waits for one of its transactions at most, never for the server. The
engine's progress callback is called on the network lane; it reaches the widgets
through a queued signal. After a sync the controller announces exactly what it wrote
(:func:`synced_change`); a sync that wrote nothing announces nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from rm_workbench.errors import AuthRequired, OfflineError
from rm_workbench.services.changes import Change
from rm_workbench.services.connectivity import probe
from rm_workbench.services.sync import SyncService, SyncStatus
from rm_workbench.sync.engine import SyncReport
from rm_workbench.ui.background import Task, on_writer_lane, run_in_background
from rm_workbench.ui.events import changed

log = logging.getLogger(__name__)


def synced_change(report: SyncReport) -> Change | None:
    """The Change a sync made, from what its report says it wrote (None: nothing)."""
    if not report.tables:
        return None
    return Change(
        kind="synced",
        customer_id=None,
        ids=("sync",),
        tables=frozenset(report.tables),
        customer_ids=frozenset(report.customer_ids),
        all_customers=report.all_customers,
    )


@dataclass(frozen=True)
class SyncOutcome:
    """What the status bar says after a sync."""

    ok: bool
    report: SyncReport | None
    error: BaseException | None


class SyncController(QObject):
    """Owns the sync of one workbench; one sync at a time."""

    started = Signal()
    progressed = Signal(str, int, object)  # stage, done, total (int or None)
    finished = Signal(object)  # SyncOutcome
    status_changed = Signal(object)  # SyncStatus
    online_changed = Signal(bool)
    login_needed = Signal(str)  # why
    signed_out = Signal(bool)  # True: the central CRM revoked the token

    def __init__(self, service: SyncService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        service.writer = on_writer_lane  # the sync waits for the network elsewhere
        self.online: bool | None = None
        self.status: SyncStatus | None = None
        self._task: Task | None = None
        self._probe_task: Task | None = None
        self.auto_timer = QTimer(self)
        self.auto_timer.timeout.connect(self._auto_sync)
        self.probe_timer = QTimer(self)
        self.probe_timer.timeout.connect(self.check_online)

    # --- timers -------------------------------------------------------------------

    def start_timers(self, auto_sync_minutes: int, probe_seconds: int) -> None:
        if auto_sync_minutes > 0:
            self.auto_timer.start(auto_sync_minutes * 60_000)
        self.probe_timer.start(probe_seconds * 1000)

    def stop_timers(self) -> None:
        self.auto_timer.stop()
        self.probe_timer.stop()

    def _auto_sync(self) -> None:
        if self.online is not False:
            self.sync_now(automatic=True)

    # --- state --------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._task is not None and self._task.running

    def refresh_status(self) -> None:
        """Re-read the numbers (a few small queries) and tell the status bar."""
        run_in_background(self.service.status, self._status_read, self._status_failed)

    def _status_read(self, status: SyncStatus) -> None:
        self.status = status
        self.status_changed.emit(status)

    def _status_failed(self, exc: BaseException) -> None:
        log.warning("sync status could not be read: %s", exc)

    def _set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.online_changed.emit(online)

    def check_online(self) -> None:
        server = self.service.configured_server()
        if server is None:
            self._set_online(False)
            return
        if self._probe_task is not None and self._probe_task.running:
            return
        ca = self.service.ca_bundle
        self._probe_task = run_in_background(
            lambda: probe(server, ca_bundle=ca),
            self._set_online,
            lambda _exc: self._set_online(False),
        )

    # --- sync ---------------------------------------------------------------------

    def sync_now(self, *, automatic: bool = False) -> bool:
        """Start a sync unless one is running; False when one was already running."""
        if self.busy:
            return False
        self.started.emit()

        def progress(stage: str, done: int, total: int | None) -> None:
            self.progressed.emit(stage, done, total)  # queued to the GUI thread

        service = self.service
        self._task = run_in_background(
            lambda: service.sync(progress=progress),
            self._synced,
            lambda exc: self._failed(exc, automatic),
            lane="network",
        )
        return True

    def sign_out(self) -> None:
        """Revoke the login token on the central CRM and forget it here (in the
        background: it is a network call); edits not yet sent stay queued."""

        def done(revoked: bool) -> None:
            self.signed_out.emit(revoked)
            self.refresh_status()

        def failed(exc: BaseException) -> None:
            log.warning("sign out failed: %s", exc)
            self.signed_out.emit(False)
            self.refresh_status()

        run_in_background(self.service.logout, done, failed)

    def _synced(self, report: SyncReport) -> None:
        self._set_online(True)
        self.finished.emit(SyncOutcome(ok=True, report=report, error=None))
        change = synced_change(report)
        if change is not None:
            changed(change)
        self.refresh_status()

    def _failed(self, exc: BaseException, automatic: bool) -> None:
        if isinstance(exc, OfflineError):
            self._set_online(False)
        elif isinstance(exc, AuthRequired):
            self._set_online(True)
            self.login_needed.emit(exc.user_message)
        log.info("sync failed (%s): %s", "automatic" if automatic else "asked", exc)
        self.finished.emit(SyncOutcome(ok=False, report=None, error=exc))
        self.refresh_status()
