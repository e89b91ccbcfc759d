"""The sync protocol's server side: scope, hello, snapshot, pull, checksums, push,
conflicts.

Transaction rules (the guarantees of ARCHITECTURE.md, sync):

* Every write of a synced row sets ``version`` to a fresh number of the global
  counter, taken in the writing transaction (:func:`central_crm.db.take_seqs`), one
  number per row written: commit order equals sequence order and a pull page may be
  cut between any two items.
* A push runs in ONE write transaction that first takes the counter's lock
  (:func:`central_crm.db.counter_held`); each mutation runs in its own savepoint, so a
  mutation that breaks a database rule is rolled back alone and answered "rejected".
  The answer of every mutation is stored with it (``applied_mutation``) in the same
  transaction, so a replay returns the first answer and changes nothing.
* Reads (snapshot, pull, checksums) run in one snapshot (:func:`central_crm.db.read_begin`).

Scope: an RM sees the rows whose ``owner_rm_id`` is theirs, the global tables, and
the groups one of their customers belongs to; an admin sees everything.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Date,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from central_crm import db
from central_crm.audit import STAMPED, AuditChain, stamp
from central_crm.auth import (
    Principal,
    authenticate,
    authenticate_with,
    principal_statement,
    utcnow,
)
from central_crm.errors import ApiError
from central_crm.rows import CODECS
from central_crm.schema import (
    OWNED_TABLES,
    SYNCED,
    app_user,
    applied_mutation,
    assignment,
    auth_token,
    device,
    eviction,
    server_state,
    sync_conflict,
    sync_counter,
)
from rm_contract.labels import table_label
from rm_contract.policy import (
    APPEND_FIELDS,
    APPEND_ONLY_TABLES,
    CUSTOMER_CHILD_TABLES,
    GLOBAL_TABLES,
    READ_ONLY_TABLES,
    SERVER_OWNED_FIELDS,
    SYNC_COLUMNS,
    SYNCED_TABLES,
)
from rm_contract.vocabulary import VisitStatus
from rm_contract.wire import (
    PROTOCOL_VERSION,
    ChecksumResponse,
    ConflictDetail,
    ConflictDetailList,
    ConflictInfo,
    ConflictList,
    HelloRequest,
    HelloResponse,
    Mutation,
    MutationResult,
    PushRequest,
    PushResponse,
    ResolveResult,
    decode_value,
    encode_value,
    row_digest,
    table_of,
    value_problem,
    version_digest_of_sums,
    version_mix_sql,
)

PROTOCOL_MIN = 1
PROTOCOL_MAX = PROTOCOL_VERSION
# What a device downloads and what checksums cover: audit logs only travel upward.
DEVICE_TABLES: tuple[str, ...] = tuple(t for t in SYNCED_TABLES if t != "audit_log")

SNAPSHOT_DEFAULT_LIMIT = 2000
SNAPSHOT_MAX_LIMIT = 10000
PULL_DEFAULT_LIMIT = 1000
PULL_MAX_LIMIT = 5000

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


def label(table: str) -> str:
    return table_label(table)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- scope --------------------------------------------------------------------------


def scope_filter(table: Table, principal: Principal) -> ColumnElement[bool] | None:
    """The WHERE clause limiting ``table`` to the caller's scope (None: everything)."""
    if principal.is_admin or table.name in GLOBAL_TABLES:
        return None
    if principal.rm_id is None:
        return false()
    return _rm_scope(table, principal.rm_id)


def _rm_scope(table: Table, rm_id: Any) -> ColumnElement[bool]:
    """An RM's scope of a table that is not global; ``rm_id`` may be a bind parameter."""
    if table.name in OWNED_TABLES:
        return table.c.owner_rm_id == rm_id
    if table.name == "customer_group":
        members = SYNCED["group_membership"]
        return exists(
            select(members.c.id).where(
                members.c.group_id == table.c.id, members.c.owner_rm_id == rm_id
            )
        )
    raise ValueError(f"no scope rule for {table.name}")


def _scope_list(table: Table, principal: Principal) -> list[ColumnElement[bool]]:
    condition = scope_filter(table, principal)
    return [] if condition is None else [condition]


def _scoped(query: Any, table: Table, principal: Principal) -> Any:
    condition = scope_filter(table, principal)
    return query if condition is None else query.where(condition)


def _rm_name(conn: Connection, rm_id: str | None) -> str:
    if rm_id is None:
        return "（无）"
    managers = SYNCED["relationship_manager"]
    name = conn.execute(select(managers.c.name).where(managers.c.id == rm_id)).scalar()
    return str(name) if name is not None else rm_id


