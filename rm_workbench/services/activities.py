"""Contacts, needs and opportunities: recording what happens with a customer.

Every write goes through the outbox (:mod:`rm_workbench.sync.outbox`) in the same
transaction as the row, and returns a :class:`~rm_workbench.services.changes.Change`.
Input is checked before the transaction opens, so a refused edit writes nothing.
Contacts are append-only (the sync never lets a contact change), so there is no edit
or delete for them here. A need or an opportunity recorded by mistake may be deleted
(the central CRM keeps a tombstone), under the central CRM's rules (``Pusher._delete``
in ``central_crm.sync``): not a need an opportunity is linked to.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_datetime, format_wan
from rm_workbench.domain.reminders import local_today
from rm_workbench.errors import ValidationError
from rm_workbench.models import (
    BundleProposal,
    ContactLog,
    Customer,
    Need,
    Opportunity,
    Product,
    SyncState,
    utcnow,
)
from rm_workbench.models.enums import (
    ContactChannel,
    NeedCategory,
    NeedStatus,
    Priority,
    SalesStage,
)
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.scope import ScopedService
from rm_workbench.services.sync import USERNAME
from rm_workbench.sync.outbox import delete_row, insert_row, update_row

NEED_CATEGORY_LABELS: Final[dict[str, str]] = {
    NeedCategory.EDUCATION: "子女教育",
    NeedCategory.HOUSING: "住房",
    NeedCategory.CAR: "购车",
    NeedCategory.RETIREMENT: "养老规划",
    NeedCategory.INSURANCE: "保险保障",
    NeedCategory.INVESTMENT: "投资理财",
    NeedCategory.WEALTH_TRANSFER: "财富传承",
    NeedCategory.FINANCING: "融资",
    NeedCategory.SETTLEMENT: "结算",
    NeedCategory.OTHER: "其他",
}
NEED_STATUS_LABELS: Final[dict[str, str]] = {
    NeedStatus.OPEN: "待跟进",
    NeedStatus.IN_PROGRESS: "跟进中",
    NeedStatus.MET: "已满足",
    NeedStatus.CLOSED: "已关闭",
}
SALES_STAGE_LABELS: Final[dict[str, str]] = {
    SalesStage.LEAD: "线索",
    SalesStage.QUALIFIED: "已确认",
    SalesStage.PROPOSAL: "方案",
    SalesStage.NEGOTIATION: "商谈",
    SalesStage.WON: "已成交",
    SalesStage.LOST: "已丢单",
}
CHANNEL_LABELS: Final[dict[str, str]] = {
    ContactChannel.PHONE: "电话",
    ContactChannel.WECHAT: "微信",
    ContactChannel.SMS: "短信",
    ContactChannel.EMAIL: "邮件",
    ContactChannel.BRANCH: "网点面谈",
    ContactChannel.VISIT: "拜访",
}
PRIORITY_LABELS: Final[dict[str, str]] = {
    Priority.LOW: "低",
    Priority.NORMAL: "普通",
    Priority.HIGH: "高",
    Priority.URGENT: "紧急",
}
OPEN_NEED_STATUSES: Final = (NeedStatus.OPEN, NeedStatus.IN_PROGRESS)
OPEN_SALES_STAGES: Final = (
    SalesStage.LEAD,
    SalesStage.QUALIFIED,
    SalesStage.PROPOSAL,
    SalesStage.NEGOTIATION,
)
DEFAULT_PROBABILITY: Final = 10
# A contact is a record of something that happened; a few minutes of clock drift
# between the RM's phone and the PC are allowed.
CLOCK_SLACK: Final = timedelta(minutes=10)


class _Unset(Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET
"""Default of the edit methods' arguments: "leave this field as it is"."""


# --- helpers shared with the visit service ------------------------------------------


def new_number(prefix: str, day: date) -> str:
    """A record number made on this device: prefix, date and 10 random hex digits.

    Numbers are unique in the bank (a unique column on both sides); random digits
    need no coordination between offline devices.
    """
    return f"{prefix}{day:%Y%m%d}{secrets.token_hex(5).upper()}"


