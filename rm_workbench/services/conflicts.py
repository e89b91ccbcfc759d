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

from sqlalchemy import delete, select

from rm_workbench.db.engine import Cache
from rm_workbench.errors import AuthRequired
from rm_workbench.models import Customer, LocalConflict
from rm_workbench.models.labels import field_label, table_label
from rm_workbench.services.changes import Change
from rm_workbench.services.sync import SyncService
from rm_workbench.sync.client import SyncClient

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

    def __init__(self, cache: Cache, sync: SyncService) -> None:
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
                )
                for c, name in rows
            ]

    def count(self) -> int:
        return len(self.list())

    def resolve(self, conflict_id: str, choice: Choice) -> Change:
        """Settle one conflict on the server, then forget the local copy.

        Runs on the writer lane (network, then one small write). The value the RM keeps
        arrives with the next pull ("mine" gives the row a new version on the server).
        """
        if choice not in ("mine", "theirs"):
            raise ValueError(choice)
        server = self.sync.configured_server()
        token = self.sync.token_for(server) if server else None
        if server is None or token is None:
            raise AuthRequired("请先登录总行系统，再处理冲突。", "no token for resolve")
        client = SyncClient(server, token=token, ca_bundle=self.sync.ca_bundle)
        try:
            client.resolve(conflict_id, choice)
        finally:
            client.close()
        with self.cache.engine.begin() as conn:
            row = conn.execute(
                select(LocalConflict.table_name, LocalConflict.customer_id).where(
                    LocalConflict.conflict_id == conflict_id
                )
            ).first()
            conn.execute(delete(LocalConflict).where(LocalConflict.conflict_id == conflict_id))
        table = row.table_name if row else "local_conflict"
        log.info("conflict %s resolved: %s", conflict_id, choice)
        return Change(
            kind="conflict_resolved",
            customer_id=row.customer_id if row else None,
            ids=(conflict_id,),
            tables=frozenset({"local_conflict", table}),
        )