def _record_cursor(engine: Engine, principal: Principal, cursor: int, known: int | None) -> None:
    """Remember how far the device got (garbage collection waits for the slowest);
    ``known``: the cursor recorded so far (read with the caller). Writes only when it
    moved, in one statement of its own."""
    if known is None or known == cursor:
        return
    with db.one_statement(engine, write=True) as conn:
        conn.execute(
            _DEVICE_SEEN,
            {"b_device_id": principal.device_id, "b_cursor": cursor, "b_now": utcnow()},
        )


# Statements of every sync, built once (see central_crm.db).
_SERVER_SEQ = select(sync_counter.c.value).where(sync_counter.c.id == 1).scalar_subquery()
# The cursor recorded for the device of the token being looked up.
_KNOWN_CURSOR = (
    select(device.c.cursor).where(device.c.id == auth_token.c.device_id).scalar_subquery()
)
# The caller and everything a hello reads, in one statement (one snapshot).
_HELLO = principal_statement(
    _SERVER_SEQ.label("server_seq"),
    select(server_state.c.value)
    .where(server_state.c.key == db.HORIZON_KEY)
    .scalar_subquery()
    .label("horizon"),
    _KNOWN_CURSOR.label("known_cursor"),
)
# The caller and where a pull starts, as the first statement of its snapshot.
_PULL_HEAD = principal_statement(
    _SERVER_SEQ.label("server_seq"), _KNOWN_CURSOR.label("known_cursor")
)
_DEVICE_SEEN = (
    device.update()
    .where(device.c.id == bindparam("b_device_id"))
    .values(
        cursor=bindparam("b_cursor"),
        last_seen_at=bindparam("b_now"),
        # Never back: a device cannot take back that it applied a reassignment.
        confirmed_seq=case(
            (device.c.confirmed_seq < bindparam("b_cursor"), bindparam("b_cursor")),
            else_=device.c.confirmed_seq,
        ),
    )
)
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
_CUSTOMER_ACCESS = select(
    SYNCED["customer"].c.id,
    SYNCED["customer"].c.name,
    SYNCED["customer"].c.owner_rm_id,
    SYNCED["customer"].c.deleted,
).where(SYNCED["customer"].c.id == bindparam("customer_id"))
_ROW_BY_ID = {
    name: select(table).where(table.c.id == bindparam("row_id")) for name, table in SYNCED.items()
}
# Whether the RM ever owned the customer.
_OWNED_BEFORE = (
    select(assignment.c.id)
    .where(
        assignment.c.customer_id == bindparam("customer_id"),
        assignment.c.rm_id == bindparam("rm_id"),
    )
    .limit(1)
)
# An ownership of the RM's that ended after the device was registered and after the
# highest cursor it ever pulled from (see Pusher._queued_before_reassignment).
_QUEUED_BEFORE = (
    select(assignment.c.id)
    .select_from(
        assignment.join(
            device,
            and_(
                device.c.id == bindparam("device_id"),
                assignment.c.to_seq > device.c.registered_seq,
                assignment.c.to_seq > device.c.confirmed_seq,
            ),
        )
    )
    .where(
        assignment.c.customer_id == bindparam("customer_id"),
        assignment.c.rm_id == bindparam("rm_id"),
        assignment.c.to_seq.is_not(None),
    )
    .limit(1)
)


def _group_in_scope_statement() -> Any:
    groups = SYNCED["customer_group"]
    members = SYNCED["group_membership"]
    rm_id = bindparam("rm_id", type_=String)
    any_member = exists(select(members.c.id).where(members.c.group_id == groups.c.id))
    return select(groups.c.id).where(
        groups.c.id == bindparam("group_id"),
        or_(_rm_scope(groups, rm_id), and_(groups.c.rm_id == rm_id, ~any_member)),
    )


_GROUP_IN_SCOPE = _group_in_scope_statement()


@cache
def _references(name: str) -> tuple[tuple[str, str], ...]:
    """(column, referred table) of every foreign key of a synced table that does not
    point at a global table: from the metadata, so a new table or column is covered."""
    return tuple(
        sorted(
            (fk.parent.name, fk.column.table.name)
            for fk in SYNCED[name].foreign_keys
            if fk.column.table.name not in GLOBAL_TABLES
        )
    )


# --- hello --------------------------------------------------------------------------


