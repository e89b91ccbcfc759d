"""The Today screen: what needs the RM today, in six sections with their counts.

Today's visits, overdue follow-ups, maturities in the next 30 days, birthdays this
week, customers turning dormant and visits due by tier cadence, all computed from the
local cache by :class:`~rm_workbench.services.today.TodayService` (works offline).
The view reads in the background (about 0.3 s over 5,000 customers), shows a
loading state meanwhile, reads again after a write that touches what it shows, a
sync, and at midnight (Beijing time). Enter or a double click on an item announces
its customer (:attr:`TodayView.customer_activated`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_date
from rm_workbench.domain.reminders import day_start, local_today
from rm_workbench.errors import WorkbenchError
from rm_workbench.models import utcnow
from rm_workbench.services.changes import Change
from rm_workbench.services.today import TodayItem
from rm_workbench.services.today import TodayView as DayView
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import Task, run_in_background
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import app_events
from rm_workbench.ui.today_model import TodayColumn, TodayItemModel

log = logging.getLogger(__name__)

# The sections, in screen order (two columns, top to bottom); names of TodayView fields.
SECTIONS = ("visits", "overdue", "maturities", "birthdays", "dormant", "visits_due")
# What the Today screen reads: a write to any of these may change a section.
TABLES = ("visit", "contact_log", "need", "opportunity", "account", "customer")
# Rows a column's width is measured on (the visible ones first).
SIZING_ROWS = 20
# Columns sized to their contents up to these widths; the reason gets the rest.
COLUMN_MAX_WIDTHS = {
    TodayColumn.CUSTOMER: 160,
    TodayColumn.TIER: 60,
    TodayColumn.TITLE: 230,
    TodayColumn.AMOUNT: 110,
}


def _cancel(tasks: list[Task]) -> None:
    """Drop the answers of readings still under way (the view is gone)."""
    for task in tasks:
        task.cancel()


class TodaySection(QFrame):
    """One section: a header with the count, the items, or a message when empty."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"today_{key}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = QLabel()
        self.header.setObjectName(f"today_{key}_header")
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.header.setFont(font)
        self.model = TodayItemModel(self)
        self.table = QTableView()
        self.table.setObjectName(f"today_{key}_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        # Two lines per item: the reason (why) is a sentence, wider than its column.
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().lineSpacing() * 2 + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # A column is sized to the rows on screen and a few after them, not to all of
        # a section's rows (Qt's default reads 1,000): that cost 0.5 s at start-up.
        header.setResizeContentsPrecision(SIZING_ROWS)
        self.message = QLabel()
        self.message.setObjectName(f"today_{key}_message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #6b7280;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.sized = False  # column widths set (from the first rows, or restored)
        self.stack.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)

    def show_items(self, title: str, items: tuple[TodayItem, ...], empty: str) -> None:
        self.header.setText(title)
        self.model.set_rows(items)
        if not items:
            self.show_message(empty)
            return
        self.stack.setCurrentWidget(self.table)
        self.table.setColumnHidden(TodayColumn.AMOUNT, not self.model.has_amounts())
        if not self.sized:  # once: later readings keep the widths the RM chose
            self.sized = True
            for column, widest in COLUMN_MAX_WIDTHS.items():
                self.table.resizeColumnToContents(column)
                width = self.table.columnWidth(column)
                self.table.setColumnWidth(column, min(width, widest))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def showing_items(self) -> bool:
        return self.stack.currentWidget() is self.table


class TodayView(QWidget):
    """The RM's day from the open :class:`~rm_workbench.services.workbench.Workbench`.

    ``clock`` gives the current moment (aware); tests pin it to the demo book's day.
    """

    customer_activated = Signal(str)  # customer id
    loaded = Signal()  # a new reading is on screen

    def __init__(
        self,
        workbench: Workbench,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.clock = clock
        self.day: DayView | None = None
        self._loading = False
        self._again = False  # a change came while reading: read once more afterwards
        tasks: list[Task] = []
        self._tasks = tasks
        self.destroyed.connect(lambda *_: _cancel(tasks))

        self.date_label = QLabel()
        self.date_label.setObjectName("today_date")
        font = self.date_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.date_label.setFont(font)
        self.status_label = QLabel()
        self.status_label.setObjectName("today_status")
        self.status_label.setStyleSheet("color: #6b7280;")
        top = QHBoxLayout()
        top.addWidget(self.date_label)
        top.addStretch(1)
        top.addWidget(self.status_label)

        self.sections: dict[str, TodaySection] = {}
        grid = QGridLayout()
        grid.setSpacing(8)
        for number, key in enumerate(SECTIONS):
            section = TodaySection(key, self)
            section.table.activated.connect(lambda index, s=section: self._activated(s, index))
            section.header.setText(self._title(key, None))
            section.show_message(self.tr("Loading…"))
            self.sections[key] = section
            grid.addWidget(section, number // 2, number % 2)
        for row in range(3):
            grid.setRowStretch(row, 1)
        for column in range(2):
            grid.setColumnStretch(column, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addLayout(grid, 1)

        self._midnight = QTimer(self)
        self._midnight.setSingleShot(True)
        self._midnight.timeout.connect(self.refresh)
        app_events().changed.connect(self._changed)
        self._show_date()
        self.refresh()

    # --- reading ----------------------------------------------------------------------

    def is_loading(self) -> bool:
        return self._loading

    def refresh(self) -> None:
        """Read the day again (in the background); a reading under way is followed by
        one more, so a change announced meanwhile is never missed."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._again = False
        self.status_label.setText(self.tr("Loading…"))
        now = self.clock()
        service = self.workbench.today  # taken now: a login rebuilds the services
        task = run_in_background(lambda: service.view(now), self._show, self._failed)
        self._tasks[:] = [t for t in self._tasks if t.running]
        self._tasks.append(task)

    def _show(self, day: DayView) -> None:
        self._loading = False
        self.day = day
        self._show_date()
        empty = self._empty_texts()
        for key, section in self.sections.items():
            items: tuple[TodayItem, ...] = getattr(day, key)
            section.show_items(self._title(key, len(items)), items, empty[key])
        total = sum(day.counts().values())
        self.status_label.setText(self.tr("{n} items today").format(n=total))
        self._schedule_midnight()
        self.loaded.emit()
        if self._again:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        log.error("reading the Today screen failed", exc_info=exc)
        message = exc.user_message if isinstance(exc, WorkbenchError) else str(exc)
        self.status_label.setText(
            self.tr("Could not read today's work: {error}").format(error=message)
        )
        if self.day is None:
            for section in self.sections.values():
                section.show_message(self.tr("Could not be read."))
        if not isinstance(exc, WorkbenchError):
            show_error(self, exc)
        if self._again:
            self.refresh()

    def _changed(self, change: Change) -> None:
        if change.touches(*TABLES):
            self.refresh()

    # --- the day ----------------------------------------------------------------------

    def _show_date(self) -> None:
        today = self.day.today if self.day is not None else local_today(self.clock())
        weekdays = (
            self.tr("Monday"),
            self.tr("Tuesday"),
            self.tr("Wednesday"),
            self.tr("Thursday"),
            self.tr("Friday"),
            self.tr("Saturday"),
            self.tr("Sunday"),
        )
        self.date_label.setText(
            self.tr("Today: {date}, {weekday}").format(
                date=format_date(today), weekday=weekdays[today.weekday()]
            )
        )

    def _schedule_midnight(self) -> None:
        """Read again just after midnight in Beijing: the sections depend on the day."""
        now = self.clock()
        midnight = day_start(local_today(now) + timedelta(days=1))
        wait = (midnight - now).total_seconds() * 1000 + 1000
        self._midnight.start(int(min(max(wait, 1000), 24 * 3600 * 1000)))

    def showEvent(self, event: QShowEvent) -> None:
        # After a laptop slept through midnight, the timer may not have fired yet.
        super().showEvent(event)
        if self.day is not None and local_today(self.clock()) != self.day.today:
            self.refresh()

    def _title(self, key: str, n: int | None) -> str:
        count = "…" if n is None else str(n)
        titles = {
            "visits": self.tr("Today's visits ({n})"),
            "overdue": self.tr("Overdue follow-ups ({n})"),
            "maturities": self.tr("Maturing in the next 30 days ({n})"),
            "birthdays": self.tr("Birthdays this week ({n})"),
            "dormant": self.tr("Turning dormant ({n})"),
            "visits_due": self.tr("Visits due by tier cadence ({n})"),
        }
        return titles[key].format(n=count)

    def _empty_texts(self) -> dict[str, str]:
        return {
            "visits": self.tr("No visits planned for today."),
            "overdue": self.tr(
                "Nothing overdue: every follow-up, need and opportunity is on time."
            ),
            "maturities": self.tr("No deposit or wealth product matures in the next 30 days."),
            "birthdays": self.tr("No customer has a birthday this week."),
            "dormant": self.tr("No customer is about to turn dormant."),
            "visits_due": self.tr("Every customer with a visit cadence has been visited in time."),
        }

    # --- acting on items --------------------------------------------------------------

    def _activated(self, section: TodaySection, index: QModelIndex) -> None:
        if index.isValid():
            self.customer_activated.emit(section.model.row_at(index.row()).customer_id)

    def counts(self) -> dict[str, int]:
        """Items shown per section (0 while nothing was read yet)."""
        return {key: s.model.rowCount() for key, s in self.sections.items()}

    # --- layout -----------------------------------------------------------------------

    def save_layout(self, settings: Any) -> None:
        for key, section in self.sections.items():
            settings.save_layout(f"today/{key}", section.table.horizontalHeader().saveState())

    def restore_layout(self, settings: Any) -> None:
        for key, section in self.sections.items():
            state = settings.layout(f"today/{key}")
            if state is not None:
                section.table.horizontalHeader().restoreState(state)
                section.sized = True
