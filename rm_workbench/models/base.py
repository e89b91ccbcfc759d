"""The cache's declarative base, and the contract's synced tables copied onto it.

The synced tables are defined once, in :mod:`rm_contract.tables`; each ORM class maps
onto the cache's copy of its table (:func:`synced_table`), and :class:`Synced` gives
the typed attributes of the sync columns every such row carries. The cache's own
tables (outbox, search index, sync state …) are declared here as usual.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped

from rm_contract.tables import NAMING_CONVENTION, TABLES, new_id, utcnow


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def synced_table(name: str) -> Table:
    """The contract's table ``name`` on the cache's metadata."""
    return TABLES[name].to_metadata(Base.metadata)


class Synced:
    """The typed sync columns of a synced row (see :mod:`rm_contract.tables`)."""

    id: Mapped[str]
    version: Mapped[int | None]
    deleted: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


__all__ = ["Base", "Synced", "new_id", "synced_table", "utcnow"]
