"""The sync corner of the status bar: online or offline, last sync, edits waiting,
conflicts waiting, edits the central CRM refused, "sync now" and a progress bar while
a sync runs."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from rm_workbench.domain.formatting import format_datetime
from rm_workbench.services.sync import SyncStatus
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome


class SyncStatusBar(QWidget):
    conflicts_clicked = Signal()
    rejected_clicked = Signal()

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.online_label = QLabel()
        self.online_label.setObjectName("online_label")
        self.last_sync_label = QLabel()
        self.last_sync_label.setObjectName("last_sync_label")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("pending_label")
        self.conflicts_button = QPushButton()
        self.conflicts_button.setObjectName("conflicts_button")
        self.conflicts_button.setFlat(True)
        self.conflicts_button.setToolTip(
            self.tr("Sync conflicts waiting for your choice (Ctrl+Shift+K)")
        )
        self.conflicts_button.clicked.connect(self.conflicts_clicked)
        self.rejected_button = QPushButton()
        self.rejected_button.setObjectName("rejected_button")
        self.rejected_button.setFlat(True)
        self.rejected_button.setToolTip(
            self.tr("Edits the central CRM did not accept (Ctrl+Shift+J)")
        )
        self.rejected_button.clicked.connect(self.rejected_clicked)
        # Flat red text: the hand says it opens something.
        for button in (self.conflicts_button, self.rejected_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.stage_label = QLabel()
        self.stage_label.setObjectName("sync_stage")
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.sync_button.setObjectName("sync_button")
        self.sync_button.setToolTip(self.tr("Sync with the central CRM (F5)"))
        self.sync_button.clicked.connect(lambda: controller.sync_now())

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # Apart enough that "00:17" and "1 edits waiting" do not read as one figure.
        layout.setSpacing(16)
        for widget in (
            self.online_label,
            self.last_sync_label,
            self.pending_label,
            self.conflicts_button,
            self.rejected_button,
            self.stage_label,
            self.progress,
            self.sync_button,
        ):
            layout.addWidget(widget)

        controller.online_changed.connect(self.show_online)
        controller.status_changed.connect(self.show_status)
        controller.started.connect(self._started)
        controller.progressed.connect(self._progressed)
        controller.finished.connect(self._finished)
        self.show_online(controller.online)
        self.show_status(controller.status)

    def show_online(self, online: bool | None) -> None:
        if online:
            self.online_label.setText("● " + self.tr("Online"))
            self.online_label.setStyleSheet("color: #15803d;")
        else:
            self.online_label.setText("○ " + self.tr("Offline"))
            self.online_label.setStyleSheet("color: #b45309;")
        self.online_label.setProperty("online", bool(online))

    def show_status(self, status: SyncStatus | None) -> None:
        if status is None:
            self.last_sync_label.setText(self.tr("Last sync: never"))
            self.pending_label.setText("")
            self.conflicts_button.hide()
            self.rejected_button.hide()
            return
        when: datetime | None = status.last_sync_at
        self.last_sync_label.setText(
            self.tr("Last sync: {when}").format(when=format_datetime(when))
            if when
            else self.tr("Last sync: never")
        )
        self.pending_label.setText(
            self.tr("{n} edits waiting to go out").format(n=status.pending_edits)
        )
        self.conflicts_button.setText(self.tr("{n} conflicts waiting").format(n=status.conflicts))
        self.conflicts_button.setVisible(status.conflicts > 0)
        self.conflicts_button.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.rejected_button.setText(self.tr("{n} edits not accepted").format(n=status.rejected))
        self.rejected_button.setVisible(status.rejected > 0)
        self.rejected_button.setStyleSheet("color: #b91c1c; font-weight: bold;")

    def _started(self) -> None:
        self.sync_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the first figure comes
        self.progress.show()
        self.stage_label.setText(self.tr("Syncing…"))

    def _progressed(self, stage: str, done: int, total: int | None) -> None:
        self.stage_label.setText(self.stage_text(stage))
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)

    def stage_text(self, stage: str) -> str:
        if stage == "push":
            return self.tr("Sending edits")
        if stage in ("bootstrap", "snapshot"):
            return self.tr("Downloading the book")
        if stage == "pull":
            return self.tr("Receiving changes")
        if stage == "verify":
            return self.tr("Checking")
        return stage

    def _finished(self, outcome: SyncOutcome) -> None:
        self.sync_button.setEnabled(True)
        self.progress.hide()
        if outcome.ok:
            self.stage_label.setText("")
        else:
            self.stage_label.setText(self.tr("Sync failed: see the message"))
