"""The audit log: who revealed, printed or exported what, and when (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.types import UTCDateTime


class AuditLog(Synced, Base):
    """One audited action. Append-only: rows are added, never changed or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_name: Mapped[str] = mapped_column(String(32))
    # e.g. "reveal_id_number", "print_brief", "export_customers"
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[str | None] = mapped_column(Text)
