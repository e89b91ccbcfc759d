"""Writers and readers at the same time: no errors, and a device that pulls while
others write ends with exactly the server's rows (the cursor never skips a commit)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import select

from central_crm.schema import SYNCED
from tests.central.conftest import Api, Book, Service, new_id

WRITES = 15


def _writer(api: Api, customer_id: str, failures: list[str]) -> None:
    try:
        for i in range(WRITES):
            mutations = [
                api.mutation(
                    "customer",
                    customer_id,
                    "update",
                    {
                        "notes": {
                            "base": None if i == 0 else f"{api.device_id}-{i - 1}",
                            "new": f"{api.device_id}-{i}",
                        }
                    },
                ),
                api.mutation(
                    "contact_log",
                    new_id(),
                    "insert",
                    {
                        "contact_no": {"new": f"K{uuid.uuid4().hex[:12]}"},
                        "customer_id": {"new": customer_id},
                        "started_at": {"new": "2026-11-21T01:00:00.000000+00:00"},
                        "channel": {"new": "phone"},
                        "summary": {"new": f"第{i}次电话"},
                    },
                ),
            ]
            answer = api.push_raw(mutations)
            if answer.status_code != 200:
                failures.append(f"{answer.status_code}: {answer.text}")
                return
            statuses = {r["status"] for r in answer.json()["results"]}
            if not statuses <= {"applied", "conflict"}:
                failures.append(str(answer.json()))
    except Exception as exc:  # reported by the test
        failures.append(repr(exc))


def test_pulling_while_others_write_converges(
    svc: Service, book: Book, alice: Api, bob: Api
) -> None:
    writers = [
        (alice, book.customers["a1"]),
        (Api(svc, "alice", "device-alice-laptop"), book.customers["a2"]),
        (bob, book.customers["b1"]),
        (Api(svc, "bob", "device-bob-laptop"), book.customers["b1"]),
    ]
    reader = Api(svc, "alice", "device-alice-reader")
    held: dict[tuple[str, str], int] = {}
    failures: list[str] = []
    cursor = 0
    threads = [threading.Thread(target=_writer, args=(api, cid, failures)) for api, cid in writers]
    for thread in threads:
        thread.start()

    def pull_once(cursor: int) -> int:
        page: dict[str, Any] = reader.ok(reader.get("/sync/pull", cursor=cursor, limit=7))
        for item in page["items"]:
            assert item["seq"] > cursor
            if item["kind"] == "row":
                key = (item["table"], item["row"]["id"])
                if item["row"]["deleted"]:
                    held.pop(key, None)
                else:
                    held[key] = item["row"]["version"]
        return int(page["next_cursor"])

    while any(thread.is_alive() for thread in threads):
        cursor = pull_once(cursor)
    for thread in threads:
        thread.join()
    while True:
        before = cursor
        cursor = pull_once(cursor)
        if cursor == before:
            break
    assert failures == []
    expected: dict[tuple[str, str], int] = {}
    with svc.engine.connect() as conn:
        for name, table in SYNCED.items():
            if "owner_rm_id" in table.c and name != "audit_log":
                query = select(table.c.id, table.c.version).where(
                    table.c.owner_rm_id == book.rms["a"], table.c.deleted.is_(False)
                )
                expected.update({(name, r.id): r.version for r in conn.execute(query)})
    owned = {k: v for k, v in held.items() if k[0] in {t for t, _ in expected}}
    assert owned == expected
    assert len([k for k in owned if k[0] == "contact_log"]) == 2 + 2 * WRITES
