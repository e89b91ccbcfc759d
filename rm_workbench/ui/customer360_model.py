"""The table models of the Customer 360: holdings, group members, timeline, needs and
opportunities (one model per list, columns as IntEnums)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from rm_workbench.domain.formatting import format_date, format_datetime, format_rate
from rm_workbench.services.customer360 import (
    GroupMember,
    GroupView,
    Holding,
    HoldingGroup,
    Holdings,
    TimelineEntry,
)
from rm_workbench.services.needs import NeedItem
from rm_workbench.services.opportunities import OpportunityItem
from rm_workbench.services.records import PRIORITY_LABELS
from rm_workbench.ui.rows_model import RowsModel

GRAY = QColor("#6b7280")
# The service's label of an open account: said only when a holding is otherwise (冻结).
NORMAL = "正常"
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


# --- holdings -------------------------------------------------------------------------


class HoldingColumn(IntEnum):
    PRODUCT = 0  # with the status when it is not the normal one (frozen)
    ACCOUNT = 1
    BALANCE = 2  # 万元
    MATURES_ON = 3
    RATE = 4


class HoldingsModel(RowsModel[HoldingGroup | Holding]):
    """Holdings by product type: a total row per type (bold), then its holdings."""

    columns = HoldingColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            HoldingColumn.PRODUCT: self.tr("Product"),
            HoldingColumn.ACCOUNT: self.tr("Account"),
            HoldingColumn.BALANCE: self.tr("Balance"),
            HoldingColumn.MATURES_ON: self.tr("Matures on"),
            HoldingColumn.RATE: self.tr("Rate"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def set_holdings(self, holdings: Holdings) -> None:
        rows: list[HoldingGroup | Holding] = []
        for group in holdings.groups:
            rows.append(group)
            rows.extend(group.holdings)
        self.set_rows(rows)

    def cell(self, row: HoldingGroup | Holding, column: int, role: int) -> Any:
        if isinstance(row, HoldingGroup):
            return self._group_cell(row, column, role)
        return self._holding_cell(row, column, role)

    def _group_cell(self, group: HoldingGroup, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == HoldingColumn.PRODUCT:
                return self.tr("{label} ({n})").format(label=group.label, n=group.count)
            if column == HoldingColumn.BALANCE:
                return group.total_text
            return ""
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor("#eef2f7"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == HoldingColumn.BALANCE:
            return RIGHT
        return None

    def _holding_cell(self, holding: Holding, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == HoldingColumn.PRODUCT:
                status = "" if holding.status_label == NORMAL else f"（{holding.status_label}）"
                return "    " + (holding.product_name or "") + status
            if column == HoldingColumn.ACCOUNT:
                # The tail is enough to tell accounts apart on screen.
                return self.tr("ending {tail}").format(tail=holding.account_no[-4:])
            if column == HoldingColumn.BALANCE:
                currency = "" if holding.currency == "CNY" else f" {holding.currency}"
                return holding.balance_text + currency
            if column == HoldingColumn.MATURES_ON:
                return "" if holding.matures_on is None else format_date(holding.matures_on)
            return "" if holding.rate is None else format_rate(holding.rate)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            HoldingColumn.BALANCE,
            HoldingColumn.RATE,
        ):
            return RIGHT
        return None


# --- household and group members -------------------------------------------------------


class MemberColumn(IntEnum):
    NAME = 0
    ROLE = 1
    TIER = 2
    GROUP = 3
    CUSTOMER_NO = 4


class MembersModel(RowsModel[tuple[GroupView, GroupMember]]):
    """The members of the customer's households and corporate groups."""

    columns = MemberColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            MemberColumn.NAME: self.tr("Name"),
            MemberColumn.ROLE: self.tr("Role"),
            MemberColumn.TIER: self.tr("Tier"),
            MemberColumn.GROUP: self.tr("Household / group"),
            MemberColumn.CUSTOMER_NO: self.tr("Customer no."),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def set_groups(self, groups: tuple[GroupView, ...]) -> None:
        self.set_rows([(group, member) for group in groups for member in group.members])

    def cell(self, row: tuple[GroupView, GroupMember], column: int, role: int) -> Any:
        group, member = row
        if role == Qt.ItemDataRole.DisplayRole:
            if column == MemberColumn.GROUP:
                return f"{group.name}（{group.kind_label}）"
            if column == MemberColumn.ROLE:
                return member.role_label
            if column == MemberColumn.NAME:
                if member.is_self:
                    return self.tr("{name} (this customer)").format(name=member.name)
                return member.name
            if column == MemberColumn.CUSTOMER_NO:
                return member.customer_no
            return member.tier or ""
        if role == Qt.ItemDataRole.ForegroundRole and member.is_self:
            return QBrush(GRAY)
        if role == Qt.ItemDataRole.ToolTipRole and not member.is_self:
            return self.tr("Double-click or Enter opens {name}").format(name=member.name)
        if role == Qt.ItemDataRole.UserRole:
            return member.customer_id
        return None