def hello(engine: Engine, token: str | None, request: HelloRequest) -> HelloResponse:
    """The answer to the bearer of ``token``: the caller, the counter, the tombstone
    horizon and the device's recorded cursor are ONE statement; a second one records
    the cursor when it moved."""
    now = utcnow()
    with db.one_statement(engine) as conn:
        principal, row = authenticate_with(conn, token, _HELLO)
    if not PROTOCOL_MIN <= request.protocol_version <= PROTOCOL_MAX:
        raise ApiError(
            426,
            "protocol_unsupported",
            f"客户经理工作台版本过旧（同步协议 {request.protocol_version}），总行系统支持"
            f" {PROTOCOL_MIN}–{PROTOCOL_MAX}。请升级工作台后再同步，本机未同步的修改会保留。 "
            f"/ Protocol {request.protocol_version} is not supported "
            f"(server speaks {PROTOCOL_MIN}-{PROTOCOL_MAX}); please upgrade the workbench.",
            {"protocol_min": PROTOCOL_MIN, "protocol_max": PROTOCOL_MAX},
        )
    _check_device(principal, request.device_id)
    server_seq = int(row.server_seq)
    horizon = 0 if row.horizon is None else int(row.horizon)
    known = None if row.known_cursor is None else int(row.known_cursor)
    reason: str | None = None
    if request.cursor == 0:
        reason = "首次同步：下载客户经理的全部客户数据。 / First sync: full download."
    elif request.cursor < horizon:
        reason = (
            "本机太久没有同步，总行已清理过期的删除记录，需要重新下载全部数据（本机未同步的修改"
            "会先上传）。 / The device is behind the tombstone horizon: re-bootstrap."
        )
    elif request.cursor > server_seq:
        reason = (
            "总行数据已重建，需要重新下载全部数据。 / The server's sequence is behind the "
            "device's cursor (database restored): re-bootstrap."
        )
    if request.cursor > 0:
        _record_cursor(engine, principal, request.cursor, known)
    return HelloResponse(
        protocol_min=PROTOCOL_MIN,
        protocol_max=PROTOCOL_MAX,
        server_time=now,
        clock_skew_seconds=(now - request.client_time).total_seconds(),
        server_seq=server_seq,
        must_bootstrap=reason is not None,
        bootstrap_reason=reason,
        snapshot_seq=server_seq if reason is not None else None,
        tables=list(DEVICE_TABLES),
    )


def _check_device(principal: Principal, device_id: str) -> None:
    if device_id != principal.device_id:
        raise ApiError(
            403,
            "device_mismatch",
            "访问令牌属于另一台设备，请在本机重新登录。 "
            "/ The token was issued to another device; log in on this one.",
        )


# --- snapshot, pull, checksums --------------------------------------------------------


def _check_table(name: str) -> Table:
    if name not in DEVICE_TABLES:
        raise ApiError(
            400,
            "unknown_table",
            f"没有可下载的数据表 {name!r}。 / {name!r} is not a table a device downloads; "
            f"tables: {', '.join(DEVICE_TABLES)}.",
        )
    return SYNCED[name]


def snapshot_body(
    engine: Engine,
    principal: Principal,
    table_name: str,
    after_id: str | None,
    limit: int,
    protocol: int = 1,
) -> bytes:
    """One page of a table's live rows in the caller's scope, in id order, as the JSON
    of a :class:`~rm_contract.wire.SnapshotPage` (protocol 1) or, for
    ``protocol`` 2, a :class:`~rm_contract.wire.ColumnarSnapshotPage` (rows
    built by the database either way: see :mod:`central_crm.rows`)."""
    _check_table(table_name)
    codec = CODECS[table_name]
    columnar = protocol >= 2
    kind = "admin" if principal.is_admin else "rm" if principal.rm_id is not None else "none"
    query = _snapshot_statement(
        engine.dialect.name, table_name, kind, columnar, after_id is not None
    )
    params = {"after_id": after_id, "lim": limit + 1, "rm_id": principal.rm_id}
    with db.read_begin(engine) as conn:
        seq = db.current_seq(conn)
        raw = conn.execute(query, params).all()
    more = len(raw) > limit
    page = raw[:limit]
    next_after_id = page[-1][0] if more and page else None
    rows = ",".join(wire for _, _, wire in page)
    columns = f'"columns":{dumps(list(codec.names))},' if columnar else ""
    return (
        f'{{"table":{dumps(table_name)},"snapshot_seq":{seq},{columns}"rows":[{rows}],'
        f'"next_after_id":{dumps(next_after_id)}}}'
    ).encode()


@cache
def _snapshot_statement(
    dialect: str, table_name: str, kind: str, columnar: bool, resumed: bool
) -> Any:
    """A snapshot page's statement for an ``"admin"``, an ``"rm"`` (scope by
    ``:rm_id``) or a caller who sees nothing (``"none"``), with bind parameters
    ``:lim`` and, when ``resumed``, ``:after_id``. Built once per shape, as the pull's
    are: building and compiling it per page cost the service a few percent of a
    bootstrap."""
    table = SYNCED[table_name]
    where: list[ColumnElement[bool]] = [table.c.deleted == false()]
    if kind != "admin" and table_name not in GLOBAL_TABLES:
        rm_id = bindparam("rm_id", type_=String)
        where.append(_rm_scope(table, rm_id) if kind == "rm" else false())
    if resumed:
        where.append(table.c.id > bindparam("after_id", type_=String))
    codec = CODECS[table_name]
    build = codec.array_page if columnar else codec.page
    return build(dialect, where, table.c.id, bindparam("lim", type_=Integer))


