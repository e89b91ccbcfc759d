"""The audit log rows of prints, exports and revealed identifiers (PIPL).

Every print, PDF, export or revealed identifier writes one ``audit_log`` row (who,
what, when) through the outbox, so the central CRM receives it with the next sync.
The row describes the action; it never holds the revealed value or the document.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from rm_workbench.domain import validation as check
from rm_workbench.models import utcnow
from rm_workbench.sync.outbox import insert_row


def record_audit(
    conn: Connection,
    *,
    user_name: str,
    action: str,
    details: str,
    entity_type: str | None = None,
    entity_id: str | None = None,
    at: datetime | None = None,
) -> str:
    """Add one audit row (and its outbox entry) in the caller's transaction; returns
    its id. ``action`` is a short code: ``print_brief``, ``export_customers`` …"""
    return insert_row(
        conn,
        "audit_log",
        {
            "at": at or utcnow(),
            "user_name": check.required_text(user_name, "操作人", 32),
            "action": action[:32],
            "entity_type": entity_type,
            "entity_id": entity_id,
            "details": details,
        },
    )
