"""The customer list: the book as a table that stays smooth at 50,000 customers.

A search box (name, pinyin, initials, phone or ID tail, customer number; searched as
the RM types, after a short pause), four filters (tier, lifecycle status, life stage,
branch), the table with sortable headers and a count. Every query runs off the GUI
thread through :class:`~rm_workbench.ui.customer_table.CustomerTableModel`; Enter or a
double click on a row announces the customer (:attr:`CustomerListView.customer_activated`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.services.changes import Change
from rm_workbench.services.customer_query import CustomerQuery
from rm_workbench.services.customers import CustomerService, FilterOption, FilterOptions
from rm_workbench.ui.background import run_in_background
from rm_workbench.ui.customer_table import SORTABLE, SORTED_BY, Column, CustomerTableModel, Runner
from rm_workbench.ui.error_dialog import error_text
from rm_workbench.ui.events import app_events

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 150  # wait for a pause in typing: one query per pause, not per key
# After a change, the list reads again this much later: the pages of one sync, or a
# run of edits, make one refresh (each one resets up to 1,000 rows on the GUI thread).
REFRESH_DELAY_MS = 250
HEADER_LAYOUT = "customer_list/header"
# The tables the list reads (its rows, the branches the filter lists): a Change that
# touches one of them refreshes it (tests/ui/test_view_tables.py checks the list);
# the search index: a search reads it.
TABLES = ("customer", "branch", "customer_search")


class CustomerListView(QWidget):
    """The RM's book: search, filters, sortable table, count.

    ``source`` is the open :class:`~rm_workbench.services.workbench.Workbench` (its
    ``customers`` service is used) or a :class:`CustomerService`. ``runner`` runs the
    service calls (off the GUI thread by default).
    """

    customer_activated = Signal(str)  # customer id

    def __init__(
        self,
        source: Any,
        parent: QWidget | None = None,
        *,
        runner: Runner = run_in_background,
    ) -> None:
        super().__init__(parent)
        service: CustomerService = getattr(source, "customers", source)
        self.service = service
        self._run = runner

        self.search_box = QLineEdit()
        self.search_box.setObjectName("customer_search")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText(
            self.tr("Search: name, pinyin, initials (zsf), phone or ID tail, customer no.")
        )
        self.tier_filter = self._combo("tier_filter", self.tr("All tiers"))
        self.lifecycle_filter = self._combo("lifecycle_filter", self.tr("All statuses"))
        self.life_stage_filter = self._combo("life_stage_filter", self.tr("All life stages"))
        self.branch_filter = self._combo("branch_filter", self.tr("All branches"))
        self.count_label = QLabel()
        self.count_label.setObjectName("customer_count")

        self.model = CustomerTableModel(service, self, runner=runner)
        self.table = QTableView()
        self.table.setObjectName("customer_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights: the view never measures rows it has not shown.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        self._show_sort_indicator()
        header.sortIndicatorChanged.connect(self._sort_requested)

        filters = QHBoxLayout()
        filters.addWidget(self.search_box, 3)
        for combo in self._filters():
            filters.addWidget(combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        self.search_box.returnPressed.connect(self._search_entered)
        self.search_box.installEventFilter(self)
        for combo in self._filters():
            combo.currentIndexChanged.connect(lambda _index: self.apply_filters())
        self.table.activated.connect(self._activated)
        self.model.count_changed.connect(lambda _total: self._show_count())
        self.model.loading_changed.connect(self._loaded)
        self.model.failed.connect(self._failed)
        app_events().changed.connect(self._changed)
        # A sync announces its changes page after page: one refresh for the burst.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._refresh_in_place)

        # After a refresh in place: the customers at the top and current (their ids).
        self._stay_on: tuple[str | None, str | None] | None = None
        self._error: str | None = None  # the last query's failure, shown in the count
        self._options_generation = 0
        # The rows and the count first: the pool runs its tasks in order, and the
        # filters' choices (a scan of the book) can come a moment later.
        self.model.refresh()
        self.load_filter_options()
        self._show_count()

    # --- building -------------------------------------------------------------------

    def _combo(self, name: str, everything: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(everything, None)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    def _filters(self) -> tuple[QComboBox, ...]:
        return (self.tier_filter, self.lifecycle_filter, self.life_stage_filter, self.branch_filter)

    def load_filter_options(self) -> None:
        """Fill the filters' choices (off the GUI thread: it reads the whole book)."""
        self._options_generation += 1
        generation = self._options_generation
        service = self.service

        def done(options: FilterOptions) -> None:
            # The answer may come after the view is gone (closed while it was read).
            if shiboken6.isValid(self) and generation == self._options_generation:
                self._fill_filters(options)

        self._run(service.filter_options, done, lambda exc: log.error("filters", exc_info=exc))

    def _fill_filters(self, options: FilterOptions) -> None:
        lifecycle = tuple(
            FilterOption(o.value, self.model.lifecycle_label(o.value))
            for o in options.lifecycle_statuses
        )
        for combo, choices in (
            (self.tier_filter, options.tiers),
            (self.lifecycle_filter, lifecycle),
            (self.life_stage_filter, options.life_stages),
            (self.branch_filter, options.branches),
        ):
            chosen = combo.currentData()
            combo.blockSignals(True)  # the query does not change: no reload
            try:
                while combo.count() > 1:
                    combo.removeItem(combo.count() - 1)
                for option in choices:
                    combo.addItem(option.label, option.value)
                found = combo.findData(chosen) if chosen is not None else 0
                combo.setCurrentIndex(max(found, 0))
            finally:
                combo.blockSignals(False)
            if chosen is not None and found < 0:
                self.apply_filters()  # the chosen value is gone (a branch emptied)

    # --- the query ------------------------------------------------------------------

    def query(self) -> CustomerQuery:
        return self.model.query()

    def _chosen(self, combo: QComboBox) -> frozenset[str]:
        value = combo.currentData()
        return frozenset() if value is None else frozenset({str(value)})

    def apply_search(self) -> None:
        """Search for what the box holds now (the typing pause is over)."""
        self._search_timer.stop()
        text = self.search_box.text().strip()
        if text != self.query().text:
            self._set_query(replace(self.query(), text=text))

    def apply_filters(self) -> None:
        self._set_query(
            replace(
                self.query(),
                tiers=self._chosen(self.tier_filter),
                lifecycle_statuses=self._chosen(self.lifecycle_filter),
                life_stages=self._chosen(self.life_stage_filter),
                branches=self._chosen(self.branch_filter),
            )
        )

    def _set_query(self, query: CustomerQuery) -> None:
        if query != self.query():
            self.model.set_query(query)
            self._show_sort_indicator()
            self._show_count()

    def _sort_requested(self, section: int, order: Qt.SortOrder) -> None:
        column = Column(section) if 0 <= section < len(Column) else None
        if column not in SORTABLE:
            self._show_sort_indicator()  # phone and ID number have no order
            return
        self.model.sort(section, order)
        self._show_count()

    def _show_sort_indicator(self) -> None:
        """Put the header's arrow on the column the list is ordered by (none while the
        list is ordered by relevance)."""
        query = self.query()
        column = SORTED_BY.get(query.effective_sort)
        order = Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        try:
            header.setSortIndicator(-1 if column is None else int(column), order)
        finally:
            header.blockSignals(False)

    def _failed(self, exc: BaseException) -> None:
        """A query failed: said where the count goes (no modal dialog for a list that
        refreshes on its own after every sync); the details in its tooltip."""
        message, details = error_text(exc)
        self._error = "⚠ " + message
        self.count_label.setText(self._error)
        self.count_label.setToolTip(details)

    def _show_count(self) -> None:
        if self._error is not None:
            if self.model.is_loading():  # trying again: the old error no longer holds
                self._error = None
                self.count_label.setToolTip("")
            else:
                return
        total = self.model.total()
        if total is None:
            self.count_label.setText(self.tr("Counting…"))
        elif self.query().text:
            self.count_label.setText(self.tr("{n} matches").format(n=total))
        elif self._filtered():
            self.count_label.setText(self.tr("{n} customers match the filters").format(n=total))
        else:
            self.count_label.setText(self.tr("{n} customers in my book").format(n=total))

    def _filtered(self) -> bool:
        query = self.query()
        return bool(query.tiers or query.lifecycle_statuses or query.life_stages or query.branches)

    # --- acting on rows -------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.customer_activated.emit(self.model.customer_at(index.row()).id)

    def _search_entered(self) -> None:
        """Enter in the search box: search now; a single match opens at once."""
        self.apply_search()
        if self.model.rowCount() == 1 and not self.model.is_loading():
            self._activated(self.model.index(0, Column.NAME))
        elif self.model.rowCount():
            self._focus_table()

    def _focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, Column.NAME))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the search box goes to the first row; Esc clears the search.
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Down and self.model.rowCount():
                self._focus_table()
                return True
            if event.key() == Qt.Key.Key_Escape and self.search_box.text():
                self.search_box.clear()
                self.apply_search()
                return True
        return super().eventFilter(watched, event)

    # --- refreshing -----------------------------------------------------------------

    def _changed(self, change: Change) -> None:
        """A write or a sync changed the cache: read the list again (once for a burst
        of changes, REFRESH_DELAY_MS after the first) if it touched customers (their
        rows, or the branches the filter lists), staying on the rows the RM was
        looking at."""
        if change.touches(*TABLES) and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_in_place(self) -> None:
        top = self.table.indexAt(self.table.viewport().rect().topLeft())
        current = self.table.currentIndex()
        self._stay_on = (
            self.model.customer_at(top.row()).id if top.isValid() else None,
            self.model.customer_at(current.row()).id if current.isValid() else None,
        )
        self.model.refresh(keep_rows=True)
        self.load_filter_options()
        self._show_count()

    def _loaded(self, loading: bool) -> None:
        self._show_count()
        if loading or self._stay_on is None:
            return
        top_id, current_id = self._stay_on
        self._stay_on = None
        current = self.model.row_of(current_id) if current_id else None
        if current is not None:
            self.table.setCurrentIndex(self.model.index(current, Column.NAME))
        top = self.model.row_of(top_id) if top_id else None
        if top is not None:
            self.table.scrollTo(
                self.model.index(top, Column.NAME), QAbstractItemView.ScrollHint.PositionAtTop
            )

    def restore_layout(self, settings: Any) -> None:
        """Column widths and order as the RM left them (``Settings`` of ui.settings)."""
        state = settings.layout(HEADER_LAYOUT)
        if state is not None:
            self.table.horizontalHeader().restoreState(state)
            self._show_sort_indicator()  # the list's order is the query's, not the saved one

    def save_layout(self, settings: Any) -> None:
        settings.save_layout(HEADER_LAYOUT, self.table.horizontalHeader().saveState())
