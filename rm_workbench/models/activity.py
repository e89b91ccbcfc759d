"""What happens between an RM and a customer: visits, contacts, needs, opportunities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Mapped

from rm_contract.vocabulary import (
    ContactChannel,
    NeedCategory,
    NeedStatus,
    Priority,
    SalesStage,
    VisitCategory,
    VisitStatus,
)
from rm_workbench.models.base import Base, Synced, synced_table


class Visit(Synced, Base):
    """A visit or other service activity (活动), planned and then run; its ``report``
    is append-only in sync terms (:data:`rm_contract.tables.visit`)."""

    __table__ = synced_table("visit")

    visit_no: Mapped[str]
    customer_id: Mapped[str]
    rm_id: Mapped[str | None]
    planned_start: Mapped[datetime]
    planned_end: Mapped[datetime | None]
    actual_start: Mapped[datetime | None]
    actual_end: Mapped[datetime | None]
    place: Mapped[str | None]
    purpose: Mapped[str | None]
    category: Mapped[VisitCategory]
    status: Mapped[VisitStatus]
    priority: Mapped[Priority]
    cost: Mapped[Decimal | None]
    attendees: Mapped[str | None]
    outcome: Mapped[str | None]
    report: Mapped[str | None]
    follow_up_due: Mapped[date | None]


class ContactLog(Synced, Base):
    """One touch with the customer (联系), append-only
    (:data:`rm_contract.tables.contact_log`)."""

    __table__ = synced_table("contact_log")

    contact_no: Mapped[str]
    customer_id: Mapped[str]
    rm_id: Mapped[str | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    channel: Mapped[ContactChannel]
    call_made: Mapped[bool]
    summary: Mapped[str]
    content: Mapped[str | None]
    user_name: Mapped[str | None]


class Need(Synced, Base):
    """A customer need (客户需求) the RM discovered (:data:`rm_contract.tables.need`)."""

    __table__ = synced_table("need")

    need_no: Mapped[str]
    customer_id: Mapped[str]
    category: Mapped[NeedCategory]
    started_on: Mapped[date]
    ends_on: Mapped[date | None]
    summary: Mapped[str]
    content: Mapped[str | None]
    status: Mapped[NeedStatus]
    sub_status: Mapped[str | None]
    severity: Mapped[Priority]
    urgency: Mapped[Priority]


class Opportunity(Synced, Base):
    """A sales opportunity (机会) (:data:`rm_contract.tables.opportunity`)."""

    __table__ = synced_table("opportunity")

    opportunity_no: Mapped[str]
    customer_id: Mapped[str]
    product_id: Mapped[str | None]
    need_id: Mapped[str | None]
    started_on: Mapped[date]
    ends_on: Mapped[date | None]
    probability: Mapped[int]
    sales_method: Mapped[str | None]
    sales_stage: Mapped[SalesStage]
    summary: Mapped[str]
    content: Mapped[str | None]
    expected_value: Mapped[Decimal | None]
