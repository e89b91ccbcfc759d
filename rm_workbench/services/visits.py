"""Visits: the week calendar and agenda, and planning, running, moving, cancelling and
deleting (a planned visit nothing was written about).

A visit's ``report`` (the visit notes) is append-only in sync terms: the central CRM
keeps both texts when two devices write to it (``APPEND_FIELDS`` in the wire
protocol). This service keeps the same promise locally: it only ever adds text after
what the report already holds, never replaces or shortens it, so nothing written on
another device or earlier on this one is lost.

Dates of the calendar are days in Beijing time; stored times are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import Priority, ProductType, VisitCategory, VisitStatus
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_datetime
from rm_workbench.domain.reminders import day_start, local_date, local_today, week_of
from rm_workbench.errors import ValidationError
from rm_workbench.models import Customer, Product, Visit
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.customer360 import PRODUCT_TYPE_LABELS
from rm_workbench.services.needs import NeedDraft, insert_need, need_values
from rm_workbench.services.records import CLOCK_SLACK, book_customer, new_number, now_or
from rm_workbench.services.scope import ScopedService
from rm_workbench.sync.outbox import delete_row, insert_row, update_row

VISIT_CATEGORY_LABELS: Final = EnumLabels(VisitCategory)
VISIT_STATUS_LABELS: Final = EnumLabels(VisitStatus)
# What separates one addition to a visit report from the text before it (the same
# blank line the central CRM puts between two devices' additions).
REPORT_SEPARATOR: Final = "\n\n"


@dataclass(frozen=True)
class VisitSummary:
    """One visit in a calendar or agenda, with its customer."""

    id: str
    visit_no: str
    customer_id: str
    customer_name: str
    customer_no: str
    tier: str | None
    planned_start: datetime
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    day: date  # planned day in Beijing time
    place: str | None
    purpose: str | None
    category: str
    category_label: str
    status: str
    status_label: str
    priority: str
    outcome: str | None
    follow_up_due: date | None


@dataclass(frozen=True)
class VisitDetail(VisitSummary):
    """A visit with its notes, for the visit dialog and the printed report."""

    report: str | None = None
    attendees: str | None = None
    cost: Decimal | None = None


@dataclass(frozen=True)
class VisitCustomer:
    """The customer a visit is planned for, as the plan dialog shows it."""

    id: str
    name: str
    customer_no: str
    tier: str | None


@dataclass(frozen=True)
class ProductOption:
    """A product of the catalog the RM can mark as discussed during a visit."""

    id: str
    code: str
    name: str
    product_type: str
    type_label: str
    risk_level: str | None


@dataclass(frozen=True)
class DayAgenda:
    day: date
    visits: tuple[VisitSummary, ...]


@dataclass(frozen=True)
class WeekCalendar:
    """Monday to Sunday, each day with its visits in time order."""

    monday: date
    days: tuple[DayAgenda, ...]


_COLUMNS = (
    Visit.id,
    Visit.visit_no,
    Visit.customer_id,
    Customer.name.label("customer_name"),
    Customer.customer_no,
    Customer.tier,
    Visit.planned_start,
    Visit.planned_end,
    Visit.actual_start,
    Visit.actual_end,
    Visit.place,
    Visit.purpose,
    Visit.category,
    Visit.status,
    Visit.priority,
    Visit.outcome,
    Visit.follow_up_due,
)


def visit_summary(row: Any) -> VisitSummary:
    """A summary from a row with the columns of ``_COLUMNS`` (shared with Today)."""
    return VisitSummary(**_summary_fields(row))


def _summary_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "visit_no": row.visit_no,
        "customer_id": row.customer_id,
        "customer_name": row.customer_name,
        "customer_no": row.customer_no,
        "tier": row.tier,
        "planned_start": row.planned_start,
        "planned_end": row.planned_end,
        "actual_start": row.actual_start,
        "actual_end": row.actual_end,
        "day": local_date(row.planned_start),
        "place": row.place,
        "purpose": row.purpose,
        "category": str(row.category),
        "category_label": VISIT_CATEGORY_LABELS.get(row.category, str(row.category)),
        "status": str(row.status),
        "status_label": VISIT_STATUS_LABELS.get(row.status, str(row.status)),
        "priority": str(row.priority),
        "outcome": row.outcome,
        "follow_up_due": row.follow_up_due,
    }


def visits_query(rm_id: str | None) -> Any:
    """Visits joined to their (not deleted) customers, of one RM's book if given."""
    query = (
        select(*_COLUMNS)
        .join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.deleted.is_(False), Customer.deleted.is_(False))
    )
    if rm_id is not None:
        query = query.where(Visit.rm_id == rm_id)
    return query


