"""The visit dialogs: plan a visit, record it (run), move it, cancel it, read it.

Every dialog saves through the visit service on the writer lane with
:class:`~rm_workbench.ui.operations.DialogSave` (as the activity dialogs do), which
announces the write. A refused input comes back as the service's
:class:`~rm_workbench.errors.WorkbenchError` and is shown inside the dialog, which stays
open with everything the RM typed; nothing waits for the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTime, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from rm_contract.vocabulary import NeedCategory, Priority, VisitCategory, VisitStatus
from rm_workbench.domain.formatting import SHANGHAI, format_date, format_datetime, format_money
from rm_workbench.models import utcnow
from rm_workbench.services.changes import Change
from rm_workbench.services.customers import CustomerSummary
from rm_workbench.services.needs import NEED_CATEGORY_LABELS, NeedDraft
from rm_workbench.services.records import PRIORITY_LABELS
from rm_workbench.services.visits import (
    VISIT_CATEGORY_LABELS,
    ProductOption,
    VisitCustomer,
    VisitDetail,
    VisitSummary,
)
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import Task, run_in_background
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.operations import DialogSave
from rm_workbench.ui.visit_agenda_model import from_local, local_parts, time_span

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 150  # one customer search per pause in typing
SEARCH_LIMIT = 30
DURATIONS_MINUTES = (30, 45, 60, 90, 120, 180)
DEFAULT_MINUTES = 60
Clock = Callable[[], datetime]


# --- what every dialog shares --------------------------------------------------------


def cancel_all(tasks: list[Task]) -> None:
    """Drop the answers still on their way (their widget is going)."""
    for task in tasks:
        task.cancel()


def _suggestion_combo(name: str, suggestions: list[str], placeholder: str = "") -> QComboBox:
    """An editable combo: common answers to pick, free text allowed, empty at first."""
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(suggestions)
    combo.setCurrentIndex(-1)
    combo.setEditText("")
    edit = combo.lineEdit()
    if edit is not None and placeholder:
        edit.setPlaceholderText(placeholder)
    return combo


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(
        "color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; padding: 6px;"
    )
    label.hide()
    return label


def _date_edit(name: str, day: QDate) -> QDateEdit:
    edit = QDateEdit(day)
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def _time_edit(name: str, at: QTime) -> QTimeEdit:
    edit = QTimeEdit(at)
    edit.setObjectName(name)
    edit.setDisplayFormat("HH:mm")
    return edit


def _to_date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _minutes(start: QTime, end: QTime) -> int:
    return (end.msecsSinceStartOfDay() - start.msecsSinceStartOfDay()) // 60_000


def _buttons(dialog: QDialog, save_text: str, close_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    save = buttons.button(QDialogButtonBox.StandardButton.Save)
    save.setText(save_text)
    save.setObjectName("save_button")
    save.setToolTip("Ctrl+Enter")
    close = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    close.setText(close_text)
    close.setObjectName("close_button")
    buttons.rejected.connect(dialog.reject)
    return buttons


def _save_shortcuts(dialog: QDialog, slot: Callable[[], None]) -> None:
    for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
        QShortcut(QKeySequence(keys), dialog, slot)


def _seen(visit: VisitSummary, *fields: str) -> dict[str, Any]:
    """The values of ``fields`` the dialog opened with: the base of the edit it saves,
    so that a change a sync brought meanwhile conflicts instead of being overwritten."""
    return {name: getattr(visit, name) for name in fields}


def _visit_header(visit: VisitSummary) -> QLabel:
    tier = f"，{visit.tier}" if visit.tier else ""
    label = QLabel(
        f"<b>{visit.customer_name}</b>（{visit.customer_no}{tier}）"
        f"<br>{format_date(visit.day)} {time_span(visit)} · {visit.category_label}"
        f"<br>{visit.purpose or ''}"
    )
    label.setObjectName("visit_header")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    return label


# --- plan ----------------------------------------------------------------------------


class PlanVisitDialog(QDialog):
    """Plan a visit: find the customer (name, pinyin initials, phone tail…), then day,
    time, length, purpose, type, place and priority."""

    def __init__(
        self,
        workbench: Workbench,
        parent: QWidget | None = None,
        *,
        customer_id: str | None = None,
        start: datetime | None = None,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.customer_id: str | None = None
        self._search_generation = 0
        self._tasks: list[Task] = []
        self.setWindowTitle(self.tr("Plan a visit"))
        self.setMinimumWidth(560)

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("customer_search")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setPlaceholderText(
            self.tr("Name, pinyin initials (zsf), phone tail or customer no.")
        )
        self.results = QListWidget()
        self.results.setObjectName("customer_results")
        self.results.setMaximumHeight(130)
        self.chosen_label = QLabel(self.tr("No customer chosen yet"))
        self.chosen_label.setObjectName("chosen_customer")
        self.chosen_label.setStyleSheet("color: #6b7280;")

        if start is None:
            # The next full hour, today in Beijing time.
            now = clock().astimezone(SHANGHAI)
            start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        day, at = local_parts(start)
        self.date_edit = _date_edit("visit_date", day)
        self.start_edit = _time_edit("start_time", at)
        self.end_edit = _time_edit("end_time", at.addSecs(DEFAULT_MINUTES * 60))
        self.duration_combo = QComboBox()
        self.duration_combo.setObjectName("duration")
        for minutes in DURATIONS_MINUTES:
            self.duration_combo.addItem(
                self.tr("{minutes} minutes").format(minutes=minutes), minutes
            )
        self.duration_combo.setCurrentIndex(DURATIONS_MINUTES.index(DEFAULT_MINUTES))
        self._length = DEFAULT_MINUTES

        self.purpose_combo = _suggestion_combo(
            "purpose",
            [
                self.tr("Portfolio review"),
                self.tr("Maturing funds: what next"),
                self.tr("Introduce a new product"),
                self.tr("Service follow-up"),
                self.tr("Birthday greetings"),
                self.tr("Financing needs"),
            ],
            self.tr("What the visit is for"),
        )
        self.category_combo = QComboBox()
        self.category_combo.setObjectName("category")
        for value, label in VISIT_CATEGORY_LABELS.items():
            self.category_combo.addItem(label, str(value))
        self.category_combo.setCurrentIndex(
            self.category_combo.findData(VisitCategory.BRANCH.value)
        )
        self.place_edit = QLineEdit()
        self.place_edit.setObjectName("place")
        self.place_edit.setPlaceholderText(self.tr("Branch, customer's home or office…"))
        self.priority_combo = QComboBox()
        self.priority_combo.setObjectName("priority")
        for value, label in PRIORITY_LABELS.items():
            self.priority_combo.addItem(label, str(value))
        self.priority_combo.setCurrentIndex(self.priority_combo.findData(Priority.NORMAL.value))

        self.error_label = _error_label("plan_error")
        self.buttons = _buttons(self, self.tr("Save the plan"), self.tr("Close"))
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self._saving = DialogSave(self, self.buttons, self.error_label)

        times = QHBoxLayout()
        times.addWidget(self.date_edit)
        times.addWidget(self.start_edit)
        times.addWidget(QLabel("–"))
        times.addWidget(self.end_edit)
        times.addWidget(self.duration_combo)
        times.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Customer"), self.search_edit)
        form.addRow("", self.results)
        form.addRow("", self.chosen_label)
        form.addRow(self.tr("When"), times)
        form.addRow(self.tr("Purpose"), self.purpose_combo)
        form.addRow(self.tr("Type"), self.category_combo)
        form.addRow(self.tr("Place"), self.place_edit)
        form.addRow(self.tr("Priority"), self.priority_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.search)
        self.search_edit.textEdited.connect(lambda _text: self._search_timer.start())
        self.search_edit.installEventFilter(self)
        self.results.currentItemChanged.connect(lambda item, _prev: self._pick(item))
        self.results.itemActivated.connect(lambda _item: self.purpose_combo.setFocus())
        self.start_edit.timeChanged.connect(self._start_moved)
        self.end_edit.timeChanged.connect(self._end_moved)
        self.duration_combo.currentIndexChanged.connect(self._duration_chosen)
        _save_shortcuts(self, self.save)
        self.destroyed.connect(lambda *_: cancel_all(self._tasks))

        if customer_id is not None:
            self._preselect(customer_id)
            self.purpose_combo.setFocus()
        else:
            self.search_edit.setFocus()

    # --- the customer picker ----------------------------------------------------------

    def search(self) -> None:
        """Search the book for what the box holds (off the GUI thread)."""
        self._search_timer.stop()
        text = self.search_edit.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if not text:
            self.results.clear()
            return
        service = self.workbench.customers
        self._run(
            lambda: service.search(text, limit=SEARCH_LIMIT),
            lambda found: self._show_results(generation, found),
        )

    def _show_results(self, generation: int, found: list[CustomerSummary]) -> None:
        if generation != self._search_generation:
            return  # the RM kept typing
        self.results.blockSignals(True)
        try:
            self.results.clear()
            for customer in found:
                details = "  ".join(
                    p
                    for p in (customer.customer_no, customer.tier or "", customer.masked_phone)
                    if p
                )
                item = QListWidgetItem(f"{customer.name}    {details}")
                item.setData(Qt.ItemDataRole.UserRole, customer.id)
                item.setData(Qt.ItemDataRole.UserRole + 1, customer.name)
                item.setData(Qt.ItemDataRole.UserRole + 2, details)
                if customer.warnings:
                    item.setToolTip("\n".join(customer.warnings))
                self.results.addItem(item)
        finally:
            self.results.blockSignals(False)
        if not found:
            item = QListWidgetItem(self.tr("No customer in your book matches"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)

    def _pick(self, item: QListWidgetItem | None) -> None:
        if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
            return
        self._choose(
            str(item.data(Qt.ItemDataRole.UserRole)),
            str(item.data(Qt.ItemDataRole.UserRole + 1)),
            str(item.data(Qt.ItemDataRole.UserRole + 2)),
        )

    def _choose(self, customer_id: str, name: str, details: str) -> None:
        self.customer_id = customer_id
        self.chosen_label.setText(
            self.tr("Visit for: {name}  {details}").format(name=name, details=details)
        )
        self.chosen_label.setStyleSheet("color: #15803d; font-weight: bold;")
        self.error_label.hide()

    def _preselect(self, customer_id: str) -> None:
        service = self.workbench.visits

        def show(customer: VisitCustomer) -> None:
            details = "  ".join(p for p in (customer.customer_no, customer.tier or "") if p)
            self.search_edit.setText(customer.name)
            self._choose(customer.id, customer.name, details)

        self._run(lambda: service.customer(customer_id), show)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # In the search box, Enter chooses the first match (it must not save the plan)
        # and Down goes to the matches.
        if watched is self.search_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._search_timer.isActive() or not self.results.count():
                    self.search()
                elif self.results.item(0).flags() & Qt.ItemFlag.ItemIsEnabled:
                    self.results.setCurrentRow(0)
                    self.purpose_combo.setFocus()
                return True
            if event.key() == Qt.Key.Key_Down and self.results.count():
                self.results.setFocus()
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
        return super().eventFilter(watched, event)

    # --- times ------------------------------------------------------------------------

    def _start_moved(self, start: QTime) -> None:
        # Moving the start keeps the visit's length.
        self.end_edit.blockSignals(True)
        self.end_edit.setTime(start.addSecs(self._length * 60))
        self.end_edit.blockSignals(False)

    def _end_moved(self, end: QTime) -> None:
        self._length = _minutes(self.start_edit.time(), end)
        found = self.duration_combo.findData(self._length)
        if found >= 0:
            self.duration_combo.blockSignals(True)
            self.duration_combo.setCurrentIndex(found)
            self.duration_combo.blockSignals(False)

    def _duration_chosen(self, index: int) -> None:
        self._length = int(self.duration_combo.itemData(index))
        self._start_moved(self.start_edit.time())

    def start(self) -> datetime:
        return from_local(self.date_edit.date(), self.start_edit.time())

    def end(self) -> datetime:
        return from_local(self.date_edit.date(), self.end_edit.time())

    # --- saving -----------------------------------------------------------------------

    def save(self) -> None:
        if self.customer_id is None:
            self._saving.show(
                self.tr("Choose the customer first: type a name, pinyin initials or phone tail.")
            )
            self.search_edit.setFocus()
            return
        customer_id = self.customer_id
        values: dict[str, Any] = {
            "start": self.start(),
            "end": self.end(),
            "purpose": self.purpose_combo.currentText(),
            "category": str(self.category_combo.currentData()),
            "place": self.place_edit.text(),
            "priority": str(self.priority_combo.currentData()),
        }
        service = self.workbench.visits
        self._saving.start(lambda: service.plan(customer_id, **values), lambda _c: self.accept())

    @property
    def change(self) -> Change | None:
        """The saved plan (None until saved)."""
        return self._saving.change

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def reject(self) -> None:
        if not self._saving.running:  # a save on its way finishes before the dialog goes
            super().reject()

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self._tasks = [t for t in self._tasks if t.running]
        self._tasks.append(run_in_background(fn, on_done, lambda exc: show_error(self, exc)))


# --- run (record) ----------------------------------------------------------------------


class RunVisitDialog(QDialog):
    """Record how a planned visit went: actual times, who was there, the notes, needs
    discovered, products discussed, the outcome and the next follow-up."""

    def __init__(
        self,
        workbench: Workbench,
        visit: VisitSummary,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.visit = visit
        self._clock = clock
        self._tasks: list[Task] = []
        self.setWindowTitle(self.tr("Record the visit — {name}").format(name=visit.customer_name))
        self.setMinimumSize(880, 600)

        now = clock()
        if visit.planned_start <= now:
            start = visit.planned_start
            end = visit.planned_end or start + timedelta(minutes=DEFAULT_MINUTES)
        else:  # written up before the planned time: it is happening now
            start = now.astimezone(SHANGHAI).replace(second=0, microsecond=0)
            length = (visit.planned_end - visit.planned_start) if visit.planned_end else None
            end = start + (length or timedelta(minutes=DEFAULT_MINUTES))
        day, start_at = local_parts(start)
        _end_day, end_at = local_parts(end)
        self.date_edit = _date_edit("actual_date", day)
        self.start_edit = _time_edit("actual_start", start_at)
        self.end_edit = _time_edit("actual_end", end_at)
        self.attendees_edit = QLineEdit()
        self.attendees_edit.setObjectName("attendees")
        self.attendees_edit.setPlaceholderText(self.tr("Who took part (customer's side and ours)"))
        self.report_edit = QPlainTextEdit()
        self.report_edit.setObjectName("report")
        self.report_edit.setPlaceholderText(
            self.tr("What was discussed, what the customer said, what was agreed…")
        )
        self.report_edit.setTabChangesFocus(True)
        self.outcome_combo = _suggestion_combo(
            "outcome",
            [
                self.tr("Customer interested"),
                self.tr("Deal closed"),
                self.tr("Needs another visit"),
                self.tr("No need at present"),
            ],
        )
        self.follow_up_check = QCheckBox(self.tr("Set a date"))
        self.follow_up_check.setObjectName("follow_up_check")
        today = now.astimezone(SHANGHAI).date()
        week_later = today + timedelta(days=7)
        self.follow_up_edit = _date_edit(
            "follow_up_date", QDate(week_later.year, week_later.month, week_later.day)
        )
        self.follow_up_edit.setEnabled(False)
        self.follow_up_check.toggled.connect(self.follow_up_edit.setEnabled)
        self.cost_edit = QLineEdit()
        self.cost_edit.setObjectName("cost")
        self.cost_edit.setPlaceholderText(self.tr("Yuan, e.g. 128.00 (optional)"))

        self.needs_table = QTableWidget(0, 2)
        self.needs_table.setObjectName("needs_table")
        self.needs_table.setHorizontalHeaderLabels(
            [self.tr("Category"), self.tr("What the customer needs")]
        )
        self.needs_table.verticalHeader().setVisible(False)
        self.needs_table.setColumnWidth(0, 120)
        self.needs_table.horizontalHeader().setStretchLastSection(True)
        self.needs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_need_button = QPushButton(self.tr("Add a need"))
        self.add_need_button.setObjectName("add_need")
        self.remove_need_button = QPushButton(self.tr("Remove"))
        self.remove_need_button.setObjectName("remove_need")
        self.add_need_button.clicked.connect(lambda: self.add_need())
        self.remove_need_button.clicked.connect(self.remove_need)

        self.product_filter = QLineEdit()
        self.product_filter.setObjectName("product_filter")
        self.product_filter.setClearButtonEnabled(True)
        self.product_filter.setPlaceholderText(self.tr("Filter products"))
        self.product_list = QListWidget()
        self.product_list.setObjectName("product_list")
        self.product_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.product_filter.textChanged.connect(self._filter_products)

        self.error_label = _error_label("run_error")
        self.buttons = _buttons(self, self.tr("Save the record"), self.tr("Close"))
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self._saving = DialogSave(self, self.buttons, self.error_label)

        times = QHBoxLayout()
        times.addWidget(self.date_edit)
        times.addWidget(self.start_edit)
        times.addWidget(QLabel("–"))
        times.addWidget(self.end_edit)
        times.addStretch(1)
        follow_up = QHBoxLayout()
        follow_up.addWidget(self.follow_up_check)
        follow_up.addWidget(self.follow_up_edit)
        follow_up.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Actual time"), times)
        form.addRow(self.tr("Attendees"), self.attendees_edit)
        form.addRow(self.tr("Notes"), self.report_edit)
        form.addRow(self.tr("Outcome"), self.outcome_combo)
        form.addRow(self.tr("Next follow-up"), follow_up)
        form.addRow(self.tr("Cost"), self.cost_edit)
        left = QVBoxLayout()
        left.addWidget(_visit_header(visit))
        left.addLayout(form, 1)

        needs_box = QGroupBox(self.tr("Needs discovered"))
        needs_layout = QVBoxLayout(needs_box)
        needs_layout.addWidget(self.needs_table)
        need_buttons = QHBoxLayout()
        need_buttons.addWidget(self.add_need_button)
        need_buttons.addWidget(self.remove_need_button)
        need_buttons.addStretch(1)
        needs_layout.addLayout(need_buttons)
        products_box = QGroupBox(self.tr("Products discussed"))
        products_layout = QVBoxLayout(products_box)
        products_layout.addWidget(self.product_filter)
        products_layout.addWidget(self.product_list)
        right = QVBoxLayout()
        right.addWidget(needs_box, 1)
        right.addWidget(products_box, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        _save_shortcuts(self, self.save)
        self.destroyed.connect(lambda *_: cancel_all(self._tasks))
        self.report_edit.setFocus()
        self._load_products()

    # --- needs --------------------------------------------------------------------------

    def add_need(
        self, category: NeedCategory | str = NeedCategory.INVESTMENT, summary: str = ""
    ) -> QLineEdit:
        """Add a row for a need; returns its summary box (focused)."""
        row = self.needs_table.rowCount()
        self.needs_table.insertRow(row)
        combo = QComboBox()
        for value, label in NEED_CATEGORY_LABELS.items():
            combo.addItem(label, str(value))
        combo.setCurrentIndex(max(0, combo.findData(str(category))))
        edit = QLineEdit(summary)
        edit.setPlaceholderText(self.tr("e.g. study-abroad funds for the daughter"))
        self.needs_table.setCellWidget(row, 0, combo)
        self.needs_table.setCellWidget(row, 1, edit)
        self.needs_table.setCurrentCell(row, 1)
        edit.setFocus()
        return edit

    def remove_need(self) -> None:
        row = self.needs_table.currentRow()
        if row >= 0:
            self.needs_table.removeRow(row)

    def need_row(self, row: int) -> tuple[QComboBox, QLineEdit]:
        combo = self.needs_table.cellWidget(row, 0)
        edit = self.needs_table.cellWidget(row, 1)
        assert isinstance(combo, QComboBox) and isinstance(edit, QLineEdit)
        return combo, edit

    def needs(self) -> list[NeedDraft]:
        """The needs typed in (rows left blank are skipped)."""
        drafts = []
        for row in range(self.needs_table.rowCount()):
            combo, edit = self.need_row(row)
            if edit.text().strip():
                drafts.append(NeedDraft(str(combo.currentData()), edit.text()))
        return drafts

    # --- products -----------------------------------------------------------------------

    def _load_products(self) -> None:
        service = self.workbench.visits
        self._tasks.append(
            run_in_background(
                service.products, self._show_products, lambda exc: show_error(self, exc)
            )
        )

    def _show_products(self, products: list[ProductOption]) -> None:
        self.product_list.clear()
        for product in products:
            risk = f" · {product.risk_level}" if product.risk_level else ""
            item = QListWidgetItem(f"{product.name}（{product.code}）  {product.type_label}{risk}")
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.UserRole, product.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.product_list.addItem(item)
        self._filter_products(self.product_filter.text())

    def _filter_products(self, text: str) -> None:
        wanted = text.strip().lower()
        for row in range(self.product_list.count()):
            item = self.product_list.item(row)
            item.setHidden(bool(wanted) and wanted not in item.text().lower())

    def products_loaded(self) -> bool:
        return self.product_list.count() > 0

    def check_product(self, product_id: str, checked: bool = True) -> None:
        for row in range(self.product_list.count()):
            item = self.product_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == product_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen_products(self) -> list[str]:
        return [
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in (self.product_list.item(r) for r in range(self.product_list.count()))
            if item.checkState() == Qt.CheckState.Checked
        ]

    # --- saving -------------------------------------------------------------------------

    def save(self) -> None:
        values: dict[str, Any] = {
            "report": self.report_edit.toPlainText(),
            "outcome": self.outcome_combo.currentText(),
            "attendees": self.attendees_edit.text(),
            "actual_start": from_local(self.date_edit.date(), self.start_edit.time()),
            "actual_end": from_local(self.date_edit.date(), self.end_edit.time()),
            "needs": self.needs(),
            "products_discussed": self.chosen_products(),
            "follow_up_due": _to_date(self.follow_up_edit.date())
            if self.follow_up_check.isChecked()
            else None,
            "cost": self.cost_edit.text().strip() or None,
            "now": self._clock(),
            "seen": _seen(
                self.visit, "status", "outcome", "follow_up_due", "actual_start", "actual_end"
            ),
        }
        service = self.workbench.visits
        visit_id = self.visit.id
        self._saving.start(lambda: service.complete(visit_id, **values), lambda _c: self.accept())

    @property
    def change(self) -> Change | None:
        return self._saving.change

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def reject(self) -> None:
        if not self._saving.running:
            super().reject()


# --- reschedule -------------------------------------------------------------------------


class RescheduleDialog(QDialog):
    """Move a planned visit to another day or time (it keeps its length unless the end
    is changed too)."""

    def __init__(
        self, workbench: Workbench, visit: VisitSummary, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.visit = visit
        self.setWindowTitle(
            self.tr("Reschedule the visit — {name}").format(name=visit.customer_name)
        )
        self.setMinimumWidth(460)
        day, start_at = local_parts(visit.planned_start)
        self._length = (
            _minutes(start_at, local_parts(visit.planned_end)[1])
            if visit.planned_end
            else DEFAULT_MINUTES
        )
        self.date_edit = _date_edit("new_date", day)
        self.start_edit = _time_edit("new_start", start_at)
        self.end_edit = _time_edit("new_end", start_at.addSecs(self._length * 60))
        self.start_edit.timeChanged.connect(self._start_moved)
        self.end_edit.timeChanged.connect(
            lambda end: setattr(self, "_length", _minutes(self.start_edit.time(), end))
        )
        self.error_label = _error_label("reschedule_error")
        self.buttons = _buttons(self, self.tr("Move the visit"), self.tr("Close"))
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self._saving = DialogSave(self, self.buttons, self.error_label)

        times = QHBoxLayout()
        times.addWidget(self.date_edit)
        times.addWidget(self.start_edit)
        times.addWidget(QLabel("–"))
        times.addWidget(self.end_edit)
        times.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Now planned"), QLabel(f"{format_date(visit.day)} {time_span(visit)}"))
        form.addRow(self.tr("Move to"), times)
        layout = QVBoxLayout(self)
        layout.addWidget(_visit_header(visit))
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        _save_shortcuts(self, self.save)
        self.date_edit.setFocus()

    def _start_moved(self, start: QTime) -> None:
        self.end_edit.blockSignals(True)
        self.end_edit.setTime(start.addSecs(self._length * 60))
        self.end_edit.blockSignals(False)

    def start(self) -> datetime:
        return from_local(self.date_edit.date(), self.start_edit.time())

    def save(self) -> None:
        start = self.start()
        end = from_local(self.date_edit.date(), self.end_edit.time())
        service = self.workbench.visits
        visit_id = self.visit.id
        seen = _seen(self.visit, "planned_start", "planned_end")
        self._saving.start(
            lambda: service.reschedule(visit_id, start=start, end=end, seen=seen),
            lambda _c: self.accept(),
        )

    @property
    def change(self) -> Change | None:
        return self._saving.change

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def reject(self) -> None:
        if not self._saving.running:
            super().reject()


# --- cancel -----------------------------------------------------------------------------


class CancelVisitDialog(QDialog):
    """Cancel a planned visit, with the reason (kept in the visit's notes)."""

    def __init__(
        self, workbench: Workbench, visit: VisitSummary, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.visit = visit
        self.setWindowTitle(self.tr("Cancel the visit — {name}").format(name=visit.customer_name))
        self.setMinimumWidth(460)
        self.reason_combo = _suggestion_combo(
            "cancel_reason",
            [
                self.tr("The customer asked to meet another time"),
                self.tr("Could not reach the customer"),
                self.tr("Weather or traffic"),
                self.tr("Planned by mistake"),
            ],
            self.tr("Why the visit is cancelled"),
        )
        self.error_label = _error_label("cancel_error")
        self.buttons = _buttons(self, self.tr("Cancel the visit"), self.tr("Keep the visit"))
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self._saving = DialogSave(self, self.buttons, self.error_label)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(_visit_header(visit))
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        _save_shortcuts(self, self.save)
        self.reason_combo.setFocus()

    def save(self) -> None:
        reason = self.reason_combo.currentText()
        service = self.workbench.visits
        visit_id = self.visit.id
        seen = _seen(self.visit, "status")
        self._saving.start(
            lambda: service.cancel(visit_id, reason=reason, seen=seen), lambda _c: self.accept()
        )

    @property
    def change(self) -> Change | None:
        return self._saving.change

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def reject(self) -> None:
        if not self._saving.running:
            super().reject()


# --- detail -----------------------------------------------------------------------------


class VisitDetailDialog(QDialog):
    """A visit as recorded: times, people, outcome, follow-up, cost and the whole notes,
    with a box to add to the notes (they are only ever added to, never rewritten)."""

    def __init__(
        self, workbench: Workbench, visit: VisitSummary, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.visit = visit
        self.detail: VisitDetail | None = None
        self._tasks: list[Task] = []
        self.setWindowTitle(self.tr("Visit — {name}").format(name=visit.customer_name))
        self.setMinimumSize(620, 520)
        self.fields = QFormLayout()
        self.report_view = QPlainTextEdit()
        self.report_view.setObjectName("report_view")
        self.report_view.setReadOnly(True)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setObjectName("note")
        self.note_edit.setPlaceholderText(self.tr("Add to the notes (what was written stays)"))
        self.note_edit.setMaximumHeight(80)
        self.note_edit.setTabChangesFocus(True)
        self.error_label = _error_label("note_error")
        self.buttons = _buttons(self, self.tr("Add to the notes"), self.tr("Close"))
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self._saving = DialogSave(self, self.buttons, self.error_label)
        layout = QVBoxLayout(self)
        layout.addWidget(_visit_header(visit))
        layout.addLayout(self.fields)
        layout.addWidget(QLabel(self.tr("Notes")))
        layout.addWidget(self.report_view, 1)
        layout.addWidget(self.note_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        _save_shortcuts(self, self.save)
        self.destroyed.connect(lambda *_: cancel_all(self._tasks))
        self.load()

    def load(self) -> None:
        service = self.workbench.visits
        visit_id = self.visit.id
        self._tasks = [t for t in self._tasks if t.running]
        self._tasks.append(
            run_in_background(
                lambda: service.get(visit_id), self._show, lambda exc: show_error(self, exc)
            )
        )

    def _show(self, detail: VisitDetail) -> None:
        self.detail = detail
        while self.fields.rowCount():
            self.fields.removeRow(0)
        actual = ""
        if detail.actual_start is not None:
            actual = format_datetime(detail.actual_start)
            if detail.actual_end is not None:
                actual += "–" + detail.actual_end.astimezone(SHANGHAI).strftime("%H:%M")
        rows = [
            (self.tr("Status"), detail.status_label),
            (self.tr("Visit no."), detail.visit_no),
            (self.tr("Actual time"), actual),
            (self.tr("Place"), detail.place or ""),
            (self.tr("Attendees"), detail.attendees or ""),
            (self.tr("Outcome"), detail.outcome or ""),
            (
                self.tr("Next follow-up"),
                format_date(detail.follow_up_due) if detail.follow_up_due else "",
            ),
            (self.tr("Cost"), format_money(detail.cost) if detail.cost is not None else ""),
        ]
        for label, value in rows:
            if value:
                text = QLabel(value)
                text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                text.setWordWrap(True)
                self.fields.addRow(label, text)
        self.report_view.setPlainText(detail.report or "")
        editable = detail.status != VisitStatus.CANCELLED
        self.note_edit.setVisible(editable)
        self.save_button.setVisible(editable)

    def save(self) -> None:
        text = self.note_edit.toPlainText()
        service = self.workbench.visits
        visit_id = self.visit.id
        self._saving.start(lambda: service.add_note(visit_id, text), self._noted)

    def _noted(self, _change: Change) -> None:
        self.note_edit.clear()
        self.load()

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def reject(self) -> None:
        if not self._saving.running:
            super().reject()