def pull_body(engine: Engine, token: str | None, cursor: int, limit: int) -> bytes:
    """The changes after ``cursor`` in the caller's scope, as the JSON of a
    :class:`~rm_contract.wire.PullResponse`.

    Two passes in one snapshot: first the sequence numbers alone (index-only scans of
    ``(owner_rm_id, version)`` per table, at most ``limit + 1`` each, and the caller's
    evictions, all in ONE statement) to find where the page ends; then the rows up to
    that sequence number, as JSON built by the database. Every item has its own
    sequence number, so any cut is a safe cursor. Only items up to the snapshot's
    ``server_seq`` are read, and when nothing more is pending the cursor advances to
    ``server_seq``. The statements are built once (:func:`_pull_statements`): a pull
    is the request every device makes at every sync; its first statement also finds
    the bearer of ``token`` (the caller).
    """
    items: list[tuple[int, str]] = []
    has_more = False
    with db.read_begin(engine) as conn:
        principal, head = authenticate_with(conn, token, _PULL_HEAD)
        kind = "admin" if principal.is_admin else "rm" if principal.rm_id is not None else "none"
        statements = _pull_statements(engine.dialect.name, kind)
        server_seq = int(head.server_seq)
        known = None if head.known_cursor is None else int(head.known_cursor)
        end = server_seq
        if cursor < server_seq and statements is not None:
            params = {
                "cursor": cursor,
                "seq": server_seq,
                "lim": limit + 1,
                "rm_id": principal.rm_id,
            }
            pending: dict[str, list[int]] = {}
            for source, seq in conn.execute(statements.versions, params):
                pending.setdefault(source, []).append(int(seq))
            seqs = sorted(seq for versions in pending.values() for seq in versions)
            if len(seqs) > limit:
                has_more = True
                end = seqs[limit - 1]
            params.update(end=end, lim=limit)
            for name, versions in pending.items():
                if name == "eviction" or min(versions) > end:
                    continue
                head = f',"kind":"row","table":"{name}","row":'
                items.extend(
                    (seq, f'{{"seq":{seq}{head}{wire}}}')
                    for _, seq, wire in conn.execute(statements.rows[name], params)
                )
            if "eviction" in pending and min(pending["eviction"]) <= end:
                for seq, customer_id, message in conn.execute(statements.evictions, params):
                    item = {
                        "seq": seq,
                        "kind": "evict",
                        "customer_id": customer_id,
                        "message": message,
                    }
                    items.append((seq, dumps(item)))
    items.sort(key=lambda item: item[0])
    next_cursor = end if has_more else max(cursor, server_seq)
    _record_cursor(engine, principal, cursor, known)
    return (
        f'{{"items":[{",".join(text for _, text in items)}],'
        f'"next_cursor":{next_cursor},"has_more":{"true" if has_more else "false"}}}'
    ).encode()


@dataclass(frozen=True)
class _PullStatements:
    versions: Any  # (source, seq) of each table's and the evictions' first items
    rows: dict[str, Any]  # per table: (id, version, wire JSON) up to :end
    evictions: Any  # (seq, customer_id, message) up to :end


@cache
def _pull_statements(dialect: str, kind: str) -> _PullStatements | None:
    """A pull's statements for an ``"admin"`` or an ``"rm"`` (scope by ``:rm_id``),
    with bind parameters ``:cursor``, ``:seq``, ``:end``, ``:lim``; None for a caller
    who sees nothing. Built once: building and caching a dozen SELECTs per request cost
    more than running them."""
    if kind not in ("admin", "rm"):
        return None
    cursor = bindparam("cursor", type_=BigInteger)
    seq = bindparam("seq", type_=BigInteger)
    end = bindparam("end", type_=BigInteger)
    limit = bindparam("lim", type_=Integer)
    rm_id = bindparam("rm_id", type_=String)

    def scope(table: Table) -> list[ColumnElement[bool]]:
        if kind == "admin" or table.name in GLOBAL_TABLES:
            return []
        return [_rm_scope(table, rm_id)]

    parts = []
    rows = {}
    for name in DEVICE_TABLES:
        table = SYNCED[name]
        first = (
            select(table.c.version)
            .where(table.c.version > cursor, table.c.version <= seq, *scope(table))
            .order_by(table.c.version)
            .limit(limit)
            .subquery()
        )
        parts.append(select(literal_column(f"'{name}'", String).label("source"), first.c.version))
        rows[name] = CODECS[name].page(
            dialect,
            [table.c.version > cursor, table.c.version <= end, *scope(table)],
            table.c.version,
            limit,
        )
    evict_where = [eviction.c.seq > cursor, eviction.c.rm_id == rm_id]
    if kind == "rm":
        first = (
            select(eviction.c.seq)
            .where(*evict_where, eviction.c.seq <= seq)
            .order_by(eviction.c.seq)
            .limit(limit)
            .subquery()
        )
        parts.append(select(literal_column("'eviction'", String).label("source"), first.c.seq))
    return _PullStatements(
        versions=union_all(*parts),
        rows=rows,
        evictions=select(eviction.c.seq, eviction.c.customer_id, eviction.c.message)
        .where(*evict_where, eviction.c.seq <= end)
        .order_by(eviction.c.seq),
    )


