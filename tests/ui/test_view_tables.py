"""Each view refreshes when a Change touches one of its ``TABLES``: a view that reads
a table it does not list would miss a sync that changed only that table. Here each
view loads on the real demo cache while every statement is recorded, and the tables
it read must be among the ones it lists."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from rm_demo.book import DEFAULT_TODAY
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import Base, Customer
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import customer_list, today_view, visits_view
from rm_workbench.ui.background import wait_for_background
from rm_workbench.ui.customer360 import view as customer360_view
from rm_workbench.ui.customer360.view import Customer360View
from rm_workbench.ui.customer_list import CustomerListView
from rm_workbench.ui.today_view import TodayView
from rm_workbench.ui.visits_view import VisitsView

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
WAIT_MS = 20_000
# Bookkeeping no view shows: the sync's own state, the migration stamp.
NOT_SHOWN = {"sync_state", "alembic_version"}
_NAME = re.compile(r'\b(?:FROM|JOIN|INTO|UPDATE)\s+(?:main\.)?"?(\w+)"?', re.IGNORECASE)


@contextmanager
def tables_read(workbench: Workbench) -> Iterator[set[str]]:
    """The cache's tables named by every statement run inside the block."""
    known = set(Base.metadata.tables) | {"customer_search"}
    found: set[str] = set()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        found.update(name for name in _NAME.findall(statement) if name in known)

    event.listen(workbench.cache.engine, "before_cursor_execute", seen)
    try:
        yield found
    finally:
        wait_for_background()
        event.remove(workbench.cache.engine, "before_cursor_execute", seen)


def _any_customer(workbench: Workbench) -> str:
    with workbench.cache.engine.connect() as conn:
        return str(conn.execute(select(Customer.id).order_by(Customer.customer_no)).scalar())


def _today(qtbot: Any, workbench: Workbench) -> Any:
    view = TodayView(workbench, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.day is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


def _customer360(qtbot: Any, workbench: Workbench) -> Any:
    view = Customer360View(workbench, _any_customer(workbench), clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


def _visits(qtbot: Any, workbench: Workbench) -> Any:
    view = VisitsView(workbench, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.week is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


def _customers(qtbot: Any, workbench: Workbench) -> Any:
    view = CustomerListView(workbench)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(
        lambda: not view.model.is_loading() and view.model.total() is not None, timeout=WAIT_MS
    )
    view.search_box.setText("张")
    qtbot.waitUntil(lambda: view.model.query().text == "张", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not view.model.is_loading(), timeout=WAIT_MS)
    return view


VIEWS: dict[str, tuple[Callable[[Any, Workbench], Any], tuple[str, ...]]] = {
    "today": (_today, today_view.TABLES),
    "customer 360": (_customer360, customer360_view.TABLES),
    "visits": (_visits, visits_view.TABLES),
    "customers": (_customers, customer_list.TABLES),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_view_lists_every_table_it_reads(name: str, qtbot: Any, workbench: Workbench) -> None:
    open_view, listed = VIEWS[name]
    with tables_read(workbench) as read:
        open_view(qtbot, workbench)
    assert read, "no statement recorded"
    missing = read - set(listed) - NOT_SHOWN
    assert not missing, f"the {name} view reads {sorted(missing)} but does not list them"
