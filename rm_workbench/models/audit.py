"""The audit log: who revealed, printed or exported what, and when (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped

from rm_workbench.models.base import Base, Synced, synced_table


class AuditLog(Synced, Base):
    """One audited action, append-only and chained per device; the columns are
    explained in :data:`rm_contract.tables.audit_log`."""

    __table__ = synced_table("audit_log")

    at: Mapped[datetime]
    user_name: Mapped[str]
    action: Mapped[str]
    entity_type: Mapped[str | None]
    entity_id: Mapped[str | None]
    details: Mapped[str | None]
    client_time: Mapped[datetime | None]
    device_seq: Mapped[int | None]
    prev_hash: Mapped[str | None]
    chain_hash: Mapped[str | None]