def in_book(row: Any, customer_id: str, rm_id: str | None) -> Any:
    """``row`` (a customer row read with ``deleted`` and ``rm_id``, or None) if the
    customer is in the RM's book (``rm_id`` None: the whole cache), else ValidationError."""
    if row is None or row.deleted or (rm_id is not None and row.rm_id != rm_id):
        raise ValidationError(
            "该客户不在您的客户名单中（可能已移交给其他客户经理），请刷新后重试。",
            f"customer {customer_id} not in the book of rm {rm_id}",
        )
    return row


def book_customer(conn: Connection, customer_id: str, rm_id: str | None) -> Any:
    """The customer row (id, name, rm_id) if it is in the RM's book, else ValidationError."""
    row = conn.execute(
        select(Customer.id, Customer.name, Customer.rm_id, Customer.deleted).where(
            Customer.id == customer_id
        )
    ).first()
    return in_book(row, customer_id, rm_id)


def now_or(now: datetime | None) -> datetime:
    return utcnow() if now is None else check.aware(now, "now")


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


# --- what the UI gets --------------------------------------------------------------


@dataclass(frozen=True)
class ContactItem:
    id: str
    contact_no: str
    customer_id: str
    started_at: datetime
    ended_at: datetime | None
    channel: str
    channel_label: str
    call_made: bool
    summary: str
    content: str | None
    user_name: str | None


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


@dataclass(frozen=True)
class ProductChoice:
    """A catalog product an opportunity may be linked to."""

    id: str
    code: str
    name: str
    product_type: str
    risk_level: str | None


@dataclass(frozen=True)
class OpportunityItem:
    id: str
    opportunity_no: str
    customer_id: str
    summary: str
    content: str | None
    started_on: date
    ends_on: date | None
    probability: int
    sales_method: str | None
    sales_stage: str
    stage_label: str
    expected_value: Decimal | None
    expected_value_text: str  # 万元, "" when unknown
    need_id: str | None
    product_id: str | None
    product_name: str | None
    is_open: bool