def append_report(current: str | None, addition: str) -> str:
    """The report with ``addition`` after what it already holds (never replacing it)."""
    if not current or not current.strip():
        return addition
    return current.rstrip("\n") + REPORT_SEPARATOR + addition


class VisitService(ScopedService):
    """The RM's visits: calendar queries and the visit's life cycle
    (plan → complete, or reschedule / cancel while planned).

    ``rm_id``: whose calendar (None: every visit in the cache). Calendar queries use
    the visit's own RM (``visit.rm_id``, indexed with the planned start); writes check
    that the customer is in the RM's book. Each write is one transaction with its
    outbox entries and returns a :class:`Change`.
    """

    # --- calendar ---------------------------------------------------------------

    def between(
        self, first: date, last: date, *, include_cancelled: bool = True
    ) -> list[VisitSummary]:
        """Visits planned from day ``first`` to day ``last`` (inclusive, Beijing time),
        in time order."""
        if last < first:
            raise ValidationError(
                "结束日期不能早于开始日期。", f"between {first} and {last}: reversed"
            )
        query = (
            visits_query(self._rm_id)
            .where(
                Visit.planned_start >= day_start(first),
                Visit.planned_start < day_start(last + timedelta(days=1)),
            )
            .order_by(Visit.planned_start, Visit.visit_no)
        )
        if not include_cancelled:
            query = query.where(Visit.status != VisitStatus.CANCELLED)
        with self._cache.engine.connect() as conn:
            return [visit_summary(row) for row in conn.execute(query)]

    def agenda(self, day: date, *, include_cancelled: bool = True) -> list[VisitSummary]:
        """The visits of one day, in time order."""
        return self.between(day, day, include_cancelled=include_cancelled)

    def week(self, day: date, *, include_cancelled: bool = True) -> WeekCalendar:
        """The calendar week (Monday to Sunday) holding ``day``."""
        monday, sunday = week_of(day)
        visits = self.between(monday, sunday, include_cancelled=include_cancelled)
        days = tuple(
            DayAgenda(
                monday + timedelta(days=i),
                tuple(v for v in visits if v.day == monday + timedelta(days=i)),
            )
            for i in range(7)
        )
        return WeekCalendar(monday, days)

    def get(self, visit_id: str) -> VisitDetail:
        """One visit with its report, attendees and cost."""
        query = (
            select(*_COLUMNS, Visit.report, Visit.attendees, Visit.cost)
            .join(Customer, Customer.id == Visit.customer_id)
            .where(Visit.id == visit_id, Visit.deleted.is_(False))
        )
        with self._cache.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise _missing(visit_id)
        return VisitDetail(
            **_summary_fields(row), report=row.report, attendees=row.attendees, cost=row.cost
        )

    def customer(self, customer_id: str) -> VisitCustomer:
        """A customer of the book, to preselect in the plan dialog."""
        with self._cache.engine.connect() as conn:
            book_customer(conn, customer_id, self._rm_id)
            row = conn.execute(
                select(Customer.id, Customer.name, Customer.customer_no, Customer.tier).where(
                    Customer.id == customer_id
                )
            ).one()
        return VisitCustomer(row.id, row.name, row.customer_no, row.tier)

    def products(self) -> list[ProductOption]:
        """The catalog's products on sale, by type (deposits first, as the catalog's
        types are declared) then code: the choices of ``complete(products_discussed=…)``."""
        query = select(
            Product.id, Product.code, Product.name, Product.product_type, Product.risk_level
        ).where(Product.deleted.is_(False), Product.on_sale.is_(True))
        with self._cache.engine.connect() as conn:
            rows = list(conn.execute(query))
        order = {kind.value: index for index, kind in enumerate(ProductType)}
        rows.sort(key=lambda row: (order.get(row.product_type, len(order)), row.code))
        return [
            ProductOption(
                id=row.id,
                code=row.code,
                name=row.name,
                product_type=str(row.product_type),
                type_label=PRODUCT_TYPE_LABELS.get(row.product_type, str(row.product_type)),
                risk_level=None if row.risk_level is None else str(row.risk_level),
            )
            for row in rows
        ]

    # --- writes -----------------------------------------------------------------

    def plan(
        self,
        customer_id: str,
        *,
        start: datetime,
        purpose: str,
        end: datetime | None = None,
        category: VisitCategory | str = VisitCategory.BRANCH,
        place: str | None = None,
        priority: Priority | str = Priority.NORMAL,
    ) -> Change:
        """Plan a visit to a customer of the book."""
        check.aware(start, "start")
        if end is not None:
            check.aware(end, "end")
        values = {
            "purpose": check.required_text(purpose, "拜访目的", 200),
            "place": check.optional_text(place, "拜访地点", 200),
            "category": check.choice(VisitCategory, category, "拜访方式"),
            "priority": check.choice(Priority, priority, "优先级"),
            "planned_start": start,
            "planned_end": end,
            "status": VisitStatus.PLANNED,
        }
        check.times_in_order(start, end, "计划开始时间", "计划结束时间")
        with write_transaction(self._cache) as conn:
            customer = book_customer(conn, customer_id, self._rm_id)
            visit_id = insert_row(
                conn,
                "visit",
                {
                    **values,
                    "customer_id": customer_id,
                    "rm_id": self._rm_id or customer.rm_id,
                    "visit_no": new_number("V", local_date(start)),
                },
            )
        return Change("visit_planned", customer_id, (visit_id,), frozenset({"visit"}))

    def complete(
        self,
        visit_id: str,
        *,
        report: str,
        outcome: str | None = None,
        attendees: str | None = None,
        actual_start: datetime | None = None,
        actual_end: datetime | None = None,
        needs: Sequence[NeedDraft] = (),
        products_discussed: Sequence[str] = (),
        follow_up_due: date | None = None,
        cost: Decimal | int | str | None = None,
        now: datetime | None = None,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Record how a planned visit went.

        ``report`` (the notes) is added after any text the report already holds;
        ``needs`` become Need rows of the customer; ``products_discussed`` (product
        ids or codes from the catalog) are written into the report as a line
        "洽谈产品：…"; ``follow_up_due`` must not be in the past. Actual times default
        to the planned ones (to now, for a visit written up before its planned time);
        an actual start in the future is refused. ``seen``: the visit's values the RM
        saw when the form opened (model types, per field), the base of each edit
        (:func:`~rm_workbench.sync.outbox.update_row`), so that a change a sync brought
        meanwhile conflicts instead of being overwritten; the report is added to
        whatever it holds now, whatever was seen.
        """
        moment = now_or(now)
        today = local_today(moment)
        notes = check.required_text(report, "拜访记录", 20_000)
        values: dict[str, Any] = {
            "outcome": check.optional_text(outcome, "拜访结果", 200),
            "attendees": check.optional_text(attendees, "参加人员", 200),
            "cost": check.yuan(cost, "拜访费用"),
            "follow_up_due": follow_up_due,
            "status": VisitStatus.DONE,
        }
        check.not_before_today(follow_up_due, today, "下次跟进日期")
        for given, name in ((actual_start, "actual_start"), (actual_end, "actual_end")):
            if given is not None:
                check.aware(given, name)
        with write_transaction(self._cache) as conn:
            current = self._visit(conn, visit_id)
            if current.status != VisitStatus.PLANNED:
                raise ValidationError(
                    f"该拜访已是“{VISIT_STATUS_LABELS[current.status]}”状态，不能再次完成；"
                    "补充记录请使用“追加拜访记录”。",
                    f"visit {visit_id} status {current.status}",
                )
            if actual_start is not None:
                start, end = actual_start, actual_end
            elif current.planned_start <= moment:
                start, end = current.planned_start, actual_end or current.planned_end
            else:  # written up before the planned time: it happened earlier than planned
                start, end = moment, actual_end
            check.times_in_order(start, end, "实际开始时间", "实际结束时间")
            if start > moment + CLOCK_SLACK:
                raise ValidationError(
                    f"实际开始时间（{format_datetime(start)}）还没有到：只能记录已经进行的拜访。",
                    f"actual_start {start.isoformat()} > now {moment.isoformat()}",
                )
            started_on = local_date(start)
            drafts = [need_values(draft, started_on) for draft in needs]
            products = self._products(conn, products_discussed)
            if products:
                notes += "\n洽谈产品：" + "、".join(products)
            values.update(
                actual_start=start,
                actual_end=end,
                report=append_report(current.report, notes),
            )
            update_row(conn, "visit", visit_id, values, _without_report(seen))
            need_ids = tuple(insert_need(conn, current.customer_id, d) for d in drafts)
        tables = {"visit", "need"} if need_ids else {"visit"}
        return Change(
            "visit_completed", current.customer_id, (visit_id, *need_ids), frozenset(tables)
        )

    def add_note(self, visit_id: str, text: str) -> Change:
        """Add text to a visit's report (after what it holds; nothing is replaced)."""
        addition = check.required_text(text, "补充记录", 20_000)
        with write_transaction(self._cache) as conn:
            current = self._visit(conn, visit_id)
            update_row(conn, "visit", visit_id, {"report": append_report(current.report, addition)})
        return Change("visit_noted", current.customer_id, (visit_id,), frozenset({"visit"}))

    def reschedule(
        self,
        visit_id: str,
        *,
        start: datetime,
        end: datetime | None = None,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Move a planned visit; without ``end`` it keeps its length. ``seen``: as for
        :meth:`complete`."""
        check.aware(start, "start")
        if end is not None:
            check.aware(end, "end")
            check.times_in_order(start, end, "计划开始时间", "计划结束时间")
        with write_transaction(self._cache) as conn:
            current = self._visit(conn, visit_id)
            self._require_planned(current, "改期")
            if end is None and current.planned_end is not None:
                end = start + (current.planned_end - current.planned_start)
            update_row(conn, "visit", visit_id, {"planned_start": start, "planned_end": end}, seen)
        return Change("visit_rescheduled", current.customer_id, (visit_id,), frozenset({"visit"}))

    def cancel(
        self, visit_id: str, *, reason: str, seen: Mapping[str, Any] | None = None
    ) -> Change:
        """Cancel a planned visit; the reason is added to its report. ``seen``: as for
        :meth:`complete`."""
        why = check.required_text(reason, "取消原因", 200)
        with write_transaction(self._cache) as conn:
            current = self._visit(conn, visit_id)
            self._require_planned(current, "取消")
            update_row(
                conn,
                "visit",
                visit_id,
                {
                    "status": VisitStatus.CANCELLED,
                    "report": append_report(current.report, f"取消原因：{why}"),
                },
                _without_report(seen),
            )
        return Change("visit_cancelled", current.customer_id, (visit_id,), frozenset({"visit"}))

    def delete(self, visit_id: str) -> Change:
        """Delete a visit planned by mistake. Only a planned visit with nothing
        written in its report may go: a visit that took place, or was cancelled, is a
        record of service (cancel a planned one instead, its reason is kept)."""
        with write_transaction(self._cache) as conn:
            current = self._visit(conn, visit_id)
            self._require_planned(current, "删除")
            if current.report and current.report.strip():
                raise ValidationError(
                    "该拜访已有拜访记录，不能删除；不再进行的拜访请取消，记录会保留。",
                    f"visit {visit_id} has a report",
                )
            delete_row(conn, "visit", visit_id)
        return Change("visit_deleted", current.customer_id, (visit_id,), frozenset({"visit"}))

    # --- checks -------------------------------------------------------------------

    def _visit(self, conn: Connection, visit_id: str) -> Any:
        row = conn.execute(
            select(
                Visit.id,
                Visit.customer_id,
                Visit.status,
                Visit.report,
                Visit.planned_start,
                Visit.planned_end,
                Visit.deleted,
            ).where(Visit.id == visit_id)
        ).first()
        if row is None or row.deleted:
            raise _missing(visit_id)
        book_customer(conn, row.customer_id, self._rm_id)
        return row

    @staticmethod
    def _require_planned(current: Any, action: str) -> None:
        if current.status != VisitStatus.PLANNED:
            raise ValidationError(
                f"只有计划中的拜访可以{action}，该拜访已是“{VISIT_STATUS_LABELS[current.status]}”。",
                f"visit {current.id} status {current.status}",
            )

    @staticmethod
    def _products(conn: Connection, wanted: Sequence[str]) -> list[str]:
        """``name（code）`` of each product, by id or code, in the order given."""
        keys = [key.strip() for key in wanted if key and key.strip()]
        if not keys:
            return []
        rows = conn.execute(
            select(Product.id, Product.code, Product.name).where(
                (Product.id.in_(keys) | Product.code.in_(keys)), Product.deleted.is_(False)
            )
        ).all()
        found = {key: row for row in rows for key in (row.id, row.code)}
        unknown = [key for key in keys if key not in found]
        if unknown:
            raise ValidationError(
                "以下产品不在产品目录中：" + "、".join(unknown) + "。请同步后重新选择。",
                f"unknown products {unknown}",
            )
        names: list[str] = []
        for key in keys:
            label = f"{found[key].name}（{found[key].code}）"
            if label not in names:
                names.append(label)
        return names


def _without_report(seen: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """``seen`` less the report: an addition is made to the report as it is now (the
    server appends it to whatever it holds), so its base is the cache's."""
    if seen is None:
        return None
    return {name: value for name, value in seen.items() if name != "report"}


def _missing(visit_id: str) -> ValidationError:
    return ValidationError(
        "找不到该拜访记录（可能已被删除或随客户移交给其他客户经理），请刷新后重试。",
        f"visit {visit_id} not in the cache",
    )
