"""The audit log: who revealed, printed or exported what, and when (PIPL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.types import UTCDateTime


class AuditLog(Synced, Base):
    """One audited action. Append-only: rows are added, never changed or deleted.

    Each device chains its entries (:mod:`rm_workbench.sync.audit_chain`):
    ``device_seq`` numbers them 1, 2, 3 … per device, ``chain_hash`` is the sha256 of
    the entry and ``prev_hash`` (the previous entry's ``chain_hash``), so the central
    CRM sees a missing, reordered or altered entry. The server stamps ``user_name``
    (from the token) and ``at`` (its clock); the device's claimed time is kept in
    ``client_time``.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_name: Mapped[str] = mapped_column(String(32))
    # e.g. "reveal_id_number", "print_brief", "export_customers"
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[str | None] = mapped_column(Text)
    # The time the device claimed (set by the server when it stamps ``at``).
    client_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain_hash: Mapped[str | None] = mapped_column(String(64))
