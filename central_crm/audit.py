"""Attribution and the audit chain, the central CRM's side of issue 13.

* Who and when come from the token and the server's clock, never from the payload:
  :func:`stamp` overwrites the "who" columns of what an RM creates (a contact's RM and
  recorder, a proposal's RM, an audit row's user) and an audit row's time (the
  device's claimed time is kept in ``client_time``).
* Each device chains its audit entries (:mod:`rm_contract.audit_chain`);
  :class:`AuditChain` checks, inside the push's transaction, that a push's entries
  continue the last one the server accepted from that device. A missing entry (a
  gap), an entry whose hash does not match its content, one that does not follow the
  entry the server holds, a number used twice or an entry without chain fields is
  recorded as an ``audit_alarm`` (listed by ``GET /api/v1/admin/audit-alarms`` and
  ``central-crm audit-alarms``), logged, and told to the RM in the mutation's answer.

The entry itself is stored all the same (stamped with the server's who and when):
it is evidence, and refusing it would only hide what the device sent. The rest of the
push applies as usual: a broken audit chain says the device is not to be trusted, not
that a customer's edit is wrong, and losing those edits would punish the customer.
After a break the chain goes on from the entry received, so one break is one alarm,
not one per later entry.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from central_crm import db
from central_crm.auth import Principal
from central_crm.schema import SYNCED, audit_alarm, audit_chain
from rm_contract.audit_chain import CHAINED, entry_hash, genesis
from rm_contract.wire import Mutation

log = logging.getLogger(__name__)

# Per table, the columns the server sets itself on an insert (who and when): what a
# device sends there is not stored (an audit row's time moves to ``client_time``).
# A new "who" column (``rm_id``, ``user_name``, ``*_by``) of a table RMs write goes
# here, with its rule in :func:`stamp`, or in ``NOT_STAMPED`` of
# tests/security/test_audit_attribution.py with the reason: a guard test checks.
STAMPED: dict[str, frozenset[str]] = {
    "audit_log": frozenset({"user_name", "at", "client_time"}),
    "contact_log": frozenset({"rm_id", "user_name"}),
    "bundle_proposal": frozenset({"rm_id"}),
}

USER_NAME_LENGTH = 32  # audit_log.user_name and contact_log.user_name


def stamp(name: str, values: dict[str, Any], principal: Principal, now: datetime) -> None:
    """Set the who and when of a new ``name`` row in ``values`` (decoded) from the
    caller and the server's clock. An administrator without an RM of their own keeps
    the RM the row names (they record on an RM's behalf); their login is the recorder."""
    if name not in STAMPED:
        return
    user = principal.username[:USER_NAME_LENGTH]
    if name == "audit_log":
        values["client_time"] = values.get("at")
        values["at"] = now
        values["user_name"] = user
        return
    if name == "contact_log":
        values["user_name"] = user
    if principal.rm_id is not None:
        values["rm_id"] = principal.rm_id


@dataclass
class Alarm:
    kind: str
    mutation_id: int
    row_id: str
    expected_seq: int | None
    received_seq: int | None
    message: str


class AuditChain:
    """One push's view of its device's audit chain; see the module docstring. Runs
    in the push's transaction, after the counter's lock: pushes of one device are
    serialized, so the head read here is the last one committed."""

    def __init__(self, conn: Connection, principal: Principal, now: datetime) -> None:
        self.conn = conn
        self.principal = principal
        self.now = now
        self.alarms: list[Alarm] = []
        self._head: tuple[int, str] | None = None
        self._stored = False  # the device has a row in audit_chain
        self._moved = False

    def _load(self) -> tuple[int, str]:
        if self._head is None:
            row = self.conn.execute(
                select(audit_chain.c.last_seq, audit_chain.c.last_hash).where(
                    audit_chain.c.device_id == self.principal.device_id
                )
            ).first()
            self._stored = row is not None
            self._head = (
                (int(row.last_seq), str(row.last_hash))
                if row is not None
                else (0, genesis(self.principal.device_id))
            )
        return self._head

    def check(self, mutation: Mutation) -> str | None:
        """Check one audit entry (an insert) against the chain and move the head to
        it; returns what the RM is told when it breaks the chain (None: in order)."""
        fields = {name: change.new for name, change in mutation.fields.items()}
        seq, prev, sent = (
            fields.get("device_seq"),
            fields.get("prev_hash"),
            fields.get("chain_hash"),
        )
        last_seq, last_hash = self._load()
        before = len(self.alarms)
        if not (type(seq) is int and seq >= 1 and isinstance(prev, str) and isinstance(sent, str)):
            self._alarm(
                "unchained",
                mutation,
                last_seq + 1,
                None,
                "审计记录没有链校验信息（工作台版本过旧，或被删改）。 "
                "/ The audit entry carries no chain fields (an old workbench, or removed).",
            )
            return self._told(before)
        entry: dict[str, Any] = {name: fields.get(name) for name in CHAINED}
        entry["id"] = mutation.row_id
        if entry_hash(prev, seq, entry) != sent:
            self._alarm(
                "altered",
                mutation,
                None,
                seq,
                f"第 {seq} 条审计记录的内容与其校验值不符：记录写入后被改动过。 "
                f"/ Audit entry {seq} does not match its hash: altered after it was written.",
            )
        if seq <= last_seq:
            if self._already_stored(mutation.row_id, sent):
                return self._told(before)  # an entry sent again: nothing new
            self._alarm(
                "reused_seq",
                mutation,
                last_seq + 1,
                seq,
                f"第 {seq} 条审计记录总行已收到过，这是另一条记录（被替换或顺序被打乱）。 "
                f"/ Audit entry number {seq} was already used by another entry "
                "(replaced or reordered).",
            )
        elif seq > last_seq + 1:
            missing = (
                f"第 {last_seq + 1} 条"
                if seq == last_seq + 2
                else f"第 {last_seq + 1}–{seq - 1} 条"
            )
            self._alarm(
                "gap",
                mutation,
                last_seq + 1,
                seq,
                f"缺少{missing}审计记录：本机没有上传就删除了（收到的是第 {seq} 条）。 "
                f"/ Audit entries {last_seq + 1}-{seq - 1} are missing (received {seq}).",
            )
        elif prev != last_hash:
            self._alarm(
                "broken_link",
                mutation,
                last_seq + 1,
                seq,
                f"第 {seq} 条审计记录接的不是总行收到的上一条：之前的记录被改动或顺序被打乱。 "
                f"/ Audit entry {seq} does not follow the entry the server holds.",
            )
        if seq > last_seq:
            self._head = (seq, sent)
            self._moved = True
        return self._told(before)

    def _already_stored(self, row_id: str, sent: str) -> bool:
        audit = SYNCED["audit_log"]
        stored = self.conn.execute(select(audit.c.chain_hash).where(audit.c.id == row_id)).scalar()
        return stored is not None and stored == sent

    def _alarm(
        self,
        kind: str,
        mutation: Mutation,
        expected: int | None,
        received: int | None,
        message: str,
    ) -> None:
        alarm = Alarm(kind, mutation.mutation_id, mutation.row_id, expected, received, message)
        self.alarms.append(alarm)
        self.conn.execute(
            audit_alarm.insert().values(
                id=str(uuid.uuid4()),
                kind=kind,
                device_id=self.principal.device_id,
                user_id=self.principal.user_id,
                username=self.principal.username,
                mutation_id=mutation.mutation_id,
                row_id=mutation.row_id[:36],
                expected_seq=expected,
                received_seq=received,
                message=message,
                created_at=self.now,
            )
        )

    def _told(self, before: int) -> str | None:
        new = self.alarms[before:]
        if not new:
            return None
        reasons = "".join(alarm.message.split(" / ")[0] for alarm in new)
        return (
            f"审计日志完整性校验未通过，已通知总行安全管理员：{reasons}"
            "本条审计记录已按您的账号和总行时间保存。"
        )

    def save(self) -> None:
        """Store the head the push moved to (in the push's transaction)."""
        if not self._moved or self._head is None:
            return
        seq, last = self._head
        values = {"last_seq": seq, "last_hash": last, "updated_at": self.now}
        if self._stored:
            self.conn.execute(
                audit_chain.update()
                .where(audit_chain.c.device_id == self.principal.device_id)
                .values(**values)
            )
        else:
            self.conn.execute(
                audit_chain.insert().values(device_id=self.principal.device_id, **values)
            )
            self._stored = True
        self._moved = False

    def log(self) -> None:
        """One log line per alarm (after the push committed)."""
        for alarm in self.alarms:
            log.warning(
                "audit-integrity alarm %s: device %s, user %s, mutation %s, entry %s: %s",
                alarm.kind,
                self.principal.device_id,
                self.principal.username,
                alarm.mutation_id,
                alarm.row_id,
                alarm.message,
            )


def list_alarms(engine: Engine, *, limit: int = 1000) -> list[Mapping[str, Any]]:
    """The newest ``limit`` audit-integrity alarms, oldest first (one push's in the
    order of its entries)."""
    order = (audit_alarm.c.created_at, audit_alarm.c.device_id, audit_alarm.c.mutation_id)
    with db.read_begin(engine) as conn:
        rows = conn.execute(
            select(audit_alarm).order_by(*(c.desc() for c in order)).limit(limit)
        ).mappings()
        return [dict(row) for row in reversed(list(rows))]
