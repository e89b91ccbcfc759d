"""Local edits and the transactional outbox.

Every edit the RM makes goes through :func:`insert_row`, :func:`update_row` or
:func:`delete_row`, on a connection inside the caller's transaction: the row changes
and its outbox entry is written in that same transaction, so an edit can never exist
without the mutation that carries it to the central CRM (nor the reverse).

An update records, per field, the value the device last saw (``base``) and the new
one; the server merges field by field with them. Several edits to a row before a
push are folded into one entry that keeps the first base, but an entry that was
already sent is never changed: a replay must carry exactly what was sent.

An audit row is chained as it is written (:mod:`rm_contract.audit_chain`): the
next number and hash of this device's chain, whose head is kept in ``sync_state``
(``audit_chain_head``) in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rm_contract.audit_chain import CHAINED, entry_hash, genesis
from rm_contract.policy import (
    APPEND_ONLY_TABLES,
    CUSTOMER_CHILD_TABLES,
    READ_ONLY_TABLES,
    SERVER_OWNED_FIELDS,
    SYNC_COLUMNS,
    SYNCED_TABLES,
)
from rm_contract.wire import encode_value
from rm_workbench.db.search import index_customers, remove_customers
from rm_workbench.errors import ValidationError
from rm_workbench.models import Base, OutboxEntry, SyncState, new_id, utcnow

OUTBOX = Base.metadata.tables[OutboxEntry.__tablename__]
STATE = Base.metadata.tables[SyncState.__tablename__]
# sync_state keys: this cache's device id; the head of its audit chain (JSON).
DEVICE_ID = "device_id"
AUDIT_CHAIN_HEAD = "audit_chain_head"


def device_id_of(conn: Connection) -> str:
    """This cache's device id, created once (the server orders its pushes and checks
    its audit chain by it)."""
    value = conn.execute(select(STATE.c.value).where(STATE.c.key == DEVICE_ID)).scalar()
    if value is None:
        value = str(uuid.uuid4())
        conn.execute(insert(STATE).values(key=DEVICE_ID, value=value))
    return str(value)


def _chain_audit_entry(conn: Connection, row_id: str, stored: Mapping[str, Any]) -> dict[str, Any]:
    """Number and hash a new audit row after this device's last one, and move the
    chain's head to it (in the caller's transaction); returns the chain's columns."""
    head_text = conn.execute(select(STATE.c.value).where(STATE.c.key == AUDIT_CHAIN_HEAD)).scalar()
    if head_text is None:
        seq, prev = 1, genesis(device_id_of(conn))
    else:
        head = json.loads(head_text)
        seq, prev = int(head["seq"]) + 1, str(head["hash"])
    entry = {name: encode_value("audit_log", name, stored[name]) for name in CHAINED}
    chained = {"device_seq": seq, "prev_hash": prev, "chain_hash": entry_hash(prev, seq, entry)}
    audit = Base.metadata.tables["audit_log"]
    conn.execute(update(audit).where(audit.c.id == row_id).values(**chained))
    value = json.dumps({"seq": seq, "hash": chained["chain_hash"]})
    conn.execute(
        sqlite_insert(STATE)
        .values(key=AUDIT_CHAIN_HEAD, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )
    return chained


def _table(name: str) -> Any:
    if name not in SYNCED_TABLES:
        raise ValueError(f"not a synced table: {name}")
    return Base.metadata.tables[name]


def _customer_of(table: str, row: Mapping[Any, Any]) -> str | None:
    if table == "customer":
        return str(row["id"])
    if table in CUSTOMER_CHILD_TABLES or "customer_id" in row:
        value = row.get("customer_id")
        return None if value is None else str(value)
    return None


def _check_writable(table: str, fields: set[str], *, op: str) -> None:
    if table in READ_ONLY_TABLES:
        raise ValidationError(f"{table} 的数据由总行系统维护，客户经理不能修改。", f"{op} {table}")
    if op != "insert" and table in APPEND_ONLY_TABLES:
        raise ValidationError("联系记录和审计日志一经保存不能修改或删除。", f"{op} {table}")
    owned = fields & SERVER_OWNED_FIELDS.get(table, frozenset())
    if op == "update" and owned:
        raise ValidationError(
            "这些信息由总行核心系统维护，不能在工作台修改：" + "、".join(sorted(owned)),
            f"{table}: {sorted(owned)}",
        )
    internal = fields & SYNC_COLUMNS - {"id"}
    if internal:
        raise ValueError(f"sync columns are not edited directly: {sorted(internal)}")


def _last_entry(conn: Connection, table: str, row_id: str) -> Any:
    return conn.execute(
        select(OUTBOX)
        .where(OUTBOX.c.table_name == table, OUTBOX.c.row_id == row_id)
        .order_by(OUTBOX.c.mutation_id.desc())
        .limit(1)
    ).first()


def _add_entry(
    conn: Connection,
    *,
    table: str,
    row_id: str,
    customer_id: str | None,
    op: str,
    fields: Mapping[str, Mapping[str, Any]],
) -> None:
    conn.execute(
        insert(OUTBOX).values(
            idempotency_key=str(uuid.uuid4()),
            table_name=table,
            row_id=row_id,
            customer_id=customer_id,
            op=op,
            fields=json.dumps(fields, ensure_ascii=False),
            created_at=utcnow(),
        )
    )


def _reindex(conn: Connection, table: str, row_id: str) -> None:
    if table != "customer":
        return
    customers = Base.metadata.tables["customer"]
    row = conn.execute(select(customers).where(customers.c.id == row_id)).mappings().first()
    if row is not None:
        index_customers(conn, [dict(row)])


def _refers_to_later_rows(
    conn: Connection,
    target: Any,
    mutation_id: int,
    fields: Mapping[str, Any],
    changes: Mapping[str, Any],
) -> bool:
    """Whether the change points a foreign key at a row queued after entry
    ``mutation_id``. Folding it into that entry would push the reference before the
    row it names (a proposal accepted offline, linked to the opportunity made then),
    and the server would refuse it; such a change gets an entry of its own."""
    for name in fields:
        value = changes[name]
        if value is None:
            continue
        for key in target.c[name].foreign_keys:
            later = conn.execute(
                select(OUTBOX.c.mutation_id)
                .where(
                    OUTBOX.c.table_name == key.column.table.name,
                    OUTBOX.c.row_id == str(value),
                    OUTBOX.c.mutation_id > mutation_id,
                )
                .limit(1)
            ).first()
            if later is not None:
                return True
    return False


def insert_row(conn: Connection, table: str, values: Mapping[str, Any]) -> str:
    """Create a row locally and queue its insert; returns its (new) id."""
    target = _table(table)
    row = dict(values)
    row.setdefault("id", new_id())
    _check_writable(table, set(row), op="insert")
    unknown = set(row) - set(target.c.keys())
    if unknown:
        raise ValueError(f"{table}: no such columns {sorted(unknown)}")
    now = utcnow()
    row.update(version=None, deleted=False, created_at=now, updated_at=now)
    conn.execute(insert(target).values(**row))
    stored: dict[str, Any] = dict(
        conn.execute(select(target).where(target.c.id == row["id"])).mappings().one()
    )
    if table == "audit_log":
        stored.update(_chain_audit_entry(conn, row["id"], stored))
    fields = {
        name: {"new": encode_value(table, name, value)}
        for name, value in stored.items()
        if name not in SYNC_COLUMNS and name not in ("deleted",) and value is not None
    }
    _add_entry(
        conn,
        table=table,
        row_id=row["id"],
        customer_id=_customer_of(table, stored),
        op="insert",
        fields=fields,
    )
    _reindex(conn, table, row["id"])
    return str(row["id"])


def update_row(
    conn: Connection,
    table: str,
    row_id: str,
    changes: Mapping[str, Any],
    seen: Mapping[str, Any] | None = None,
) -> bool:
    """Change fields of a row locally and queue the change with each field's base.

    ``seen``: per field, the value (in model types) the RM saw when the form opened.
    A field's base is what the RM saw, not what the cache holds at save time: a pull
    while the form was open may have changed the field, and the server must see the
    edit as one made on the older value (a conflict), never overwrite the newer one.
    A field whose new value is what the RM saw is not an edit, and keeps whatever
    the cache holds now. Fields not in ``seen`` take their base from the cache.

    Returns False when nothing actually changed. Raises ValidationError for fields the
    RM may not change, LookupError for a row that is not in the cache.
    """
    target = _table(table)
    _check_writable(table, set(changes), op="update")
    current = conn.execute(select(target).where(target.c.id == row_id)).mappings().first()
    if current is None or current["deleted"]:
        raise LookupError(f"{table} {row_id} is not in the cache")
    fields: dict[str, dict[str, Any]] = {}
    for name, value in changes.items():
        if name not in target.c:
            raise ValueError(f"{table}: no such column {name}")
        new = encode_value(table, name, value)
        held = encode_value(table, name, current[name])
        base = held if seen is None or name not in seen else encode_value(table, name, seen[name])
        if new != base and new != held:
            fields[name] = {"base": base, "new": new}
    if not fields:
        return False
    conn.execute(
        update(target)
        .where(target.c.id == row_id)
        .values(**{name: changes[name] for name in fields}, updated_at=utcnow())
    )
    last = _last_entry(conn, table, row_id)
    if (
        last is not None
        and last.sent_at is None
        and last.op in ("insert", "update")
        and not _refers_to_later_rows(conn, target, last.mutation_id, fields, changes)
    ):
        # Fold into the unsent entry: keep each field's first base, take the new value.
        merged: dict[str, dict[str, Any]] = json.loads(last.fields)
        for name, change in fields.items():
            if name in merged:
                merged[name]["new"] = change["new"]
                if last.op == "update" and merged[name].get("base") == change["new"]:
                    del merged[name]  # edited back to what the server has
            else:
                merged[name] = change if last.op == "update" else {"new": change["new"]}
        if merged or last.op == "insert":
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.mutation_id == last.mutation_id)
                .values(fields=json.dumps(merged, ensure_ascii=False))
            )
        else:
            conn.execute(delete(OUTBOX).where(OUTBOX.c.mutation_id == last.mutation_id))
    else:
        _add_entry(
            conn,
            table=table,
            row_id=row_id,
            customer_id=_customer_of(table, current),
            op="update",
            fields=fields,
        )
    _reindex(conn, table, row_id)
    return True


