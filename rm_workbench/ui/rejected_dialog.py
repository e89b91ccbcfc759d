"""Edits the central CRM did not accept: what the RM wrote, why it was refused, and
two ways out — correct the values and send them again, or discard the edit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_datetime
from rm_workbench.errors import WorkbenchError
from rm_workbench.services.changes import Change
from rm_workbench.services.rejected import RejectedEditService, RejectedView
from rm_workbench.ui.background import run_in_background
from rm_workbench.ui.events import changed


class RejectedDialog(QDialog):
    def __init__(self, service: RejectedEditService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.entries: list[RejectedView] = []
        self.editors: dict[str, QLineEdit] = {}
        self.setWindowTitle(self.tr("Edits not accepted"))
        self.resize(820, 440)
        self.list = QListWidget()
        self.list.setObjectName("rejected_list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.currentRowChanged.connect(self._show)
        self.what = QLabel()
        self.what.setObjectName("rejected_what")
        self.what.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("rejected_reason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b91c1c;")
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = QFormLayout()
        self.resend_button = QPushButton(self.tr("Correct and send again"))
        self.resend_button.setObjectName("resend_button")
        self.discard_button = QPushButton(self.tr("Discard"))
        self.discard_button.setObjectName("discard_button")
        self.resend_button.clicked.connect(self.resend)
        self.discard_button.clicked.connect(self.discard)
        self.message = QLabel()
        self.message.setObjectName("rejected_message")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.resend_button)
        detail = QVBoxLayout()
        detail.addWidget(self.what)
        detail.addWidget(self.reason)
        detail.addLayout(self.form)
        detail.addStretch(1)
        detail.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 2)
        layout.addLayout(detail, 3)
        self.reload()

    def reload(self) -> None:
        self.entries = self.service.list()
        self.list.clear()
        for entry in self.entries:
            fields = "、".join(f.label for f in entry.fields)
            self.list.addItem(
                QListWidgetItem(
                    f"{entry.customer_name or entry.table_label} · {entry.op_label}"
                    + (f" · {fields}" if fields else "")
                )
            )
        if self.entries:
            self.list.setCurrentRow(0)
        else:
            self._show(-1)

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}

    def _show(self, row: int) -> None:
        self._clear_form()
        has = 0 <= row < len(self.entries)
        self.discard_button.setEnabled(has)
        self.resend_button.setEnabled(has and self.entries[row].can_resend)
        if not has:
            self.what.setText(self.tr("No edits are waiting here."))
            self.reason.clear()
            return
        entry = self.entries[row]
        self.what.setText(
            self.tr("{customer}: {op} {table}, refused by the central CRM on {when}.").format(
                customer=entry.customer_name or "—",
                op=entry.op_label,
                table=entry.table_label,
                when=format_datetime(entry.rejected_at),
            )
        )
        self.reason.setText(self.tr("Reason: {reason}").format(reason=entry.reason))
        for field in entry.fields:
            editor = QLineEdit(field.value)
            editor.setObjectName(f"rejected_field_{field.name}")
            editor.setReadOnly(entry.op == "delete")
            self.editors[field.name] = editor
            self.form.addRow(field.label, editor)

    def current(self) -> RejectedView | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def resend(self) -> None:
        entry = self.current()
        if entry is None:
            return
        values = {name: editor.text() for name, editor in self.editors.items()}
        self._run(lambda: self.service.resend(entry.id, values), self.tr("Sent again"))

    def discard(self) -> None:
        entry = self.current()
        if entry is None:
            return
        self._run(lambda: self.service.discard(entry.id), self.tr("Discarded"))

    def _run(self, call: object, done: str) -> None:
        self.resend_button.setEnabled(False)
        self.discard_button.setEnabled(False)

        def finished(change: Change) -> None:
            changed(change)
            self.reload()
            self.message.setText(done)

        run_in_background(call, finished, self._failed, write=True)  # type: ignore[arg-type]

    def _failed(self, exc: BaseException) -> None:
        text = exc.user_message if isinstance(exc, WorkbenchError) else str(exc)
        self.message.setText(self.tr("Not done: {reason}").format(reason=text))
        self._show(self.list.currentRow())
