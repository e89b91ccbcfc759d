"""The customer list's table model: pages rows in as the RM scrolls, off the GUI thread.

The model holds plain :class:`~rm_workbench.services.customers.CustomerSummary` rows
and the :class:`~rm_workbench.services.customer_query.CustomerQuery` they answer. Every
query to the cache goes through a *runner* (``run_in_background`` by default), so a
count or a one-letter search over 50,000 customers never stalls the GUI thread:

* :meth:`set_query` (search text, filter, :meth:`sort`) asks for the first page and
  the count. The rows on screen stay until the first page arrives, then the model
  resets; the count follows on its own (:attr:`count_changed`).
* :meth:`fetchMore` asks for the page after the last row's key; one at a time.
* Every answer carries the generation it was asked in: one that arrives after the
  query changed again (the RM kept typing) is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QApplication, QStyle

from rm_workbench.domain.formatting import format_wan
from rm_workbench.services.customer_query import CustomerQuery, PageKey, SortColumn
from rm_workbench.services.customers import CustomerPage, CustomerService, CustomerSummary
from rm_workbench.ui.background import run_in_background

log = logging.getLogger(__name__)

# Rows per page: enough for a screen or three; small, because the page's rows are
# built in Python off the GUI thread, and the GUI thread waits for the GIL meanwhile.
PAGE_SIZE = 100
# Rows read again at most when the list refreshes in place (after a sync).
RELOAD_LIMIT = 1000

ModelIndex = QModelIndex | QPersistentModelIndex

# Roles as plain ints: data() compares them thousands of times per paint.
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_USER = Qt.ItemDataRole.UserRole.value
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)


class Runner(Protocol):
    """How the model runs a service call: ``run_in_background`` or, in a test or a
    script, anything that calls ``on_done(fn())`` (or ``on_error``) later or at once."""

    def __call__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> object: ...


class Column(IntEnum):
    CUSTOMER_NO = 0
    NAME = 1
    TIER = 2
    AUM = 3
    LIFECYCLE = 4
    LIFE_STAGE = 5
    PHONE = 6
    ID_NUMBER = 7


# The columns the list can be ordered by, and the service's name for each order.
SORTABLE: dict[Column, SortColumn] = {
    Column.CUSTOMER_NO: SortColumn.CUSTOMER_NO,
    Column.NAME: SortColumn.NAME,
    Column.TIER: SortColumn.TIER,
    Column.AUM: SortColumn.AUM,
    Column.LIFECYCLE: SortColumn.LIFECYCLE,
}
SORTED_BY: dict[SortColumn, Column] = {sort: column for column, sort in SORTABLE.items()}


class CustomerTableModel(QAbstractTableModel):
    """The customers a :class:`CustomerQuery` selects, paged in from ``service``."""

    # The number of customers the query selects; None while it is being counted.
    count_changed = Signal(object)
    # True from a new query until its first page is shown.
    loading_changed = Signal(bool)
    # A service call failed (the exception); the view tells the RM.
    failed = Signal(object)

    def __init__(
        self,
        service: CustomerService,
        parent: QObject | None = None,
        *,
        runner: Runner = run_in_background,
        query: CustomerQuery | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._run = runner
        self._query = query or CustomerQuery()
        self._rows: list[CustomerSummary] = []
        self._texts: list[tuple[str, ...] | None] = []  # display texts, made when shown
        self._next: PageKey | None = None  # where the next page starts; None: no more
        self._total: int | None = None
        self._generation = 0
        self._loading = False  # a first page is on its way
        self._fetching = False  # a following page is on its way
        # Calls still on their way: cancelled when the model goes (their answers would
        # reach a deleted object) or when a new query makes them stale.
        tasks: list[Any] = []
        self._tasks = tasks
        self.destroyed.connect(lambda *_: _cancel(tasks))
        self._warning_icon = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        self._lifecycle_labels = {
            "potential": self.tr("Potential"),
            "active": self.tr("Active"),
            "dormant": self.tr("Dormant"),
            "lost": self.tr("Lost"),
        }
        self._headers = {
            Column.CUSTOMER_NO: self.tr("Customer no."),
            Column.NAME: self.tr("Name"),
            Column.TIER: self.tr("Tier"),
            Column.AUM: self.tr("AUM"),
            Column.LIFECYCLE: self.tr("Status"),
            Column.LIFE_STAGE: self.tr("Life stage"),
            Column.PHONE: self.tr("Mobile"),
            Column.ID_NUMBER: self.tr("ID number"),
        }

    # --- what the model shows -----------------------------------------------------

    def query(self) -> CustomerQuery:
        return self._query

    def set_query(self, query: CustomerQuery) -> None:
        """Show the customers ``query`` selects (a new search, filter or order)."""
        self._query = query
        self.refresh()

    def refresh(self, *, keep_rows: bool = False) -> None:
        """Read the current query again from the first page. ``keep_rows`` (after a
        sync or an edit): read as many rows as are loaded now (up to RELOAD_LIMIT),
        so the view can stay where the RM was."""
        limit = PAGE_SIZE
        if keep_rows:
            limit = min(max(len(self._rows), PAGE_SIZE), RELOAD_LIMIT)
        self._generation += 1
        generation = self._generation
        query = self._query
        self._fetching = False
        _cancel(self._tasks)
        self._set_loading(True)
        self._set_total(None)
        service = self._service
        self._start(
            lambda: service.page_after(query, None, limit),
            lambda page: self._first_page(generation, page),
            lambda exc: self._failed(generation, exc),
        )
        self._start(
            lambda: service.count(query),
            lambda total: self._counted(generation, total),
            lambda exc: self._failed(generation, exc),
        )

    def lifecycle_label(self, status: str) -> str:
        return self._lifecycle_labels.get(status, status)

    def customer_at(self, row: int) -> CustomerSummary:
        return self._rows[row]

    def total(self) -> int | None:
        """How many customers the query selects; None until counted."""
        return self._total

    def is_loading(self) -> bool:
        return self._loading

    def has_more(self) -> bool:
        """Whether rows are left to page in (always false while a query loads)."""
        return self._next is not None and not self._loading

    def row_of(self, customer_id: str) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.id == customer_id), None)

    # --- answers from the runner ----------------------------------------------------

    def _start(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        task = self._run(fn, on_done, on_error)
        self._tasks[:] = [t for t in self._tasks if getattr(t, "running", False)]
        if getattr(task, "running", False):
            self._tasks.append(task)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    def _set_total(self, total: int | None) -> None:
        if total != self._total:
            self._total = total
            self.count_changed.emit(total)

    def _first_page(self, generation: int, page: CustomerPage) -> None:
        if generation != self._generation:
            return  # asked for a query that has changed since
        self.beginResetModel()
        self._rows = list(page.rows)
        self._texts = [None] * len(self._rows)
        self._next = page.next_key
        self.endResetModel()
        self._set_loading(False)
        if self._next is None and self._total is None:
            self._set_total(len(self._rows))  # the whole answer is here: no need to wait

    def _counted(self, generation: int, total: int) -> None:
        if generation == self._generation:
            self._set_total(total)

    def _next_page(self, generation: int, after: PageKey, page: CustomerPage) -> None:
        if generation != self._generation or after != self._next:
            return
        if page.rows:
            # Still "fetching" while the rows go in: a view (or the model tester) may
            # ask for more from inside the insertion, which must wait until it is done.
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self._texts.extend([None] * len(page.rows))
            self.endInsertRows()
        self._next = page.next_key
        self._fetching = False

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        log.error("customer list query failed", exc_info=exc)
        # Stop paging: retrying on every scroll would repeat the error.
        self._fetching = False
        self._next = None
        self._set_loading(False)
        self.failed.emit(exc)

    # --- Qt overrides ---------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and self.has_more()

    def fetchMore(self, parent: ModelIndex) -> None:
        if parent.isValid() or self._fetching or not self.has_more():
            return
        after = self._next
        assert after is not None
        self._fetching = True
        generation, query, service = self._generation, self._query, self._service
        self._start(
            lambda: service.page_after(query, after, PAGE_SIZE),
            lambda page: self._next_page(generation, after, page),
            lambda exc: self._failed(generation, exc),
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order by ``column`` (the service sorts; columns not in SORTABLE are ignored)."""
        sort = SORTABLE.get(Column(column)) if 0 <= column < len(Column) else None
        if sort is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (self._query.sort, self._query.descending) != (sort, descending):
            self.set_query(replace(self._query, sort=sort, descending=descending))

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every visible cell on each paint: the display text
        # comes from a per-row tuple made once, and other roles are answered cheaply.
        row = index.row()
        if not 0 <= row < len(self._rows):
            return None
        column = index.column()
        if role == _DISPLAY:
            texts = self._texts[row] or self._make_texts(row)
            return texts[column] if 0 <= column < len(texts) else None
        if role == _ALIGNMENT:
            return _RIGHT if column == Column.AUM else None
        if role == _DECORATION:
            warned = column == Column.NAME and self._rows[row].warnings
            return self._warning_icon if warned else None
        if role == _TOOLTIP:
            warnings = self._rows[row].warnings
            return "\n".join(warnings) if warnings else None
        if role == _USER:
            return self._rows[row].id
        return None

    def _make_texts(self, row: int) -> tuple[str, ...]:
        """The row's display texts, in Column order (made when first shown: a fast
        scroll to the end formats only the rows that were on screen)."""
        summary = self._rows[row]
        texts = (
            summary.customer_no,
            summary.name,
            summary.tier or "",
            format_wan(summary.aum),
            self.lifecycle_label(summary.lifecycle_status),
            summary.life_stage or "",
            summary.masked_phone,
            summary.masked_id_number,
        )
        self._texts[row] = texts
        return texts

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[Column(section)]
            if role == Qt.ItemDataRole.InitialSortOrderRole:
                # The richest customers first when the RM first orders by AUM.
                order = Qt.SortOrder.DescendingOrder if section == Column.AUM else None
                return (order or Qt.SortOrder.AscendingOrder).value
        return super().headerData(section, orientation, role)


def _cancel(tasks: list[Any]) -> None:
    for task in tasks:
        task.cancel()
    tasks.clear()