def delete_row(conn: Connection, table: str, row_id: str) -> None:
    """Delete a row locally and queue the delete (the server keeps a tombstone).

    A row created here and never sent simply disappears with its queued insert.
    """
    target = _table(table)
    _check_writable(table, set(), op="delete")
    current = conn.execute(select(target).where(target.c.id == row_id)).mappings().first()
    if current is None:
        raise LookupError(f"{table} {row_id} is not in the cache")
    entries = conn.execute(
        select(OUTBOX.c.mutation_id, OUTBOX.c.op, OUTBOX.c.sent_at).where(
            OUTBOX.c.table_name == table, OUTBOX.c.row_id == row_id
        )
    ).all()
    never_sent = any(e.op == "insert" and e.sent_at is None for e in entries)
    if table == "customer":
        remove_customers(conn, [row_id])
    conn.execute(delete(target).where(target.c.id == row_id))
    if never_sent:
        conn.execute(delete(OUTBOX).where(OUTBOX.c.table_name == table, OUTBOX.c.row_id == row_id))
        return
    _add_entry(
        conn,
        table=table,
        row_id=row_id,
        customer_id=_customer_of(table, current),
        op="delete",
        fields={},
    )


def requeue_insert(conn: Connection, table: str, row_id: str, changes: Mapping[str, Any]) -> None:
    """Send a new row the server refused once more, with ``changes`` made to it first
    (the RM's corrections): its insert is queued again, a new mutation. A row the
    server holds by now (it has a version) gets the changes as an ordinary edit."""
    target = _table(table)
    _check_writable(table, set(changes), op="insert")
    current = conn.execute(select(target).where(target.c.id == row_id)).mappings().first()
    if current is None:
        raise LookupError(f"{table} {row_id} is not in the cache")
    if current["version"] is not None:
        update_row(conn, table, row_id, changes)
        return
    if changes:
        conn.execute(
            update(target).where(target.c.id == row_id).values(**changes, updated_at=utcnow())
        )
    stored = conn.execute(select(target).where(target.c.id == row_id)).mappings().one()
    fields = {
        name: {"new": encode_value(table, name, value)}
        for name, value in stored.items()
        if name not in SYNC_COLUMNS and name != "deleted" and value is not None
    }
    _add_entry(
        conn,
        table=table,
        row_id=row_id,
        customer_id=_customer_of(table, stored),
        op="insert",
        fields=fields,
    )
    _reindex(conn, table, row_id)


def pending_fields(conn: Connection) -> dict[tuple[str, str], set[str] | None]:
    """Rows with edits not yet acknowledged: ``(table, id) -> fields`` (None: the whole
    row, for inserts and deletes). A pull never overwrites these."""
    pending: dict[tuple[str, str], set[str] | None] = {}
    for entry in conn.execute(
        select(OUTBOX.c.table_name, OUTBOX.c.row_id, OUTBOX.c.op, OUTBOX.c.fields)
    ):
        key = (entry.table_name, entry.row_id)
        if entry.op != "update" or pending.get(key, set()) is None:
            pending[key] = None
            continue
        known = pending.setdefault(key, set())
        assert known is not None
        known.update(json.loads(entry.fields))
    return pending


def pending_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())
