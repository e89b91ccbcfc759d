"""What recording anything about a customer shares: the book check, record numbers,
"now", the "leave as it is" default of edits, and the base of the record services.

Every write of :mod:`~rm_workbench.services.contacts`,
:mod:`~rm_workbench.services.needs` and :mod:`~rm_workbench.services.opportunities`
(and of visits and proposals, which use these helpers too) goes through the outbox
(:mod:`rm_workbench.sync.outbox`) in the same transaction as the row, and returns a
:class:`~rm_workbench.services.changes.Change`. Input is checked before the
transaction opens, so a refused edit writes nothing.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import Priority
from rm_workbench.domain import validation as check
from rm_workbench.errors import ValidationError
from rm_workbench.models import Customer, utcnow
from rm_workbench.services.scope import ScopedService

PRIORITY_LABELS: Final = EnumLabels(Priority)

# A contact is a record of something that happened; a few minutes of clock drift
# between the RM's phone and the PC are allowed.
CLOCK_SLACK: Final = timedelta(minutes=10)


class _Unset(Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET
"""Default of the edit methods' arguments: "leave this field as it is"."""


# --- helpers shared with the visit and proposal services ------------------------------


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


def not_found(label: str, row_id: str) -> ValidationError:
    return ValidationError(
        f"找不到该{label}（可能已被删除或随客户移交给其他客户经理），请刷新后重试。",
        f"{label} {row_id} not in the cache",
    )


class RecordService(ScopedService):
    """The base of the services that record things about a customer (contacts, needs,
    opportunities).

    ``rm_id`` limits the service to one RM's book (None: every customer in the cache,
    which holds one RM's book anyway); ``user_name`` is who records when no login
    was used to sync yet. Writes run in one transaction each and return a
    :class:`~rm_workbench.services.changes.Change`.
    """

    def _owned(self, conn: Connection, model: Any, row_id: str, label: str) -> Any:
        row = conn.execute(select(model).where(model.id == row_id)).first()
        if row is None or row.deleted:
            raise not_found(label, row_id)
        book_customer(conn, row.customer_id, self._rm_id)
        return row
