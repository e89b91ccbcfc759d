"""A read-only table model over a short list of frozen rows, the base of the Today and
Customer 360 lists.

The lists are small (a section of the day, one customer's holdings or timeline), so
the view hands the whole list over at once with :meth:`RowsModel.set_rows`; there is
nothing to page in. Subclasses name their columns (an ``IntEnum``) and say what each
cell shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ModelIndex = QModelIndex | QPersistentModelIndex


class RowsModel[Row](QAbstractTableModel):
    """Rows of one type, one column per member of :attr:`columns`."""

    columns: type[IntEnum]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        # len() of an IntEnum class is a Python call; data() runs per cell and role.
        self._width = len(self.columns)

    # --- what subclasses say --------------------------------------------------------

    def headers(self) -> dict[int, str]:
        raise NotImplementedError

    def cell(self, row: Row, column: int, role: int) -> Any:
        """What ``role`` of ``column`` shows for ``row`` (None: nothing)."""
        raise NotImplementedError

    # --- the rows -------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    # --- QAbstractTableModel --------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._width

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # An invalid index has row and column -1: the range checks refuse it too.
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < self._width):
            return None
        return self.cell(self._rows[row], column, role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.columns)
        ):
            return self.headers().get(section)
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
