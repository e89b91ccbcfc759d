"""An edit's base is what the RM saw when the dialog opened, not what the cache holds
when it is saved (B5): a sync that brings a change while a dialog is open must turn
the RM's save of that field into a visible conflict on the server, never a silent
overwrite; a field the RM did not touch keeps what the sync brought.

The real service on loopback, the RM's laptop (a real cache with its sync engine),
the back office changing the rows through the admin API, real dialogs under pytest-qt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QWidget

from rm_contract.wire import encode_value
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.customer360 import Customer360Service
from rm_workbench.services.visits import VisitService
from rm_workbench.ui.activity_dialogs import NeedDialog
from rm_workbench.ui.contact_dialog import ContactDetailsDialog
from rm_workbench.ui.visit_dialogs import RescheduleDialog
from tests.central.conftest import Api, Book, Service, fetch
from tests.central.test_sync_client import Device

WAIT_MS = 10_000


@pytest.fixture
def laptop(svc: Service, book: Book, tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "alice")
    device.sync()
    yield device
    device.close()


def _save(qtbot: Any, dialog: QWidget, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)


def _conflicts(api: Api) -> list[tuple[str, str, str, Any, Any, Any]]:
    return [
        (c["table"], c["row_id"], c["field"], c["base"], c["theirs"], c["yours"])
        for c in api.ok(api.get("/sync/conflicts"))["conflicts"]
    ]


def test_a_need_edited_while_a_sync_changed_it_conflicts(
    qtbot: Any, svc: Service, book: Book, admin: Api, alice: Api, laptop: Device
) -> None:
    need_id = book.rows["a1"]["need"]
    service = ActivityService(laptop.cache, rm_id=book.rms["a"])
    dialog = NeedDialog(service, book.customers["a1"], service.need(need_id))
    qtbot.addWidget(dialog)
    dialog.show()
    # While the dialog is open the back office changes the summary and the urgency,
    # and an automatic sync brings both.
    admin.update("need", need_id, summary=("养老规划", "养老规划（总行）"), urgency=("high", "low"))
    laptop.sync()
    assert laptop.value("need", need_id, "summary") == "养老规划（总行）"

    dialog.summary_edit.setText("养老规划：每月定投")  # the RM changes the summary only
    _save(qtbot, dialog, dialog.save_button)
    assert dialog.problem() is None
    laptop.sync()

    assert _conflicts(alice) == [
        ("need", need_id, "summary", "养老规划", "养老规划（总行）", "养老规划：每月定投")
    ]
    server = fetch(svc.engine, "need", need_id)
    assert server is not None
    assert (server["summary"], server["urgency"]) == ("养老规划（总行）", "low")
    assert laptop.value("need", need_id, "urgency") == "low"


def test_a_field_saved_as_seen_keeps_what_a_sync_brought(
    svc: Service, book: Book, admin: Api, alice: Api, laptop: Device
) -> None:
    """A form that sends every field: the probability the RM left as it was is not an
    edit, so the back office's new probability is not reverted."""
    opportunity_id = new_opportunity(laptop, book)
    service = ActivityService(laptop.cache, rm_id=book.rms["a"])
    item = service.opportunity(opportunity_id)
    seen = {"summary": item.summary, "probability": item.probability}
    admin.update("opportunity", opportunity_id, probability=(30, 60))
    laptop.sync()

    service.edit_opportunity(
        opportunity_id, summary="续存三年定期", probability=item.probability, seen=seen
    )
    laptop.sync()

    server = fetch(svc.engine, "opportunity", opportunity_id)
    assert server is not None
    assert (server["summary"], server["probability"]) == ("续存三年定期", 60)
    assert laptop.value("opportunity", opportunity_id, "probability") == 60
    assert _conflicts(alice) == []


def new_opportunity(laptop: Device, book: Book) -> str:
    service = ActivityService(laptop.cache, rm_id=book.rms["a"])
    change = service.add_opportunity(book.customers["a1"], summary="到期续存", probability=30)
    laptop.sync()
    return change.ids[0]


def test_a_visit_rescheduled_while_a_sync_moved_it_conflicts(
    qtbot: Any, svc: Service, book: Book, admin: Api, alice: Api, laptop: Device
) -> None:
    visits = VisitService(laptop.cache, rm_id=book.rms["a"])
    start = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing
    visit_id = visits.plan(
        book.customers["a1"], start=start, end=start + timedelta(hours=1), purpose="到期提醒"
    ).ids[0]
    laptop.sync()
    dialog = RescheduleDialog(SimpleNamespace(visits=visits), visits.get(visit_id))
    qtbot.addWidget(dialog)
    dialog.show()
    moved = start + timedelta(days=1)  # the back office moves it to Saturday
    admin.update(
        "visit",
        visit_id,
        planned_start=(_wire("planned_start", start), _wire("planned_start", moved)),
        planned_end=(
            _wire("planned_end", start + timedelta(hours=1)),
            _wire("planned_end", moved + timedelta(hours=1)),
        ),
    )
    laptop.sync()

    dialog.start_edit.setTime(QTime(15, 0))  # the RM moves it to 15:00 (Friday)
    _save(qtbot, dialog, dialog.save_button)
    laptop.sync()

    fields = {c[2] for c in _conflicts(alice) if c[1] == visit_id}
    assert fields == {"planned_start", "planned_end"}
    server = fetch(svc.engine, "visit", visit_id)
    assert server is not None and server["planned_start"] == moved


def _wire(field: str, value: datetime) -> Any:
    return encode_value("visit", field, value)


def test_contact_details_edited_while_a_sync_changed_them_conflict(
    qtbot: Any, svc: Service, book: Book, admin: Api, alice: Api, laptop: Device
) -> None:
    a1 = book.customers["a1"]
    service = Customer360Service(laptop.cache, rm_id=book.rms["a"])
    dialog = ContactDetailsDialog(service, service.contact_details(a1))
    qtbot.addWidget(dialog)
    dialog.show()
    admin.update(
        "customer",
        a1,
        email=("old@example.com", "office@example.com"),
        address=(None, "杭州市西湖区文三路 100 号"),
    )
    laptop.sync()

    dialog.email_edit.setText("zhang.san@example.cn")  # the RM changes the e-mail only
    _save(qtbot, dialog, dialog.save_button)
    laptop.sync()

    assert _conflicts(alice) == [
        ("customer", a1, "email", "old@example.com", "office@example.com", "zhang.san@example.cn")
    ]
    server = fetch(svc.engine, "customer", a1)
    assert server is not None
    assert (server["email"], server["address"]) == (
        "office@example.com",
        "杭州市西湖区文三路 100 号",
    )
    assert laptop.value("customer", a1, "address") == "杭州市西湖区文三路 100 号"