def checksums(engine: Engine, principal: Principal, protocol: int = 1) -> ChecksumResponse:
    """Per-table count and digest of the caller's live rows, in one snapshot: for
    ``protocol`` 2 :func:`~rm_contract.wire.version_digest`, summed by the
    database in one statement; for protocol 1 ``row_digest`` of every row, in Python."""
    if protocol >= 2:
        return _version_checksums(engine, principal)
    tables = {}
    with db.read_begin(engine) as conn:
        seq = db.current_seq(conn)
        for name in DEVICE_TABLES:
            table = SYNCED[name]
            query = select(table.c.id, table.c.version).where(table.c.deleted == false())
            rows = conn.execute(_scoped(query, table, principal)).all()
            tables[name] = row_digest((row_id, version) for row_id, version in rows)
    return ChecksumResponse(server_seq=seq, tables=tables)


def _version_checksums(engine: Engine, principal: Principal) -> ChecksumResponse:
    parts = []
    for name in DEVICE_TABLES:
        table = SYNCED[name]
        # Qualified: the scope of customer_group has a subquery with its own version.
        terms = version_mix_sql(f"{name}.version")
        query = select(
            literal_column(f"'{name}'", String).label("source"),
            func.count().label("rows"),
            *[func.sum(literal_column(term, BigInteger)) for term in terms],
        ).where(table.c.deleted == false(), table.c.version.is_not(None))
        parts.append(_scoped(query, table, principal))
    with db.read_begin(engine) as conn:
        seq = db.current_seq(conn)
        found = conn.execute(union_all(*parts)).all()
    tables = {str(row[0]): version_digest_of_sums(int(row[1]), row[2:]) for row in found}
    return ChecksumResponse(server_seq=seq, tables=tables)


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


class Refused(Exception):
    """A mutation that cannot be applied: answered "rejected" with this message."""


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


def written_by(stored: str | None, user_id: str, fields: Iterable[str] | None = None) -> str:
    """A row's ``written_by`` after ``user_id`` wrote ``fields`` (None: created it)."""
    try:
        authors = json.loads(stored) if stored else {}
    except ValueError:
        authors = {}
    if not isinstance(authors, dict):
        authors = {}
    if fields is None:
        authors = {"*": user_id}
    else:
        authors.update(dict.fromkeys(fields, user_id))
    return json.dumps(authors, separators=(",", ":"))


def author_of(stored: str | None, column: str) -> str | None:
    """Who last wrote ``column`` of a row (its creator when nobody changed it since;
    None: the bank's systems, or written before authors were recorded)."""
    try:
        authors = json.loads(stored) if stored else {}
    except ValueError:
        return None
    if not isinstance(authors, dict):
        return None
    found = authors.get(column, authors.get("*"))
    return found if isinstance(found, str) else None


def store_conflict(
    conn: Connection,
    principal: Principal,
    *,
    table: str,
    row_id: str,
    customer_id: str | None,
    column: str,
    base: Any,
    theirs: Any,
    yours: Any,
    theirs_by: str | None,
    now: datetime,
) -> ConflictInfo:
    """Store a conflict (wire values) made by ``principal``'s push or resolution."""
    info = ConflictInfo(
        conflict_id=str(uuid.uuid4()),
        table=table,
        row_id=row_id,
        field=column,
        base=base,
        theirs=theirs,
        yours=yours,
    )
    conn.execute(
        sync_conflict.insert().values(
            id=info.conflict_id,
            table_name=table,
            row_id=row_id,
            customer_id=customer_id,
            field=column,
            base=dumps(info.base),
            theirs=dumps(info.theirs),
            yours=dumps(info.yours),
            created_by=principal.user_id,
            device_id=principal.device_id,
            theirs_by=theirs_by,
            created_seq=db.current_seq(conn),
            created_at=now,
            resolved_at=None,
            resolution=None,
        )
    )
    return info


