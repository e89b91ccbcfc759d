"""The table model of one section of the Today screen: who, what and why."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt

from rm_workbench.services.today import TodayItem
from rm_workbench.ui.rows_model import RowsModel

# Roles as plain ints: data() compares them for every cell and role of a paint.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_USER = Qt.ItemDataRole.UserRole.value
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


class TodayColumn(IntEnum):
    CUSTOMER = 0
    TIER = 1
    TITLE = 2  # what
    AMOUNT = 3  # 万元, when the item is about money
    REASON = 4  # why


class TodayItemModel(RowsModel[TodayItem]):
    """The items of one section (:class:`~rm_workbench.services.today.TodayItem`)."""

    columns = TodayColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            TodayColumn.CUSTOMER: self.tr("Customer"),
            TodayColumn.TIER: self.tr("Tier"),
            TodayColumn.TITLE: self.tr("What"),
            TodayColumn.AMOUNT: self.tr("Amount"),
            TodayColumn.REASON: self.tr("Why"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def has_amounts(self) -> bool:
        """Whether an item has an amount its title does not already say."""
        return any(i.amount_wan and i.amount_wan not in i.title for i in self._rows)

    def cell(self, item: TodayItem, column: int, role: int) -> Any:
        if role == _DISPLAY:
            if column == TodayColumn.CUSTOMER:
                return item.customer_name
            if column == TodayColumn.TIER:
                return item.tier or ""
            if column == TodayColumn.TITLE:
                return item.title
            if column == TodayColumn.AMOUNT:
                return item.amount_wan or ""
            return item.reason
        if role == _TOOLTIP:
            # The reason is often longer than its column: the whole item on hover.
            return f"{item.customer_name}（{item.customer_no}）\n{item.title}\n{item.reason}"
        if role == _ALIGNMENT and column == TodayColumn.AMOUNT:
            return _RIGHT
        if role == _USER:
            return item.customer_id
        return None
