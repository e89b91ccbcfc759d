"""What happens between an RM and a customer: visits, contacts, needs, opportunities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.enums import (
    ContactChannel,
    NeedCategory,
    NeedStatus,
    Priority,
    SalesStage,
    VisitCategory,
    VisitStatus,
    enum_column,
)
from rm_workbench.models.types import Money, UTCDateTime


class Visit(Synced, Base):
    """A visit or other service activity (活动), planned and then run.

    ``report`` is the visit note: append-only in sync terms (never overwritten by a
    pull); the other fields merge field by field.
    """

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_customer_id_planned_start", "customer_id", "planned_start"),
        Index("ix_visit_rm_id_planned_start", "rm_id", "planned_start"),
    )

    # A unique index, not a table constraint: a bootstrap builds it after its pages
    # (rm_workbench.db.bulk.defer_indexes) instead of checking it row by row.
    visit_no: Mapped[str] = mapped_column(String(24), unique=True, index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    rm_id: Mapped[str | None] = mapped_column(ForeignKey("relationship_manager.id"))
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[VisitCategory] = mapped_column(enum_column(VisitCategory))
    status: Mapped[VisitStatus] = mapped_column(
        enum_column(VisitStatus), default=VisitStatus.PLANNED
    )
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    attendees: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(200))
    report: Mapped[str | None] = mapped_column(Text)
    follow_up_due: Mapped[date | None] = mapped_column(Date, index=True)


class ContactLog(Synced, Base):
    """One touch with the customer (联系): a call, a WeChat message, a branch chat.

    Append-only: a contact is recorded once and never edited away.
    """

    __tablename__ = "contact_log"
    __table_args__ = (Index("ix_contact_log_customer_id_started_at", "customer_id", "started_at"),)

    # A unique index, not a table constraint: a bootstrap builds it after its pages
    # (rm_workbench.db.bulk.defer_indexes) instead of checking it row by row.
    contact_no: Mapped[str] = mapped_column(String(24), unique=True, index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"))
    rm_id: Mapped[str | None] = mapped_column(ForeignKey("relationship_manager.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[ContactChannel] = mapped_column(enum_column(ContactChannel))
    call_made: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    summary: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    user_name: Mapped[str | None] = mapped_column(String(32))


class Need(Synced, Base):
    """A customer need (客户需求) the RM discovered: education, housing, retirement …"""

    __tablename__ = "need"

    need_no: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    category: Mapped[NeedCategory] = mapped_column(enum_column(NeedCategory))
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus), default=NeedStatus.OPEN)
    sub_status: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    urgency: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)


class Opportunity(Synced, Base):
    """A sales opportunity (机会) with stage, probability and expected value."""

    __tablename__ = "opportunity"

    opportunity_no: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    product_id: Mapped[str | None] = mapped_column(ForeignKey("product.id"))
    need_id: Mapped[str | None] = mapped_column(ForeignKey("need.id"))
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    probability: Mapped[int] = mapped_column(Integer, default=10)  # percent, 0-100
    sales_method: Mapped[str | None] = mapped_column(String(32))
    sales_stage: Mapped[SalesStage] = mapped_column(
        enum_column(SalesStage), default=SalesStage.LEAD
    )
    summary: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    expected_value: Mapped[Decimal | None] = mapped_column(Money)
