"""A small hand-made book in a real migrated cache, for the workbench services' tests.

Rows are written as the central CRM would have sent them (with a server version),
so every outbox entry a test finds was written by the service under test.

The clock: ``NOW`` is Wednesday 2026-11-25 10:00 in Beijing (02:00 UTC); the week
runs from Monday 23 to Sunday 29 November.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from sqlalchemy import func, select

from rm_workbench.db.engine import Cache
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import (
    Account,
    Base,
    Branch,
    ContactLog,
    Customer,
    Need,
    Opportunity,
    OutboxEntry,
    Product,
    RelationshipManager,
    SyncState,
    Visit,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of ``day`` at ``hour:minute`` Beijing time (as an aware UTC datetime)."""
    return day_start(day) + timedelta(hours=hour, minutes=minute)


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@dataclass
class Entry:
    table: str
    op: str
    row_id: str
    customer_id: str | None
    fields: dict[str, Any]


def outbox(cache: Cache) -> list[Entry]:
    """The outbox, oldest first."""
    with cache.engine.connect() as conn:
        return [
            Entry(e.table_name, e.op, e.row_id, e.customer_id, json.loads(e.fields))
            for e in conn.execute(select(OutboxEntry).order_by(OutboxEntry.mutation_id))
        ]


def count_rows(cache: Cache, model: type[Base]) -> int:
    with cache.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


class Book:
    """Builds rows as pulled from the central CRM (version set, no outbox entry)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._n = count(1)
        with cache.session() as session:
            branch = Branch(code="B01", name="示范银行杭州分行", city="杭州", version=1)
            session.add(branch)
            session.flush()
            self.me = RelationshipManager(
                employee_no="E880001", name="许丹妮", branch_id=branch.id, version=1
            )
            self.other = RelationshipManager(
                employee_no="E880002", name="王磊", branch_id=branch.id, version=1
            )
            session.add_all([self.me, self.other])
            session.flush()
            self.branch_id = branch.id
            self.rm_id = self.me.id
            self.other_rm_id = self.other.id
            self.wealth = Product(
                code="WM001", name="稳享理财90天", product_type="wealth", risk_level="R2", version=1
            )
            self.deposit = Product(
                code="TD3Y", name="三年期定期存款", product_type="time_deposit", version=1
            )
            session.add_all([self.wealth, self.deposit])
            session.flush()
            self.wealth_id = self.wealth.id
            self.deposit_id = self.deposit.id

    def _add(self, row: Base) -> str:
        row.version = next(self._n)  # type: ignore[attr-defined]
        with self.cache.session() as session:
            session.add(row)
            session.flush()
            return str(row.id)  # type: ignore[attr-defined]

    def customer(self, name: str, **fields: Any) -> str:
        n = next(self._n)
        fields.setdefault("category", "individual")
        fields.setdefault("rm_id", self.rm_id)
        fields.setdefault("branch_id", self.branch_id)
        fields.setdefault("lifecycle_status", "active")
        fields.setdefault("tier", "一般")
        fields.setdefault("last_transaction_on", days_ago(5))
        return self._add(Customer(customer_no=f"C{n:08d}", name=name, **fields))

    def visit(self, customer_id: str, start: datetime, **fields: Any) -> str:
        n = next(self._n)
        fields.setdefault("category", "branch")
        fields.setdefault("status", "planned")
        fields.setdefault("rm_id", self.rm_id)
        fields.setdefault("planned_end", start + timedelta(hours=1))
        fields.setdefault("purpose", "资产配置回顾")
        if fields["status"] == "done":
            fields.setdefault("actual_start", start)
            fields.setdefault("actual_end", start + timedelta(hours=1))
        return self._add(
            Visit(visit_no=f"V{n:010d}", customer_id=customer_id, planned_start=start, **fields)
        )

    def contact(self, customer_id: str, started_at: datetime, **fields: Any) -> str:
        n = next(self._n)
        fields.setdefault("channel", "phone")
        fields.setdefault("summary", "电话问候")
        fields.setdefault("rm_id", self.rm_id)
        return self._add(
            ContactLog(
                contact_no=f"CT{n:010d}", customer_id=customer_id, started_at=started_at, **fields
            )
        )

    def need(self, customer_id: str, **fields: Any) -> str:
        n = next(self._n)
        fields.setdefault("category", "education")
        fields.setdefault("summary", "子女出国留学资金")
        fields.setdefault("started_on", days_ago(60))
        return self._add(Need(need_no=f"N{n:010d}", customer_id=customer_id, **fields))

    def opportunity(self, customer_id: str, **fields: Any) -> str:
        n = next(self._n)
        fields.setdefault("summary", "配置稳健理财")
        fields.setdefault("started_on", days_ago(60))
        return self._add(
            Opportunity(opportunity_no=f"OP{n:010d}", customer_id=customer_id, **fields)
        )

    def account(self, customer_id: str, account_type: str, balance: str, **fields: Any) -> str:
        n = next(self._n)
        return self._add(
            Account(
                account_no=f"6222{n:012d}",
                customer_id=customer_id,
                account_type=account_type,
                balance=Decimal(balance),
                **fields,
            )
        )

    def login(self, username: str) -> None:
        with self.cache.session() as session:
            session.merge(SyncState(key="username", value=username))
