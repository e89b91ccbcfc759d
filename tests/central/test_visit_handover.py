"""Visits handed over with their customer (B6): the new RM sees the planned visits they
inherited in the calendar, in Today and in the iCalendar export, including one the old
RM's device planned offline before it learned of the reassignment; done visits stay
the old RM's history, shown by customer in the Customer 360 timeline.

Two real devices (alice, RM a; bob, RM b) and the real service on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from rm_workbench.domain.reminders import local_date
from rm_workbench.services.customer360 import Customer360Service
from rm_workbench.services.exports import ExportService
from rm_workbench.services.today import TodayService
from rm_workbench.services.visits import VisitService
from tests.central.conftest import Api, Book, Service, fetch
from tests.central.test_sync_client import Device

NOW = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)  # Wednesday 09:00 in Beijing
TODAY = local_date(NOW)


@pytest.fixture
def alice(svc: Service, book: Book, tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "alice")
    yield device
    device.close()


@pytest.fixture
def bob(svc: Service, book: Book, tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "bob")
    yield device
    device.close()


def _plan(device: Device, rm_id: str, customer_id: str, start: datetime, purpose: str) -> str:
    change = VisitService(device.cache, rm_id=rm_id).plan(
        customer_id, start=start, end=start + timedelta(hours=1), purpose=purpose
    )
    return change.ids[0]


def _calendar_ids(device: Device, rm_id: str, first: date, last: date) -> set[str]:
    return {v.id for v in VisitService(device.cache, rm_id=rm_id).between(first, last)}


def _ical_ids(device: Device, rm_id: str, folder: Path, first: date, last: date) -> set[str]:
    target = folder / f"{rm_id}-{first}.ics"
    ExportService(device.cache, rm_id=rm_id, user_name="bob").visits_ical(
        target, first, last, now=NOW
    )
    calendar = Calendar.from_ical(target.read_bytes())
    return {str(event["uid"]).split("@")[0] for event in calendar.walk("VEVENT")}


def test_the_new_rm_sees_the_planned_visits_they_inherited(
    svc: Service, book: Book, admin: Api, alice: Device, bob: Device, tmp_path: Path
) -> None:
    a, b, a1 = book.rms["a"], book.rms["b"], book.customers["a1"]
    alice.sync()
    bob.sync()
    today = _plan(alice, a, a1, NOW + timedelta(hours=1), "今日面谈")
    next_week = _plan(alice, a, a1, NOW + timedelta(days=7), "下周回访")
    not_written_up = _plan(alice, a, a1, NOW - timedelta(days=3), "上周拜访，尚未记录")
    done_by_alice = book.rows["a1"]["visit"]  # seeded: done, by RM a
    alice.sync()

    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": b}))
    report = bob.sync()
    assert report.converged is True, report.mismatched_tables

    # The calendar (week view), the Today screen and the iCalendar export.
    first, last = TODAY - timedelta(days=7), TODAY + timedelta(days=14)
    week = VisitService(bob.cache, rm_id=b).week(TODAY + timedelta(days=7))
    assert next_week in {v.id for day in week.days for v in day.visits}
    assert {today, next_week, not_written_up} <= _calendar_ids(bob, b, first, last)
    view = TodayService(bob.cache, rm_id=b).view(NOW)
    assert today in {item.ref_id for item in view.visits}
    assert {today, next_week, not_written_up} <= _ical_ids(bob, b, tmp_path, first, last)

    # History stays the old RM's, and is still shown by customer.
    assert (fetch(svc.engine, "visit", done_by_alice) or {})["rm_id"] == a
    assert bob.value("visit", done_by_alice, "rm_id") == a
    assert done_by_alice not in _calendar_ids(bob, b, date(2026, 11, 1), date(2026, 11, 30))
    timeline = Customer360Service(bob.cache, rm_id=b).timeline(a1)
    assert {done_by_alice, today, next_week, not_written_up} <= {e.id for e in timeline}


def test_a_visit_the_old_rm_planned_offline_after_the_handover_is_the_new_rms(
    svc: Service, book: Book, admin: Api, alice: Device, bob: Device, tmp_path: Path
) -> None:
    a, b, a1 = book.rms["a"], book.rms["b"], book.customers["a1"]
    alice.sync()
    bob.sync()
    admin.ok(admin.post("/admin/assign", {"customer_ids": [a1], "rm_id": b}))

    # Alice's device has not heard of it yet: she plans one visit and records another
    # that took place (written up before any push: one insert, already done).
    planned = _plan(alice, a, a1, NOW + timedelta(days=2), "离线安排的拜访")
    held = _plan(alice, a, a1, NOW - timedelta(days=1), "昨天已拜访")
    VisitService(alice.cache, rm_id=a).complete(held, report="客户同意下周签约。", now=NOW)
    report = alice.sync()
    assert not alice.has("customer", a1)  # pushed first, then evicted
    assert report.converged is True, report.mismatched_tables

    bob.sync()
    first, last = TODAY - timedelta(days=7), TODAY + timedelta(days=7)
    assert planned in _calendar_ids(bob, b, first, last)
    assert planned in _ical_ids(bob, b, tmp_path, first, last)
    assert (fetch(svc.engine, "visit", planned) or {})["rm_id"] == b
    # The visit alice ran stays hers: history, in the timeline, not in bob's calendar.
    assert (fetch(svc.engine, "visit", held) or {})["rm_id"] == a
    assert held not in _calendar_ids(bob, b, first, last)
    assert held in {e.id for e in Customer360Service(bob.cache, rm_id=b).timeline(a1)}
