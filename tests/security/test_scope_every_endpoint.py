"""Issue 13: the two-RM scope test, extended to every endpoint, every synced table and
every reference column, all generated from the FastAPI app's routes and the
SQLAlchemy metadata (a new route, table or column is covered, or fails the coverage
checks here).

RM b's book (bob's customer b1 and a2, which alice owned until it was reassigned, with
every child row and the group only b's customers belong to) gets a unique marker in
every free-text column, and bob has a conflict whose both sides are markers. Alice,
whose device has synced past the reassignment, then calls every route under /api/v1:
no answer contains a marker or (on reads) an id of b's rows; every write to b's rows
is refused and writes nothing; every reference to b's rows is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from fastapi.routing import APIRoute
from sqlalchemy import Enum as SAEnum
from sqlalchemy import String, select

from central_crm.app import create_app
from central_crm.schema import SYNCED
from central_crm.sync.read import DEVICE_TABLES
from rm_contract.policy import GLOBAL_TABLES, READ_ONLY_TABLES, SYNC_COLUMNS, SYNCED_TABLES
from rm_contract.wire import API_PREFIX, PROTOCOL_VERSION, value_problem
from tests.central.conftest import Api, Book, Service, counter
from tests.support.security_scope import MARK, book_of, leaked, new_row, plant_markers, wire_row

# Every route of the service under /api/v1, as (method, path).
ROUTES = sorted(
    (method, route.path)
    for route in create_app("sqlite://").routes
    if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX)
    for method in route.methods
)
# Every reference column an RM writes, to a table that is not global.
REFERENCES = sorted(
    (name, fk.parent.name, fk.column.table.name)
    for name in SYNCED_TABLES
    if name not in READ_ONLY_TABLES
    for fk in SYNCED[name].foreign_keys
    if fk.column.table.name not in GLOBAL_TABLES
)


class World:
    """Alice's view of the world, and what must never reach it."""

    def __init__(self, svc: Service, book: Book, alice: Api, bob: Api, admin: Api) -> None:
        self.svc, self.book, self.alice, self.bob = svc, book, alice, bob
        _catch_up(alice)
        a2 = book.customers["a2"]
        admin.ok(admin.post("/admin/assign", {"customer_ids": [a2], "rm_id": book.rms["b"]}))
        b1 = book.customers["b1"]
        # Every RM-writable table has a row in b's book: an opportunity on b1's need,
        # a proposal on that opportunity.
        opportunity = new_row("opportunity", book, "b1", {"need_id": book.rows["b1"]["need"]})
        proposal = new_row("bundle_proposal", book, "b1", {"opportunity_id": opportunity["id"]})
        assert bob.insert("opportunity", opportunity)["status"] == "applied"
        assert bob.insert("bundle_proposal", proposal)["status"] == "applied"
        bob.update("customer", b1, email=("old@example.com", f"{MARK}e1@x.cn"))
        result = bob.update("customer", b1, email=("old@example.com", f"{MARK}e2@x.cn"))
        assert result["status"] == "conflict"
        self.conflict = result["conflicts"][0]["conflict_id"]
        self.theirs = book_of(svc.engine, book.rms["b"])
        assert {"customer", "visit", "need", "customer_group"} <= set(self.theirs)
        assert a2 in self.theirs["customer"] and book.group_b in self.theirs["customer_group"]
        for table, _, referred in REFERENCES:
            assert self.theirs.get(table) and self.theirs.get(referred), (table, referred)
        self.mine = {"need": book.rows["a1"]["need"], "customer_group": book.group}
        self.markers = plant_markers(svc.engine, self.theirs) | {f"{MARK}e1@x.cn"}
        assert len(self.markers) > 20
        # Ids of b's rows never reach alice; a2's own id does, in the eviction that
        # tells her device to drop it.
        self.theirs_ids = {row_id for ids in self.theirs.values() for row_id in ids} - {a2}
        _catch_up(alice)  # past the reassignment: nothing more is handed over
        self.checked: set[tuple[str, str]] = set()

    def clean(self, response: requests.Response, *, read: bool = False) -> None:
        body = response.text
        assert not leaked(body, self.markers), (response.request.url, body[:2000])
        if read:
            found = {row_id for row_id in self.theirs_ids if row_id in body}
            assert not found, (response.request.url, found)


