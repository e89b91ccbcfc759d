"""Conflicts waiting for the RM: base, theirs and yours per field; keep mine or take
theirs. Settling one needs the central CRM; offline, it says so and waits."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.errors import WorkbenchError
from rm_workbench.services.conflicts import ConflictService, ConflictView, Resolution
from rm_workbench.ui.operations import WriteOp

# The size the dialog opens at, when the screen has room for it.
WIDTH, HEIGHT = 900, 460


class ConflictDialog(QDialog):
    def __init__(self, service: ConflictService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.conflicts: list[ConflictView] = []
        self.setWindowTitle(self.tr("Sync conflicts"))
        self.list = QListWidget()
        self.list.setObjectName("conflict_list")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # A long line is cut with "…" (the whole of it is the tooltip), never scrolled.
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setMinimumWidth(180)
        self.list.currentRowChanged.connect(self._show)
        self.what = QLabel()
        self.what.setObjectName("conflict_what")
        self.what.setWordWrap(True)
        self.base = QLabel()
        self.base.setObjectName("conflict_base")
        self.theirs = QLabel()
        self.theirs.setObjectName("conflict_theirs")
        self.yours = QLabel()
        self.yours.setObjectName("conflict_yours")
        self.theirs_by = QLabel()
        self.theirs_by.setObjectName("conflict_theirs_by")
        self.yours_by = QLabel()
        self.yours_by.setObjectName("conflict_yours_by")
        for label in (self.base, self.theirs, self.yours, self.theirs_by, self.yours_by):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Who made a side reads as a note on the value above it.
        for label in (self.theirs_by, self.yours_by):
            label.setStyleSheet("color: #57534e;")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Before both edits"), self.base)
        form.addRow(self.tr("Theirs (now in the central CRM)"), self.theirs)
        form.addRow(self.tr("Changed by"), self.theirs_by)
        form.addRow(self.tr("Yours"), self.yours)
        form.addRow(self.tr("Changed by"), self.yours_by)
        values = QWidget()
        values.setLayout(form)
        # A long value (notes) scrolls; the buttons stay on screen.
        self.values_area = QScrollArea()
        self.values_area.setObjectName("conflict_values")
        self.values_area.setWidgetResizable(True)
        self.values_area.setFrameShape(QFrame.Shape.NoFrame)
        self.values_area.setWidget(values)
        self.mine_button = QPushButton(self.tr("Keep mine"))
        self.mine_button.setObjectName("keep_mine")
        self.theirs_button = QPushButton(self.tr("Take theirs"))
        self.theirs_button.setObjectName("take_theirs")
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("close_button")
        # Enter never settles a conflict: the RM clicks the side chosen.
        for button in (self.mine_button, self.theirs_button, self.close_button):
            button.setAutoDefault(False)
        self.mine_button.clicked.connect(lambda: self.resolve("mine"))
        self.theirs_button.clicked.connect(lambda: self.resolve("theirs"))
        self.close_button.clicked.connect(self.reject)
        self.message = QLabel()
        self.message.setObjectName("conflict_message")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.theirs_button)
        buttons.addWidget(self.mine_button)
        buttons.addWidget(self.close_button)
        detail = QWidget()
        column = QVBoxLayout(detail)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.what)
        column.addWidget(self.values_area, 1)
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
        self.conflicts = self.service.list()
        self.list.clear()
        for conflict in self.conflicts:
            item = QListWidgetItem(
                f"{conflict.customer_name or conflict.table_label} · {conflict.field_label}"
            )
            item.setToolTip(item.text())
            self.list.addItem(item)
        if self.conflicts:
            self.list.setCurrentRow(0)
        else:
            self._show(-1)

    def _show(self, row: int) -> None:
        has = 0 <= row < len(self.conflicts)
        self.mine_button.setEnabled(has)
        self.theirs_button.setEnabled(has)
        if not has:
            self.what.setText(self.tr("No conflicts are waiting."))
            for label in (self.base, self.theirs, self.yours, self.theirs_by, self.yours_by):
                label.clear()
            return
        conflict = self.conflicts[row]
        self.what.setText(
            self.tr("{customer}: {table}, field “{field}” was changed by someone else too.").format(
                customer=conflict.customer_name or "—",
                table=conflict.table_label,
                field=conflict.field_label,
            )
        )
        self.base.setText(conflict.base)
        self.theirs.setText(conflict.theirs)
        self.yours.setText(conflict.yours)
        unknown = self.tr("(known after the next sync)")
        self.theirs_by.setText(conflict.theirs_by or unknown)
        self.yours_by.setText(conflict.yours_by or unknown)

    def current(self) -> ConflictView | None:
        row = self.list.currentRow()
        return self.conflicts[row] if 0 <= row < len(self.conflicts) else None

    def resolve(self, choice: str) -> None:
        conflict = self.current()
        if conflict is None:
            return
        self.mine_button.setEnabled(False)
        self.theirs_button.setEnabled(False)
        self.message.setText(self.tr("Sending your choice…"))
        service = self.service
        WriteOp(
            self,
            lambda: service.resolve(conflict.conflict_id, choice),  # type: ignore[arg-type]
            lane="network",  # a request, then one transaction on the writer lane
        ).success(self._resolved).failure(self._failed).run_in_background()

    def _resolved(self, resolution: Resolution) -> None:
        self.reload()
        # After the reload: a "moved" answer is the new conflict, now selected.
        self.message.setText(resolution.message)

    def _failed(self, exc: BaseException) -> None:
        text = exc.user_message if isinstance(exc, WorkbenchError) else str(exc)
        self.message.setText(self.tr("Not settled: {reason}").format(reason=text))
        self._show(self.list.currentRow())
