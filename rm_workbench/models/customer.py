"""Customers, and the households and corporate groups they belong to over time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Mapped, relationship

from rm_contract.vocabulary import (
    CustomerCategory,
    Education,
    Gender,
    GroupKind,
    GroupRole,
    IdType,
    LifecycleStatus,
    MaritalStatus,
    RiskTolerance,
)
from rm_workbench.models.base import Base, Synced, synced_table


class Customer(Synced, Base):
    """An individual or corporate customer of the bank
    (:data:`rm_contract.tables.customer`: which fields core banking owns, which the RM
    edits)."""

    __table__ = synced_table("customer")

    customer_no: Mapped[str]
    category: Mapped[CustomerCategory]
    name: Mapped[str]
    id_type: Mapped[IdType | None]
    id_number: Mapped[str | None]
    credit_code: Mapped[str | None]
    birth_date: Mapped[date | None]
    gender: Mapped[Gender | None]
    mobile_phone: Mapped[str | None]
    other_phone: Mapped[str | None]
    email: Mapped[str | None]
    address: Mapped[str | None]
    occupation: Mapped[str | None]
    employer: Mapped[str | None]
    income_band: Mapped[str | None]
    education: Mapped[Education | None]
    marital_status: Mapped[MaritalStatus | None]
    children_count: Mapped[int | None]
    risk_tolerance: Mapped[RiskTolerance | None]
    risk_assessed_on: Mapped[date | None]
    risk_expires_on: Mapped[date | None]
    tier: Mapped[str | None]
    lifecycle_status: Mapped[LifecycleStatus]
    aum: Mapped[Decimal]
    contribution: Mapped[Decimal]
    customer_since: Mapped[date | None]
    last_transaction_on: Mapped[date | None]
    rm_id: Mapped[str | None]
    branch_id: Mapped[str | None]
    notes: Mapped[str | None]

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="customer", foreign_keys="GroupMembership.customer_id"
    )


class CustomerGroup(Synced, Base):
    """A household (家庭) or corporate group (集团客户)."""

    __table__ = synced_table("customer_group")

    group_no: Mapped[str]
    name: Mapped[str]
    kind: Mapped[GroupKind]
    rm_id: Mapped[str | None]

    memberships: Mapped[list[GroupMembership]] = relationship(back_populates="group")


class GroupMembership(Synced, Base):
    """A customer's membership of a group over a span of time (Group_Customer_Time;
    :data:`rm_contract.tables.group_membership`)."""

    __table__ = synced_table("group_membership")

    group_id: Mapped[str]
    customer_id: Mapped[str]
    role: Mapped[GroupRole]
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]

    group: Mapped[CustomerGroup] = relationship(back_populates="memberships")
    customer: Mapped[Customer] = relationship(
        back_populates="memberships", foreign_keys="GroupMembership.customer_id"
    )
