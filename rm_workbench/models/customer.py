"""Customers, and the households and corporate groups they belong to over time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.enums import (
    CustomerCategory,
    Education,
    Gender,
    GroupKind,
    GroupRole,
    IdType,
    LifecycleStatus,
    MaritalStatus,
    RiskTolerance,
    enum_column,
)
from rm_workbench.models.types import Money


class Customer(Synced, Base):
    """An individual or corporate customer of the bank.

    Core-banking fields (``aum``, ``contribution``, ``tier``) are owned by the
    central CRM and read-only here; profile fields the RM fills in during visits
    (occupation, income, education, contact details) are editable and synced back.
    ``id_number`` is kept exactly as the source system had it, even when invalid:
    the data-quality rules flag it rather than silently "fixing" it.
    """

    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_rm_id_name", "rm_id", "name"),
        Index("ix_customer_id_number", "id_number"),
    )

    customer_no: Mapped[str] = mapped_column(String(20), unique=True)
    category: Mapped[CustomerCategory] = mapped_column(enum_column(CustomerCategory))
    name: Mapped[str] = mapped_column(String(100))
    id_type: Mapped[IdType | None] = mapped_column(enum_column(IdType, 20))
    id_number: Mapped[str | None] = mapped_column(String(32))
    # Corporate customers: 统一社会信用代码 (18 characters, GB 32100).
    credit_code: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    mobile_phone: Mapped[str | None] = mapped_column(String(20))
    other_phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(64))
    employer: Mapped[str | None] = mapped_column(String(100))
    # Income band label from the bank's configuration, e.g. "10-30万".
    income_band: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[Education | None] = mapped_column(enum_column(Education))
    marital_status: Mapped[MaritalStatus | None] = mapped_column(enum_column(MaritalStatus))
    children_count: Mapped[int | None] = mapped_column(Integer)
    risk_tolerance: Mapped[RiskTolerance | None] = mapped_column(enum_column(RiskTolerance, 2))
    risk_assessed_on: Mapped[date | None] = mapped_column(Date)
    risk_expires_on: Mapped[date | None] = mapped_column(Date)
    # Tier is a name from the bank's configuration (顶级 / 黄金 / 一般 / 淘汰 …).
    tier: Mapped[str | None] = mapped_column(String(16), index=True)
    lifecycle_status: Mapped[LifecycleStatus] = mapped_column(
        enum_column(LifecycleStatus), default=LifecycleStatus.POTENTIAL
    )
    # Assets under management and yearly contribution (profit to the bank), from core.
    aum: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    contribution: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    customer_since: Mapped[date | None] = mapped_column(Date)
    last_transaction_on: Mapped[date | None] = mapped_column(Date)
    rm_id: Mapped[str | None] = mapped_column(ForeignKey("relationship_manager.id"))
    branch_id: Mapped[str | None] = mapped_column(ForeignKey("branch.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="customer", foreign_keys="GroupMembership.customer_id"
    )


class CustomerGroup(Synced, Base):
    """A household (家庭) or corporate group (集团客户)."""

    __tablename__ = "customer_group"

    group_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[GroupKind] = mapped_column(enum_column(GroupKind))
    rm_id: Mapped[str | None] = mapped_column(ForeignKey("relationship_manager.id"))

    memberships: Mapped[list[GroupMembership]] = relationship(back_populates="group")


class GroupMembership(Synced, Base):
    """A customer's membership of a group over a span of time (Group_Customer_Time).

    ``valid_to`` is None while the membership lasts; a customer who leaves a household
    keeps the old row with its end date, so history is never rewritten.
    """

    __tablename__ = "group_membership"

    group_id: Mapped[str] = mapped_column(ForeignKey("customer_group.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    role: Mapped[GroupRole] = mapped_column(enum_column(GroupRole))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    group: Mapped[CustomerGroup] = relationship(back_populates="memberships")
    customer: Mapped[Customer] = relationship(
        back_populates="memberships", foreign_keys=[customer_id]
    )