@dataclass
class _Access:
    """Whose row a mutation touches and on what terms."""

    customer_id: str | None
    owner_rm_id: str | None
    handed_over_to: str | None = None  # the new owner's name when handed over
    message: str | None = None


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

    # --- scope of one mutation --------------------------------------------------

    def _customer(self, customer_id: str) -> Any:
        return self.conn.execute(_CUSTOMER_ACCESS, {"customer_id": customer_id}).first()

    def _owned_before(self, customer_id: str) -> bool:
        return (
            self.conn.execute(
                _OWNED_BEFORE, {"customer_id": customer_id, "rm_id": self.principal.rm_id}
            ).first()
            is not None
        )

    def _queued_before_reassignment(self, customer_id: str) -> bool:
        """Whether this device may hold edits of the customer that it queued while its
        RM owned it: an ownership of the RM's ended (at ``to_seq``) after the device
        was registered and after the highest cursor it ever pulled from. Only what
        the server recorded counts (no base, no time the device sends): once the
        device asked for changes past the reassignment it has applied it, so nothing
        it sends later was queued before it."""
        params = {
            "customer_id": customer_id,
            "rm_id": self.principal.rm_id,
            "device_id": self.principal.device_id,
        }
        return self.conn.execute(_QUEUED_BEFORE, params).first() is not None

    def _access(self, mutation: Mutation, current: RowMapping | None) -> _Access:
        name = mutation.table
        principal = self.principal
        if name == "audit_log":
            return _Access(customer_id=None, owner_rm_id=principal.rm_id)
        if name == "customer_group":
            return self._group_access(mutation, current)
        if name == "customer":
            customer_id: str | None = mutation.row_id
        elif current is not None:
            customer_id = current["customer_id"]
        else:
            change = mutation.fields.get("customer_id")
            customer_id = None if change is None else change.new
            if not isinstance(customer_id, str):
                raise Refused(f"新的{label(name)}没有指明所属客户（customer_id）。")
        assert customer_id is not None
        if name == "customer" and current is not None:
            # apply() has just read the customer's own row: no second read.
            customer: Any = SimpleNamespace(
                name=current["name"], owner_rm_id=current["owner_rm_id"], deleted=current["deleted"]
            )
        else:
            customer = self._customer(customer_id)
        if customer is None:
            if name == "customer" and mutation.op == "insert":
                return self._new_customer_access(mutation)
            raise Refused("该客户在总行系统中不存在，修改未保存。")
        owner = customer.owner_rm_id
        if principal.is_admin or (owner is not None and owner == principal.rm_id):
            if customer.deleted and mutation.op != "delete":
                raise Refused(f"客户 {customer.name} 已被删除，修改未保存。")
            return _Access(customer_id=customer_id, owner_rm_id=owner)
        if principal.rm_id is None or not self._owned_before(customer_id):
            raise Refused("该客户不在您的客户名单中，无权修改。")
        # A former owner: only what this device queued before the reassignment is
        # handed over; nothing of the new owner's (not even the customer's name as it
        # is now) goes back in the answer: the workbench names the customer itself.
        new_owner = _rm_name(self.conn, owner)
        if not self._queued_before_reassignment(customer_id):
            raise Refused(
                f"该客户已移交给 {new_owner}，不再在您的客户名单中；"
                "移交之后的修改不能保存，如有需要请联系新的客户经理。"
            )
        if customer.deleted and mutation.op != "delete":
            raise Refused("该客户已被删除，修改未保存。")
        return _Access(
            customer_id=customer_id,
            owner_rm_id=owner,
            handed_over_to=new_owner,
            message=f"该客户已移交给 {new_owner}，您的修改已转交给新的客户经理，不会丢失。",
        )

    def _new_customer_access(self, mutation: Mutation) -> _Access:
        if self.principal.is_admin:
            change = mutation.fields.get("rm_id")
            owner = change.new if change is not None and isinstance(change.new, str) else None
            return _Access(customer_id=mutation.row_id, owner_rm_id=owner)
        if self.principal.rm_id is None:
            raise Refused("您的账号没有关联客户经理，不能新建客户。")
        return _Access(customer_id=mutation.row_id, owner_rm_id=self.principal.rm_id)

    def _group_access(self, mutation: Mutation, current: RowMapping | None) -> _Access:
        if current is None or self.principal.is_admin:
            return _Access(customer_id=None, owner_rm_id=None)
        if self._group_in_scope(mutation.row_id):
            return _Access(customer_id=None, owner_rm_id=None)
        raise Refused("该客户群不在您的客户名单中，无权修改。")

    def _group_in_scope(self, group_id: str) -> bool:
        """A group the caller may write to or add members to: one a customer of theirs
        belongs to (their scope), or one they created and have not filled yet (no
        member rows at all: made on their device, maybe earlier in this push)."""
        if self.principal.rm_id is None:
            return False
        params = {"group_id": group_id, "rm_id": self.principal.rm_id}
        return self.conn.execute(_GROUP_IN_SCOPE, params).first() is not None

    def _check_references(self, name: str, values: dict[str, Any], access: _Access) -> None:
        """Every reference (foreign key) a mutation writes points at a row in the
        caller's scope: a global row (product, branch, RM), a group in scope
        (:meth:`_group_in_scope`), or a row of the book the written row is in; an edit
        handed over to a new RM may point only into its own customer. Refused
        otherwise, with one message whether the row is out of scope or missing."""
        if self.principal.is_admin:
            return
        for column, target in _references(name):
            value = values.get(column)
            if value is None or (target == "customer" and value == access.customer_id):
                continue
            if target == "customer_group":
                if not self._group_in_scope(value):
                    raise Refused(
                        f"所选客户群不在您的客户名单中（或不存在），{label(name)}未保存。"
                    )
                continue
            if not self._reference_in_book(target, value, access):
                raise Refused(
                    f"所引用的{label(target)}不在您的客户名单中（或不存在），{label(name)}未保存。"
                )

    def _reference_in_book(self, target: str, value: Any, access: _Access) -> bool:
        if target not in OWNED_TABLES or access.owner_rm_id is None:
            return False  # a table with no scope rule here: nothing may point at it
        table = SYNCED[target]
        where = [table.c.id == value, table.c.owner_rm_id == access.owner_rm_id]
        if access.handed_over_to is not None:
            customer = table.c.id if target == "customer" else table.c.customer_id
            where.append(customer == access.customer_id)
        return self.conn.execute(select(table.c.id).where(*where)).first() is not None

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
        access = self._access(mutation, current)
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

    def _insert(self, mutation: Mutation, table: Table, access: _Access) -> _Outcome:
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
        self._check_references(name, values, access)
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
        self, mutation: Mutation, table: Table, current: RowMapping, access: _Access
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
        self._check_references(name, changes, access)
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
        _check_device(principal, request.device_id)
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