class ActivityService(ScopedService):
    """Contact log, needs and opportunities of the customers in the RM's book.

    ``rm_id`` limits the service to one RM's book (None: every customer in the cache,
    which holds one RM's book anyway). New contacts are stamped with the login last
    used to sync, else ``user_name``. Writes run in one transaction each and return
    a :class:`Change`.
    """

    # --- reading ----------------------------------------------------------------

    def contacts(self, customer_id: str, limit: int = 200) -> list[ContactItem]:
        """The customer's contacts, newest first."""
        query = (
            select(ContactLog)
            .where(ContactLog.customer_id == customer_id, ContactLog.deleted.is_(False))
            .order_by(ContactLog.started_at.desc())
            .limit(limit)
        )
        with self._cache.session() as session:
            return [
                ContactItem(
                    id=c.id,
                    contact_no=c.contact_no,
                    customer_id=c.customer_id,
                    started_at=c.started_at,
                    ended_at=c.ended_at,
                    channel=str(c.channel),
                    channel_label=CHANNEL_LABELS.get(c.channel, str(c.channel)),
                    call_made=c.call_made,
                    summary=c.summary,
                    content=c.content,
                    user_name=c.user_name,
                )
                for c in session.scalars(query)
            ]

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
                raise _missing("客户需求", need_id)
            return _need_item(need)

    def opportunities(self, customer_id: str, *, open_only: bool = False) -> list[OpportunityItem]:
        """The customer's opportunities, open ones first, then newest first."""
        query = (
            select(Opportunity, Product.name)
            .outerjoin(Product, Product.id == Opportunity.product_id)
            .where(Opportunity.customer_id == customer_id, Opportunity.deleted.is_(False))
        )
        if open_only:
            query = query.where(Opportunity.sales_stage.in_(OPEN_SALES_STAGES))
        with self._cache.session() as session:
            items = [_opportunity_item(o, name) for o, name in session.execute(query)]
        items.sort(key=lambda o: (not o.is_open, -o.started_on.toordinal(), o.opportunity_no))
        return items

    def opportunity(self, opportunity_id: str) -> OpportunityItem:
        query = (
            select(Opportunity, Product.name)
            .outerjoin(Product, Product.id == Opportunity.product_id)
            .where(Opportunity.id == opportunity_id, Opportunity.deleted.is_(False))
        )
        with self._cache.session() as session:
            row = session.execute(query).first()
            if row is None:
                raise _missing("商机", opportunity_id)
            return _opportunity_item(row[0], row[1])

    def products(self) -> list[ProductChoice]:
        """The catalog's products on sale, by type then name, for linking to an
        opportunity."""
        query = (
            select(Product.id, Product.code, Product.name, Product.product_type, Product.risk_level)
            .where(Product.deleted.is_(False), Product.on_sale.is_(True))
            .order_by(Product.product_type, Product.name, Product.code)
        )
        with self._cache.engine.connect() as conn:
            return [
                ProductChoice(
                    id=row.id,
                    code=row.code,
                    name=row.name,
                    product_type=str(row.product_type),
                    risk_level=None if row.risk_level is None else str(row.risk_level),
                )
                for row in conn.execute(query)
            ]

    # --- contacts (append-only) ---------------------------------------------------

    def add_contact(
        self,
        customer_id: str,
        *,
        summary: str,
        channel: ContactChannel | str,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        content: str | None = None,
        call_made: bool | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Record one contact with the customer. Contacts cannot be edited afterwards."""
        moment = now_or(now)
        start = moment if started_at is None else check.aware(started_at, "started_at")
        if ended_at is not None:
            check.aware(ended_at, "ended_at")
        kind = check.choice(ContactChannel, channel, "联系方式")
        values = {
            "summary": check.required_text(summary, "联系概要", 200),
            "content": check.optional_text(content, "联系内容"),
            "channel": kind,
            "call_made": kind == ContactChannel.PHONE if call_made is None else call_made,
            "started_at": start,
            "ended_at": ended_at,
        }
        check.times_in_order(start, ended_at, "联系开始时间", "联系结束时间")
        if start > moment + CLOCK_SLACK:
            raise ValidationError(
                f"联系时间（{format_datetime(start)}）还没有到：联系记录只能记录已经发生的联系。"
                "预约将来的联系请安排拜访。",
                f"started_at {start.isoformat()} > now {moment.isoformat()}",
            )
        with write_transaction(self._cache) as conn:
            customer = book_customer(conn, customer_id, self._rm_id)
            contact_id = insert_row(
                conn,
                "contact_log",
                {
                    **values,
                    "customer_id": customer_id,
                    "contact_no": new_number("CT", local_today(start)),
                    "rm_id": self._rm_id or customer.rm_id,
                    "user_name": self._user(conn),
                },
            )
        return Change("contact_added", customer_id, (contact_id,), frozenset({"contact_log"}))

    # --- needs --------------------------------------------------------------------

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

    # --- opportunities ------------------------------------------------------------

    def add_opportunity(
        self,
        customer_id: str,
        *,
        summary: str,
        content: str | None = None,
        started_on: date | None = None,
        ends_on: date | None = None,
        probability: int | str | None = None,
        sales_stage: SalesStage | str = SalesStage.LEAD,
        sales_method: str | None = None,
        expected_value: Decimal | int | str | None = None,
        need_id: str | None = None,
        product_id: str | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Record a sales opportunity, optionally linked to a need and a product.

        ``expected_value`` is in yuan (Decimal or text, at most 2 decimals). Without
        a ``probability`` a new lead gets 10%, a won one 100%, a lost one 0%.
        """
        start = started_on or local_today(now_or(now))
        stage = check.choice(SalesStage, sales_stage, "销售阶段")
        given = None if probability is None else check.probability(probability)
        implied = _stage_probability(stage, given)
        values: dict[str, Any] = {
            "summary": check.required_text(summary, "商机概要", 200),
            "content": check.optional_text(content, "商机内容"),
            "started_on": start,
            "ends_on": ends_on,
            "probability": DEFAULT_PROBABILITY if implied is None else implied,
            "sales_stage": stage,
            "sales_method": check.optional_text(sales_method, "销售方式", 32),
            "expected_value": check.yuan(expected_value, "预期金额"),
            "need_id": need_id,
            "product_id": product_id,
        }
        check.dates_in_order(start, ends_on, "商机开始日期", "预计结束日期")
        with write_transaction(self._cache) as conn:
            book_customer(conn, customer_id, self._rm_id)
            self._check_links(conn, customer_id, need_id, product_id)
            opportunity_id = insert_row(
                conn,
                "opportunity",
                {
                    **values,
                    "customer_id": customer_id,
                    "opportunity_no": new_number("OP", start),
                },
            )
        return Change(
            "opportunity_added", customer_id, (opportunity_id,), frozenset({"opportunity"})
        )

    def edit_opportunity(
        self,
        opportunity_id: str,
        *,
        summary: str | _Unset = UNSET,
        content: str | _Unset | None = UNSET,
        started_on: date | _Unset = UNSET,
        ends_on: date | _Unset | None = UNSET,
        probability: int | str | _Unset = UNSET,
        sales_stage: SalesStage | str | _Unset = UNSET,
        sales_method: str | _Unset | None = UNSET,
        expected_value: Decimal | int | str | _Unset | None = UNSET,
        need_id: str | _Unset | None = UNSET,
        product_id: str | _Unset | None = UNSET,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Change an opportunity: stage, probability, expected value, links, dates.

        Arguments left out stay as they are. Moving to 已成交 sets the probability to
        100 and to 已丢单 sets it to 0, unless a probability is given (which must then
        agree with the stage). ``seen``: as for :meth:`edit_need`.
        """
        changes: dict[str, Any] = {}
        if not isinstance(summary, _Unset):
            changes["summary"] = check.required_text(summary, "商机概要", 200)
        if not isinstance(content, _Unset):
            changes["content"] = check.optional_text(content, "商机内容")
        if not isinstance(started_on, _Unset):
            changes["started_on"] = started_on
        if not isinstance(ends_on, _Unset):
            changes["ends_on"] = ends_on
        given_probability = None
        if not isinstance(probability, _Unset):
            given_probability = check.probability(probability)
            changes["probability"] = given_probability
        if not isinstance(sales_stage, _Unset):
            stage = check.choice(SalesStage, sales_stage, "销售阶段")
            changes["sales_stage"] = stage
            implied = _stage_probability(stage, given_probability)
            if implied is not None:
                changes["probability"] = implied
        if not isinstance(sales_method, _Unset):
            changes["sales_method"] = check.optional_text(sales_method, "销售方式", 32)
        if not isinstance(expected_value, _Unset):
            changes["expected_value"] = check.yuan(expected_value, "预期金额")
        if not isinstance(need_id, _Unset):
            changes["need_id"] = need_id
        if not isinstance(product_id, _Unset):
            changes["product_id"] = product_id
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Opportunity, opportunity_id, "商机")
            check.dates_in_order(
                changes.get("started_on", current.started_on),
                changes.get("ends_on", current.ends_on),
                "商机开始日期",
                "预计结束日期",
            )
            if "probability" in changes and "sales_stage" not in changes:
                _stage_probability(current.sales_stage, changes["probability"])
            self._check_links(
                conn,
                current.customer_id,
                changes.get("need_id"),
                changes.get("product_id"),
            )
            update_row(conn, "opportunity", opportunity_id, changes, seen)
        return Change(
            "opportunity_edited",
            current.customer_id,
            (opportunity_id,),
            frozenset({"opportunity"}),
        )

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

    def delete_opportunity(self, opportunity_id: str) -> Change:
        """Delete an opportunity recorded by mistake. One opened by accepting a bundle
        proposal is refused (the proposal points at it): mark it lost instead."""
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Opportunity, opportunity_id, "商机")
            proposal = conn.execute(
                select(BundleProposal.proposal_no)
                .where(BundleProposal.opportunity_id == opportunity_id)
                .limit(1)
            ).scalar()
            if proposal is not None:
                raise ValidationError(
                    f"该商机由客户接受的方案 {proposal} 生成，不能删除；"
                    "如客户改变主意，请把商机标记为“已丢单”。",
                    f"opportunity {opportunity_id} referenced by proposal {proposal}",
                )
            delete_row(conn, "opportunity", opportunity_id)
        return Change(
            "opportunity_deleted",
            current.customer_id,
            (opportunity_id,),
            frozenset({"opportunity"}),
        )

    # --- shared checks ------------------------------------------------------------

    def _user(self, conn: Connection) -> str | None:
        """Who records a contact: the login last used to sync (it may have changed
        since the service was built: the first login of a new profile), else the
        name the service was given."""
        login = conn.execute(select(SyncState.value).where(SyncState.key == USERNAME)).scalar()
        return login or self._user_name

    def _owned(self, conn: Connection, model: Any, row_id: str, label: str) -> Any:
        row = conn.execute(select(model).where(model.id == row_id)).first()
        if row is None or row.deleted:
            raise _missing(label, row_id)
        book_customer(conn, row.customer_id, self._rm_id)
        return row

    def _check_links(
        self, conn: Connection, customer_id: str, need_id: str | None, product_id: str | None
    ) -> None:
        if need_id is not None:
            need = conn.execute(
                select(Need.customer_id, Need.deleted).where(Need.id == need_id)
            ).first()
            if need is None or need.deleted or need.customer_id != customer_id:
                raise ValidationError(
                    "所选的客户需求不属于该客户（或已被删除），不能关联。",
                    f"need {need_id} for customer {customer_id}",
                )
        if product_id is not None:
            product = conn.execute(select(Product.deleted).where(Product.id == product_id)).first()
            if product is None or product.deleted:
                raise ValidationError(
                    "所选产品不在产品目录中，不能关联；请同步后重新选择。",
                    f"product {product_id}",
                )


def _stage_probability(stage: SalesStage | str, probability: int | None) -> int | None:
    """The probability a stage implies (won 100, lost 0); a given one must agree."""
    implied = {SalesStage.WON: 100, SalesStage.LOST: 0}.get(SalesStage(stage))
    if implied is None:
        return probability
    if probability is not None and probability != implied:
        raise ValidationError(
            f"销售阶段为“{SALES_STAGE_LABELS[stage]}”时，成功概率应为 {implied}%，"
            f"现在是 {probability}%。",
            f"stage {stage} probability {probability}",
        )
    return implied


def _missing(label: str, row_id: str) -> ValidationError:
    return ValidationError(
        f"找不到该{label}（可能已被删除或随客户移交给其他客户经理），请刷新后重试。",
        f"{label} {row_id} not in the cache",
    )


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


def _opportunity_item(opportunity: Opportunity, product_name: str | None) -> OpportunityItem:
    value = opportunity.expected_value
    return OpportunityItem(
        id=opportunity.id,
        opportunity_no=opportunity.opportunity_no,
        customer_id=opportunity.customer_id,
        summary=opportunity.summary,
        content=opportunity.content,
        started_on=opportunity.started_on,
        ends_on=opportunity.ends_on,
        probability=opportunity.probability,
        sales_method=opportunity.sales_method,
        sales_stage=str(opportunity.sales_stage),
        stage_label=SALES_STAGE_LABELS.get(opportunity.sales_stage, str(opportunity.sales_stage)),
        expected_value=value,
        expected_value_text="" if value is None else format_wan(value),
        need_id=opportunity.need_id,
        product_id=opportunity.product_id,
        product_name=product_name,
        is_open=opportunity.sales_stage in OPEN_SALES_STAGES,
    )
