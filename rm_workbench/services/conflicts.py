"""Sync conflicts, as the RM sees and settles them.

A conflict is stored by the server when two people changed the same field; the
cache keeps a copy (``LocalConflict``) until the RM chooses. Settling one is a call
to the central CRM: "keep mine" makes the RM's value the new one for everybody,
"take theirs" closes it. It needs the network; offline, the conflict waits and the
RM is told so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, delete, select, update

from rm_contract.labels import field_label, table_label
from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import ResolveResult, decode_value, value_problem
from rm_workbench.db.engine import Cache, run_here
from rm_workbench.db.search import index_customers
from rm_workbench.errors import AuthRequired, ServerAnswerError
from rm_workbench.models import Base, Customer, LocalConflict
from rm_workbench.services.changes import Change
from rm_workbench.services.sync import SyncService
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import check_conflict, store_conflict
from rm_workbench.sync.outbox import pending_fields

log = logging.getLogger(__name__)

Choice = Literal["mine", "theirs"]


@dataclass(frozen=True)
class ConflictView:
    conflict_id: str
    table: str
    table_label: str
    row_id: str
    customer_id: str | None
    customer_name: str
    field: str
    field_label: str
    base: str
    theirs: str
    yours: str
    received_at: datetime
    # Who made each side ("" when the server has not said yet: shown after a sync).
    yours_by: str = ""
    theirs_by: str = ""


@dataclass(frozen=True)
class Resolution:
    """What settling a conflict did, for the dialog: ``resolution`` "mine" (yours is
    now the value for everybody), "theirs", or "moved" (the central CRM's value had
    changed again since it was shown: nothing was overwritten, and the conflict is
    shown again with the current value)."""

    resolution: str
    field_label: str
    value: str
    message: str
    change: Change


def _shown(raw: str | None) -> str:
    """A wire value as text for a person; an empty value says so."""
    value: Any = None if raw is None else json.loads(raw)
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


class ConflictService:
    """Lists the cache's conflicts and settles them with the central CRM."""

    def __init__(self, cache: Cache, sync: SyncService | None) -> None:
        """``sync`` None: tests that hand :meth:`resolve` a client of their own."""
        self.cache = cache
        self.sync = sync

    def list(self) -> list[ConflictView]:
        with self.cache.session() as session:
            rows = session.execute(
                select(LocalConflict, Customer.name)
                .outerjoin(Customer, Customer.id == LocalConflict.customer_id)
                .order_by(LocalConflict.received_at, LocalConflict.conflict_id)
            ).all()
            return [
                ConflictView(
                    conflict_id=c.conflict_id,
                    table=c.table_name,
                    table_label=table_label(c.table_name),
                    row_id=c.row_id,
                    customer_id=c.customer_id,
                    customer_name=name or "",
                    field=c.field,
                    field_label=field_label(c.field),
                    base=_shown(c.base),
                    theirs=_shown(c.theirs),
                    yours=_shown(c.yours),
                    received_at=c.received_at,
                    yours_by=_yours_by(c.yours_by, c.yours_device),
                    theirs_by=c.theirs_by or ("总行系统" if c.yours_by else ""),
                )
                for c, name in rows
            ]

    def count(self) -> int:
        return len(self.list())

    def resolve(
        self, conflict_id: str, choice: Choice, *, client: SyncClient | None = None
    ) -> Resolution:
        """Settle one conflict on the server, and show what it wrote.

        Runs off the writer lane (network, then one small write, which goes through
        the sync service's ``writer``). "Keep mine" is an
        edit whose base is the central CRM's value the RM was shown (the conflict's
        "theirs"): if that value changed again meanwhile, nothing is overwritten and
        the server answers with a new conflict, which replaces this one here. The
        value the server now holds is written into the cache at once (unless the RM
        edited the field again since: that edit is still on its way)."""
        if choice not in ("mine", "theirs"):
            raise ValueError(choice)
        with self.cache.engine.connect() as conn:
            conflict = conn.execute(
                select(LocalConflict.__table__).where(LocalConflict.conflict_id == conflict_id)
            ).first()
        if conflict is None:
            raise LookupError(f"conflict {conflict_id} is not in the cache")
        seen = None if conflict.theirs is None else json.loads(conflict.theirs)
        if client is not None:
            result = client.resolve(conflict_id, choice, seen)
        else:
            if self.sync is None:
                raise AuthRequired("请先登录总行系统，再处理冲突。", "no sync service")
            server = self.sync.configured_server()
            token = self.sync.token_for(server) if server else None
            if server is None or token is None:
                raise AuthRequired("请先登录总行系统，再处理冲突。", "no token for resolve")
            own = SyncClient(server, token=token, ca_bundle=self.sync.ca_bundle)
            try:
                result = own.resolve(conflict_id, choice, seen)
            finally:
                own.close()
        _check_answer(result, conflict)

        def write() -> None:
            with self.cache.engine.begin() as conn:
                conn.execute(delete(LocalConflict).where(LocalConflict.conflict_id == conflict_id))
                _write_server_value(conn, result)
                if result.conflict is not None:
                    store_conflict(conn, result.conflict, conflict.customer_id)

        # The UI's sync service runs it on the writer lane; a test's client, where it is.
        writer = self.sync.writer if self.sync is not None else run_here
        writer(write)
        log.info("conflict %s resolved: %s → %s", conflict_id, choice, result.resolution)
        label = field_label(result.field)
        value = _shown(json.dumps(result.value, ensure_ascii=False))
        if result.resolution == "moved":
            message = result.message or (
                f"“{label}”在总行又被修改过（现为 {value}），您的值没有覆盖它，请重新选择。"
            )
        elif result.resolution == "mine":
            message = f"已保留您的值：“{label}”现为 {value}。"
        else:
            message = f"已采用总行的值：“{label}”为 {value}。"
        return Resolution(
            resolution=result.resolution,
            field_label=label,
            value=value,
            message=message,
            change=Change(
                kind="conflict_resolved",
                customer_id=conflict.customer_id,
                ids=(conflict_id,),
                tables=frozenset({"local_conflict", result.table}),
            ),
        )


