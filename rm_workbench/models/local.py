"""The cache's own sync bookkeeping: never sent as rows, never pulled.

* ``OutboxEntry``: every local edit, written in the same transaction as the edit.
  ``mutation_id`` is AUTOINCREMENT so it is monotonic for the device even after
  entries are deleted (the server relies on that to spot replays).
* ``SyncState``: key/value progress (cursor, bootstrap position, device id).
* ``LocalConflict``: the server's unresolved conflicts of this RM's customers (the
  list is replaced by the server's at every sync), kept until the RM resolves them.
* ``RejectedEdit``: edits the server refused, with the RM's values and the reason,
  until the RM corrects and sends them again or discards them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_contract.types import UTCDateTime
from rm_workbench.models.base import Base, utcnow


class OutboxEntry(Base):
    """One local mutation waiting to be pushed (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = ({"sqlite_autoincrement": True},)

    mutation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    # The customer the row belongs to, so an eviction can find pending edits.
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(8))
    # JSON: {field: {"new": wire value, "base": wire value}}
    fields: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set once the entry was sent: from then on it must never change (a replay with
    # the same idempotency key must carry the same payload).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SyncState(Base):
    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LocalConflict(Base):
    """A field the server could not merge: base, theirs and yours, for the RM."""

    __tablename__ = "local_conflict"

    conflict_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(64))
    # JSON-encoded wire values.
    base: Mapped[str | None] = mapped_column(Text)
    theirs: Mapped[str | None] = mapped_column(Text)
    yours: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who made each side, as the server names them ("张伟（E880004）"); theirs None:
    # the bank's systems. None on both: not known yet (stored from a push answer).
    yours_by: Mapped[str | None] = mapped_column(String(100))
    yours_device: Mapped[str | None] = mapped_column(String(100))
    theirs_by: Mapped[str | None] = mapped_column(String(100))
    # When the server stored it.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RejectedEdit(Base):
    """An edit the central CRM refused: what the RM wrote, and why it was refused.

    Written in the transaction that takes the mutation out of the outbox, so a
    refusal is never silent and never lost; it leaves only when the RM corrects and
    sends it again or discards it."""

    __tablename__ = "rejected_edit"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mutation_id: Mapped[int] = mapped_column(Integer)
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(String(36))
    customer_id: Mapped[str | None] = mapped_column(String(36), index=True)
    op: Mapped[str] = mapped_column(String(8))
    # JSON: {field: {"new": wire value, "base": wire value}}: the RM's values (only the
    # refused fields when the rest of the edit was applied).
    fields: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
