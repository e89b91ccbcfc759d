"""The Visits tab: the week calendar above, the selected day's agenda below, and the
actions on the selected visit (record, reschedule, cancel, open the customer).

Everything is read from the local cache off the GUI thread and written on the writer
lane, so the screen works the same with the network unplugged. The view reloads the
shown week whenever a write or a sync touched visits or customers
(:func:`~rm_workbench.ui.events.app_events`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_contract.vocabulary import VisitStatus
from rm_workbench.domain.formatting import format_date, format_short_date
from rm_workbench.domain.reminders import local_date, local_today, week_of
from rm_workbench.models import utcnow
from rm_workbench.services.changes import Change
from rm_workbench.services.visits import VisitSummary, WeekCalendar
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import Task, run_in_background
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import app_events
from rm_workbench.ui.printing import print_document
from rm_workbench.ui.visit_agenda_model import AgendaColumn, AgendaModel, from_local
from rm_workbench.ui.visit_dialogs import (
    CancelVisitDialog,
    PlanVisitDialog,
    RescheduleDialog,
    RunVisitDialog,
    VisitDetailDialog,
    cancel_all,
)
from rm_workbench.ui.week_calendar import WeekCalendarView

log = logging.getLogger(__name__)

# The tables the week reads: a Change that touches one of them refreshes it
# (tests/ui/test_view_tables.py checks the list against what it reads).
TABLES = ("visit", "customer")
SPLITTER_LAYOUT = "visits/splitter"
AGENDA_LAYOUT = "visits/agenda_header"


class VisitsView(QWidget):
    """The RM's visits by week. ``clock`` gives the current instant (tests fix it)."""

    customer_activated = Signal(str)  # customer id
    loaded = Signal()  # a week was read from the cache and is on screen

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
        self.week: WeekCalendar | None = None
        self.monday, _sunday = week_of(self.today())
        self.dialog: QDialog | None = None
        self._generation = 0
        self._loading = False
        self._select_after_load: str | None = None
        self._wanted_day: date | None = None
        self._tasks: list[Task] = []

        self.previous_button = self._button(
            "previous_week", self.tr("◀ Previous week"), "Ctrl+Left"
        )
        self.this_week_button = self._button("this_week", self.tr("This week"), "Ctrl+T")
        self.next_button = self._button("next_week", self.tr("Next week ▶"), "Ctrl+Right")
        self.week_label = QLabel()
        self.week_label.setObjectName("week_label")
        font = self.week_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.week_label.setFont(font)
        self.plan_button = self._button(
            "plan_visit", self.tr("Plan a visit…"), "Ctrl+N", shortcut=False
        )
        self.run_button = self._button("run_visit", self.tr("Record visit…"), "Ctrl+R")
        self.reschedule_button = self._button("reschedule_visit", self.tr("Reschedule…"), "Ctrl+E")
        self.cancel_button = self._button("cancel_visit", self.tr("Cancel visit…"), "Delete")
        self.detail_button = self._button("visit_detail", self.tr("Details"), "Ctrl+I")
        self.open_customer_button = self._button(
            "open_customer", self.tr("Open customer"), "Ctrl+O"
        )
        # Ctrl+P is the main window's Print, which calls print_selected on this tab.
        self.print_button = self._button("print_visit", self.tr("Print…"), "Ctrl+P", shortcut=False)
        self.day_briefs_button = self._button(
            "day_briefs", self.tr("Briefs of the day…"), "Ctrl+Shift+B", shortcut=False
        )

        self.calendar = WeekCalendarView()
        self.agenda_label = QLabel()
        self.agenda_label.setObjectName("agenda_label")
        self.agenda = AgendaModel(self)
        self.agenda_table = QTableView()
        self.agenda_table.setObjectName("agenda_table")
        self.agenda_table.setModel(self.agenda)
        self.agenda_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.agenda_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agenda_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.agenda_table.setAlternatingRowColors(True)
        self.agenda_table.setWordWrap(False)
        self.agenda_table.verticalHeader().setVisible(False)
        header = self.agenda_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in (
            (AgendaColumn.TIME, 96),
            (AgendaColumn.CUSTOMER, 150),
            (AgendaColumn.TIER, 56),
            (AgendaColumn.PURPOSE, 190),
            (AgendaColumn.CATEGORY, 80),
            (AgendaColumn.PLACE, 200),
            (AgendaColumn.STATUS, 70),
        ):
            header.resizeSection(column, width)

        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.this_week_button)
        navigation.addWidget(self.next_button)
        navigation.addSpacing(12)
        navigation.addWidget(self.week_label, 1)
        navigation.addWidget(self.day_briefs_button)
        navigation.addWidget(self.plan_button)
        actions = QHBoxLayout()
        actions.addWidget(self.agenda_label, 1)
        for button in (
            self.run_button,
            self.reschedule_button,
            self.cancel_button,
            self.detail_button,
            self.open_customer_button,
            self.print_button,
        ):
            actions.addWidget(button)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(actions)
        lower_layout.addWidget(self.agenda_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("visits_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.calendar)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([460, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(navigation)
        layout.addWidget(self.splitter, 1)

        self.previous_button.clicked.connect(
            lambda: self.show_week(self.monday - timedelta(days=7))
        )
        self.next_button.clicked.connect(lambda: self.show_week(self.monday + timedelta(days=7)))
        self.this_week_button.clicked.connect(lambda: self.show_week(self.today()))
        self.plan_button.clicked.connect(lambda: self.plan_visit(None))
        self.run_button.clicked.connect(lambda: self.run_visit())
        self.reschedule_button.clicked.connect(lambda: self.reschedule_visit())
        self.cancel_button.clicked.connect(lambda: self.cancel_visit())
        self.detail_button.clicked.connect(lambda: self.show_detail())
        self.open_customer_button.clicked.connect(self.open_customer)
        self.print_button.clicked.connect(lambda: self.print_selected())
        self.day_briefs_button.clicked.connect(lambda: self.print_day_briefs())
        self.calendar.day_selected.connect(self._day_selected)
        self.calendar.visit_selected.connect(self._calendar_visit_selected)
        self.calendar.visit_activated.connect(self.activate_visit)
        self.agenda_table.selectionModel().currentRowChanged.connect(self._agenda_row_changed)
        self.agenda_table.activated.connect(self._agenda_activated)
        self.agenda_table.doubleClicked.connect(self._agenda_activated)
        app_events().changed.connect(self._changed)
        self.destroyed.connect(lambda *_: cancel_all(self._tasks))

        # The main window keeps the layout in its Settings (ui.settings).
        settings = getattr(parent, "settings", None)
        if settings is not None:
            self.restore_layout(settings)
        self._update_actions()
        self.refresh()

    def _button(self, name: str, text: str, keys: str, *, shortcut: bool = True) -> QPushButton:
        """A button with its keyboard shortcut (active while the tab is shown) in its tip.
        Ctrl+N belongs to the main window, which calls :meth:`plan_visit`."""
        button = QPushButton(text)
        button.setObjectName(name)
        native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        button.setToolTip(f"{text.rstrip('…')} ({native})")
        if shortcut:
            key = QShortcut(QKeySequence(keys), self)
            key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            key.activated.connect(button.click)
        return button

    # --- the clock --------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return local_today(self.clock())

    # --- loading ----------------------------------------------------------------------

    def show_week(self, day: date, *, select: str | None = None) -> None:
        """Show the week holding ``day`` (and select ``day`` in it)."""
        monday, _sunday = week_of(day)
        self.monday = monday
        self._wanted_day = day
        if select is not None:
            self._select_after_load = select
        self.refresh()

    def refresh(self) -> None:
        """Read the shown week again (off the GUI thread); the newest answer wins."""
        self._generation += 1
        generation = self._generation
        self._loading = True
        monday = self.monday
        service = self.workbench.visits
        self._tasks = [t for t in self._tasks if t.running]
        self._tasks.append(
            run_in_background(
                lambda: service.week(monday),
                lambda week: self._week_loaded(generation, week),
                lambda exc: self._load_failed(generation, exc),
            )
        )

    def is_loading(self) -> bool:
        return self._loading

    def _week_loaded(self, generation: int, week: WeekCalendar) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self.week = week
        now = self.now()
        wanted = self._wanted_day
        self._wanted_day = None
        self.calendar.set_week(week, self.today(), now)
        if wanted is not None and wanted != self.calendar.selected_day:
            self.calendar.select_day(wanted)
        sunday = week.monday + timedelta(days=6)
        number = week.monday.isocalendar().week
        self.week_label.setText(
            self.tr("Week {number}: {first} – {last}").format(
                number=number, first=format_date(week.monday), last=format_short_date(sunday)
            )
        )
        self._show_agenda()
        chosen = self._select_after_load
        self._select_after_load = None
        if chosen is not None:
            self.select_visit(chosen)
        self._update_actions()
        self.loaded.emit()

    def _load_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._loading = False
            show_error(self, exc)

    def _changed(self, change: Change) -> None:
        if change.touches(*TABLES):
            self.refresh()

    # --- the agenda -------------------------------------------------------------------

    def selected_day(self) -> date:
        return self.calendar.selected_day or self.monday

    def _day_visits(self, day: date) -> list[VisitSummary]:
        if self.week is None:
            return []
        return next((list(d.visits) for d in self.week.days if d.day == day), [])

    def _show_agenda(self) -> None:
        day = self.selected_day()
        visits = self._day_visits(day)
        chosen = self.selected_visit()
        self.agenda.set_visits(visits, self.now())
        weekday = self.calendar.weekday_name(day)
        if visits:
            done = sum(v.status == VisitStatus.DONE for v in visits)
            self.agenda_label.setText(
                self.tr("{day} {weekday}: {n} visits, {done} done").format(
                    day=format_date(day), weekday=weekday, n=len(visits), done=done
                )
            )
        else:
            self.agenda_label.setText(
                self.tr("{day} {weekday}: no visits").format(day=format_date(day), weekday=weekday)
            )
        if chosen is not None:
            self._select_agenda_row(chosen.id)

    def _day_selected(self, _day: date) -> None:
        self._show_agenda()
        self._update_actions()

    def _calendar_visit_selected(self, visit_id: str) -> None:
        if visit_id:
            self._select_agenda_row(visit_id)
        else:
            self.agenda_table.clearSelection()
        self._update_actions()

    def _select_agenda_row(self, visit_id: str) -> None:
        row = self.agenda.row_of(visit_id)
        selection = self.agenda_table.selectionModel()
        if row is None:
            selection.clearSelection()
            return
        index = self.agenda.index(row, AgendaColumn.TIME)
        selection.blockSignals(True)
        try:
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        finally:
            selection.blockSignals(False)
        self.agenda_table.viewport().update()

    def _agenda_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.calendar.select_visit(self.agenda.visit_at(current.row()).id)
        self._update_actions()

    def _agenda_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.activate_visit(self.agenda.visit_at(index.row()).id)

    # --- the selected visit -----------------------------------------------------------

    def selected_visit(self) -> VisitSummary | None:
        visit_id = self.calendar.selected_visit_id()
        if visit_id is None or self.week is None:
            return None
        return self._find(visit_id)

    def _find(self, visit_id: str) -> VisitSummary | None:
        if self.week is None:
            return None
        return next((v for d in self.week.days for v in d.visits if v.id == visit_id), None)

    def select_visit(self, visit_id: str) -> bool:
        """Select a visit of the shown week (calendar card and agenda row)."""
        found = self.calendar.select_visit(visit_id)
        if found:
            self._show_agenda()
            self._select_agenda_row(visit_id)
        self._update_actions()
        return found

    def _update_actions(self) -> None:
        visit = self.selected_visit()
        planned = visit is not None and visit.status == VisitStatus.PLANNED
        self.run_button.setEnabled(planned)
        self.reschedule_button.setEnabled(planned)
        self.cancel_button.setEnabled(planned)
        self.detail_button.setEnabled(visit is not None)
        self.open_customer_button.setEnabled(visit is not None)
        self.print_button.setEnabled(
            visit is not None and visit.status in (VisitStatus.PLANNED, VisitStatus.DONE)
        )
        self.print_button.setToolTip(
            self.tr("Print the visit report (Ctrl+P)")
            if visit is not None and visit.status == VisitStatus.DONE
            else self.tr("Print the customer's brief for the visit (Ctrl+P)")
        )

    # --- actions ----------------------------------------------------------------------

    def plan_visit(self, customer_id: str | None = None) -> None:
        """Open the plan dialog (the customer preselected when given), starting on the
        selected day: at the next full hour today, at 10:00 on another day."""
        day = self.selected_day()
        start: datetime | None = None
        if day != self.today():
            start = from_local(day, time(10, 0))
        dialog = PlanVisitDialog(
            self.workbench, self, customer_id=customer_id, start=start, clock=self.clock
        )
        self._open(dialog)

    def run_visit(self, visit: VisitSummary | None = None) -> None:
        """Record the selected (planned) visit."""
        visit = visit or self.selected_visit()
        if visit is not None and visit.status == VisitStatus.PLANNED:
            self._open(RunVisitDialog(self.workbench, visit, self, clock=self.clock))

    def reschedule_visit(self, visit: VisitSummary | None = None) -> None:
        visit = visit or self.selected_visit()
        if visit is not None and visit.status == VisitStatus.PLANNED:
            self._open(RescheduleDialog(self.workbench, visit, self))

    def cancel_visit(self, visit: VisitSummary | None = None) -> None:
        visit = visit or self.selected_visit()
        if visit is not None and visit.status == VisitStatus.PLANNED:
            self._open(CancelVisitDialog(self.workbench, visit, self))

    def show_detail(self, visit: VisitSummary | None = None) -> None:
        visit = visit or self.selected_visit()
        if visit is not None:
            self._open(VisitDetailDialog(self.workbench, visit, self))

    def activate_visit(self, visit_id: str) -> None:
        """Double click or Enter: record a planned visit, read a done or cancelled one."""
        visit = self._find(visit_id)
        if visit is None:
            return
        if visit.status == VisitStatus.PLANNED:
            self.run_visit(visit)
        else:
            self.show_detail(visit)

    def print_selected(self, visit: VisitSummary | None = None) -> None:
        """Before a visit, the customer's one-page brief; after it, the visit report."""
        visit = visit or self.selected_visit()
        if visit is None:
            return
        if visit.status == VisitStatus.DONE:
            print_document(
                self,
                self.workbench,
                "visit_report",
                visit.id,
                self.tr("Visit report: {customer}").format(customer=visit.customer_name),
                f"拜访报告_{visit.customer_name}_{visit.day.isoformat()}.pdf",
            )
        elif visit.status == VisitStatus.PLANNED:
            print_document(
                self,
                self.workbench,
                "brief",
                visit.customer_id,
                self.tr("Client brief: {name}").format(name=visit.customer_name),
                f"客户简报_{visit.customer_name}.pdf",
            )

    def print_day_briefs(self, day: date | None = None) -> None:
        """The briefs of every visit planned on ``day`` (the selected day) in one PDF."""
        day = day or self.selected_day()
        print_document(
            self,
            self.workbench,
            "briefs_for_day",
            day,
            self.tr("Briefs for the visits of {day}").format(day=format_date(day)),
            f"拜访简报_{day.isoformat()}.pdf",
        )

    def open_customer(self) -> None:
        visit = self.selected_visit()
        if visit is not None:
            self.customer_activated.emit(visit.customer_id)

    def _open(self, dialog: QDialog) -> None:
        """Show a dialog window-modal without blocking (the event loop, and background
        answers, keep running); after a save, follow the visit to its day."""
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result, d=dialog: self._dialog_finished(d, result))
        dialog.open()

    def _dialog_finished(self, dialog: QDialog, result: int) -> None:
        if self.dialog is dialog:
            self.dialog = None
        change: Change | None = getattr(dialog, "change", None)
        if result != QDialog.DialogCode.Accepted or change is None:
            return
        if isinstance(dialog, PlanVisitDialog | RescheduleDialog):
            self.show_week(local_date(dialog.start()), select=change.id)
        else:
            self._select_after_load = change.id

    # --- layout -----------------------------------------------------------------------

    def restore_layout(self, settings: Any) -> None:
        """Splitter and agenda columns as the RM left them (``Settings`` of ui.settings)."""
        splitter = settings.layout(SPLITTER_LAYOUT)
        if splitter is not None:
            self.splitter.restoreState(splitter)
        header = settings.layout(AGENDA_LAYOUT)
        if header is not None:
            self.agenda_table.horizontalHeader().restoreState(header)

    def save_layout(self, settings: Any) -> None:
        settings.save_layout(SPLITTER_LAYOUT, self.splitter.saveState())
        settings.save_layout(AGENDA_LAYOUT, self.agenda_table.horizontalHeader().saveState())