def _check_answer(result: ResolveResult, asked: Any) -> None:
    """The answer is about the conflict asked for, and its values fit the field (as
    every value from the server must) before anything is written."""
    problem = None
    if (result.table, result.row_id, result.field) != (
        asked.table_name,
        asked.row_id,
        asked.field,
    ):
        problem = f"{result.table}.{result.field} {result.row_id}: 不是所处理的冲突"
    elif result.table in SYNCED_TABLES and result.field in Base.metadata.tables[result.table].c:
        problem = value_problem(result.table, result.field, result.value)
    else:
        problem = f"{result.table}.{result.field}: 不是可同步的字段"
    if problem is None and result.conflict is not None:
        try:
            check_conflict(result.conflict)
        except ServerAnswerError as exc:
            problem = exc.details
    if problem is not None:
        raise ServerAnswerError(
            "总行系统对冲突处理的应答格式有误，本机未作改动；请稍后再试。",
            f"resolve answer {result!r:.500}: {problem}",
        )


def _yours_by(person: str | None, device: str | None) -> str:
    if not person:
        return ""
    return f"{person}，设备 {device}" if device else person


def _write_server_value(conn: Connection, result: ResolveResult) -> None:
    """The field as the server now holds it, into the cache, unless the RM edited it
    again since (that edit is queued; a pull would not overwrite it either)."""
    if result.table not in SYNCED_TABLES:
        return
    table = Base.metadata.tables[result.table]
    if result.field not in table.c:
        return
    mine = pending_fields(conn).get((result.table, result.row_id), set())
    if mine is None or result.field in mine:
        return
    value = decode_value(result.table, result.field, result.value)
    conn.execute(update(table).where(table.c.id == result.row_id).values({result.field: value}))
    if result.table == "customer":
        stored = conn.execute(select(table).where(table.c.id == result.row_id))
        index_customers(conn, [dict(row) for row in stored.mappings()])