# --- conflicts ----------------------------------------------------------------------


def _conflict_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.rm_id is None:
        return false()
    customers = SYNCED["customer"]
    groups = SYNCED["customer_group"]
    visible_groups = scope_filter(groups, principal)
    assert visible_groups is not None
    return or_(
        sync_conflict.c.customer_id.in_(
            select(customers.c.id).where(customers.c.owner_rm_id == principal.rm_id)
        ),
        and_(
            sync_conflict.c.customer_id.is_(None),
            sync_conflict.c.table_name == "customer_group",
            sync_conflict.c.row_id.in_(select(groups.c.id).where(visible_groups)),
        ),
    )


def _info(row: Any) -> ConflictInfo:
    return ConflictInfo(
        conflict_id=row.id,
        table=row.table_name,
        row_id=row.row_id,
        field=row.field,
        base=None if row.base is None else json.loads(row.base),
        theirs=None if row.theirs is None else json.loads(row.theirs),
        yours=None if row.yours is None else json.loads(row.yours),
    )


_YOURS_BY = app_user.alias("yours_by")
_THEIRS_BY = app_user.alias("theirs_by")
_CONFLICT_DETAIL = (
    select(
        sync_conflict,
        SYNCED["customer"].c.name.label("customer_name"),
        _YOURS_BY.c.display_name.label("yours_name"),
        _YOURS_BY.c.username.label("yours_username"),
        _THEIRS_BY.c.display_name.label("theirs_name"),
        _THEIRS_BY.c.username.label("theirs_username"),
        device.c.name.label("device_name"),
    )
    .outerjoin(SYNCED["customer"], SYNCED["customer"].c.id == sync_conflict.c.customer_id)
    .outerjoin(_YOURS_BY, _YOURS_BY.c.id == sync_conflict.c.created_by)
    .outerjoin(_THEIRS_BY, _THEIRS_BY.c.id == sync_conflict.c.theirs_by)
    .outerjoin(device, device.c.id == sync_conflict.c.device_id)
)


def _person(name: str | None, username: str | None) -> str | None:
    if name is None:
        return None
    return f"{name}（{username}）" if username and username != name else name


def _detail(row: Any) -> ConflictDetail:
    return ConflictDetail(
        **_info(row).model_dump(),
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        yours_by=_person(row.yours_name, row.yours_username),
        yours_device=row.device_name or None,
        theirs_by=_person(row.theirs_name, row.theirs_username),
        created_at=row.created_at,
    )


def list_conflicts(engine: Engine, principal: Principal, protocol: int = 1) -> ConflictList:
    """The unresolved conflicts of the customers ``principal`` owns now (and of the
    groups in their scope), whoever's push made them: a conflict follows its customer
    to a new RM, and comes back with it. Protocol 3 lists who made each side."""
    with db.read_begin(engine) as conn:
        rows = conn.execute(
            _CONFLICT_DETAIL.where(
                sync_conflict.c.resolved_at.is_(None), _conflict_scope(principal)
            ).order_by(sync_conflict.c.created_seq, sync_conflict.c.id)
        ).all()
    if protocol >= 3:
        return ConflictDetailList(conflicts=[_detail(row) for row in rows])  # type: ignore[return-value]
    return ConflictList(conflicts=[_info(row) for row in rows])


