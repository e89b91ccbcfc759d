"""The tables of the 360's panels: one look, columns fitted once, a line when empty."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.ui.rows_model import RowsModel


def make_table(name: str, model: RowsModel[Any]) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().lineSpacing() + 10)
    header = table.horizontalHeader()
    header.setMinimumSectionSize(56)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def fit(table: QTableView, widest: int = 320) -> None:
    """Columns as wide as their contents, within reason."""
    table.resizeColumnsToContents()
    for column in range(table.model().columnCount() - 1):
        table.setColumnWidth(column, min(table.columnWidth(column), widest))


class EmptyOr(QStackedWidget):
    """The table, or a line saying the list is empty (not a blank white box)."""

    def __init__(self, table: QTableView, message: str) -> None:
        super().__init__()
        self.table = table
        label = QLabel(message)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: #6b7280;")
        self.addWidget(table)
        self.addWidget(label)

    def show_empty(self) -> None:
        self.setCurrentIndex(0 if self.table.model().rowCount() else 1)


def list_page(list_: QWidget, *buttons: QPushButton, page: QWidget | None = None) -> QWidget:
    """A row of buttons above a list, on ``page`` or a new page."""
    page = page or QWidget()
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 4, 0, 0)
    layout.addLayout(row)
    layout.addWidget(list_, 1)
    return page
