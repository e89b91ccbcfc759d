"""Edits the central CRM refused, as the RM sees and settles them.

A refusal is never silent and never lost: the sync takes the mutation out of the
outbox in the same transaction that writes its :class:`RejectedEdit` (the RM's
values and the reason in Chinese), and the cache shows what the server holds. The
entry stays until the RM either corrects the values and sends them again (a new
edit, based on what the cache shows now) or discards it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, Integer, delete, func, select
from sqlalchemy.exc import IntegrityError

from rm_contract.labels import field_label, table_label
from rm_contract.types import UTCDateTime, parse_utc
from rm_contract.wire import decode_value
from rm_workbench.db.engine import Cache
from rm_workbench.domain.formatting import SHANGHAI
from rm_workbench.errors import ValidationError
from rm_workbench.models import Base, Customer, RejectedEdit
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.contacts import CHANNEL_LABELS
from rm_workbench.services.needs import NEED_CATEGORY_LABELS, NEED_STATUS_LABELS
from rm_workbench.services.opportunities import SALES_STAGE_LABELS
from rm_workbench.services.records import PRIORITY_LABELS
from rm_workbench.services.visits import VISIT_CATEGORY_LABELS, VISIT_STATUS_LABELS
from rm_workbench.sync.outbox import delete_row, requeue_insert, update_row

OPS = {"insert": "新建", "update": "修改", "delete": "删除"}


@dataclass(frozen=True)
class RejectedField:
    name: str
    label: str
    # The RM's value as text (wire form: what to correct), and as a person reads it.
    value: str
    shown: str


@dataclass(frozen=True)
class RejectedView:
    id: int
    table: str
    table_label: str
    row_id: str
    customer_id: str | None
    customer_name: str
    op: str
    op_label: str
    fields: tuple[RejectedField, ...]
    reason: str
    rejected_at: datetime
    # Whether "send again" can work: the row is still in the cache (an update or a
    # delete), or it is the RM's own new row kept here (an insert).
    can_resend: bool


# Enum fields as a person reads them (the list shows these, and reads them back).
_CHOICES: dict[tuple[str, str], Mapping[str, str]] = {
    ("visit", "status"): VISIT_STATUS_LABELS,
    ("visit", "category"): VISIT_CATEGORY_LABELS,
    ("visit", "priority"): PRIORITY_LABELS,
    ("need", "category"): NEED_CATEGORY_LABELS,
    ("need", "status"): NEED_STATUS_LABELS,
    ("need", "severity"): PRIORITY_LABELS,
    ("need", "urgency"): PRIORITY_LABELS,
    ("opportunity", "sales_stage"): SALES_STAGE_LABELS,
    ("contact_log", "channel"): CHANNEL_LABELS,
}
_TIME_FORMAT = "%Y-%m-%d %H:%M"


def _text(table: str, name: str, raw: Any) -> str:
    """A wire value as the RM reads and corrects it: labels for choices, Beijing time
    for times, 是/否, lists joined with 、."""
    if raw is None:
        return ""
    choices = _CHOICES.get((table, name))
    if choices is not None and isinstance(raw, str):
        return choices.get(raw, raw)
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, list):
        return "、".join(str(v) for v in raw)
    target = Base.metadata.tables.get(table)
    timed = target is not None and name in target.c and isinstance(target.c[name].type, UTCDateTime)
    if timed and isinstance(raw, str):
        try:
            return parse_utc(raw).astimezone(SHANGHAI).strftime(_TIME_FORMAT)
        except ValueError:
            return raw
    return str(raw)


def _raw(table: str, name: str, text: str, was: Any) -> Any:
    """The wire value of what the RM typed in the list (the reverse of ``_text``)."""
    text = text.strip()
    if not text:
        return None
    choices = _CHOICES.get((table, name))
    if choices is not None:
        by_label = {label: value for value, label in choices.items()}
        return str(by_label.get(text, text))
    if isinstance(was, bool):
        return text in ("是", "true", "True", "1")
    if isinstance(was, list):
        return [part.strip() for part in text.split("、") if part.strip()]
    kind = Base.metadata.tables[table].c[name].type
    if isinstance(kind, UTCDateTime):
        try:
            local = datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=SHANGHAI)
        except ValueError:
            return text  # ISO text, or refused with the field's name by decode_value
        return local.astimezone(UTC).isoformat()
    if isinstance(kind, Integer) and not isinstance(kind, Boolean):
        try:
            return int(text)
        except ValueError:
            return text
    return text


class RejectedEditService:
    """Lists the rejected edits and settles them: send again (corrected) or discard."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def count(self) -> int:
        with self.cache.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(RejectedEdit)).scalar_one())

    def list(self) -> list[RejectedView]:
        with self.cache.engine.connect() as conn:
            rows = conn.execute(
                select(RejectedEdit.__table__, Customer.name.label("customer_name"))
                .outerjoin(Customer, Customer.id == RejectedEdit.customer_id)
                .order_by(RejectedEdit.id)
            ).all()
            return [self._view(conn, row) for row in rows]

    def _view(self, conn: Connection, row: Any) -> RejectedView:
        fields = json.loads(row.fields or "{}")
        return RejectedView(
            id=row.id,
            table=row.table_name,
            table_label=table_label(row.table_name),
            row_id=row.row_id,
            customer_id=row.customer_id,
            customer_name=row.customer_name or "",
            op=row.op,
            op_label=OPS.get(row.op, row.op),
            fields=tuple(
                RejectedField(
                    name=name,
                    label=field_label(name),
                    value=_text(row.table_name, name, change.get("new")),
                    shown=_text(row.table_name, name, change.get("new")) or "（空）",
                )
                for name, change in fields.items()
                if name != "id"
            ),
            reason=row.reason,
            rejected_at=row.rejected_at,
            can_resend=self._row_here(conn, row.table_name, row.row_id),
        )

    @staticmethod
    def _row_here(conn: Connection, table: str, row_id: str) -> bool:
        target = Base.metadata.tables.get(table)
        if target is None:
            return False
        return conn.execute(select(target.c.id).where(target.c.id == row_id)).first() is not None

    def _entry(self, conn: Connection, entry_id: int) -> Any:
        row = conn.execute(
            select(RejectedEdit.__table__).where(RejectedEdit.id == entry_id)
        ).first()
        if row is None:
            raise ValidationError("该条目已处理过，请刷新列表。", f"rejected edit {entry_id} gone")
        return row

    def discard(self, entry_id: int) -> Change:
        """Accept the refusal: the entry goes. A new row the server refused (created
        here, never accepted) goes with it, unless other records refer to it."""
        with write_transaction(self.cache) as conn:
            row = self._entry(conn, entry_id)
            conn.execute(delete(RejectedEdit).where(RejectedEdit.id == entry_id))
            if row.op == "insert" and self._row_here(conn, row.table_name, row.row_id):
                target = Base.metadata.tables[row.table_name]
                unsent = target.c.version.is_(None)
                try:
                    with conn.begin_nested():
                        conn.execute(delete(target).where(target.c.id == row.row_id, unsent))
                except IntegrityError as exc:
                    raise ValidationError(
                        f"这条{table_label(row.table_name)}还被其他记录引用，请先处理那些记录后再放弃。",
                        repr(exc),
                    ) from exc
        return self._change(row, "rejected_discarded")

    def resend(self, entry_id: int, values: dict[str, str] | None = None) -> Change:
        """Send the edit again as a new one, with ``values`` (field → text, as listed)
        in place of the refused ones; the base is what the cache shows now."""
        with write_transaction(self.cache) as conn:
            row = self._entry(conn, entry_id)
            fields = json.loads(row.fields or "{}")
            if not self._row_here(conn, row.table_name, row.row_id):
                raise ValidationError(
                    "该记录已不在本机（可能已被删除或随客户移交），无法重新提交；可以放弃这条修改。",
                    f"{row.table_name} {row.row_id} not in the cache",
                )
            changes: dict[str, Any] = {}
            for name, change in fields.items():
                if name == "id":
                    continue
                raw: Any = change.get("new")
                if values is not None and name in values:
                    raw = _raw(row.table_name, name, values[name], change.get("new"))
                try:
                    changes[name] = decode_value(row.table_name, name, raw)
                except (ValueError, TypeError, ArithmeticError) as exc:
                    raise ValidationError(
                        f"“{field_label(name)}”的值“{raw}”格式不正确，请修改后再提交。", repr(exc)
                    ) from exc
            if row.op == "delete":
                delete_row(conn, row.table_name, row.row_id)
            elif row.op == "insert":
                requeue_insert(conn, row.table_name, row.row_id, changes)
            else:
                update_row(conn, row.table_name, row.row_id, changes)
            conn.execute(delete(RejectedEdit).where(RejectedEdit.id == entry_id))
        return self._change(row, "rejected_resent")

    @staticmethod
    def _change(row: Any, kind: str) -> Change:
        return Change(
            kind=kind,
            customer_id=row.customer_id,
            ids=(str(row.id), row.row_id),
            tables=frozenset({"rejected_edit", "outbox", row.table_name}),
        )
