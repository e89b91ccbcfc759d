"""Needs (客户需求): what a customer needs, from the need dialog or a visit.

A need recorded by mistake may be deleted (the central CRM keeps a tombstone), under
the central CRM's rules (``Pusher._delete`` in :mod:`central_crm.sync.push`): not a
need an opportunity is linked to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import NeedCategory, NeedStatus, Priority
from rm_workbench.domain import validation as check
from rm_workbench.domain.reminders import local_today
from rm_workbench.errors import ValidationError
from rm_workbench.models import Need, Opportunity
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.records import (
    UNSET,
    RecordService,
    _Unset,
    book_customer,
    new_number,
    not_found,
    now_or,
)
from rm_workbench.sync.outbox import delete_row, insert_row, update_row

NEED_CATEGORY_LABELS: Final = EnumLabels(NeedCategory)
NEED_STATUS_LABELS: Final = EnumLabels(NeedStatus)

OPEN_NEED_STATUSES: Final = (NeedStatus.OPEN, NeedStatus.IN_PROGRESS)


@dataclass(frozen=True)
class NeedDraft:
    """A need to record (from the need dialog, or discovered during a visit)."""

    category: NeedCategory | str
    summary: str
    content: str | None = None
    ends_on: date | None = None
    severity: Priority | str = Priority.NORMAL
    urgency: Priority | str = Priority.NORMAL


def need_values(draft: NeedDraft, started_on: date) -> dict[str, Any]:
    """Checked column values of a new need (without customer and number)."""
    check.dates_in_order(started_on, draft.ends_on, "需求开始日期", "需求截止日期")
    return {
        "category": check.choice(NeedCategory, draft.category, "需求类别"),
        "summary": check.required_text(draft.summary, "需求概要", 200),
        "content": check.optional_text(draft.content, "需求内容"),
        "started_on": started_on,
        "ends_on": draft.ends_on,
        "status": NeedStatus.OPEN,
        "severity": check.choice(Priority, draft.severity, "严重程度"),
        "urgency": check.choice(Priority, draft.urgency, "紧急程度"),
    }


def insert_need(conn: Connection, customer_id: str, values: Mapping[str, Any]) -> str:
    return insert_row(
        conn,
        "need",
        {**values, "customer_id": customer_id, "need_no": new_number("N", values["started_on"])},
    )


@dataclass(frozen=True)
class NeedItem:
    id: str
    need_no: str
    customer_id: str
    category: str
    category_label: str
    summary: str
    content: str | None
    started_on: date
    ends_on: date | None
    status: str
    status_label: str
    sub_status: str | None
    severity: str
    urgency: str
    is_open: bool


class NeedService(RecordService):
    """The needs of the customers in the RM's book."""

    # --- reading ----------------------------------------------------------------

    def needs(self, customer_id: str, *, open_only: bool = False) -> list[NeedItem]:
        """The customer's needs, open ones first, then newest first."""
        query = select(Need).where(Need.customer_id == customer_id, Need.deleted.is_(False))
        if open_only:
            query = query.where(Need.status.in_(OPEN_NEED_STATUSES))
        with self._cache.session() as session:
            items = [_need_item(n) for n in session.scalars(query)]
        items.sort(key=lambda n: (not n.is_open, -n.started_on.toordinal(), n.need_no))
        return items

    def need(self, need_id: str) -> NeedItem:
        with self._cache.session() as session:
            need = session.get(Need, need_id)
            if need is None or need.deleted:
                raise not_found("客户需求", need_id)
            return _need_item(need)

    # --- recording --------------------------------------------------------------

    def add_need(
        self,
        customer_id: str,
        *,
        category: NeedCategory | str,
        summary: str,
        content: str | None = None,
        started_on: date | None = None,
        ends_on: date | None = None,
        severity: Priority | str = Priority.NORMAL,
        urgency: Priority | str = Priority.NORMAL,
        now: datetime | None = None,
    ) -> Change:
        """Record a need the customer has (starting today unless ``started_on``)."""
        start = started_on or local_today(now_or(now))
        draft = NeedDraft(category, summary, content, ends_on, severity, urgency)
        values = need_values(draft, start)
        with write_transaction(self._cache) as conn:
            book_customer(conn, customer_id, self._rm_id)
            need_id = insert_need(conn, customer_id, values)
        return Change("need_added", customer_id, (need_id,), frozenset({"need"}))

    def edit_need(
        self,
        need_id: str,
        *,
        category: NeedCategory | str | _Unset = UNSET,
        summary: str | _Unset = UNSET,
        content: str | _Unset | None = UNSET,
        started_on: date | _Unset = UNSET,
        ends_on: date | _Unset | None = UNSET,
        status: NeedStatus | str | _Unset = UNSET,
        sub_status: str | _Unset | None = UNSET,
        severity: Priority | str | _Unset = UNSET,
        urgency: Priority | str | _Unset = UNSET,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Change fields of a need; arguments left out stay as they are.

        ``seen``: the need's values the RM saw when the form opened (model types, per
        field), the base of each edit (:func:`~rm_workbench.sync.outbox.update_row`):
        a change a sync brought meanwhile then conflicts instead of being overwritten.
        """
        changes: dict[str, Any] = {}
        if not isinstance(category, _Unset):
            changes["category"] = check.choice(NeedCategory, category, "需求类别")
        if not isinstance(summary, _Unset):
            changes["summary"] = check.required_text(summary, "需求概要", 200)
        if not isinstance(content, _Unset):
            changes["content"] = check.optional_text(content, "需求内容")
        if not isinstance(started_on, _Unset):
            changes["started_on"] = started_on
        if not isinstance(ends_on, _Unset):
            changes["ends_on"] = ends_on
        if not isinstance(status, _Unset):
            changes["status"] = check.choice(NeedStatus, status, "需求状态")
        if not isinstance(sub_status, _Unset):
            changes["sub_status"] = check.optional_text(sub_status, "需求子状态", 32)
        if not isinstance(severity, _Unset):
            changes["severity"] = check.choice(Priority, severity, "严重程度")
        if not isinstance(urgency, _Unset):
            changes["urgency"] = check.choice(Priority, urgency, "紧急程度")
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Need, need_id, "客户需求")
            check.dates_in_order(
                changes.get("started_on", current.started_on),
                changes.get("ends_on", current.ends_on),
                "需求开始日期",
                "需求截止日期",
            )
            update_row(conn, "need", need_id, changes, seen)
        return Change("need_edited", current.customer_id, (need_id,), frozenset({"need"}))

    def close_need(
        self,
        need_id: str,
        *,
        met: bool = True,
        note: str | None = None,
        now: datetime | None = None,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Close a need: met (已满足) or dropped (已关闭), with a short note (≤32 字).

        A need without an end date gets today's. ``seen``: as for :meth:`edit_need`.
        """
        status = NeedStatus.MET if met else NeedStatus.CLOSED
        changes: dict[str, Any] = {"status": status}
        text = check.optional_text(note, "关闭说明", 32)
        if text is not None:
            changes["sub_status"] = text
        today = local_today(now_or(now))
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Need, need_id, "客户需求")
            if current.status not in OPEN_NEED_STATUSES:
                raise ValidationError(
                    f"该需求已是“{NEED_STATUS_LABELS[current.status]}”状态，无需再次关闭。",
                    f"need {need_id} status {current.status}",
                )
            if current.ends_on is None:
                changes["ends_on"] = max(today, current.started_on)
            update_row(conn, "need", need_id, changes, seen)
        return Change("need_closed", current.customer_id, (need_id,), frozenset({"need"}))

    # --- deleting what was recorded by mistake --------------------------------------

    def delete_need(self, need_id: str) -> Change:
        """Delete a need recorded by mistake. A need an opportunity is linked to is
        refused (the central CRM refuses it too): unlink it, or close the need."""
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Need, need_id, "客户需求")
            linked = conn.execute(
                select(Opportunity.opportunity_no, Opportunity.summary)
                .where(Opportunity.need_id == need_id, Opportunity.deleted.is_(False))
                .limit(1)
            ).first()
            if linked is not None:
                raise ValidationError(
                    f"该需求已关联商机 {linked.opportunity_no}（{linked.summary}），不能删除；"
                    "请先在商机中取消关联，或把需求关闭。",
                    f"need {need_id} linked to opportunity {linked.opportunity_no}",
                )
            delete_row(conn, "need", need_id)
        return Change("need_deleted", current.customer_id, (need_id,), frozenset({"need"}))


def _need_item(need: Need) -> NeedItem:
    return NeedItem(
        id=need.id,
        need_no=need.need_no,
        customer_id=need.customer_id,
        category=str(need.category),
        category_label=NEED_CATEGORY_LABELS.get(need.category, str(need.category)),
        summary=need.summary,
        content=need.content,
        started_on=need.started_on,
        ends_on=need.ends_on,
        status=str(need.status),
        status_label=NEED_STATUS_LABELS.get(need.status, str(need.status)),
        sub_status=need.sub_status,
        severity=str(need.severity),
        urgency=str(need.urgency),
        is_open=need.status in OPEN_NEED_STATUSES,
    )
