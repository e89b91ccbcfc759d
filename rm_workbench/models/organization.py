"""The bank's own people and places: branches and relationship managers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced


class Branch(Synced, Base):
    """A branch (网点 / 支行); customers and RMs belong to one."""

    __tablename__ = "branch"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(32))


class RelationshipManager(Synced, Base):
    """A relationship manager (客户经理): owner of a book of customers."""

    __tablename__ = "relationship_manager"

    employee_no: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(32))
