"""The table model of one section of the Today screen: who, what and why."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt

from rm_workbench.services.today import TodayItem
from rm_workbench.ui.rows_model import RowsModel


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
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                TodayColumn.CUSTOMER: item.customer_name,
                TodayColumn.TIER: item.tier or "",
                TodayColumn.TITLE: item.title,
                TodayColumn.AMOUNT: item.amount_wan or "",
                TodayColumn.REASON: item.reason,
            }[TodayColumn(column)]
        if role == Qt.ItemDataRole.ToolTipRole:
            # The reason is often longer than its column: the whole item on hover.
            return f"{item.customer_name}（{item.customer_no}）\n{item.title}\n{item.reason}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == TodayColumn.AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return item.customer_id
        return None
