"""Helpers of the scope attack tests (tests/security/test_scope_*.py): RM b's book as
row ids per table, unique marker strings planted in every free-text column of it (so
any answer to RM a can be searched for a value of b's rows), and minimal valid rows of
every RM-writable table for references."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, String, select, update
from sqlalchemy import Enum as SAEnum

from central_crm import db
from central_crm.schema import OWNED_TABLES, SYNCED
from rm_contract.policy import SYNC_COLUMNS
from rm_contract.wire import encode_value, value_problem
from tests.central.conftest import Book

# Marker strings start with this: searched for in every answer to RM a.
MARK = "ZQMK"


def book_of(engine: Engine, rm_id: str) -> dict[str, set[str]]:
    """Every row (live or deleted) of ``rm_id``'s book, per table: the rows they own
    (owner_rm_id) and the groups only their customers belong to."""
    rows: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for name in OWNED_TABLES:
            table = SYNCED[name]
            ids = set(
                conn.execute(select(table.c.id).where(table.c.owner_rm_id == rm_id)).scalars()
            )
            if ids:
                rows[name] = ids
        members = SYNCED["group_membership"]
        groups: dict[str, set[str | None]] = {
            gid: set() for gid in conn.execute(select(SYNCED["customer_group"].c.id)).scalars()
        }
        for gid, owner in conn.execute(select(members.c.group_id, members.c.owner_rm_id)):
            groups[gid].add(owner)
    only = {gid for gid, owners in groups.items() if owners == {rm_id}}
    if only:
        rows["customer_group"] = only
    return rows


def plant_markers(engine: Engine, rows: dict[str, set[str]]) -> set[str]:
    """Write a unique marker into every free-text column (a plain String or Text the
    wire accepts, not an id, enum or reference) of every given row; returns them."""
    markers: set[str] = set()
    for name, ids in rows.items():
        table = SYNCED[name]
        for row_id in sorted(ids):
            values = {}
            for column in table.columns:
                kind = column.type
                if (
                    column.name in SYNC_COLUMNS
                    or column.foreign_keys
                    or column.name in ("owner_rm_id", "written_by")
                    or not isinstance(kind, String)
                    or isinstance(kind, SAEnum)
                    or (kind.length is not None and kind.length < 14)
                ):
                    continue
                marker = f"{MARK}{uuid.uuid4().hex[:10]}"
                if value_problem(name, column.name, marker) is None:
                    values[column.name] = marker
            if not values:
                continue
            # One statement per row; a column a database rule refuses is left out.
            for column_name, marker in values.items():
                try:
                    with db.write_begin(engine) as conn:
                        conn.execute(
                            update(table).where(table.c.id == row_id).values({column_name: marker})
                        )
                except Exception:  # a CHECK constraint: no marker there
                    continue
                markers.add(marker)
    return markers


def leaked(body: str | bytes, markers: set[str]) -> set[str]:
    text = body.decode() if isinstance(body, bytes) else body
    if MARK not in text:
        return set()
    return {m for m in markers if m in text} or {MARK}


def wire_row(engine: Engine, name: str, row_id: str) -> dict[str, Any]:
    """A stored row as wire values (the sync columns left out)."""
    table = SYNCED[name]
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == row_id)).mappings().one()
    return {
        column.name: encode_value(name, column.name, row[column.name])
        for column in table.columns
        if column.name not in SYNC_COLUMNS and column.name not in ("owner_rm_id", "written_by")
    }


def _no() -> str:
    return uuid.uuid4().hex[:12].upper()


def new_row(name: str, book: Book, customer: str, refs: dict[str, str]) -> dict[str, Any]:
    """A minimal valid new row of an RM-writable table for customer key ``customer``
    (a1: RM a's), with reference columns taken from ``refs`` (column -> id); raises
    KeyError for a table without a recipe (a new table: add one)."""
    cid = book.customers[customer]
    base: dict[str, dict[str, Any]] = {
        "visit": {
            "visit_no": f"V{_no()}",
            "customer_id": cid,
            "planned_start": "2026-12-01T02:00:00+00:00",
            "category": "home",
        },
        "contact_log": {
            "contact_no": f"K{_no()}",
            "customer_id": cid,
            "started_at": "2026-12-01T02:00:00+00:00",
            "channel": "phone",
            "summary": "电话",
        },
        "need": {
            "need_no": f"N{_no()}",
            "customer_id": cid,
            "category": "retirement",
            "started_on": "2026-11-01",
            "summary": "养老",
        },
        "opportunity": {
            "opportunity_no": f"O{_no()}",
            "customer_id": cid,
            "started_on": "2026-11-01",
            "probability": 30,
            "sales_stage": "lead",
            "summary": "子女教育金",
        },
        "bundle_proposal": {
            "proposal_no": f"P{_no()}",
            "customer_id": cid,
            "title": "组合方案",
            "status": "draft",
            "items": "[]",
            "reasons": "[]",
        },
        "group_membership": {
            "customer_id": cid,
            "role": "member",
            "valid_from": "2026-11-01",
        },
        "customer_group": {"group_no": f"G{_no()[:10]}", "name": "新客户群", "kind": "household"},
    }
    row = dict(base[name])
    row.update(refs)
    row["id"] = str(uuid.uuid4())
    return row
