"""Contacts (联系记录): the record of each call, message or meeting with a customer.

Contacts are append-only (the sync never lets a contact change), so there is no edit
or delete for them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import ContactChannel
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_datetime
from rm_workbench.domain.reminders import local_today
from rm_workbench.errors import ValidationError
from rm_workbench.models import ContactLog, SyncState
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.records import (
    CLOCK_SLACK,
    RecordService,
    book_customer,
    new_number,
    now_or,
)
from rm_workbench.services.sync import USERNAME
from rm_workbench.sync.outbox import insert_row

CHANNEL_LABELS: Final = EnumLabels(ContactChannel)


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


class ContactService(RecordService):
    """The contact log of the customers in the RM's book. New contacts are stamped
    with the login last used to sync, else ``user_name``."""

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

    # --- checks -------------------------------------------------------------------

    def _user(self, conn: Connection) -> str | None:
        """Who records a contact: the login last used to sync (it may have changed
        since the service was built: the first login of a new profile), else the
        name the service was given."""
        login = conn.execute(select(SyncState.value).where(SyncState.key == USERNAME)).scalar()
        return login or self._user_name