# --- timeline -------------------------------------------------------------------------


class TimelineColumn(IntEnum):
    WHEN = 0
    KIND = 1
    TITLE = 2
    STATUS = 3
    DETAIL = 4


KIND_COLORS = {
    "visit": "#1d4ed8",
    "contact": "#047857",
    "need": "#b45309",
    "opportunity": "#7c3aed",
}


class TimelineModel(RowsModel[TimelineEntry]):
    """Visits, contacts, needs and opportunities, newest first (the service's order)."""

    columns = TimelineColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            TimelineColumn.WHEN: self.tr("When"),
            TimelineColumn.KIND: self.tr("Type"),
            TimelineColumn.TITLE: self.tr("What"),
            TimelineColumn.STATUS: self.tr("Status"),
            TimelineColumn.DETAIL: self.tr("Details"),
        }
        self._kinds = {
            "visit": self.tr("Visit"),
            "contact": self.tr("Contact"),
            "need": self.tr("Need"),
            "opportunity": self.tr("Opportunity"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def cell(self, entry: TimelineEntry, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TimelineColumn.WHEN:
                # Needs and opportunities have a day, visits and contacts a time.
                timed = entry.kind in ("visit", "contact")
                return format_datetime(entry.at) if timed else format_date(entry.day)
            if column == TimelineColumn.KIND:
                return self._kinds.get(entry.kind, entry.kind)
            if column == TimelineColumn.TITLE:
                return entry.title
            if column == TimelineColumn.STATUS:
                return entry.status_label or ""
            return entry.detail or ""
        if role == Qt.ItemDataRole.ForegroundRole and column == TimelineColumn.KIND:
            return QBrush(QColor(KIND_COLORS.get(entry.kind, "#374151")))
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (entry.title, entry.detail) if t)
        return None


# --- needs and opportunities ------------------------------------------------------------


class NeedColumn(IntEnum):
    CATEGORY = 0
    SUMMARY = 1
    STATUS = 2
    URGENCY = 3
    STARTED_ON = 4
    ENDS_ON = 5


class NeedsModel(RowsModel[NeedItem]):
    """The customer's needs, open ones first (closed ones in gray)."""

    columns = NeedColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            NeedColumn.CATEGORY: self.tr("Category"),
            NeedColumn.SUMMARY: self.tr("Summary"),
            NeedColumn.STATUS: self.tr("Status"),
            NeedColumn.URGENCY: self.tr("Urgency"),
            NeedColumn.STARTED_ON: self.tr("Since"),
            NeedColumn.ENDS_ON: self.tr("Due"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def cell(self, need: NeedItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                NeedColumn.CATEGORY: need.category_label,
                NeedColumn.SUMMARY: need.summary,
                NeedColumn.STATUS: need.status_label
                + (f"（{need.sub_status}）" if need.sub_status else ""),
                NeedColumn.URGENCY: PRIORITY_LABELS.get(need.urgency, need.urgency),
                NeedColumn.STARTED_ON: format_date(need.started_on),
                NeedColumn.ENDS_ON: "" if need.ends_on is None else format_date(need.ends_on),
            }[NeedColumn(column)]
        if role == Qt.ItemDataRole.ForegroundRole and not need.is_open:
            return QBrush(GRAY)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (need.summary, need.content) if t)
        return None


class OpportunityColumn(IntEnum):
    SUMMARY = 0
    STAGE = 1
    PROBABILITY = 2
    VALUE = 3  # 万元
    PRODUCT = 4
    ENDS_ON = 5


class OpportunitiesModel(RowsModel[OpportunityItem]):
    """The customer's opportunities, open ones first (closed ones in gray)."""

    columns = OpportunityColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            OpportunityColumn.SUMMARY: self.tr("Summary"),
            OpportunityColumn.STAGE: self.tr("Stage"),
            OpportunityColumn.PROBABILITY: self.tr("Probability"),
            OpportunityColumn.VALUE: self.tr("Expected value"),
            OpportunityColumn.PRODUCT: self.tr("Product"),
            OpportunityColumn.ENDS_ON: self.tr("Expected close"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def cell(self, item: OpportunityItem, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                OpportunityColumn.SUMMARY: item.summary,
                OpportunityColumn.STAGE: item.stage_label,
                OpportunityColumn.PROBABILITY: f"{item.probability}%",
                OpportunityColumn.VALUE: item.expected_value_text,
                OpportunityColumn.PRODUCT: item.product_name or "",
                OpportunityColumn.ENDS_ON: ""
                if item.ends_on is None
                else format_date(item.ends_on),
            }[OpportunityColumn(column)]
        if role == Qt.ItemDataRole.ForegroundRole and not item.is_open:
            return QBrush(GRAY)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            OpportunityColumn.PROBABILITY,
            OpportunityColumn.VALUE,
        ):
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(t for t in (item.summary, item.content) if t)
        return None
