"""The bank's own people and places: branches and relationship managers."""

from __future__ import annotations

from sqlalchemy.orm import Mapped

from rm_workbench.models.base import Base, Synced, synced_table


class Branch(Synced, Base):
    """A branch (网点 / 支行); customers and RMs belong to one."""

    __table__ = synced_table("branch")

    code: Mapped[str]
    name: Mapped[str]
    city: Mapped[str | None]


class RelationshipManager(Synced, Base):
    """A relationship manager (客户经理): owner of a book of customers."""

    __table__ = synced_table("relationship_manager")

    employee_no: Mapped[str]
    name: Mapped[str]
    branch_id: Mapped[str | None]
    phone: Mapped[str | None]
    email: Mapped[str | None]
    title: Mapped[str | None]
