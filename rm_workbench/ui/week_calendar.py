"""The week calendar: seven day columns, Monday to Sunday, each a list of visit cards
in time order (time, customer, purpose; coloured by state).

A plain widget over the service's :class:`~rm_workbench.services.visits.WeekCalendar`:
it never reads the cache. One visit is selected across the whole week; Left/Right in a
day's list moves to the neighbouring day, Enter or a double click activates the visit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_short_date
from rm_workbench.services.visits import VisitSummary
from rm_workbench.services.visits import WeekCalendar as Week
from rm_workbench.ui.visit_agenda_model import (
    CANCELLED,
    OVERDUE,
    PLANNED,
    STATE_COLORS,
    time_span,
    visit_state,
)

VISIT_ROLE = Qt.ItemDataRole.UserRole + 1  # the VisitSummary of a card
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  # its state (visit_agenda_model.PLANNED, …)
CARD_PADDING = 6


class VisitCardDelegate(QStyledItemDelegate):
    """Paints a visit as a card: a coloured bar and fill for its state, time and type,
    customer and tier, purpose."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status_texts = {OVERDUE: self.tr("To write up")}

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        line = QFontMetrics(option.font).height()
        return QSize(120, 3 * line + 2 * CARD_PADDING + 6)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        visit: VisitSummary | None = index.data(VISIT_ROLE)
        if visit is None:
            super().paint(painter, option, index)
            return
        state: str = index.data(STATE_ROLE) or PLANNED
        colors = STATE_COLORS[state]
        rect: QRect = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colors.accent), 2 if selected else 1))
        fill = QColor(colors.fill)
        painter.setBrush(fill.darker(112) if selected else fill)
        painter.drawRoundedRect(rect, 5, 5)
        painter.fillRect(
            QRect(rect.left(), rect.top() + 1, 4, rect.height() - 1), QColor(colors.accent)
        )

        base: QFont = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        metrics = QFontMetrics(base)
        line = metrics.height()
        left = rect.left() + 4 + CARD_PADDING
        width = rect.width() - 4 - 2 * CARD_PADDING
        top = rect.top() + CARD_PADDING

        # Line 1: time (bold) and, right-aligned, the status unless it is plainly planned.
        status = "" if state == PLANNED else self.status_texts.get(state, visit.status_label)
        painter.setPen(QColor(colors.accent))
        status_width = metrics.horizontalAdvance(status) if status else 0
        if status:
            painter.setFont(base)
            painter.drawText(
                QRect(left, top, width, line),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                status,
            )
        painter.setFont(bold)
        painter.setPen(QColor(colors.text))
        time_text = QFontMetrics(bold).elidedText(
            time_span(visit), Qt.TextElideMode.ElideRight, max(0, width - status_width - 4)
        )
        painter.drawText(
            QRect(left, top, width, line), int(Qt.AlignmentFlag.AlignVCenter), time_text
        )

        # Line 2: customer (struck through when cancelled) and tier.
        name_font = QFont(bold)
        name_font.setStrikeOut(state == CANCELLED)
        painter.setFont(name_font)
        name = visit.customer_name + (f"  {visit.tier}" if visit.tier else "")
        painter.drawText(
            QRect(left, top + line, width, line),
            int(Qt.AlignmentFlag.AlignVCenter),
            QFontMetrics(name_font).elidedText(name, Qt.TextElideMode.ElideRight, width),
        )
        # Line 3: purpose, or the type of visit when there is none.
        painter.setFont(base)
        painter.setPen(
            QColor(colors.text).lighter(150) if state != CANCELLED else QColor(colors.text)
        )
        purpose = visit.purpose or visit.category_label
        painter.drawText(
            QRect(left, top + 2 * line, width, line),
            int(Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(purpose, Qt.TextElideMode.ElideRight, width),
        )
        painter.restore()


class DayList(QListWidget):
    """The cards of one day; says so when the day has none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = self.tr("No visits")

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor("#9ca3af"))
            painter.drawText(
                self.viewport().rect().adjusted(0, 12, 0, 0),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop),
                self.empty_text,
            )
            painter.end()


class WeekCalendarView(QWidget):
    """Seven day columns with a header each (weekday and date; today stands out)."""

    day_selected = Signal(object)  # date
    visit_selected = Signal(str)  # visit id, "" when none is selected
    visit_activated = Signal(str)  # visit id (double click or Enter)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("week_calendar")
        self._weekdays = (
            self.tr("Mon"),
            self.tr("Tue"),
            self.tr("Wed"),
            self.tr("Thu"),
            self.tr("Fri"),
            self.tr("Sat"),
            self.tr("Sun"),
        )
        self.monday: date | None = None
        self.today: date | None = None
        self.selected_day: date | None = None
        self._updating = False
        self.headers: list[QPushButton] = []
        self.lists: list[DayList] = []
        delegate = VisitCardDelegate(self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        for i in range(7):
            column = QFrame()
            column.setObjectName(f"day_column_{i}")
            box = QVBoxLayout(column)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            header = QPushButton()
            header.setObjectName(f"day_header_{i}")
            header.setCheckable(True)
            header.setFlat(True)
            header.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            header.clicked.connect(lambda _checked=False, i=i: self._header_clicked(i))
            cards = DayList()
            cards.setObjectName(f"day_list_{i}")
            cards.setItemDelegate(delegate)
            cards.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            cards.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            cards.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            cards.setUniformItemSizes(True)
            cards.setSpacing(1)
            cards.setMinimumWidth(110)
            cards.currentItemChanged.connect(
                lambda current, _previous, i=i: self._current_changed(i, current)
            )
            cards.itemActivated.connect(self._activated)
            cards.installEventFilter(self)
            cards.viewport().installEventFilter(self)
            box.addWidget(header)
            box.addWidget(cards, 1)
            row.addWidget(column, 1)
            self.headers.append(header)
            self.lists.append(cards)

    # --- filling --------------------------------------------------------------------

    def set_week(self, week: Week, today: date, now: datetime) -> None:
        """Show ``week``; keeps the selected visit when it is still there."""
        chosen = self.selected_visit_id()
        self._updating = True
        try:
            self.monday = week.monday
            self.today = today
            for i, day in enumerate(week.days):
                cards = self.lists[i]
                cards.clear()
                for visit in day.visits:
                    item = QListWidgetItem()
                    item.setData(Qt.ItemDataRole.UserRole, visit.id)
                    item.setData(VISIT_ROLE, visit)
                    item.setData(STATE_ROLE, visit_state(visit, now))
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, self._spoken(visit))
                    item.setToolTip(self._tooltip(visit))
                    cards.addItem(item)
                self._label_header(i, day.day)
            if self.selected_day is None or not self._in_week(self.selected_day):
                self.selected_day = today if self._in_week(today) else week.monday
        finally:
            self._updating = False
        self._mark_selected_day()
        if chosen and not self.select_visit(chosen):
            self.visit_selected.emit("")

    def _label_header(self, i: int, day: date) -> None:
        header = self.headers[i]
        header.setText(f"{self._weekdays[i]}\n{format_short_date(day)}")
        header.setProperty("is_today", day == self.today)
        font = header.font()
        font.setBold(day == self.today)
        header.setFont(font)

    def _tooltip(self, visit: VisitSummary) -> str:
        parts = [
            f"{time_span(visit)}  {visit.customer_name}（{visit.customer_no}）",
            visit.purpose or "",
            f"{visit.category_label} · {visit.status_label}",
            visit.place or "",
        ]
        return "\n".join(p for p in parts if p)

    def _spoken(self, visit: VisitSummary) -> str:
        return (
            f"{time_span(visit)} {visit.customer_name} {visit.purpose or ''} {visit.status_label}"
        )

    def _in_week(self, day: date) -> bool:
        return self.monday is not None and 0 <= (day - self.monday).days < 7

    # --- selection ------------------------------------------------------------------

    def weekday_name(self, day: date) -> str:
        return self._weekdays[day.weekday()]

    def day(self, index: int) -> date:
        assert self.monday is not None
        return self.monday + timedelta(days=index)

    def day_index(self, day: date) -> int | None:
        return (day - self.monday).days if self.monday and self._in_week(day) else None

    def select_day(self, day: date) -> None:
        """Make ``day`` (in the shown week) the selected day; announces it."""
        if not self._in_week(day):
            return
        changed = day != self.selected_day
        self.selected_day = day
        self._mark_selected_day()
        if changed:
            self.day_selected.emit(day)

    def _mark_selected_day(self) -> None:
        index = None if self.selected_day is None else self.day_index(self.selected_day)
        for i, header in enumerate(self.headers):
            header.setChecked(i == index)
            header.setStyleSheet(_header_style(i == index, header.property("is_today") is True))

    def select_visit(self, visit_id: str) -> bool:
        """Select the card of ``visit_id`` (and its day); False when it is not shown."""
        for i, cards in enumerate(self.lists):
            for row in range(cards.count()):
                item = cards.item(row)
                if item.data(Qt.ItemDataRole.UserRole) == visit_id:
                    cards.setCurrentItem(item)
                    cards.scrollToItem(item)
                    self._current_changed(i, item)
                    return True
        return False

    def clear_visit(self) -> None:
        self._updating = True
        try:
            for cards in self.lists:
                cards.setCurrentRow(-1)
                cards.clearSelection()
        finally:
            self._updating = False

    def selected_visit_id(self) -> str | None:
        # The current card, not the selection: a click makes the card current before
        # it selects it, and the view asks while the card becomes current.
        for cards in self.lists:
            item = cards.currentItem()
            if item is not None:
                return str(item.data(Qt.ItemDataRole.UserRole))
        return None

    def visit_ids(self, day: date) -> list[str]:
        """The ids of the cards of ``day`` (in the shown week), in time order."""
        index = self.day_index(day)
        if index is None:
            return []
        cards = self.lists[index]
        return [str(cards.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(cards.count())]

    def card_rect(self, visit_id: str) -> tuple[DayList, QRect] | None:
        """Where a card is drawn (its list and rectangle in the list's viewport)."""
        for cards in self.lists:
            for row in range(cards.count()):
                item = cards.item(row)
                if item.data(Qt.ItemDataRole.UserRole) == visit_id:
                    return cards, cards.visualItemRect(item)
        return None

    def _current_changed(self, index: int, current: QListWidgetItem | None) -> None:
        if self._updating or current is None:
            return
        self._updating = True
        try:
            for i, cards in enumerate(self.lists):
                if i != index:
                    cards.setCurrentRow(-1)
                    cards.clearSelection()
        finally:
            self._updating = False
        self.select_day(self.day(index))
        self.visit_selected.emit(str(current.data(Qt.ItemDataRole.UserRole)))

    def _header_clicked(self, index: int) -> None:
        self.select_day(self.day(index))
        self._mark_selected_day()

    def _activated(self, item: QListWidgetItem) -> None:
        self.visit_activated.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _move_day(self, index: int, step: int) -> None:
        target = index + step
        if not 0 <= target < 7:
            return
        cards = self.lists[target]
        cards.setFocus(Qt.FocusReason.OtherFocusReason)
        if cards.count():
            row = min(max(self.lists[index].currentRow(), 0), cards.count() - 1)
            cards.setCurrentRow(row)
            self._current_changed(target, cards.item(row))
        else:
            self.clear_visit()
            self.select_day(self.day(target))
            self.visit_selected.emit("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.monday is not None:
            for i, cards in enumerate(self.lists):
                if watched is cards and event.type() == QEvent.Type.KeyPress:
                    assert isinstance(event, QKeyEvent)
                    plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
                    if plain and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
                        self._move_day(i, -1 if event.key() == Qt.Key.Key_Left else 1)
                        return True
                if (
                    watched is cards.viewport()
                    and isinstance(event, QMouseEvent)
                    and event.type() == QEvent.Type.MouseButtonPress
                    and cards.itemAt(event.position().toPoint()) is None
                ):
                    # A click on a day's empty space chooses the day, not a visit.
                    self.clear_visit()
                    self.select_day(self.day(i))
                    self.visit_selected.emit("")
        return super().eventFilter(watched, event)


def _header_style(selected: bool, today: bool) -> str:
    colour = "#1d4ed8" if today else "#374151"
    background = "#dbeafe" if selected else ("#f3f6fb" if today else "transparent")
    border = "#1d4ed8" if selected else "#d1d5db"
    return (
        f"QPushButton {{ color: {colour}; background: {background}; border: none;"
        f" border-bottom: 2px solid {border}; padding: 4px; }}"
    )
