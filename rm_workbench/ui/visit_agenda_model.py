"""The agenda of one day as a table model, and what the visit screens share: the
colours of a visit's state and Beijing-time conversions for the date and time edits.

The model holds plain :class:`~rm_workbench.services.visits.VisitSummary` rows; the
view loads them off the GUI thread and hands them over with :meth:`AgendaModel.set_visits`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
)
from PySide6.QtGui import QBrush, QColor, QFont

from rm_contract.vocabulary import VisitStatus
from rm_workbench.domain.formatting import SHANGHAI
from rm_workbench.services.visits import VisitSummary

ModelIndex = QModelIndex | QPersistentModelIndex

# What a visit's card and row show: planned, planned but its time has passed (to be
# written up), done, cancelled.
PLANNED, OVERDUE, DONE, CANCELLED = "planned", "overdue", "done", "cancelled"


@dataclass(frozen=True)
class StateColors:
    fill: str  # card background
    accent: str  # card border and the status text
    text: str


STATE_COLORS: Final[dict[str, StateColors]] = {
    PLANNED: StateColors("#e8f0fe", "#1d4ed8", "#111827"),
    OVERDUE: StateColors("#fff4e0", "#c2410c", "#111827"),
    DONE: StateColors("#e6f4ea", "#15803d", "#111827"),
    CANCELLED: StateColors("#f1f2f4", "#9ca3af", "#6b7280"),
}


def visit_state(visit: VisitSummary, now: datetime) -> str:
    """planned / overdue / done / cancelled: overdue is a planned visit whose planned
    end (or start) has passed and that has not been written up."""
    if visit.status == VisitStatus.DONE:
        return DONE
    if visit.status == VisitStatus.CANCELLED:
        return CANCELLED
    if (visit.planned_end or visit.planned_start) < now:
        return OVERDUE
    return PLANNED


# --- Beijing time for the date and time edits ----------------------------------------


def local_parts(moment: datetime) -> tuple[QDate, QTime]:
    """The Beijing-time date and time of an aware instant, for a QDateEdit/QTimeEdit
    (the machine's own time zone does not matter: the bank works to Beijing time)."""
    local = moment.astimezone(SHANGHAI)
    return QDate(local.year, local.month, local.day), QTime(local.hour, local.minute)


def from_local(day: QDate | date, at: QTime | time) -> datetime:
    """The aware instant of a Beijing-time date and time typed in the edits."""
    the_day = day if isinstance(day, date) else date(day.year(), day.month(), day.day())
    the_time = at if isinstance(at, time) else time(at.hour(), at.minute())
    return datetime.combine(the_day, the_time, SHANGHAI)


def hhmm(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M")


def time_span(visit: VisitSummary) -> str:
    """``09:30–10:30`` (or ``09:30`` without a planned end)."""
    if visit.planned_end is None:
        return hhmm(visit.planned_start)
    return f"{hhmm(visit.planned_start)}–{hhmm(visit.planned_end)}"


class AgendaColumn(IntEnum):
    TIME = 0
    CUSTOMER = 1
    TIER = 2
    PURPOSE = 3
    CATEGORY = 4
    PLACE = 5
    STATUS = 6
    OUTCOME = 7


class AgendaModel(QAbstractTableModel):
    """The visits of one day, in time order (read-only)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._visits: list[VisitSummary] = []
        self._now = datetime.now(SHANGHAI)
        self._headers = {
            AgendaColumn.TIME: self.tr("Time"),
            AgendaColumn.CUSTOMER: self.tr("Customer"),
            AgendaColumn.TIER: self.tr("Tier"),
            AgendaColumn.PURPOSE: self.tr("Purpose"),
            AgendaColumn.CATEGORY: self.tr("Type"),
            AgendaColumn.PLACE: self.tr("Place"),
            AgendaColumn.STATUS: self.tr("Status"),
            AgendaColumn.OUTCOME: self.tr("Outcome"),
        }
        self._overdue = self.tr("To write up")

    # --- what the model shows -----------------------------------------------------

    def set_visits(self, visits: Sequence[VisitSummary], now: datetime) -> None:
        """Show ``visits``; ``now`` decides which planned visits are overdue."""
        self.beginResetModel()
        self._visits = list(visits)
        self._now = now
        self.endResetModel()

    def visit_at(self, row: int) -> VisitSummary:
        return self._visits[row]

    def row_of(self, visit_id: str) -> int | None:
        return next((i for i, v in enumerate(self._visits) if v.id == visit_id), None)

    def visits(self) -> list[VisitSummary]:
        return list(self._visits)

    # --- Qt's model interface -------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visits)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(AgendaColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(AgendaColumn)
        ):
            return self._headers[AgendaColumn(section)]
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._visits):
            return None
        visit = self._visits[index.row()]
        column = AgendaColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(visit, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (AgendaColumn.PURPOSE, AgendaColumn.PLACE, AgendaColumn.OUTCOME):
                return self._text(visit, column) or None
            return None
        state = visit_state(visit, self._now)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == AgendaColumn.STATUS:
                return QBrush(QColor(STATE_COLORS[state].accent))
            if state == CANCELLED:
                return QBrush(QColor(STATE_COLORS[CANCELLED].text))
            return None
        if role == Qt.ItemDataRole.FontRole and state == CANCELLED:
            font = QFont()
            font.setStrikeOut(column == AgendaColumn.CUSTOMER)
            return font
        if role == Qt.ItemDataRole.UserRole:
            return visit.id
        return None

    def _text(self, visit: VisitSummary, column: AgendaColumn) -> str:
        if column == AgendaColumn.TIME:
            return time_span(visit)
        if column == AgendaColumn.CUSTOMER:
            return visit.customer_name
        if column == AgendaColumn.TIER:
            return visit.tier or ""
        if column == AgendaColumn.PURPOSE:
            return visit.purpose or ""
        if column == AgendaColumn.CATEGORY:
            return visit.category_label
        if column == AgendaColumn.PLACE:
            return visit.place or ""
        if column == AgendaColumn.STATUS:
            if visit_state(visit, self._now) == OVERDUE:
                return self._overdue
            return visit.status_label
        return visit.outcome or ""
