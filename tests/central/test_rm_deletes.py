"""The deletes an RM may make reach the central CRM as tombstones, on the same terms
the service refuses them (a need an opportunity is linked to stays)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rm_workbench.errors import ValidationError
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.visits import VisitService
from tests.central.conftest import Book, Service, fetch
from tests.central.test_sync_client import Device


@pytest.fixture
def laptop(svc: Service, book: Book, tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "alice")
    device.sync()
    yield device
    device.close()


def test_a_deleted_need_and_planned_visit_become_tombstones(
    svc: Service, book: Book, laptop: Device
) -> None:
    a, a1 = book.rms["a"], book.customers["a1"]
    activities = ActivityService(laptop.cache, rm_id=a)
    visits = VisitService(laptop.cache, rm_id=a)
    start = datetime(2026, 12, 11, 2, 0, tzinfo=UTC)
    visit_id = visits.plan(a1, start=start, purpose="误建的拜访").ids[0]
    laptop.sync()

    need_id = book.rows["a1"]["need"]
    activities.delete_need(need_id)
    visits.delete(visit_id)
    with pytest.raises(ValidationError, match="只有计划中的拜访可以删除"):
        visits.delete(book.rows["a1"]["visit"])  # done: a record of service
    report = laptop.sync()
    assert report.converged is True, report.mismatched_tables

    for table, row_id in (("need", need_id), ("visit", visit_id)):
        row = fetch(svc.engine, table, row_id)
        assert row is not None and row["deleted"] is True, table
        assert not laptop.has(table, row_id)
    done = fetch(svc.engine, "visit", book.rows["a1"]["visit"])
    assert done is not None and done["deleted"] is False
