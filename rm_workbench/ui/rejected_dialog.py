"""Edits the central CRM did not accept: what the RM wrote, why it was refused, and
two ways out — correct the values and send them again, or discard the edit."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_datetime
from rm_workbench.errors import WorkbenchError
from rm_workbench.services.changes import Change
from rm_workbench.services.rejected import RejectedEditService, RejectedView
from rm_workbench.ui.operations import WriteOp

# The size the dialog opens at, when the screen has room for it.
WIDTH, HEIGHT = 900, 500


def entry_text(entry: RejectedView) -> str:
    """One line of the list: whose, what was done to which record (and, for a change,
    which fields)."""
    text = f"{entry.customer_name or '—'} · {entry.op_label}{entry.table_label}"
    if entry.op == "update" and entry.fields:
        text += " · " + "、".join(f.label for f in entry.fields)
    return text


def shown_fields(entry: RejectedView) -> list[str]:
    """The fields the RM can correct: not the links to other records (customer, RM,
    need…), which the RM cannot choose here; they are sent again as they were."""
    return [f.name for f in entry.fields if not f.name.endswith("_id")]


class RejectedDialog(QDialog):
    def __init__(self, service: RejectedEditService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.entries: list[RejectedView] = []
        self.editors: dict[str, QLineEdit] = {}
        self.setWindowTitle(self.tr("Edits not accepted"))
        self.list = QListWidget()
        self.list.setObjectName("rejected_list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # A long line is cut with "…" (the whole of it is the tooltip), never scrolled.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setMinimumWidth(200)
        self.list.currentRowChanged.connect(self._show)
        self.what = QLabel()
        self.what.setObjectName("rejected_what")
        self.what.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("rejected_reason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b91c1c;")
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint = QLabel()
        self.hint.setObjectName("rejected_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #57534e;")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        fields = QWidget()
        fields.setLayout(self.form)
        # A refused new record can carry many fields: they scroll, the buttons stay.
        self.fields_area = QScrollArea()
        self.fields_area.setObjectName("rejected_fields")
        self.fields_area.setWidgetResizable(True)
        self.fields_area.setFrameShape(QFrame.Shape.NoFrame)
        self.fields_area.setWidget(fields)
        self.resend_button = QPushButton(self.tr("Correct and send again"))
        self.resend_button.setObjectName("resend_button")
        # Enter after correcting a value sends it; it never discards.
        self.resend_button.setDefault(True)
        self.discard_button = QPushButton(self.tr("Discard"))
        self.discard_button.setObjectName("discard_button")
        self.discard_button.setAutoDefault(False)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("close_button")
        self.close_button.setAutoDefault(False)
        self.resend_button.clicked.connect(self.resend)
        self.discard_button.clicked.connect(self.discard)
        self.close_button.clicked.connect(self.reject)
        self.message = QLabel()
        self.message.setObjectName("rejected_message")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.resend_button)
        buttons.addWidget(self.close_button)
        detail = QWidget()
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.what)
        column.addWidget(self.reason)
        column.addWidget(self.hint)
        column.addWidget(self.fields_area, 1)
        self.splitter = QSplitter()
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        screen = (parent or self).screen().availableGeometry()
        self.resize(min(WIDTH, screen.width() * 9 // 10), min(HEIGHT, screen.height() * 9 // 10))
        self.splitter.setSizes([self.width() // 3, self.width() * 2 // 3])
        self.reload()

    def reload(self) -> None:
        self.entries = self.service.list()
        self.list.clear()
        for entry in self.entries:
            item = QListWidgetItem(entry_text(entry))
            item.setToolTip(item.text())
            self.list.addItem(item)
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
            self.hint.clear()
            self.hint.hide()
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
        self.hint.setVisible(not entry.can_resend)
        self.hint.setText(
            ""
            if entry.can_resend
            else self.tr(
                "This record is no longer on this computer (it was deleted in the central "
                "CRM, or its customer was handed over): it cannot be sent again, only "
                "discarded."
            )
        )
        editable = entry.can_resend and entry.op != "delete"
        wanted = shown_fields(entry)
        for field in entry.fields:
            if field.name not in wanted:
                continue
            editor = QLineEdit(field.value)
            editor.setObjectName(f"rejected_field_{field.name}")
            editor.setReadOnly(not editable)
            self.editors[field.name] = editor
            self.form.addRow(field.label, editor)
        # The editors are made after the buttons: put them between the list and the
        # buttons in the tab order.
        chain: list[QWidget] = [self.list, *self.editors.values()]
        chain += [self.resend_button, self.discard_button, self.close_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def current(self) -> RejectedView | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def resend(self) -> None:
        entry = self.current()
        if entry is None or not self.resend_button.isEnabled():
            return
        values = {name: editor.text() for name, editor in self.editors.items()}
        self._run(lambda: self.service.resend(entry.id, values), self.tr("Sent again"))

    def discard(self) -> None:
        entry = self.current()
        if entry is None or not self.confirm_discard():
            return
        self._run(lambda: self.service.discard(entry.id), self.tr("Discarded"))

    def confirm_discard(self) -> bool:
        """Ask first: what the RM wrote in this edit is gone for good."""
        answer = QMessageBox.question(
            self,
            self.tr("Discard this edit?"),
            self.tr(
                "What you wrote in this edit will be lost; the record stays as the "
                "central CRM holds it."
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _run(self, call: Callable[[], Change], done: str) -> None:
        self.resend_button.setEnabled(False)
        self.discard_button.setEnabled(False)

        def finished(_change: Change) -> None:
            self.reload()
            self.message.setText(done)

        WriteOp(self, call).success(finished).failure(self._failed).run_in_background()

    def _failed(self, exc: BaseException) -> None:
        text = exc.user_message if isinstance(exc, WorkbenchError) else str(exc)
        self.message.setText(self.tr("Not done: {reason}").format(reason=text))
        self._show(self.list.currentRow())
