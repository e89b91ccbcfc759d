"""The customer list: a table model that pages rows in as the RM scrolls."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QApplication, QStyle

from rm_workbench.services.customers import CustomerSummary

PAGE_SIZE = 200

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    CUSTOMER_NO = 0
    NAME = 1
    TIER = 2
    LIFECYCLE = 3
    PHONE = 4
    ID_NUMBER = 5


class CustomerTableModel(QAbstractTableModel):
    """Rows come from ``fetch_page(offset, limit)``; only what was scrolled to is loaded.

    ``set_source`` swaps the row source (all customers, or a search result) and
    resets the model; the view then asks ``canFetchMore``/``fetchMore`` for more.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CustomerSummary] = []
        self._total = 0
        self._fetch_page: Callable[[int, int], Sequence[CustomerSummary]] = lambda _o, _l: []
        self._warning_icon = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        self._lifecycle_labels = {
            "potential": self.tr("Potential"),
            "active": self.tr("Active"),
            "dormant": self.tr("Dormant"),
            "lost": self.tr("Lost"),
        }
        self._headers = {
            Column.CUSTOMER_NO: self.tr("Customer no."),
            Column.NAME: self.tr("Name"),
            Column.TIER: self.tr("Tier"),
            Column.LIFECYCLE: self.tr("Status"),
            Column.PHONE: self.tr("Mobile"),
            Column.ID_NUMBER: self.tr("ID number"),
        }

    def set_source(
        self, total: int, fetch_page: Callable[[int, int], Sequence[CustomerSummary]]
    ) -> None:
        self.beginResetModel()
        self._total = total
        self._fetch_page = fetch_page
        self._rows = list(fetch_page(0, PAGE_SIZE)) if total else []
        self.endResetModel()

    def row_at(self, row: int) -> CustomerSummary:
        return self._rows[row]

    def total(self) -> int:
        return self._total

    # Qt overrides ---------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex) -> None:
        if parent.isValid():
            return
        start = len(self._rows)
        page = list(self._fetch_page(start, PAGE_SIZE))
        if not page:
            self._total = start  # the source shrank under us; stop asking
            return
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = Column(index.column())
            if column is Column.CUSTOMER_NO:
                return row.customer_no
            if column is Column.NAME:
                return row.name
            if column is Column.TIER:
                return row.tier or ""
            if column is Column.LIFECYCLE:
                return self._lifecycle_labels.get(row.lifecycle_status, row.lifecycle_status)
            if column is Column.PHONE:
                return row.masked_phone
            return row.masked_id_number
        if (
            role == Qt.ItemDataRole.DecorationRole
            and index.column() == Column.NAME
            and row.warnings
        ):
            return self._warning_icon
        if role == Qt.ItemDataRole.ToolTipRole and row.warnings:
            return "\n".join(row.warnings)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers.get(Column(section)) if 0 <= section < len(Column) else None
        return super().headerData(section, orientation, role)
