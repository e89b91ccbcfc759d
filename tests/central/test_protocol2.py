"""Protocol 2 on both back ends: columnar snapshot pages carry exactly the rows of
protocol 1's pages, and the version digest summed by the database equals the
reference computed from the versions a device receives; protocol 1 is still served."""

from __future__ import annotations

from typing import Any

from rm_contract.wire import ColumnarSnapshotPage, row_digest, version_digest
from tests.central.conftest import Api, Book, Service, assert_error, counter


def _columnar_all(api: Api, table: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"table": table, "limit": limit, "protocol": 2}
        if after is not None:
            params["after_id"] = after
        response = api.get("/sync/snapshot", **params)
        assert response.status_code == 200, response.text
        page = ColumnarSnapshotPage.from_json(response.content)
        assert page.table == table and "owner_rm_id" not in page.columns
        rows.extend(dict(zip(page.columns, values, strict=True)) for values in page.rows)
        after = page.next_after_id
        if after is None:
            return rows


def test_columnar_pages_carry_the_rows_of_row_pages(svc: Service, book: Book, alice: Api) -> None:
    for table in ("customer", "account", "visit", "customer_group", "product"):
        assert _columnar_all(alice, table, limit=1) == alice.snapshot_all(table), table


def test_the_version_digest_matches_what_a_device_receives(
    svc: Service, book: Book, alice: Api
) -> None:
    alice.delete("visit", book.rows["a2"]["visit"])  # a tombstone is not counted
    sums = alice.ok(alice.get("/sync/checksums", protocol=2))
    legacy = alice.ok(alice.get("/sync/checksums"))
    assert sums["server_seq"] == legacy["server_seq"] == counter(svc.engine)
    assert sums["tables"].keys() == legacy["tables"].keys()
    for table, checksum in sums["tables"].items():
        rows = alice.snapshot_all(table)
        assert checksum == version_digest(r["version"] for r in rows).model_dump(), table
        legacy_digest = row_digest((r["id"], r["version"]) for r in rows).model_dump()
        assert legacy["tables"][table] == legacy_digest, table
    assert sums["tables"]["visit"]["count"] == 1


def test_a_protocol_the_service_does_not_speak_is_refused(svc: Service, alice: Api) -> None:
    assert_error(alice.get("/sync/checksums", protocol=99), 422, "invalid_request")
    assert_error(alice.get("/sync/snapshot", table="customer", protocol=0), 422, "invalid_request")
