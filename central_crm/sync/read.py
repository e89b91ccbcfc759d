"""What a device reads: hello, snapshot pages, pull pages and checksums.

Every read runs in one snapshot (:func:`central_crm.db.read_begin`) and is limited to
the caller's scope (:mod:`central_crm.sync.scope`). Pages are built as JSON by the
database (:mod:`central_crm.rows`) from statements built once per shape: a pull is the
request every device makes at every sync. Hello and pull also record how far the
device got (its cursor), which tombstone garbage collection waits for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Integer,
    String,
    Table,
    bindparam,
    case,
    false,
    func,
    literal_column,
    select,
    union_all,
)

from central_crm import db
from central_crm.auth import Principal, authenticate_with, principal_statement, utcnow
from central_crm.errors import ApiError
from central_crm.rows import CODECS
from central_crm.schema import SYNCED, auth_token, device, eviction, server_state, sync_counter
from central_crm.sync.common import check_device, dumps
from central_crm.sync.scope import rm_scope, scoped
from rm_contract.policy import GLOBAL_TABLES, SYNCED_TABLES
from rm_contract.wire import (
    PROTOCOL_VERSION,
    ChecksumResponse,
    HelloRequest,
    HelloResponse,
    row_digest,
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
    check_device(principal, request.device_id)
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
        where.append(rm_scope(table, rm_id) if kind == "rm" else false())
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
        return [rm_scope(table, rm_id)]

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
            rows = conn.execute(scoped(query, table, principal)).all()
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
        parts.append(scoped(query, table, principal))
    with db.read_begin(engine) as conn:
        seq = db.current_seq(conn)
        found = conn.execute(union_all(*parts)).all()
    tables = {str(row[0]): version_digest_of_sums(int(row[1]), row[2:]) for row in found}
    return ChecksumResponse(server_seq=seq, tables=tables)