def _catch_up(api: Api) -> int:
    api.ok(api.hello(cursor=0))
    _, cursor = api.pull_all(0)
    api.ok(api.hello(cursor=cursor))
    return cursor


def _update_fields(name: str, row: dict[str, Any]) -> dict[str, Any]:
    """Every writable field of a row, with a made-up base and a new value."""
    fields = {}
    table = SYNCED[name]
    for column, value in row.items():
        if column in SYNC_COLUMNS or column == "deleted":
            continue
        kind = table.c[column].type
        new = value
        if (
            isinstance(kind, String)
            and not isinstance(kind, SAEnum)
            and not table.c[column].foreign_keys
            and value_problem(name, column, "篡改") is None
        ):
            new = "篡改"
        fields[column] = {"base": "made-up" if isinstance(new, str) else None, "new": new}
    return fields


def _health(w: World) -> None:
    w.clean(w.alice.get("/health"))


def _login(w: World) -> None:
    answer = w.alice.session.post(
        w.svc.url("/auth/login"),
        json={
            "username": "alice",
            "password": "secret-password",
            "device_id": "device-alice-2",
            "device_name": "另一台电脑",
        },
        timeout=30,
    )
    assert answer.status_code == 200
    w.clean(answer)


def _logout(w: World) -> None:
    other = Api(w.svc, "alice", "device-alice-3")
    w.clean(other.post("/auth/logout"))


def _hello(w: World) -> None:
    for cursor in (0, 1, counter(w.svc.engine)):
        w.clean(w.alice.hello(cursor=cursor), read=True)


def _snapshot(w: World) -> None:
    for table in DEVICE_TABLES:
        for protocol in (1, 2):
            after: str | None = None
            while True:
                params: dict[str, Any] = {"table": table, "limit": 2, "protocol": protocol}
                if after is not None:
                    params["after_id"] = after
                page = w.alice.get("/sync/snapshot", **params)
                assert page.status_code == 200, page.text
                w.clean(page, read=True)
                after = page.json()["next_after_id"]
                if after is None:
                    break


def _pull(w: World) -> None:
    for limit in (1, 1000):
        cursor = 0
        while True:
            page = w.alice.get("/sync/pull", cursor=cursor, limit=limit)
            assert page.status_code == 200, page.text
            w.clean(page, read=True)
            body = page.json()
            cursor = body["next_cursor"]
            if not body["has_more"]:
                break


def _checksums(w: World) -> None:
    for protocol in (1, 2):
        answer = w.alice.get("/sync/checksums", protocol=protocol)
        w.clean(answer, read=True)
        tables = answer.json()["tables"]
        assert tables["customer"]["count"] == 1  # a1 only: a2 went to bob


def _conflicts(w: World) -> None:
    for protocol in (1, 3):
        answer = w.alice.get("/sync/conflicts", protocol=protocol)
        w.clean(answer, read=True)
        assert answer.json()["conflicts"] == []


def _resolve(w: World) -> None:
    for choice in ("mine", "theirs"):
        body: dict[str, Any] = {"choice": choice}
        if choice == "mine":
            body["seen"] = f"{MARK}e1@x.cn"
        answer = w.alice.post(f"/sync/conflicts/{w.conflict}/resolve", body)
        assert answer.status_code == 404, answer.text
        w.clean(answer)


