"""Helpers of the attribution and audit-chain tests (tests/security/test_audit_*.py):
what an RM holding the cache key can do to the queued audit rows of a real workbench
cache, and how the bank reads the audit-integrity alarms."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

from rm_contract.wire import encode_value
from rm_workbench.models import Base, OutboxEntry
from rm_workbench.services.audit import record_audit

AUDIT = Base.metadata.tables["audit_log"]
OUTBOX = Base.metadata.tables[OutboxEntry.__tablename__]


def record(device: Any, number: int, *, customer_id: str | None = None) -> str:
    """One audit row on a device, as a reveal or a print writes it; returns its id."""
    with device.cache.engine.begin() as conn:
        return record_audit(
            conn,
            user_name=device.username,
            action="reveal_id_number",
            details=f"查看客户证件号码（第 {number} 次）",
            entity_type="customer" if customer_id else None,
            entity_id=customer_id,
        )


def delete_queued(device: Any, row_id: str) -> None:
    """Remove a queued audit row and its outbox entry, straight in the cache file."""
    with device.cache.engine.begin() as conn:
        conn.execute(delete(AUDIT).where(AUDIT.c.id == row_id))
        conn.execute(
            delete(OUTBOX).where(OUTBOX.c.table_name == "audit_log", OUTBOX.c.row_id == row_id)
        )


def rewrite_queued(device: Any, row_id: str, **values: Any) -> None:
    """Change a queued audit row (and what its outbox entry will send) in place: the
    cache key is enough to do it with any SQLite tool."""
    with device.cache.engine.begin() as conn:
        conn.execute(update(AUDIT).where(AUDIT.c.id == row_id).values(**values))
        entry = conn.execute(
            select(OUTBOX.c.mutation_id, OUTBOX.c.fields).where(
                OUTBOX.c.table_name == "audit_log", OUTBOX.c.row_id == row_id
            )
        ).one()
        fields = json.loads(entry.fields)
        for name, value in values.items():
            fields[name] = {"new": encode_value("audit_log", name, value)}
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.mutation_id == entry.mutation_id)
            .values(fields=json.dumps(fields, ensure_ascii=False))
        )


def audit_row(device: Any, row_id: str) -> dict[str, Any] | None:
    """The audit row as the device's cache holds it."""
    with device.cache.engine.connect() as conn:
        found = conn.execute(select(AUDIT).where(AUDIT.c.id == row_id)).mappings().first()
    return None if found is None else dict(found)


def alarms(admin: Any) -> list[dict[str, Any]]:
    """The audit-integrity alarms, as the bank's administrator lists them."""
    listed: list[dict[str, Any]] = admin.ok(admin.get("/admin/audit-alarms"))["alarms"]
    return listed


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