def resolve_conflict(
    engine: Engine,
    principal: Principal,
    conflict_id: str,
    choice: str,
    seen: Any = None,
) -> ResolveResult:
    """Settle one conflict of the caller's scope.

    "theirs" closes it. "mine" is an edit whose base is ``seen``, the server's value
    the RM was shown (None: the conflict's stored theirs, which is what every
    workbench showed): if the field still holds it, yours is written (a new version);
    if it moved on since (another edit came in), nothing is overwritten: a new
    conflict with the current value replaces this one, and the answer carries it.
    Resolving twice answers the first resolution again."""
    now = utcnow()
    with db.write_begin(engine) as conn:
        db.lock_counter(conn)
        row = conn.execute(
            _CONFLICT_DETAIL.where(sync_conflict.c.id == conflict_id, _conflict_scope(principal))
        ).first()
        if row is None:
            raise ApiError(
                404,
                "conflict_not_found",
                "找不到该同步冲突（不存在或不在您的客户名单中）。 "
                "/ No such conflict in your scope.",
            )
        name, column = row.table_name, row.field
        table = SYNCED[name]
        current = conn.execute(
            select(table.c[column], table.c.deleted, table.c.written_by).where(
                table.c.id == row.row_id
            )
        ).first()
        value = None if current is None else encode_value(name, column, current[0])
        answer = ResolveResult(
            conflict_id=row.id,
            resolution=row.resolution or choice,  # type: ignore[arg-type]
            table=name,
            row_id=row.row_id,
            field=column,
            value=value,
        )
        if row.resolved_at is not None:
            if row.replaced_by is not None:
                again = conn.execute(
                    _CONFLICT_DETAIL.where(sync_conflict.c.id == row.replaced_by)
                ).first()
                answer.conflict = None if again is None else _detail(again)
            return answer
        if choice == "mine":
            if current is None or current.deleted:
                raise ApiError(
                    409,
                    "row_deleted",
                    f"该{label(name)}已被删除，无法保留您的修改。 "
                    "/ The row was deleted; your value cannot be applied.",
                )
            shown = seen
            if shown is None and row.theirs is not None:
                shown = json.loads(row.theirs)
            problem = _value_problem(name, column, shown)
            if problem is not None:
                raise ApiError(
                    422,
                    "bad_seen_value",
                    f"所显示的总行值格式不正确：{problem} / The value shown is invalid.",
                )
            raw_yours = None if row.yours is None else json.loads(row.yours)
            yours = decode_value(name, column, raw_yours)
            if current[0] != yours and current[0] != decode_value(name, column, shown):
                # The server moved on since the RM was shown theirs: never overwrite
                # what they have not seen. A new conflict, with the current value.
                info = store_conflict(
                    conn,
                    principal,
                    table=name,
                    row_id=row.row_id,
                    customer_id=row.customer_id,
                    column=column,
                    base=shown,
                    theirs=value,
                    yours=raw_yours,
                    theirs_by=author_of(current.written_by, column),
                    now=now,
                )
                _close_conflict(conn, principal, conflict_id, "moved", now, info.conflict_id)
                created = conn.execute(
                    _CONFLICT_DETAIL.where(sync_conflict.c.id == info.conflict_id)
                ).one()
                answer.resolution = "moved"
                answer.conflict = _detail(created)
                answer.message = (
                    f"{label(name)}的这一项在总行又被修改过（现为 {_shown(value)}），"
                    "您的值没有覆盖它；请在新的冲突中重新选择。"
                )
                return answer
            if current[0] != yours:
                answer.version = db.next_seq(conn)
                conn.execute(
                    table.update()
                    .where(table.c.id == row.row_id)
                    .values(
                        {
                            column: yours,
                            "version": answer.version,
                            "updated_at": now,
                            "written_by": written_by(
                                current.written_by, principal.user_id, [column]
                            ),
                        }
                    )
                )
            answer.value = raw_yours
        _close_conflict(conn, principal, conflict_id, choice, now, None)
        answer.resolution = choice  # type: ignore[assignment]
    return answer


def _close_conflict(
    conn: Connection,
    principal: Principal,
    conflict_id: str,
    resolution: str,
    now: datetime,
    replaced_by: str | None,
) -> None:
    conn.execute(
        sync_conflict.update()
        .where(sync_conflict.c.id == conflict_id)
        .values(
            resolved_at=now,
            resolution=resolution,
            resolved_by=principal.user_id,
            replaced_by=replaced_by,
        )
    )


def _shown(value: Any) -> str:
    return "（空）" if value is None or value == "" else str(value)