def _push(w: World) -> None:
    """Update, delete and re-insert (same id) every row of b's book, at every
    protocol; insert rows of alice's own customer referencing each row of b's."""
    before = counter(w.svc.engine)
    mutations = []
    for name, ids in sorted(w.theirs.items()):
        for row_id in sorted(ids):
            row = wire_row(w.svc.engine, name, row_id)
            fields = _update_fields(name, row)
            mutations.append(w.alice.mutation(name, row_id, "update", fields))
            mutations.append(w.alice.mutation(name, row_id, "delete"))
            inserted = {k: {"new": v["new"]} for k, v in fields.items()}
            mutations.append(w.alice.mutation(name, row_id, "insert", inserted))
    for table, column, referred in REFERENCES:
        for target in sorted(w.theirs.get(referred, ())):
            row = new_row(table, w.book, "a1", {column: target})
            if column != "customer_id":
                # Its other references point at alice's own rows.
                for t, c, r in REFERENCES:
                    if t == table and c not in (column, "customer_id") and r in w.mine:
                        row[c] = w.mine[r]
            fields = {k: {"new": v} for k, v in row.items() if k != "id"}
            mutations.append(w.alice.mutation(table, row["id"], "insert", fields))
    covered = {(m["table"], m["op"]) for m in mutations}
    writable = set(w.theirs) - set(READ_ONLY_TABLES)
    assert {(t, op) for t in writable for op in ("update", "delete", "insert")} <= covered
    for protocol in (1, PROTOCOL_VERSION):
        for start in range(0, len(mutations), 50):
            chunk = mutations[start : start + 50]
            answer = w.alice.post(
                "/sync/push",
                {"device_id": w.alice.device_id, "mutations": chunk, "protocol": protocol},
            )
            assert answer.status_code == 200, answer.text
            w.clean(answer)
            for mutation, result in zip(chunk, answer.json()["results"], strict=True):
                status = result.get("original_status") or result["status"]
                # A delete of a row that is not there any more is a no-op.
                assert status == "rejected" or (
                    mutation["op"] == "delete" and status == "applied" and not result["version"]
                ), (mutation["table"], mutation["op"], result)
                assert result.get("row") is None
    assert counter(w.svc.engine) == before, "nothing of b's was written"


def _admin_only(w: World, method: str, path: str) -> None:
    answer = w.alice.session.request(method, w.svc.base + path, json={}, timeout=30)
    assert answer.status_code == 403, (path, answer.text)
    w.clean(answer)


CALLS: dict[tuple[str, str], Callable[[World], None]] = {
    ("GET", "/health"): _health,
    ("POST", "/auth/login"): _login,
    ("POST", "/auth/logout"): _logout,
    ("POST", "/sync/hello"): _hello,
    ("GET", "/sync/snapshot"): _snapshot,
    ("GET", "/sync/pull"): _pull,
    ("GET", "/sync/checksums"): _checksums,
    ("GET", "/sync/conflicts"): _conflicts,
    ("POST", "/sync/conflicts/{conflict_id}/resolve"): _resolve,
    ("POST", "/sync/push"): _push,
}


def test_every_route_is_covered() -> None:
    routes = {(method, path[len(API_PREFIX) :]) for method, path in ROUTES}
    rm_routes = {r for r in routes if not r[1].startswith("/admin/")}
    assert rm_routes == set(CALLS), "a route without a scope check here"
    assert len(routes - rm_routes) >= 5


@pytest.fixture
def world(svc: Service, book: Book, alice: Api, bob: Api, admin: Api) -> World:
    return World(svc, book, alice, bob, admin)


def test_no_answer_to_rm_a_holds_anything_of_rm_bs_book(world: World) -> None:
    for method, path in ROUTES:
        short = path[len(API_PREFIX) :]
        if short.startswith("/admin/"):
            _admin_only(world, method, short)
        else:
            CALLS[(method, short)](world)
    # The markers are really there: bob sees them.
    seen = world.bob.get("/sync/snapshot", table="customer", limit=100)
    assert leaked(seen.text, world.markers)


def test_the_markers_reach_every_table_of_bs_book(world: World) -> None:
    """The search above is meaningful: every table of b's book with a free-text
    column holds markers."""
    with world.svc.engine.connect() as conn:
        for name, ids in world.theirs.items():
            table = SYNCED[name]
            texts = [
                c
                for c in table.columns
                if isinstance(c.type, String)
                and not isinstance(c.type, SAEnum)
                and not c.foreign_keys
                and c.name not in SYNC_COLUMNS
                and c.name not in ("owner_rm_id", "written_by")
                and (c.type.length is None or c.type.length >= 14)
            ]
            if not texts:
                continue
            rows = conn.execute(select(*texts).where(table.c.id.in_(ids))).all()
            assert any(MARK in str(v) for row in rows for v in row), name
