"""The "Today" screen: what needs the RM today, computed from the local cache alone.

Sections (each item names its customer, tier, what and why, and the record to open):

* **visits**: today's visits (not cancelled), in time order;
* **overdue**: follow-ups of completed visits whose ``follow_up_due`` has passed with
  no later completed visit or contact with that customer; open needs and open
  opportunities past their ``ends_on``;
* **maturities**: time deposits, large CDs, wealth products and trusts (open
  accounts) maturing from today to 30 days ahead, with the amount in 万元;
* **birthdays**: individual customers whose birthday falls in this calendar week
  (Monday to Sunday; 29 February counts on 1 March in other years);
* **dormant**: active or dormant customers whose last sign of life (transaction,
  contact, completed visit) puts them within 30 days before the bank's
  ``dormant_after_days`` (turning dormant soon) or up to 30 days after it (just
  turned dormant);
* **visits_due**: customers of tiers with a visit cadence (``visit_cadence_days`` in
  bank.toml) whose last completed visit is at least that old, or who were never
  visited, and who have no visit planned from today on.

"Today" is the calendar day in Beijing time. Every section is one set-based query
(correlated sub-queries on the indexed child tables), never a query per customer; on
the 5,000-customer demo book (39,000 visits, 170,000 contacts) the SQL of the whole
view takes about 0.2 s, the slowest part being the follow-ups (10,000 visits with a
past follow-up date, each checked for a later visit or contact through an index).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from rm_contract.vocabulary import CustomerCategory, LifecycleStatus, ProductType, VisitStatus
from rm_workbench.config import BankConfig, bank_config
from rm_workbench.domain.formatting import SHANGHAI, format_date, format_short_date, format_wan
from rm_workbench.domain.reminders import (
    MATURITY_WINDOW_DAYS,
    birthday_keys,
    day_start,
    dormancy,
    dormancy_sign_range,
    local_date,
    local_today,
    next_birthday,
    visit_overdue_days,
    week_of,
)
from rm_workbench.domain.segmentation import age_on
from rm_workbench.models import Account, ContactLog, Customer, Need, Opportunity, Visit, utcnow
from rm_workbench.services.customer360 import PRODUCT_TYPE_LABELS
from rm_workbench.services.needs import NEED_STATUS_LABELS, OPEN_NEED_STATUSES
from rm_workbench.services.opportunities import OPEN_SALES_STAGES, SALES_STAGE_LABELS
from rm_workbench.services.scope import ScopedService
from rm_workbench.services.visits import VISIT_CATEGORY_LABELS, visits_query

# Holdings whose maturity is a reason to call: money about to be free to re-invest.
MATURING_TYPES: Final = (
    ProductType.TIME_DEPOSIT,
    ProductType.LARGE_CD,
    ProductType.WEALTH,
    ProductType.TRUST,
)

VISIT = "visit"
FOLLOW_UP = "follow_up"
NEED_OVERDUE = "need_overdue"
OPPORTUNITY_OVERDUE = "opportunity_overdue"
MATURITY = "maturity"
BIRTHDAY = "birthday"
DORMANT_SOON = "dormant_soon"
DORMANT_NOW = "dormant_now"
VISIT_DUE = "visit_due"


@dataclass(frozen=True)
class TodayItem:
    """One thing to do or know today, about one customer.

    ``title`` says what, ``reason`` why (both Chinese, ready to show). ``ref_table``
    and ``ref_id`` name the record to open (``"visit"``, ``"need"``,
    ``"opportunity"``, ``"account"``), or are None when the customer is the thing to
    open. ``due`` is the date the item is about (visit day, follow-up due date,
    maturity, birthday, the day the customer turns dormant …); ``days`` the days
    overdue, left or since, depending on the kind.
    """

    kind: str
    customer_id: str
    customer_name: str
    customer_no: str
    tier: str | None
    title: str
    reason: str
    due: date | None = None
    days: int | None = None
    ref_table: str | None = None
    ref_id: str | None = None
    at: datetime | None = None
    status: str | None = None
    amount: Decimal | None = None
    amount_wan: str | None = None


@dataclass(frozen=True)
class TodayView:
    """The whole Today screen for one day."""

    today: date
    rm_id: str | None
    visits: tuple[TodayItem, ...]
    overdue: tuple[TodayItem, ...]
    maturities: tuple[TodayItem, ...]
    birthdays: tuple[TodayItem, ...]
    dormant: tuple[TodayItem, ...]
    visits_due: tuple[TodayItem, ...]

    def counts(self) -> dict[str, int]:
        """Items per section, for the section headers and the status bar."""
        return {
            "visits": len(self.visits),
            "overdue": len(self.overdue),
            "maturities": len(self.maturities),
            "birthdays": len(self.birthdays),
            "dormant": len(self.dormant),
            "visits_due": len(self.visits_due),
        }


_CUSTOMER_COLUMNS = (
    Customer.id.label("customer_id"),
    Customer.name.label("customer_name"),
    Customer.customer_no,
    Customer.tier,
)


def _item(row: Any, kind: str, title: str, reason: str, **extra: Any) -> TodayItem:
    return TodayItem(
        kind=kind,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        customer_no=row.customer_no,
        tier=row.tier,
        title=title,
        reason=reason,
        **extra,
    )


def _days_ago(days: int) -> str:
    return "今天" if days == 0 else f"{days}天前"


class TodayService(ScopedService):
    """The Today screen of the signed-in RM (``rm_id``; None: the whole cache).

    Read-only, so it may run on any thread with its own connection. Pass ``now`` to
    pin the clock (tests, "what did Monday look like"); the day is taken in Beijing
    time.
    """

    @property
    def config(self) -> BankConfig:
        return self._config or bank_config()

    def view(self, now: datetime | None = None) -> TodayView:
        """Every section, read in one transaction (one consistent snapshot)."""
        today = local_today(now or utcnow())
        with self._cache.engine.connect() as conn:
            return TodayView(
                today=today,
                rm_id=self._rm_id,
                visits=tuple(self._visits(conn, today)),
                overdue=tuple(self._overdue(conn, today)),
                maturities=tuple(self._maturities(conn, today)),
                birthdays=tuple(self._birthdays(conn, today)),
                dormant=tuple(self._dormant(conn, today)),
                visits_due=tuple(self._visits_due(conn, today)),
            )

    # One method per section, for a screen that refreshes a single section.

    def visits(self, today: date) -> list[TodayItem]:
        return self._read(self._visits, today)

    def overdue(self, today: date) -> list[TodayItem]:
        return self._read(self._overdue, today)

    def maturities(self, today: date) -> list[TodayItem]:
        return self._read(self._maturities, today)

    def birthdays(self, today: date) -> list[TodayItem]:
        return self._read(self._birthdays, today)

    def dormant(self, today: date) -> list[TodayItem]:
        return self._read(self._dormant, today)

    def visits_due(self, today: date) -> list[TodayItem]:
        return self._read(self._visits_due, today)

    def _read(self, section: Any, today: date) -> list[TodayItem]:
        with self._cache.engine.connect() as conn:
            result: list[TodayItem] = section(conn, today)
            return result

    def _book(self, query: Any, *, by_date: bool = False) -> Any:
        """Limit a query joined to Customer to the book (and live customers).

        ``by_date``: the query selects a short date range of another table (accounts
        maturing, needs and opportunities past their end), which SQLite should read by
        that table's date index. The RM condition is then written so that it cannot use
        the customer index on ``rm_id``: SQLite (without statistics) takes it for
        selective and drives the query from the book's customers instead, though a
        cache holds one RM's book (scope) and the condition selects all of it: 22 ms
        instead of 3 for the maturities of a 5,000-customer book.
        """
        query = query.where(Customer.deleted.is_(False))
        if self._rm_id is not None:
            rm_id = Customer.rm_id + "" if by_date else Customer.rm_id
            query = query.where(rm_id == self._rm_id)
        return query

    # --- sections ---------------------------------------------------------------

    def _visits(self, conn: Connection, today: date) -> list[TodayItem]:
        query = (
            visits_query(self._rm_id)
            .where(
                Visit.planned_start >= day_start(today),
                Visit.planned_start < day_start(today + timedelta(days=1)),
                Visit.status != VisitStatus.CANCELLED,
            )
            .order_by(Visit.planned_start, Visit.visit_no)
        )
        items = []
        for row in conn.execute(query):
            clock = f"{row.planned_start.astimezone(SHANGHAI):%H:%M}"
            if row.status == VisitStatus.DONE:
                reason = "今日拜访已完成"
            else:
                reason = "今日计划拜访" + (f"，地点：{row.place}" if row.place else "")
            items.append(
                _item(
                    row,
                    VISIT,
                    f"{clock} {VISIT_CATEGORY_LABELS.get(row.category, row.category)}："
                    f"{row.purpose or '拜访'}",
                    reason,
                    due=today,
                    ref_table="visit",
                    ref_id=row.id,
                    at=row.planned_start,
                    status=str(row.status),
                )
            )
        return items

    def _overdue(self, conn: Connection, today: date) -> list[TodayItem]:
        items = self._overdue_follow_ups(conn, today)
        items += self._overdue_needs(conn, today)
        items += self._overdue_opportunities(conn, today)
        # Most overdue last: the freshest slips are the ones still worth saving.
        items.sort(key=lambda i: (i.days or 0, i.customer_name))
        return items

    def _overdue_follow_ups(self, conn: Connection, today: date) -> list[TodayItem]:
        # Only a customer's latest completed visit(s) can be waiting for a follow-up:
        # a later completed visit is the follow-up. Found per customer from the end of
        # the (customer_id, planned_start) index, rather than by checking every past
        # visit for a later one (twice as slow over 5,000 customers' 40,000 visits).
        later = aliased(Visit)
        latest_done = (
            select(later.planned_start)
            .where(
                later.customer_id == Customer.id,
                later.status == VisitStatus.DONE,
                later.deleted.is_(False),
            )
            .order_by(later.planned_start.desc())
            .limit(1)
            .correlate(Customer)
            .scalar_subquery()
        )
        contacted_since = (
            exists()
            .where(
                ContactLog.customer_id == Visit.customer_id,
                ContactLog.deleted.is_(False),
                ContactLog.started_at
                > func.coalesce(Visit.actual_end, Visit.actual_start, Visit.planned_start),
            )
            .correlate(Visit)
        )
        query = self._book(
            select(
                *_CUSTOMER_COLUMNS,
                Visit.id,
                Visit.purpose,
                Visit.follow_up_due,
                func.coalesce(Visit.actual_start, Visit.planned_start).label("visited_at"),
            )
            .select_from(Customer)
            .join(
                Visit,
                and_(Visit.customer_id == Customer.id, Visit.planned_start == latest_done),
            )
            .where(
                Visit.follow_up_due < today,
                Visit.status == VisitStatus.DONE,
                Visit.deleted.is_(False),
                ~contacted_since,
            )
        )
        items = []
        for row in conn.execute(query):
            late = (today - row.follow_up_due).days
            items.append(
                _item(
                    row,
                    FOLLOW_UP,
                    f"拜访后跟进已逾期{late}天",
                    f"{format_date(row.visited_at)}拜访（{row.purpose or '未写目的'}）约定"
                    f"{format_date(row.follow_up_due)}前跟进，之后没有再拜访或联系",
                    due=row.follow_up_due,
                    days=late,
                    ref_table="visit",
                    ref_id=row.id,
                )
            )
        return items

    def _overdue_needs(self, conn: Connection, today: date) -> list[TodayItem]:
        query = self._book(
            select(*_CUSTOMER_COLUMNS, Need.id, Need.summary, Need.ends_on, Need.status)
            .join(Customer, Customer.id == Need.customer_id)
            .where(
                Need.status.in_(OPEN_NEED_STATUSES),
                Need.ends_on < today,
                Need.deleted.is_(False),
            ),
            by_date=True,
        )
        items = []
        for row in conn.execute(query):
            late = (today - row.ends_on).days
            items.append(
                _item(
                    row,
                    NEED_OVERDUE,
                    f"客户需求已逾期{late}天：{row.summary}",
                    f"需求计划{format_date(row.ends_on)}前解决，仍为"
                    f"“{NEED_STATUS_LABELS.get(row.status, row.status)}”",
                    due=row.ends_on,
                    days=late,
                    ref_table="need",
                    ref_id=row.id,
                    status=str(row.status),
                )
            )
        return items

    def _overdue_opportunities(self, conn: Connection, today: date) -> list[TodayItem]:
        query = self._book(
            select(
                *_CUSTOMER_COLUMNS,
                Opportunity.id,
                Opportunity.summary,
                Opportunity.ends_on,
                Opportunity.sales_stage,
                Opportunity.expected_value,
            )
            .join(Customer, Customer.id == Opportunity.customer_id)
            .where(
                Opportunity.sales_stage.in_(OPEN_SALES_STAGES),
                Opportunity.ends_on < today,
                Opportunity.deleted.is_(False),
            ),
            by_date=True,
        )
        items = []
        for row in conn.execute(query):
            late = (today - row.ends_on).days
            value = row.expected_value
            items.append(
                _item(
                    row,
                    OPPORTUNITY_OVERDUE,
                    f"商机已过预计结束日{late}天：{row.summary}",
                    f"预计{format_date(row.ends_on)}结束，仍在"
                    f"“{SALES_STAGE_LABELS.get(row.sales_stage, row.sales_stage)}”阶段",
                    due=row.ends_on,
                    days=late,
                    ref_table="opportunity",
                    ref_id=row.id,
                    status=str(row.sales_stage),
                    amount=value,
                    amount_wan=None if value is None else format_wan(value),
                )
            )
        return items

    def _maturities(self, conn: Connection, today: date) -> list[TodayItem]:
        last = today + timedelta(days=MATURITY_WINDOW_DAYS)
        query = self._book(
            select(
                *_CUSTOMER_COLUMNS,
                Account.id,
                Account.account_type,
                Account.product_name,
                Account.balance,
                Account.matures_on,
            )
            .join(Customer, Customer.id == Account.customer_id)
            .where(
                Account.matures_on >= today,
                Account.matures_on <= last,
                Account.account_type.in_(MATURING_TYPES),
                Account.status == "open",
                Account.deleted.is_(False),
            )
            .order_by(Account.matures_on, Account.balance.desc(), Customer.name),
            by_date=True,
        )
        items = []
        for row in conn.execute(query):
            left = (row.matures_on - today).days
            kind = PRODUCT_TYPE_LABELS.get(row.account_type, str(row.account_type))
            what = row.product_name or kind
            when = "今天" if left == 0 else f"{left}天后"
            items.append(
                _item(
                    row,
                    MATURITY,
                    f"{what}到期 {format_wan(row.balance)}",
                    f"{kind}将于{format_short_date(row.matures_on)}（{when}）到期，"
                    "可提前联系客户安排续作或配置",
                    due=row.matures_on,
                    days=left,
                    ref_table="account",
                    ref_id=row.id,
                    amount=row.balance,
                    amount_wan=format_wan(row.balance),
                )
            )
        return items

    def _birthdays(self, conn: Connection, today: date) -> list[TodayItem]:
        monday, sunday = week_of(today)
        query = self._book(
            select(*_CUSTOMER_COLUMNS, Customer.birth_date).where(
                Customer.category == CustomerCategory.INDIVIDUAL,
                Customer.birth_date.is_not(None),
                func.substr(Customer.birth_date, 6, 5).in_(birthday_keys(monday, sunday)),
            )
        )
        items = []
        for row in conn.execute(query):
            birthday = next_birthday(row.birth_date, monday)
            if birthday > sunday:
                continue  # 29 February in a leap year's week without it
            age = age_on(row.birth_date, birthday)
            offset = (birthday - today).days
            when = (
                "今天"
                if offset == 0
                else (f"{offset}天后" if offset > 0 else f"{-offset}天前（本周）")
            )
            items.append(
                _item(
                    row,
                    BIRTHDAY,
                    f"{format_short_date(birthday)}生日（{age}岁）",
                    f"本周生日：{when}，可送上生日祝福",
                    due=birthday,
                    days=offset,
                )
            )
        items.sort(key=lambda i: (i.due or today, i.customer_name))
        return items

    def _dormant(self, conn: Connection, today: date) -> list[TodayItem]:
        threshold = self.config.lifecycle.dormant_after_days
        first, last = dormancy_sign_range(today, threshold)
        # A sign of life after ``last`` (in Beijing time) rules a customer out.
        after_last = day_start(last + timedelta(days=1))
        visit_time = func.coalesce(Visit.actual_start, Visit.planned_start)
        last_contact = (
            select(func.max(ContactLog.started_at))
            .where(ContactLog.customer_id == Customer.id, ContactLog.deleted.is_(False))
            .correlate(Customer)
            .scalar_subquery()
        )
        last_visit = (
            select(func.max(visit_time))
            .where(
                Visit.customer_id == Customer.id,
                Visit.status == VisitStatus.DONE,
                Visit.deleted.is_(False),
            )
            .correlate(Customer)
            .scalar_subquery()
        )
        query = self._book(
            select(
                *_CUSTOMER_COLUMNS,
                Customer.lifecycle_status,
                Customer.last_transaction_on,
                last_contact.label("last_contact"),
                last_visit.label("last_visit"),
            ).where(
                Customer.lifecycle_status.in_((LifecycleStatus.ACTIVE, LifecycleStatus.DORMANT)),
                or_(
                    Customer.last_transaction_on.is_(None),
                    Customer.last_transaction_on <= last,
                ),
                ~exists().where(
                    ContactLog.customer_id == Customer.id,
                    ContactLog.started_at >= after_last,
                    ContactLog.deleted.is_(False),
                ),
                ~exists().where(
                    Visit.customer_id == Customer.id,
                    Visit.status == VisitStatus.DONE,
                    visit_time >= after_last,
                    Visit.deleted.is_(False),
                ),
            )
        )
        items = []
        for row in conn.execute(query):
            signs = [row.last_transaction_on]
            signs += [local_date(t) for t in (row.last_contact, row.last_visit) if t is not None]
            known = [d for d in signs if d is not None]
            if not known or max(known) < first:
                continue
            last_sign = max(known)
            state = dormancy(last_sign, today, threshold)
            if state is None:  # pragma: no cover - the query's window is the same
                continue
            since = f"最近一次交易或联系是{format_date(last_sign)}（{state.idle_days}天前）"
            if state.turned:
                title = "刚转为沉寂客户" if state.days == 0 else f"已转为沉寂客户{state.days}天"
                kind = DORMANT_NOW
            else:
                title = f"{state.days}天后将转为沉寂客户"
                kind = DORMANT_SOON
            items.append(
                _item(
                    row,
                    kind,
                    title,
                    f"{since}；超过{threshold}天无交易或联系即为沉寂，请尽快联系",
                    due=last_sign + timedelta(days=threshold),
                    days=state.days,
                    status=str(row.lifecycle_status),
                )
            )
        # Turning dormant soonest first, then the ones that just turned.
        items.sort(key=lambda i: (i.kind == DORMANT_NOW, i.due or today, i.customer_name))
        return items

    def _visits_due(self, conn: Connection, today: date) -> list[TodayItem]:
        cadences = {t.name: t.visit_cadence_days for t in self.config.tiers if t.visit_cadence_days}
        if not cadences:
            return []
        order = {t.name: i for i, t in enumerate(self.config.tiers)}
        visit_time = func.coalesce(Visit.actual_start, Visit.planned_start)

        def visited_since(day: date) -> Any:
            return exists().where(
                Visit.customer_id == Customer.id,
                Visit.status == VisitStatus.DONE,
                Visit.deleted.is_(False),
                visit_time >= day_start(day),
            )

        last_visit = (
            select(func.max(visit_time))
            .where(
                Visit.customer_id == Customer.id,
                Visit.status == VisitStatus.DONE,
                Visit.deleted.is_(False),
            )
            .correlate(Customer)
            .scalar_subquery()
        )
        planned = exists().where(
            Visit.customer_id == Customer.id,
            Visit.status == VisitStatus.PLANNED,
            Visit.deleted.is_(False),
            Visit.planned_start >= day_start(today),
        )
        # Due: no completed visit in the last ``cadence - 1`` days (nor today).
        query = self._book(
            select(*_CUSTOMER_COLUMNS, last_visit.label("last_visit")).where(
                or_(
                    *(
                        and_(
                            Customer.tier == name,
                            ~visited_since(today - timedelta(days=days - 1)),
                        )
                        for name, days in cadences.items()
                    )
                ),
                ~planned,
            )
        )
        items = []
        for row in conn.execute(query):
            cadence = cadences[row.tier]
            last = None if row.last_visit is None else local_date(row.last_visit)
            overdue = visit_overdue_days(last, today, cadence)
            if overdue is None:  # pragma: no cover - the query's rule is the same
                continue
            rule = f"{row.tier}客户应每{cadence}天拜访一次"
            if last is None:
                title, reason = "应安排拜访", f"{rule}，还没有已完成的拜访"
            else:
                idle = (today - last).days
                title = "应安排拜访" if overdue == 0 else f"拜访已逾期{overdue}天"
                reason = f"{rule}，上次拜访是{format_date(last)}（{_days_ago(idle)}）"
            items.append(
                _item(
                    row,
                    VISIT_DUE,
                    title,
                    reason,
                    due=today - timedelta(days=overdue),
                    days=overdue,
                )
            )
        items.sort(key=lambda i: (order.get(i.tier or "", 99), -(i.days or 0), i.customer_name))
        return items
