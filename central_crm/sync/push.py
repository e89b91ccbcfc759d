"""Applying a push: each mutation in order, merged field by field, answered once.

Transaction rules (see :mod:`central_crm.sync` for all of them):

* Every write of a synced row sets ``version`` to a fresh number of the global
  counter, taken in the writing transaction (:func:`central_crm.db.take_seqs`), one
  number per row written: commit order equals sequence order.
* A push runs in ONE write transaction that first takes the counter's lock
  (:func:`central_crm.db.counter_held`); each mutation runs in its own savepoint, so a
  mutation that breaks a database rule is rolled back alone and answered "rejected".
  The answer of every mutation is stored with it (``applied_mutation``) in the same
  transaction, so a replay returns the first answer and changes nothing.

Whether the caller may write a mutation at all is :mod:`central_crm.sync.scope`'s
question; a field that cannot be merged becomes a conflict
(:mod:`central_crm.sync.conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Engine,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    false,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from central_crm import db
from central_crm.audit import STAMPED, AuditChain, stamp
from central_crm.auth import Principal, authenticate, utcnow
from central_crm.errors import ApiError
from central_crm.rows import CODECS
from central_crm.schema import OWNED_TABLES, SYNCED, applied_mutation, assignment, device
from central_crm.sync.common import Refused, check_device, label
from central_crm.sync.conflicts import author_of, store_conflict, written_by
from central_crm.sync.scope import Access, MutationScope, scope_filter
from rm_contract.policy import (
    APPEND_FIELDS,
    APPEND_ONLY_TABLES,
    CUSTOMER_CHILD_TABLES,
    READ_ONLY_TABLES,
    SERVER_OWNED_FIELDS,
    SYNC_COLUMNS,
    SYNCED_TABLES,
)
from rm_contract.vocabulary import VisitStatus
from rm_contract.wire import (
    ConflictInfo,
    Mutation,
    MutationResult,
    PushRequest,
    PushResponse,
    decode_value,
    encode_value,
    table_of,
    value_problem,
)

# Core-banking figures a new customer (a prospect the RM creates) cannot bring with
# it: they start at these values and only core banking changes them. The other
# server-owned fields (name, ID, number …) are the prospect's initial data.
INSERT_CORE_DEFAULTS: dict[str, dict[str, Any]] = {
    "customer": {
        "aum": Decimal(0),
        "contribution": Decimal(0),
        "tier": None,
        "last_transaction_on": None,
    },
}


# Statements of every push, built once (see central_crm.db).
_DEVICE_PUSHED = (
    device.update()
    .where(device.c.id == bindparam("device_id"))
    .values(last_mutation_id=bindparam("last_id"), last_seen_at=bindparam("now"))
)
_INSERT_APPLIED = applied_mutation.insert()
# The answers stored for a push's mutations, by id and by key: this device's only (a
# key is unique per device; another device's key is just a new key).
_STORED = select(
    literal_column("'stored'", String).label("kind"),
    applied_mutation.c.device_id,
    applied_mutation.c.mutation_id,
    applied_mutation.c.idempotency_key,
    applied_mutation.c.result,
).where(
    applied_mutation.c.device_id == bindparam("device_id"),
    or_(
        applied_mutation.c.mutation_id.in_(bindparam("ids", expanding=True)),
        applied_mutation.c.idempotency_key.in_(bindparam("keys", expanding=True)),
    ),
)
# The same, after the device's last applied mutation id (kind "last").
_PUSH_START = union_all(
    select(
        literal_column("'last'", String).label("kind"),
        device.c.id,
        device.c.last_mutation_id,
        null().label("idempotency_key"),
        null().label("result"),
    ).where(device.c.id == bindparam("device_id")),
    _STORED,
)
_ROW_BY_ID = {
    name: select(table).where(table.c.id == bindparam("row_id")) for name, table in SYNCED.items()
}


# --- push ---------------------------------------------------------------------------


def check_structure(request: PushRequest) -> None:
    """Unknown tables or columns make the whole push a 422: that is a client bug (or a
    client newer than this server), not data the RM can fix, and nothing is applied."""
    problems = []
    for mutation in request.mutations:
        if mutation.table not in SYNCED_TABLES:
            problems.append(
                {"mutation_id": mutation.mutation_id, "problem": f"unknown table {mutation.table}"}
            )
            continue
        columns = table_of(mutation.table).c
        for name in mutation.fields:
            if name not in columns:
                problems.append(
                    {
                        "mutation_id": mutation.mutation_id,
                        "problem": f"unknown column {mutation.table}.{name}",
                    }
                )
    if problems:
        raise ApiError(
            422,
            "unknown_table_or_column",
            "同步数据中有总行系统不认识的数据表或字段，本次上传未执行任何修改。请升级工作台或联系"
            "技术支持。 / The push names tables or columns this server does not know; "
            "nothing was applied.",
            problems,
        )


def _value_problem(table: str, column: str, raw: Any) -> str | None:
    """Why a wire value does not fit the column (None when it does): the rule the
    workbench applies to what this service sends (:func:`rm_contract.wire.value_problem`)."""
    return value_problem(table, column, raw)


def _decode(table: str, column: str, raw: Any) -> Any:
    problem = _value_problem(table, column, raw)
    if problem is not None:
        raise Refused(f"{label(table)}的字段格式不正确：{problem}")
    return decode_value(table, column, raw)


APPEND_SEPARATOR = "\n\n"


def append_merge(theirs: str | None, base: str | None, yours: str | None) -> str | None:
    """Both texts of an append field (a visit's report): theirs, whole, then what
    yours adds, whole.

    What yours adds is what follows the base it was written on (the text this device
    last saw, which every earlier merge kept); a text that does not start with its
    base (edited in the middle) is added whole. Nothing is matched by similarity: two
    notes that begin alike ("客户表示…") or one that another contains ("已电话确认 8日")
    are different notes, and both stay. Only an addition that already ends theirs
    (the same text sent again) adds nothing.
    """
    if yours is None or not yours.strip():
        return theirs
    if theirs is None or not theirs.strip():
        return yours
    extra = (yours[len(base) :] if base and yours.startswith(base) else yours).strip("\n")
    if not extra.strip():
        return theirs
    kept = theirs.rstrip("\n")
    if kept == extra or kept.endswith(APPEND_SEPARATOR + extra):
        return theirs
    return f"{kept}{APPEND_SEPARATOR}{extra}"


@dataclass
class _Outcome:
    version: int | None = None
    conflicts: list[ConflictInfo] = field(default_factory=list)
    rejected_fields: list[str] = field(default_factory=list)
    applied: bool = True
    message: str | None = None


class Pusher:
    """Applies one push (see the module docstring for the transaction rules)."""

    def __init__(self, conn: Connection, principal: Principal) -> None:
        self.conn = conn
        self.principal = principal
        self.now = utcnow()
        self.scope = MutationScope(conn, principal)

    # --- one mutation -----------------------------------------------------------

    def apply(self, mutation: Mutation) -> MutationResult:
        """Apply one mutation inside the caller's savepoint; raises Refused or a
        database error, which the caller turns into a "rejected" answer."""
        name = mutation.table
        table = SYNCED[name]
        if name in READ_ONLY_TABLES:
            raise Refused(f"{label(name)}由总行系统维护，客户经理不能修改。")
        if name in APPEND_ONLY_TABLES and mutation.op != "insert":
            raise Refused(f"{label(name)}一经保存不能修改或删除。")
        found = self.conn.execute(_ROW_BY_ID[name], {"row_id": mutation.row_id}).first()
        current = None if found is None else found._mapping
        if current is None and mutation.op == "delete":
            # Nothing to delete (never arrived, or purged): done, and nothing is written,
            # so there is no scope to check.
            return MutationResult(
                mutation_id=mutation.mutation_id,
                status="applied",
                message=f"该{label(name)}在总行系统中不存在，无需删除。",
            )
        access = self.scope.access(mutation, current)
        if mutation.op == "delete":
            if access.handed_over_to is not None:
                # Deleting what now is another RM's could lose their work: refused,
                # and the message says who to ask.
                raise Refused(
                    f"该客户已移交给 {access.handed_over_to}，删除未执行；"
                    "如需删除请联系新的客户经理。"
                )
            outcome = self._delete(name, table, current)
        elif current is None:
            if mutation.op == "update":
                raise Refused(
                    f"该{label(name)}在总行系统中不存在（可能新建时未成功上传），修改未保存。"
                )
            outcome = self._insert(mutation, table, access)
        elif current["deleted"]:
            raise Refused(f"该{label(name)}已被删除，修改未保存。")
        else:
            outcome = self._update(mutation, table, current, access)
        conflicts = outcome.conflicts
        if not outcome.applied:
            status = "rejected"
        elif access.handed_over_to is not None:
            status = "handed_over"
            if conflicts:
                # The conflicts are the new RM's to settle; the answer to the former
                # RM carries none of the new owner's values.
                fields_text = "、".join(c.field for c in conflicts)
                outcome.message = (
                    f"其中 {fields_text} 与新的客户经理的修改不同，已作为冲突交由其处理。"
                    + (_rejected_message(name, outcome.rejected_fields) or "")
                )
                conflicts = []
        elif conflicts:
            status = "conflict"
        else:
            status = "applied"
        messages = [m for m in (access.message, outcome.message) if m]
        return MutationResult(
            mutation_id=mutation.mutation_id,
            status=status,  # type: ignore[arg-type]
            version=outcome.version,
            conflicts=conflicts,
            rejected_fields=outcome.rejected_fields,
            message="".join(messages) or None,
        )

    def _insert(self, mutation: Mutation, table: Table, access: Access) -> _Outcome:
        name = mutation.table
        values: dict[str, Any] = {}
        rejected: list[str] = []
        core = INSERT_CORE_DEFAULTS.get(name, {})
        for column, change in mutation.fields.items():
            if column in SYNC_COLUMNS or column == "deleted":
                if not (column == "id" and change.new == mutation.row_id):
                    rejected.append(column)
                continue
            value = _decode(name, column, change.new)
            if column in core and value != core[column]:
                rejected.append(column)
                continue
            values[column] = value
        if name in ("customer", "customer_group") and not self.principal.is_admin:
            # The owner of what an RM creates is that RM, whatever the payload says.
            if values.get("rm_id") not in (None, self.principal.rm_id):
                rejected.append("rm_id")
            values["rm_id"] = self.principal.rm_id
        if (
            name == "visit"
            and access.handed_over_to is not None
            and values.get("status", VisitStatus.PLANNED) == VisitStatus.PLANNED
        ):
            # Planned (on the old RM's device, before it learned of the reassignment)
            # for a customer handed over meanwhile: the new RM's to do, as assign() makes
            # the planned visits it moves. One already done or cancelled stays the old
            # RM's, as history.
            values["rm_id"] = access.owner_rm_id
        self.scope.check_references(name, values, access)
        if name == "group_membership" and access.owner_rm_id is not None:
            self._bring_group_into_scope(values.get("group_id"), access.owner_rm_id)
        stamp(name, values, self.principal, self.now)  # who and when: the token's
        seq = db.next_seq(self.conn)
        values.update(
            id=mutation.row_id,
            version=seq,
            deleted=False,
            created_at=self.now,
            updated_at=self.now,
            written_by=written_by(None, self.principal.user_id),
        )
        if name in OWNED_TABLES:
            values["owner_rm_id"] = access.owner_rm_id
        self.conn.execute(table.insert().values(**values))
        if name == "customer" and access.owner_rm_id is not None:
            self.conn.execute(
                assignment.insert().values(
                    customer_id=mutation.row_id, rm_id=access.owner_rm_id, from_seq=seq
                )
            )
        message = _rejected_message(name, rejected)
        return _Outcome(version=seq, rejected_fields=sorted(rejected), message=message)

    def _update(
        self, mutation: Mutation, table: Table, current: RowMapping, access: Access
    ) -> _Outcome:
        """Field-by-field merge. An insert of an id the server already has (a retried
        insert whose answer was lost) comes here too, with no base: equal values are
        no-ops, different ones conflict, so nothing is duplicated or overwritten."""
        name = mutation.table
        has_base = mutation.op == "update"
        owned = SERVER_OWNED_FIELDS.get(name, frozenset())
        append = APPEND_FIELDS.get(name, frozenset())
        changes: dict[str, Any] = {}
        rejected: list[str] = []
        pending_conflicts: list[tuple[str, Any, Any, Any]] = []
        # An insert sent again: the server stamped who and when the first time.
        stamped: frozenset[str] = frozenset() if has_base else STAMPED.get(name, frozenset())
        for column, change in mutation.fields.items():
            if column in SYNC_COLUMNS or column == "deleted":
                if not (column == "id" and change.new == mutation.row_id) and has_base:
                    rejected.append(column)
                continue
            if column in stamped:
                continue
            theirs = current[column]
            new = _decode(name, column, change.new)
            if new == theirs:
                continue  # already so: nothing to do
            if column in owned or (column == "customer_id" and name != "customer"):
                rejected.append(column)
                continue
            if name in APPEND_ONLY_TABLES:
                raise Refused(f"{label(name)}一经保存不能修改，重复上传的内容与已保存的不同。")
            base = _decode(name, column, change.base) if has_base else None
            if has_base and base == theirs:
                changes[column] = new
            elif column in append:
                merged = append_merge(theirs, base, new)
                if merged != theirs:
                    changes[column] = merged
            else:
                pending_conflicts.append((column, base if has_base else None, theirs, new))
        if (
            not changes
            and not pending_conflicts
            and rejected
            and len(rejected) == len(mutation.fields)
        ):
            return _Outcome(
                version=current["version"],
                rejected_fields=sorted(rejected),
                applied=False,
                message=_rejected_message(name, rejected),
            )
        self.scope.check_references(name, changes, access)
        version = current["version"]
        if name == "group_membership" and "group_id" in changes and access.owner_rm_id:
            self._bring_group_into_scope(changes["group_id"], access.owner_rm_id)
        if changes:
            version = db.next_seq(self.conn)
            authors = written_by(current["written_by"], self.principal.user_id, changes)
            self.conn.execute(
                table.update()
                .where(table.c.id == mutation.row_id)
                .values(**changes, version=version, updated_at=self.now, written_by=authors)
            )
        conflicts = [
            self._store_conflict(
                name,
                mutation.row_id,
                access.customer_id,
                *conflict,
                theirs_by=author_of(current["written_by"], conflict[0]),
            )
            for conflict in pending_conflicts
        ]
        message = _rejected_message(name, rejected)
        if conflicts:
            fields_text = "、".join(c.field for c in conflicts)
            message = (message or "") + (
                f"{label(name)}的字段 {fields_text} 在总行已被他人修改，已保留总行的值并记录冲突，"
                "请在“同步冲突”中选择保留哪一个。"
            )
        return _Outcome(
            version=version,
            conflicts=conflicts,
            rejected_fields=sorted(rejected),
            message=message,
        )

    def _store_conflict(
        self,
        table: str,
        row_id: str,
        customer_id: str | None,
        column: str,
        base: Any,
        theirs: Any,
        yours: Any,
        *,
        theirs_by: str | None,
    ) -> ConflictInfo:
        return store_conflict(
            self.conn,
            self.principal,
            table=table,
            row_id=row_id,
            customer_id=customer_id,
            column=column,
            base=encode_value(table, column, base),
            theirs=encode_value(table, column, theirs),
            yours=encode_value(table, column, yours),
            theirs_by=theirs_by,
            now=self.now,
        )

    def _bring_group_into_scope(self, group_id: Any, rm_id: str) -> None:
        """A membership can make a group visible to an RM who never saw it: the group
        gets a fresh version, taken before the membership's, so the RM's next pull
        brings the group, and brings it first (a pull delivers in version order)."""
        if not isinstance(group_id, str):
            return
        members = SYNCED["group_membership"]
        already = self.conn.execute(
            select(members.c.id)
            .where(
                members.c.group_id == group_id,
                members.c.owner_rm_id == rm_id,
                members.c.deleted == false(),
            )
            .limit(1)
        ).first()
        if already is None:
            groups = SYNCED["customer_group"]
            self.conn.execute(
                groups.update()
                .where(groups.c.id == group_id)
                .values(version=db.next_seq(self.conn), updated_at=self.now)
            )

    def _delete(self, name: str, table: Table, current: RowMapping | None) -> _Outcome:
        assert current is not None  # a missing row was answered before the scope check
        if current["deleted"]:
            return _Outcome(version=current["version"])
        row_id = current["id"]
        if name == "need":
            # An opportunity would point at a need nobody can see any more.
            opportunities = SYNCED["opportunity"]
            linked = self.conn.execute(
                select(opportunities.c.opportunity_no, opportunities.c.summary)
                .where(opportunities.c.need_id == row_id, opportunities.c.deleted == false())
                .limit(1)
            ).first()
            if linked is not None:
                raise Refused(
                    f"该需求已关联商机 {linked.opportunity_no}（{linked.summary}），删除未执行；"
                    "请先解除商机与该需求的关联或关闭该需求。"
                )
        version = tombstone(self.conn, name, [row_id], self.now)
        if name == "customer":
            for child in CUSTOMER_CHILD_TABLES:
                t = SYNCED[child]
                ids = self.conn.execute(
                    select(t.c.id).where(t.c.customer_id == row_id, t.c.deleted == false())
                ).scalars()
                tombstone(self.conn, child, list(ids), self.now)
        elif name == "customer_group":
            members = SYNCED["group_membership"]
            ids = self.conn.execute(
                select(members.c.id).where(
                    members.c.group_id == row_id, members.c.deleted == false()
                )
            ).scalars()
            tombstone(self.conn, "group_membership", list(ids), self.now)
        return _Outcome(version=version)


def tombstone(conn: Connection, name: str, ids: list[str], now: datetime) -> int | None:
    """Mark rows deleted, each with its own fresh version; returns the first version."""
    if not ids:
        return None
    table = SYNCED[name]
    first = db.take_seqs(conn, len(ids))
    conn.execute(
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values(version=bindparam("b_version"), deleted=True, updated_at=now),
        [{"b_id": row_id, "b_version": first + i} for i, row_id in enumerate(ids)],
    )
    return first


def _rejected_message(table: str, rejected: list[str]) -> str | None:
    if not rejected:
        return None
    return (
        f"以下字段由总行系统维护或不能修改，修改未保存：{'、'.join(sorted(rejected))}。"
        f"（{label(table)}）"
    )


def _duplicate(stored: str) -> MutationResult:
    first = MutationResult.model_validate_json(stored)
    return first.model_copy(update={"status": "duplicate", "original_status": first.status})


def push(engine: Engine, token: str | None, request: PushRequest) -> PushResponse:
    """Apply a push's mutations in order for the bearer of ``token``; see the module
    docstring for the rules.

    Every writer waits for the counter's lock, so what runs between taking it and
    the commit bounds the pushes per second of the whole service: numbers come from
    memory (:func:`central_crm.db.counter_held`), the device's last mutation and the
    stored answers are one query, the answers are stored in one statement at the end,
    and an update the database cannot refuse (:func:`_unguarded`) runs without a
    savepoint. Should one fail after all, the push starts over with a savepoint for
    every mutation: nothing of the first attempt was committed.
    """
    try:
        return _push(engine, token, request, guard_all=False)
    except _Unguarded:
        return _push(engine, token, request, guard_all=True)


class _Unguarded(Exception):
    """A mutation run without a savepoint failed: its transaction must be abandoned."""


def _push(
    engine: Engine, token: str | None, request: PushRequest, *, guard_all: bool
) -> PushResponse:
    results: list[MutationResult] = []
    with db.write_begin(engine) as conn:
        principal = authenticate(conn, token)
        check_device(principal, request.device_id)
        check_structure(request)
        pusher = Pusher(conn, principal)
        chain = AuditChain(conn, principal, pusher.now)
        applied: list[dict[str, Any]] = []
        with db.counter_held(conn):
            last_id, by_id, by_key = _stored_results(conn, request)
            for mutation in request.mutations:
                stored = by_id.get(mutation.mutation_id) or by_key.get(mutation.idempotency_key)
                if stored is not None:
                    results.append(_duplicate(stored))
                    continue
                if mutation.mutation_id <= last_id:
                    # Older than the newest applied and unknown: a replay of something
                    # whose record is gone (or an out-of-order id). Applying it could
                    # undo newer edits, so it is not applied.
                    results.append(
                        MutationResult(
                            mutation_id=mutation.mutation_id,
                            status="duplicate",
                            message="该修改已处理过（编号不大于本设备已上传的最新编号）。",
                        )
                    )
                    continue
                # Outside the mutation's savepoint: an entry refused still took its
                # place in the device's chain.
                broken = chain.check(mutation) if _is_audit_entry(mutation) else None
                if not guard_all and _unguarded(mutation):
                    try:
                        result = pusher.apply(mutation)
                    except (Refused, StatementError) as exc:
                        raise _Unguarded(mutation.mutation_id) from exc
                else:
                    result = _guarded(conn, pusher, mutation)
                if broken is not None:
                    joined = "".join(m for m in (result.message, broken) if m)
                    result = result.model_copy(update={"message": joined})
                answer = result.model_dump_json()
                applied.append(
                    {
                        "device_id": request.device_id,
                        "mutation_id": mutation.mutation_id,
                        "idempotency_key": mutation.idempotency_key,
                        "result": answer,
                        "applied_at": pusher.now,
                    }
                )
                last_id = mutation.mutation_id
                by_id[mutation.mutation_id] = by_key[mutation.idempotency_key] = answer
                results.append(result)
            if applied:
                conn.execute(_INSERT_APPLIED, applied)
            chain.save()
            conn.execute(
                _DEVICE_PUSHED,
                {"device_id": request.device_id, "last_id": last_id, "now": pusher.now},
            )
        if (request.protocol or 0) >= 3:
            _attach_refused_rows(conn, principal, request, results)
            _attach_stamped_rows(conn, principal, request, results)
    chain.log()
    return PushResponse(results=results)


def _is_audit_entry(mutation: Mutation) -> bool:
    return mutation.table == "audit_log" and mutation.op == "insert"


def _attach_stamped_rows(
    conn: Connection, principal: Principal, request: PushRequest, results: list[MutationResult]
) -> None:
    """Give each audit entry's answer the row as stored, with the who and when the
    server stamped: no pull brings audit rows back to the device."""
    by_id = {m.mutation_id: m for m in request.mutations}
    for index, result in enumerate(results):
        mutation = by_id.get(result.mutation_id)
        if mutation is None or not _is_audit_entry(mutation) or result.row is not None:
            continue
        status = result.original_status if result.status == "duplicate" else result.status
        if status == "applied":
            _attach_row(conn, principal, mutation, results, index)


def _attach_refused_rows(
    conn: Connection, principal: Principal, request: PushRequest, results: list[MutationResult]
) -> None:
    """Give each refusal the row as the server holds it now, in the caller's scope
    (not stored with the answer: a replay gets the row as it is then)."""
    by_id = {m.mutation_id: m for m in request.mutations}
    for index, result in enumerate(results):
        status = result.original_status if result.status == "duplicate" else result.status
        if status != "rejected" and not result.rejected_fields:
            continue
        mutation = by_id.get(result.mutation_id)
        if mutation is None or mutation.table not in SYNCED:
            continue
        _attach_row(conn, principal, mutation, results, index)


def _attach_row(
    conn: Connection,
    principal: Principal,
    mutation: Mutation,
    results: list[MutationResult],
    index: int,
) -> None:
    """Put the mutation's row as the server holds it (in the caller's scope) in its
    answer ``results[index]``."""
    table = SYNCED[mutation.table]
    query = select(table).where(table.c.id == mutation.row_id)
    visible = scope_filter(table, principal)
    if visible is not None:
        query = query.where(visible)
    found = conn.execute(query).first()
    if found is not None:
        row = CODECS[mutation.table].encode([dict(found._mapping)])[0]
        results[index] = results[index].model_copy(update={"row": row})


def _guarded(conn: Connection, pusher: Pusher, mutation: Mutation) -> MutationResult:
    """Apply one mutation in a savepoint: one the database refuses is rolled back
    alone and answered "rejected"."""
    seq = db.current_seq(conn)
    conn.exec_driver_sql(_SAVEPOINT)
    try:
        return pusher.apply(mutation)
    except Refused as exc:
        _roll_back(conn, seq)
        return _rejected(mutation, str(exc))
    except (IntegrityError, DataError) as exc:
        _roll_back(conn, seq)
        return _rejected(mutation, _integrity_message(mutation, exc))
    except StatementError as exc:
        if isinstance(exc, DBAPIError):
            raise  # the database itself failed: 500, nothing is committed
        _roll_back(conn, seq)
        return _rejected(mutation, f"数据格式不正确，未保存：{exc.orig}")


def _unguarded(mutation: Mutation) -> bool:
    """An update the database cannot refuse: every field is in
    :func:`_unguarded_columns` (a rejection Python decides happens before any write)."""
    return mutation.op == "update" and mutation.fields.keys() <= _unguarded_columns(mutation.table)


@cache
def _unguarded_columns(name: str) -> frozenset[str]:
    """Columns of a synced table whose update no database rule can refuse once
    :func:`_decode` accepted the value: nullable, no foreign key, in no unique key,
    and text (length checked), an enum (value checked), a date or a boolean. Numbers
    may overflow their column; the rest have rules."""
    table = SYNCED[name]
    unique = {c.name for index in table.indexes if index.unique for c in index.columns}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
            unique.update(c.name for c in constraint.columns)
    return frozenset(
        c.name
        for c in table.columns
        if c.nullable
        and not c.foreign_keys
        and c.name not in unique
        and c.name not in SYNC_COLUMNS
        and isinstance(c.type, String | Date | Boolean)
    )


# Each mutation's savepoint. One that succeeded is left open, the next nests in it,
# and all end with the transaction: a RELEASE would be one more round trip per
# mutation inside the counter's lock (bench/bench_service_load.py). ROLLBACK TO
# goes back to the newest savepoint of the name: the failed mutation's.
_SAVEPOINT = "SAVEPOINT push_mutation"
_ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO SAVEPOINT push_mutation"


def _roll_back(conn: Connection, seq: int) -> None:
    """Undo one mutation: its savepoint, and the numbers it took since ``seq``."""
    conn.exec_driver_sql(_ROLLBACK_TO_SAVEPOINT)
    db.rewind_seqs(conn, seq)


# Per query at most this many mutations: ids and keys stay under SQLite's oldest
# limit of 999 bound parameters.
_STORED_CHUNK = 400


def _stored_results(
    conn: Connection, request: PushRequest
) -> tuple[int, dict[int, str], dict[str, str]]:
    """The device's last applied mutation id, and the answers already given to this
    push's mutations by mutation id and by idempotency key (this device's only): one
    query per 400 mutations (the first also reads the device)."""
    last_id = 0
    by_id: dict[int, str] = {}
    by_key: dict[str, str] = {}
    mutations = request.mutations
    for start in range(0, max(len(mutations), 1), _STORED_CHUNK):
        chunk = mutations[start : start + _STORED_CHUNK]
        ids = {m.mutation_id for m in chunk}
        keys = {m.idempotency_key for m in chunk}
        params = {"device_id": request.device_id, "ids": list(ids), "keys": list(keys)}
        for kind, _device_id, mutation_id, key, result in conn.execute(
            _PUSH_START if start == 0 else _STORED, params
        ):
            if kind == "last":
                last_id = int(mutation_id or 0)
                continue
            if mutation_id in ids:
                by_id[int(mutation_id)] = result
            if key in keys:
                by_key[key] = result
    return last_id, by_id, by_key


def _rejected(mutation: Mutation, message: str) -> MutationResult:
    return MutationResult(mutation_id=mutation.mutation_id, status="rejected", message=message)


def _integrity_message(mutation: Mutation, exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if "unique" in text or "duplicate" in text:
        reason = "编号与已有记录重复"
    elif "not null" in text or "null value" in text:
        reason = "缺少必填字段"
    elif "foreign key" in text:
        reason = "引用的记录（客户、产品、客户群等）不存在"
    else:
        reason = "数据不符合总行系统的规则"
    return f"{label(mutation.table)}未保存：{reason}。"
