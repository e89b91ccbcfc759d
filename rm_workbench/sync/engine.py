"""The sync engine: hello, push the outbox, bootstrap or pull, prove convergence.

The round's orchestration, push, pull, conflicts and verify are here; the bootstrap
(the full download) is :mod:`rm_workbench.sync.bootstrap`, the state both keep in the
cache :mod:`rm_workbench.sync.base`.

Transaction rules (the guarantees of ARCHITECTURE.md):

* The outbox is pushed in mutation order; an entry is marked sent *before* the
  request and never changes afterwards, and it leaves the outbox only when the server
  acknowledged it (applied, duplicate, conflict, rejected or handed over). A dropped
  connection just means the same entries go again; the server ignores replays.
* A pulled page is applied together with its cursor in one local transaction, with
  foreign keys checked at commit. Fields with unacknowledged local edits are never
  overwritten by a pull.
* A customer reassigned away is evicted (its whole subtree and its search terms) only
  after its pending edits were pushed, so the server can hand them to the new owner.
* The bootstrap (snapshot pages, resumable, staged for a re-bootstrap and swapped in
  in one transaction) is :mod:`rm_workbench.sync.bootstrap`: :class:`SyncEngine`
  builds on its :class:`~rm_workbench.sync.bootstrap.Bootstrap`, and its rules are
  in that module's docstring.
* Nothing a server sends is written before it is checked: sequence numbers within
  ``MAX_SEQ``, a pull's cursor moving forward and every page making progress, every
  value by its column type (``wire.value_problem``; the bulk loader's strict
  converters for snapshot pages), customers in the signed-in RM's scope (``rm_id``),
  and the hello's list of tables. Each sync has a deadline (``sync_timeout``), each
  request one of its own (the client's ``request_timeout``).
* Every transaction goes through the engine's ``writer`` (the UI's one writer lane),
  each request waits outside it: an RM's save waits for one page's transaction at
  most, never for the network. Edits may therefore commit between the sync's
  transactions, and every rule above is checked inside the transaction that depends
  on it (pending fields at each apply, queued edits of an evicted customer at the
  eviction's apply, an entry frozen once marked sent).
* Convergence is proven by per-table checksums (protocol 2's version digest, summed
  by SQL on both sides) after a bootstrap, then every ``verify_every`` or on demand.
  A mismatch only counts once nothing is pending locally and a pull from the same
  cursor brings nothing new (else the server simply moved on: checked again); a
  confirmed mismatch is reported by table and recovered the way a device that fell
  behind is: the next sync pushes the outbox, then bootstraps again.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from rm_contract.labels import field_label, table_label
from rm_contract.policy import CUSTOMER_CHILD_TABLES, SYNC_COLUMNS, SYNCED_TABLES
from rm_contract.wire import (
    MAX_SEQ,
    PROTOCOL_VERSION,
    ChangeItem,
    ConflictDetail,
    ConflictInfo,
    FieldChange,
    HelloRequest,
    Mutation,
    MutationResult,
    PullResponse,
    PushRequest,
    TableChecksum,
    decode_value,
    row_problem,
    value_problem,
    version_digest_of_sums,
    version_mix_sql,
)
from rm_workbench.db.bulk import (
    ColumnValueError,
    Written,
    bulk_upsert,
    insert_columns,
)
from rm_workbench.db.engine import Cache, Writer, run_here
from rm_workbench.db.protect import purge_backups
from rm_workbench.db.search import TABLE as SEARCH_TABLE
from rm_workbench.db.search import index_customers, indexed_state, remove_customers
from rm_workbench.errors import ServerAnswerError
from rm_workbench.models import Base
from rm_workbench.sync.base import (
    CONFLICTS,
    CURSOR,
    OUTBOX,
    REBOOTSTRAP,
    REJECTED,
    _bad_answer,
    _get_state,
    _out_of_scope,
    _set_state,
)
from rm_workbench.sync.bootstrap import BOOT_SEQ, STAGED, STAGING, Bootstrap, ColumnarRows
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.outbox import device_id_of, pending_fields

log = logging.getLogger(__name__)


class ParentNotHere(ServerAnswerError):
    """A pulled row refers to a row the cache does not hold. In a pull that is no error
    yet: the server sends each row once, at its latest version, so a parent changed
    after its child (a customer updated after it was reassigned) comes later in the
    stream than the child."""


# The signed-in user's relationship manager (stored at login): customers the server
# sends must be theirs.
RM_ID = "rm_id"
LAST_SYNC = "last_sync_at"
# When the checksums last proved convergence (or disproved it).
LAST_VERIFY = "last_verify_at"
# "1": the last check could not conclude (the server moved on, edits were pending).
VERIFY_DUE = "verify_due"
# Default interval between two checksum passes when nothing else asks for one.
DEFAULT_VERIFY_EVERY = timedelta(hours=24)
# Default deadline of one sync, seconds: an incremental sync takes seconds; a bootstrap
# of a 5,000-customer book a few minutes on a slow link, and one that runs out of time
# goes on where it stopped at the next sync.
SYNC_TIMEOUT = 15 * 60.0


Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class EditOutcome:
    """One pushed edit the server refused (wholly or some fields) or handed over to
    the customer's new RM: which record and fields, whose, and the server's words."""

    mutation_id: int
    table: str
    row_id: str
    op: str
    fields: tuple[str, ...]
    customer_id: str | None
    customer_name: str | None
    message: str

    def __str__(self) -> str:
        what = table_label(self.table)
        if self.customer_name:
            what = f"客户 {self.customer_name} 的{what}"
        if self.fields:
            what += "（" + "、".join(field_label(f) for f in self.fields) + "）"
        return f"{what}：{self.message}"


@dataclass
class SyncReport:
    """What one sync did, for the status bar, the CLI and the log."""

    pushed: int = 0
    pulled: int = 0
    bootstrapped_rows: int = 0
    conflicts: list[ConflictInfo] = field(default_factory=list)
    # Each edit refused (kept in the rejected-edits list) or handed over, by name.
    rejected: list[EditOutcome] = field(default_factory=list)
    handed_over: list[EditOutcome] = field(default_factory=list)
    # Unresolved conflicts of this RM's customers after the sync (the server's list).
    open_conflicts: int | None = None
    evicted: list[str] = field(default_factory=list)
    cursor: int = 0
    clock_skew_seconds: float = 0.0
    # This sync (re)filled the cache from snapshot pages.
    bootstrapped: bool = False
    # A checksum pass ran; converged: True proven, False disproven (the next sync
    # bootstraps again), None not checked or not conclusive (checked next time).
    verified: bool = False
    converged: bool | None = None
    mismatched_tables: list[str] = field(default_factory=list)
    # What this sync wrote to the cache, for the UI's one "changed" announcement: the
    # tables, and the customers whose rows changed (``all_customers``: any of them, as
    # after a bootstrap or a change to reference data). Empty: nothing the RM sees.
    tables: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    all_customers: bool = False

    def wrote(self, tables: Iterable[str], customer_ids: Iterable[str | None] | None) -> None:
        """Record a write to ``tables`` (of ``customer_ids``; None: of any customer)."""
        self.tables.update(tables)
        if customer_ids is None:
            self.all_customers = True
        else:
            self.customer_ids.update(c for c in customer_ids if c)

    def lines(self) -> list[str]:
        out = [f"上传修改 {self.pushed} 条，下载变更 {self.pulled} 条"]
        if self.bootstrapped_rows:
            out.append(f"初始化下载 {self.bootstrapped_rows} 条记录")
        if self.conflicts:
            out.append(f"有 {len(self.conflicts)} 处修改与他人冲突，请在冲突列表中选择保留哪一方")
        out += [f"已转交：{m}" for m in self.handed_over]
        out += [f"未被接受（已记入“未被接受的修改”，可修改后重新提交）：{m}" for m in self.rejected]
        out += [f"已移出本机：{m}" for m in self.evicted]
        if abs(self.clock_skew_seconds) > 300:
            out.append(f"本机时间与总行相差 {self.clock_skew_seconds:.0f} 秒，请校准时间")
        if self.converged is True:
            out.append("校验一致：本机数据与总行相同")
        elif self.converged is False:
            names = "、".join(table_label(t) for t in self.mismatched_tables)
            out.append(
                f"校验不一致：{names}与总行不同。下次同步时将先上传本机修改，再重新下载全部数据。"
            )
        elif self.verified:
            out.append("校验未完成：同步期间总行数据或本机修改有变化，下次同步时再校验")
        return out


def _conflict_values(conflict: ConflictInfo, customer_id: str | None) -> dict[str, Any]:
    return {
        "conflict_id": conflict.conflict_id,
        "table_name": conflict.table,
        "row_id": conflict.row_id,
        "customer_id": customer_id,
        "field": conflict.field,
        "base": json.dumps(conflict.base, ensure_ascii=False),
        "theirs": json.dumps(conflict.theirs, ensure_ascii=False),
        "yours": json.dumps(conflict.yours, ensure_ascii=False),
    }


def check_conflict(conflict: ConflictInfo) -> None:
    """A conflict the server answered with names a synced table's column, and its three
    values fit that column (as every pulled value must), before anything is written."""
    table, column = conflict.table, conflict.field
    columns = Base.metadata.tables[table].c if table in SYNCED_TABLES else None
    problem = None
    if columns is None or column not in columns or column in SYNC_COLUMNS:
        problem = f"{table}.{column}: 不是可同步的字段 / not a synced field"
    else:
        for raw in (conflict.base, conflict.theirs, conflict.yours):
            problem = problem or value_problem(table, column, raw)
    if problem is not None:
        raise ServerAnswerError(
            f"总行系统发来的冲突记录格式有误（{problem}），本次同步已停止，本机数据未受影响。",
            f"conflict {conflict.conflict_id}: {problem}"[:2000],
        )


def _name(text: str | None) -> str | None:
    """A person's or device's name as the server gives it, at most 100 characters."""
    return None if text is None else text[:100]


def store_conflict(conn: Connection, conflict: ConflictInfo, customer_id: str | None) -> None:
    """Keep a conflict the server answered with (once: a replayed answer repeats it)."""
    values = {**_conflict_values(conflict, customer_id), "received_at": datetime.now(UTC)}
    if isinstance(conflict, ConflictDetail):
        values.update(
            yours_by=_name(conflict.yours_by),
            yours_device=_name(conflict.yours_device),
            theirs_by=_name(conflict.theirs_by),
            created_at=conflict.created_at,
        )
    stmt = sqlite_insert(CONFLICTS).values(**values)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["conflict_id"]))


def _stored_cursor(conn: Connection) -> int | None:
    """The cache's pull cursor (0: none yet), or None when the stored value is no
    sequence number (written by a build that did not check what the server sent)."""
    value = _get_state(conn, CURSOR)
    try:
        cursor = int(value or 0)
    except ValueError:
        return None
    return cursor if 0 <= cursor <= MAX_SEQ else None


def device_id(cache: Cache) -> str:
    """This cache's device id, created once (the server orders its pushes by it)."""
    with cache.engine.begin() as conn:
        return device_id_of(conn)


def delete_customers(conn: Connection, customer_ids: Sequence[str]) -> None:
    """Remove customers with their whole subtree and search terms from the cache."""
    if not customer_ids:
        return
    ids = list(customer_ids)
    remove_customers(conn, ids)
    for name in reversed(SYNCED_TABLES):
        if name in CUSTOMER_CHILD_TABLES:
            table = Base.metadata.tables[name]
            conn.execute(delete(table).where(table.c.customer_id.in_(ids)))
    conn.execute(delete(CONFLICTS).where(CONFLICTS.c.customer_id.in_(ids)))
    customers = Base.metadata.tables["customer"]
    conn.execute(delete(customers).where(customers.c.id.in_(ids)))
    _drop_orphan_groups(conn)


def _purge_synced_audit_rows(conn: Connection, customer_ids: Sequence[str]) -> None:
    """An evicted customer's audit rows that the central CRM has already (no longer in
    the outbox): the central CRM keeps the record; this machine keeps no trace of the
    customer. Rows still queued stay until they are pushed."""
    if not customer_ids:
        return
    audit = Base.metadata.tables["audit_log"]
    queued = select(OUTBOX.c.row_id).where(OUTBOX.c.table_name == "audit_log")
    conn.execute(
        delete(audit).where(
            audit.c.entity_type == "customer",
            audit.c.entity_id.in_(list(customer_ids)),
            audit.c.id.not_in(queued),
        )
    )


def purge_local_traces(cache: Cache) -> None:
    """After an eviction: delete the migration backups (they hold the customer) and
    move the WAL, which holds the deleted rows' old pages, into the main file
    (where ``secure_delete`` zeroed them) and truncate it. Best effort: a reader
    still holding an old snapshot keeps the WAL until the next eviction or close."""
    purge_backups(cache.path)
    with cache.engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    if busy is not None and busy[0]:
        log.warning("cache %s: WAL not truncated after an eviction (readers busy)", cache.path)


# What an eviction deletes (delete_customers, _purge_synced_audit_rows).
EVICTED_TABLES: tuple[str, ...] = (
    "customer",
    *CUSTOMER_CHILD_TABLES,
    "customer_group",
    SEARCH_TABLE,
    "local_conflict",
    "audit_log",
)


def _with_search(tables: Sequence[str]) -> list[str]:
    """A write to customers rewrites their search terms too."""
    return [*tables, SEARCH_TABLE] if "customer" in tables else list(tables)


def _owners(table: str, rows: Sequence[Mapping[str, Any]]) -> list[Any] | None:
    """The customers whose ``rows`` of ``table`` are (None: any: reference data or a
    group, which any customer may show)."""
    if table == "customer":
        return [row.get("id") for row in rows]
    if table not in CUSTOMER_CHILD_TABLES:
        return None
    return [row.get("customer_id") for row in rows]


def _owners_of_ids(conn: Connection, table: str, ids: Sequence[str]) -> list[Any] | None:
    """:func:`_owners` of the rows of ``table`` with ``ids``, as stored (before they go)."""
    if table == "customer":
        return list(ids)
    if table not in CUSTOMER_CHILD_TABLES:
        return None
    target = Base.metadata.tables[table]
    found = conn.execute(select(target.c.customer_id).where(target.c.id.in_(list(ids))))
    return list(found.scalars())


def _drop_orphan_groups(conn: Connection) -> None:
    groups = Base.metadata.tables["customer_group"]
    members = Base.metadata.tables["group_membership"]
    conn.execute(delete(groups).where(groups.c.id.not_in(select(members.c.group_id))))


def _defer_foreign_keys(conn: Connection) -> None:
    """Check foreign keys at commit, not per statement, in ``conn``'s transaction.

    SQLite switches ``defer_foreign_keys`` off whenever a transaction ends, and
    pysqlite begins one only at the first write: set before that, the pragma is gone
    after the next read of a table (a transaction of its own), and a page whose rows
    come before their parent in it failed on every retry. So the transaction is
    begun first."""
    if not getattr(conn.connection.dbapi_connection, "in_transaction", True):
        conn.exec_driver_sql("BEGIN")
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


def _column_groups(table: str, rows: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Rows as sent, grouped by their columns (pending fields may be left out of some),
    less columns this build does not know (a newer server): those are left out, not
    fatal. Column sets are checked once per group, not once per row."""
    by_keys: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        keys = tuple(row)
        group = by_keys.get(keys)
        if group is None:
            by_keys[keys] = [row]
        else:
            group.append(row)
    columns = Base.metadata.tables[table].c
    groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
    for keys, group in by_keys.items():
        known = frozenset(k for k in keys if k in columns)
        if len(known) < len(keys):
            group = [{k: v for k, v in row.items() if k in known} for row in group]
        if known in groups:
            groups[known].extend(group)  # same columns in another order
        else:
            groups[known] = group
    return list(groups.values())


def _mappings(written: Written) -> list[dict[str, Any]]:
    return [dict(zip(written.columns, row, strict=True)) for row in written.rows]


def _raise_page_error(table: str, exc: Exception) -> None:
    if isinstance(exc, ColumnValueError):
        raise _bad_data(table, f"{exc.column}: {exc.reason}", repr(exc)) from exc
    orphan = isinstance(exc, IntegrityError) and "FOREIGN KEY" in str(exc)
    raise (ParentNotHere if orphan else ServerAnswerError)(
        "总行系统发来的数据不完整或格式有误，本页未写入，本机数据未受影响。",
        f"{table}: {exc!r}"[:2000],
    ) from exc


def _bad_data(table: str, problem: str, details: str = "") -> ServerAnswerError:
    """A server's row with a value its column does not accept: which table and field."""
    label = table_label(table) if table in Base.metadata.tables else "未知数据表"
    return ServerAnswerError(
        f"总行系统发来的{label}数据有误（字段 {problem:.160}），本次同步已停止，"
        "未写入任何数据，本机数据未受影响。请联系技术支持检查总行系统。",
        f"{table}: {details or problem}"[:2000],
    )


class SyncEngine(Bootstrap):
    """Runs syncs of one cache with one central CRM; one sync at a time. The
    bootstrap and its knobs (``SNAPSHOT_LIMIT``, ``READ_AHEAD`` …) are inherited from
    :class:`~rm_workbench.sync.bootstrap.Bootstrap`."""

    PUSH_BATCH = 200
    PULL_LIMIT = 1000

    # Checksum passes a sync makes at most before it calls the comparison
    # inconclusive (each one after pulling what the server wrote meanwhile).
    VERIFY_ATTEMPTS = 3

    def __init__(
        self,
        cache: Cache,
        client: SyncClient,
        *,
        progress: Progress | None = None,
        verify_every: timedelta | None = DEFAULT_VERIFY_EVERY,
        rm_id: str | None = None,
        sync_timeout: float = SYNC_TIMEOUT,
        writer: Writer = run_here,
    ):
        """``verify_every``: how often ``run()`` compares checksums when not told
        (also after every bootstrap, and after a check that could not conclude);
        None: only then, ``timedelta(0)``: at every sync.

        ``rm_id``: the signed-in user's relationship manager (from the login): a
        customer the server sends with another RM or none is refused, nothing of its
        page written. None (an admin, or not known): no such check.

        ``sync_timeout``: seconds one ``run()`` may take (15 minutes): no request of it
        starts or runs past the deadline (the client's ``deadline``). A bootstrap cut
        short goes on from its last page at the next sync. Both are attributes of the
        same names.

        ``writer``: how each transaction runs (:data:`~rm_workbench.services.changes.Writer`):
        the UI hands them to its writer lane, while this engine waits for the network
        on a thread of its own."""
        self.cache = cache
        self.client = client
        self.progress = progress or (lambda _stage, _done, _total: None)
        self.verify_every = verify_every
        self.rm_id = rm_id
        self.sync_timeout = sync_timeout
        self.writer = writer
        self.device_id: str = writer(lambda: device_id(cache))

    # --- the whole cycle -------------------------------------------------------

    def run(self, *, verify: bool | None = None) -> SyncReport:
        """One sync: hello, push, bootstrap (if the server or an unfinished or
        disproven cache asks for it), pull, then the checksum pass if ``verify`` is
        True, or, when it is None, if :meth:`verify_due` says so. Within
        ``sync_timeout``: past it, the request under way and the sync stop."""
        previous = getattr(self.client, "deadline", None)
        self.client.deadline = time.monotonic() + self.sync_timeout
        try:
            return self._run(verify=verify)
        finally:
            self.client.deadline = previous

    def _run(self, *, verify: bool | None) -> SyncReport:
        report = SyncReport()
        with self.cache.engine.connect() as conn:
            cursor = _stored_cursor(conn)
            booting = _get_state(conn, BOOT_SEQ) is not None
            # A confirmed mismatch: bootstrap again, the way a device that fell
            # behind the tombstone horizon does (cursor 0: the server says so).
            again = _get_state(conn, REBOOTSTRAP) is not None
        if cursor is None:
            # Stored by a build that took any number from the server: start afresh, as
            # a device that holds nothing does (the server then asks for a bootstrap).
            log.warning("the stored cursor is no sequence number: asking for a bootstrap")
        hello = self.client.hello(
            HelloRequest(
                protocol_version=PROTOCOL_VERSION,
                device_id=self.device_id,
                cursor=0 if booting or again or cursor is None else cursor,
                client_time=datetime.now(UTC),
            )
        )
        report.clock_skew_seconds = hello.clock_skew_seconds
        self.push(report)
        if hello.must_bootstrap or booting:
            self.bootstrap(hello, report)
        self.pull(report)
        self.refresh_conflicts(report)
        if verify or (verify is None and self.verify_due(report)):
            self.verify(report)

        def finish() -> int:
            with self.cache.engine.begin() as conn:
                _set_state(conn, LAST_SYNC, datetime.now(UTC).isoformat())
                return int(_get_state(conn, CURSOR) or 0)

        report.cursor = self.writer(finish)
        return report

    # --- push ------------------------------------------------------------------

    def push(self, report: SyncReport) -> None:
        """Push the whole outbox, in order, in batches."""
        total = self._outbox_size()
        done = 0
        while True:
            entries = self.writer(self._mark_sent)
            if not entries:
                return
            mutations = [
                Mutation(
                    mutation_id=e.mutation_id,
                    idempotency_key=e.idempotency_key,
                    table=e.table_name,
                    row_id=e.row_id,
                    op=e.op,
                    fields={k: FieldChange(**v) for k, v in json.loads(e.fields).items()},
                )
                for e in entries
            ]
            answer = self.client.push(
                PushRequest(
                    device_id=self.device_id, mutations=mutations, protocol=PROTOCOL_VERSION
                )
            )
            by_id = {e.mutation_id: e for e in entries}
            acknowledged = [r for r in answer.results if r.mutation_id in by_id]
            if not acknowledged:
                raise ServerAnswerError(
                    "总行系统没有确认任何上传的修改，本次同步已停止；修改仍保留在本机。",
                    f"push of {len(entries)} mutations answered {answer.results!r:.300}",
                )

            def acknowledge(
                acknowledged: list[MutationResult] = acknowledged, by_id: dict[int, Any] = by_id
            ) -> None:
                with self.cache.engine.begin() as conn:
                    _defer_foreign_keys(conn)
                    for result in acknowledged:
                        self._acknowledge(conn, by_id[result.mutation_id], result, report)

            self.writer(acknowledge)
            report.pushed += len(acknowledged)
            done += len(acknowledged)
            self.progress("push", done, total)

    def _mark_sent(self) -> list[Any]:
        """The next batch of the outbox, marked sent: from now on those entries are
        frozen (an edit made meanwhile gets an entry of its own)."""
        with self.cache.engine.begin() as conn:
            entries = list(
                conn.execute(
                    select(OUTBOX).order_by(OUTBOX.c.mutation_id).limit(self.PUSH_BATCH)
                ).all()
            )
            if entries:
                conn.execute(
                    update(OUTBOX)
                    .where(
                        OUTBOX.c.mutation_id.in_([e.mutation_id for e in entries]),
                        OUTBOX.c.sent_at.is_(None),
                    )
                    .values(sent_at=datetime.now(UTC))
                )
            return entries

    def _acknowledge(
        self, conn: Connection, entry: Any, result: MutationResult, report: SyncReport
    ) -> None:
        """Take one answered mutation out of the outbox, in the transaction that records
        what became of it: its conflicts (unless handed over: those are the new RM's),
        a refusal in the rejected-edits list, and the server's current row when it
        refused something (so the cache shows what the server holds, not the refused
        value; the RM's value is in the list) or stamped it (an audit row's who and
        when)."""
        conn.execute(delete(OUTBOX).where(OUTBOX.c.mutation_id == entry.mutation_id))
        report.wrote([OUTBOX.name], [entry.customer_id])
        status = result.status
        if status == "duplicate" and result.original_status is not None:
            status = result.original_status
        for conflict in result.conflicts:
            check_conflict(conflict)
            report.conflicts.append(conflict)
            if status != "handed_over":
                self._store_conflict(conn, conflict, entry.customer_id)
                self._show_theirs(conn, conflict)
                report.wrote([CONFLICTS.name, conflict.table], [entry.customer_id])
        fields: dict[str, Any] = json.loads(entry.fields)
        refused = status == "rejected" or bool(result.rejected_fields)
        if status == "handed_over":
            report.handed_over.append(self._outcome(conn, entry, result, tuple(fields)))
        if not refused:
            if result.row is not None and entry.table_name in SYNCED_TABLES:
                # What the server stamped (who and when of an audit row, which no
                # pull brings back): the cache shows what the server stored.
                item = ChangeItem(seq=0, kind="row", table=entry.table_name, row=result.row)
                self._apply_page(conn, [item], report)
            if entry.table_name == "audit_log" and result.message:
                log.warning("audit entry %s: %s", entry.row_id, result.message)
            return
        if status != "rejected":
            fields = {k: v for k, v in fields.items() if k in result.rejected_fields}
        outcome = self._outcome(conn, entry, result, tuple(fields))
        report.rejected.append(outcome)
        report.wrote([REJECTED.name], [entry.customer_id])
        conn.execute(
            insert(REJECTED).values(
                mutation_id=entry.mutation_id,
                table_name=entry.table_name,
                row_id=entry.row_id,
                customer_id=entry.customer_id,
                op=entry.op,
                fields=json.dumps(fields, ensure_ascii=False),
                reason=outcome.message,
                rejected_at=datetime.now(UTC),
            )
        )
        if result.row is not None and entry.table_name in SYNCED_TABLES:
            item = ChangeItem(seq=0, kind="row", table=entry.table_name, row=result.row)
            self._apply_page(conn, [item], report)

    @staticmethod
    def _outcome(
        conn: Connection, entry: Any, result: MutationResult, fields: tuple[str, ...]
    ) -> EditOutcome:
        name = None
        if entry.customer_id is not None:
            customers = Base.metadata.tables["customer"]
            name = conn.execute(
                select(customers.c.name).where(customers.c.id == entry.customer_id)
            ).scalar()
        message = result.message or (
            "总行系统未接受该修改。" if result.status != "handed_over" else "已转交新的客户经理。"
        )
        return EditOutcome(
            mutation_id=entry.mutation_id,
            table=entry.table_name,
            row_id=entry.row_id,
            op=entry.op,
            fields=fields,
            customer_id=entry.customer_id,
            customer_name=name,
            message=message,
        )

    def refresh_conflicts(self, report: SyncReport) -> None:
        """Replace the cache's conflicts by the server's list: the unresolved conflicts
        of the customers this RM owns now, whoever's push made them (a customer that
        comes back brings its conflicts back; an edit handed over from its old RM's
        device and in conflict here shows up), with who made each side."""
        listed = self.client.conflicts().conflicts
        for conflict in listed:
            check_conflict(conflict)
        now = datetime.now(UTC)

        def replace() -> None:
            with self.cache.engine.begin() as conn:
                before = {
                    row["conflict_id"]: dict(row)
                    for row in conn.execute(select(CONFLICTS)).mappings()
                }
                conn.execute(delete(CONFLICTS))
                rows = [
                    {
                        **_conflict_values(conflict, conflict.customer_id),
                        "received_at": (
                            before[conflict.conflict_id]["received_at"]
                            if conflict.conflict_id in before
                            else now
                        ),
                        "yours_by": _name(conflict.yours_by),
                        "yours_device": _name(conflict.yours_device),
                        "theirs_by": _name(conflict.theirs_by),
                        "created_at": conflict.created_at,
                    }
                    for conflict in listed
                ]
                if rows:
                    conn.execute(insert(CONFLICTS), rows)
                after = {
                    row["conflict_id"]: dict(row)
                    for row in conn.execute(select(CONFLICTS)).mappings()
                }
            # Announced only when the list changed (most syncs bring the same list).
            differ = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            if differ:
                found = [before.get(k) or after[k] for k in differ]
                report.wrote([CONFLICTS.name], [row["customer_id"] for row in found])

        self.writer(replace)
        report.open_conflicts = len(listed)

    def _outbox_size(self) -> int:
        with self.cache.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())

    @staticmethod
    def _show_theirs(conn: Connection, conflict: ConflictInfo) -> None:
        """The server kept its value, and with nothing else changed the row kept its
        version: no pull brings theirs back if this cache already pulled that version
        (while the edit was queued, so the field was skipped). Show theirs, as every
        other device does; yours stays in the conflict for the RM to choose. A later
        local edit of the field, still queued, keeps the field as it is."""
        if conflict.table not in SYNCED_TABLES:
            return
        table = Base.metadata.tables[conflict.table]
        mine = pending_fields(conn).get((conflict.table, conflict.row_id), set())
        if conflict.field not in table.c or mine is None or conflict.field in mine:
            return
        value = decode_value(conflict.table, conflict.field, conflict.theirs)
        conn.execute(
            update(table).where(table.c.id == conflict.row_id).values({conflict.field: value})
        )
        if conflict.table == "customer":
            stored = conn.execute(select(table).where(table.c.id == conflict.row_id))
            index_customers(conn, [dict(row) for row in stored.mappings()])

    @staticmethod
    def _store_conflict(conn: Connection, conflict: ConflictInfo, customer_id: str | None) -> None:
        store_conflict(conn, conflict, customer_id)

    # --- writing rows (pull pages; the bootstrap's snapshot pages) ------------

    def _apply_rows(
        self, conn: Connection, table: str, rows: Iterable[Mapping[str, Any]] | ColumnarRows
    ) -> None:
        """Write rows of ``table`` as sent (wire values): mappings (a pull page, a
        protocol 1 snapshot page) or value arrays (protocol 2), which go straight to
        :func:`insert_columns` (one column set, no mapping per row). The loader's
        strict conversion refuses any value its column does not accept (naming the
        table and field)."""
        if isinstance(rows, ColumnarRows):
            try:
                staged = rows.schema == STAGING
                target = STAGED[table] if staged else Base.metadata.tables[table]
                written = insert_columns(conn, target, rows.columns, rows.arrays)
                if table == "customer" and not staged:
                    # What was bound is what is stored: no need to read the rows back.
                    index_customers(conn, _mappings(written), new=written.new)
            except (ValueError, TypeError, LookupError, ArithmeticError, IntegrityError) as exc:
                _raise_page_error(table, exc)
            return
        try:
            target = Base.metadata.tables[table]
            groups = _column_groups(table, rows)
            ids = [row["id"] for group in groups for row in group]
            # What the search index was made from: only what this page changes in it
            # is rewritten (mostly balances, not names: no pinyin to read again).
            before = indexed_state(conn, ids) if table == "customer" else {}
            for group in groups:
                bulk_upsert(conn, target, group, wire=True)
            if table == "customer" and groups:
                # Re-read: a row may have come without its pending (local) fields.
                stored = indexed_state(conn, ids, before=False)
                index_customers(conn, stored.values(), before=before)
        except (ValueError, TypeError, LookupError, ArithmeticError, IntegrityError) as exc:
            _raise_page_error(table, exc)

    # --- pull ------------------------------------------------------------------

    def pull(self, report: SyncReport) -> None:
        """Pull pages until caught up; each page and its cursor in one transaction.
        A page must move forward: its cursor never back, its items after the cursor
        it was asked from and not past its own, and a page with more to come must
        advance the cursor (a server answering "more" without moving stops here, not
        after a thousand requests). Its rows are checked before anything is written
        (:meth:`_apply_page`)."""
        held: list[ChangeItem] = []  # pages held back until a parent arrives (below)
        after = 0
        while True:
            with self.cache.engine.connect() as conn:
                cursor = _stored_cursor(conn) or 0
            start = after if held else cursor
            page = self.client.pull(start, self.PULL_LIMIT)
            self._check_pull_page(start, page)
            items = [*held, *page.items]
            evicted = {i.customer_id for i in items if i.kind == "evict" and i.customer_id}
            if evicted and self._has_pending(evicted):
                # Push first: the server hands these edits to the customer's new RM.
                self.push(report)
                held = []
                continue
            evictions_before = len(report.evicted)

            def apply(
                items: list[ChangeItem] = items,
                page: PullResponse = page,
                evicted: set[str] = evicted,
            ) -> bool:
                with self.cache.engine.begin() as conn:
                    if evicted and self._has_pending(evicted, conn):
                        # Edited since the check above (while this waited for its
                        # turn): push those edits first, then evict.
                        return False
                    self._apply_page(conn, items, report)
                    _set_state(conn, CURSOR, str(page.next_cursor))
                return True

            try:
                if not self.writer(apply):
                    self.push(report)
                    held = []
                    continue
            except (ParentNotHere, IntegrityError) as exc:
                # Foreign keys fail per statement, or at commit once deferred.
                if "FOREIGN KEY" not in str(exc):
                    raise
                if not page.has_more:
                    raise ParentNotHere(
                        "总行系统发来的数据不完整或格式有误，本页未写入，本机数据未受影响。",
                        repr(exc)[:2000],
                    ) from exc
                # A row came before its parent (changed again later): apply this page
                # together with the next one(s), which bring the parent.
                held, after = items, page.next_cursor
                continue
            held = []
            if len(report.evicted) > evictions_before:
                purge_local_traces(self.cache)
            report.pulled += sum(1 for i in items if i.kind == "row")
            self.progress("pull", report.pulled, None)
            if not page.has_more:
                return

    @staticmethod
    def _check_pull_page(start: int, page: PullResponse) -> None:
        where = f"pull from {start}: next_cursor {page.next_cursor}, has_more {page.has_more}"
        if page.next_cursor < start:
            raise _bad_answer("同步位置倒退", where)
        if page.has_more and page.next_cursor == start:
            raise _bad_answer("有后续数据，但同步位置没有前进", where)
        for item in page.items:
            if not start < item.seq <= page.next_cursor:
                raise _bad_answer("变更的序号超出本页的范围", f"{where}: item seq {item.seq}")

    def _has_pending(self, customer_ids: set[str], conn: Connection | None = None) -> bool:
        """Whether edits of these customers are queued (read in ``conn``'s transaction
        when given)."""
        query = select(OUTBOX.c.mutation_id).where(OUTBOX.c.customer_id.in_(customer_ids))
        if conn is not None:
            return conn.execute(query.limit(1)).first() is not None
        with self.cache.engine.connect() as own:
            return own.execute(query.limit(1)).first() is not None

    def _apply_page(
        self, conn: Connection, items: Sequence[ChangeItem], report: SyncReport
    ) -> None:
        """Apply pulled items (rows and evictions) in ``conn``'s transaction, each of
        them checked first: nothing is written if one is wrong."""
        self._check_items(items)
        self._apply_items(conn, items, report)

    def _check_items(self, items: Sequence[ChangeItem]) -> None:
        """Every item is a row of a synced table with a valid id and values its
        columns accept (``wire.row_problem``: ``"deleted"`` a JSON boolean, amounts
        that fit …), or an eviction naming a customer; a customer row is the
        signed-in RM's. Raises ServerAnswerError naming the table and field."""
        for item in items:
            if item.kind == "evict":
                if not isinstance(item.customer_id, str) or not item.customer_id:
                    raise _bad_answer("移出的客户没有编号", repr(item)[:500])
                continue
            if item.table not in SYNCED_TABLES or not isinstance(item.row, dict):
                raise ServerAnswerError(
                    "总行系统返回的变更无法识别，本次同步已停止。", repr(item)[:500]
                )
            problem = row_problem(item.table, item.row)
            if problem is not None:
                raise _bad_data(item.table, problem, f"{problem}: {item.row!r:.500}")
            if item.table == "customer" and self.rm_id is not None:
                owner = item.row.get("rm_id")
                if owner != self.rm_id:
                    raise _out_of_scope(self.rm_id, owner, f"pulled row {item.row.get('id')}")

    def _apply_items(
        self, conn: Connection, items: Sequence[ChangeItem], report: SyncReport
    ) -> None:
        cut = next((i for i, item in enumerate(items) if item.kind == "evict"), None)
        if cut is not None and cut + 1 < len(items):
            # An eviction applies in stream order: a customer reassigned away and back
            # within one page comes back with the rows that follow its eviction (applied
            # last, it would delete them, and they never come again).
            self._apply_items(conn, items[: cut + 1], report)
            self._apply_items(conn, items[cut + 1 :], report)
            return
        # The parts around an eviction are one transaction: a row before the eviction
        # may have its parent after it (changed again later), checked at commit.
        _defer_foreign_keys(conn)
        pending = pending_fields(conn)
        latest: dict[tuple[str, str], Mapping[str, Any]] = {}
        evictions: list[ChangeItem] = []
        for item in items:
            if item.kind == "evict":
                evictions.append(item)
            elif item.table in SYNCED_TABLES and item.row is not None and "id" in item.row:
                key = (item.table, str(item.row["id"]))
                latest.pop(key, None)  # later changes of a row win
                latest[key] = item.row
            else:
                raise ServerAnswerError(
                    "总行系统返回的变更无法识别，本次同步已停止。", repr(item)[:500]
                )
        live: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        gone: dict[str, list[str]] = defaultdict(list)
        for (table, row_id), row in latest.items():
            mine = pending.get((table, row_id), set())
            if mine is None:
                continue  # a local insert or delete not yet acknowledged wins
            if row.get("deleted") is True:
                gone[table].append(row_id)
            elif mine:
                live[table].append({k: v for k, v in row.items() if k not in mine})
            else:
                live[table].append(row)  # nothing pending: the row as sent (not copied)
        for table in SYNCED_TABLES:
            if live[table]:
                self._apply_rows(conn, table, live[table])
                report.wrote(_with_search([table]), _owners(table, live[table]))
        for table in SYNCED_TABLES:
            if gone[table]:
                report.wrote(_with_search([table]), _owners_of_ids(conn, table, gone[table]))
        for table in reversed(SYNCED_TABLES):
            if not gone[table]:
                continue
            if table == "customer":
                delete_customers(conn, gone[table])
                continue
            target = Base.metadata.tables[table]
            if table == "customer_group":
                members = Base.metadata.tables["group_membership"]
                conn.execute(delete(members).where(members.c.group_id.in_(gone[table])))
            conn.execute(delete(target).where(target.c.id.in_(gone[table])))
        if evictions:
            evicted = [e.customer_id for e in evictions if e.customer_id]
            report.wrote(EVICTED_TABLES, evicted)
            delete_customers(conn, evicted)
            _purge_synced_audit_rows(conn, evicted)
            report.evicted += [e.message or str(e.customer_id) for e in evictions]

    # --- convergence -----------------------------------------------------------

    def verify_due(self, report: SyncReport) -> bool:
        """Whether a sync not told otherwise compares checksums: after a bootstrap,
        after a check that did not conclude, and once ``verify_every`` has passed."""
        if report.bootstrapped:
            return True
        with self.cache.engine.connect() as conn:
            if _get_state(conn, VERIFY_DUE) is not None:
                return True
            last = _get_state(conn, LAST_VERIFY)
        if self.verify_every is None:
            return False
        if last is None:
            return True
        try:
            return datetime.now(UTC) - datetime.fromisoformat(last) >= self.verify_every
        except (ValueError, TypeError):  # a damaged value: check, and store a good one
            return True

    def local_checksums(self, tables: Iterable[str]) -> tuple[int, bool, dict[str, TableChecksum]]:
        """The cache's cursor, whether edits are waiting in the outbox, and protocol 2's
        digest of each of ``tables`` (synced tables only), all read in one transaction:
        one aggregate statement, the database summing the per-row terms."""
        names = [name for name in dict.fromkeys(tables) if name in SYNCED_TABLES]
        parts = []
        for name in names:
            terms = ", ".join(f"sum({term})" for term in version_mix_sql("version"))
            parts.append(
                f"SELECT '{name}', count(*), {terms} FROM \"{name}\""
                " WHERE deleted = 0 AND version IS NOT NULL"
            )
        with self.cache.engine.begin() as conn:
            cursor = int(_get_state(conn, CURSOR) or 0)
            pending = conn.execute(select(OUTBOX.c.mutation_id).limit(1)).first() is not None
            found = conn.exec_driver_sql(" UNION ALL ".join(parts)).all() if parts else []
        digests = {str(row[0]): version_digest_of_sums(int(row[1]), row[2:]) for row in found}
        return cursor, pending, digests

    def verify(self, report: SyncReport) -> None:
        """Compare per-table checksums with the server's (protocol 2: computed by SQL on
        both sides). A difference is only a mismatch once it cannot be the server
        moving on: nothing is pending in the outbox, and a pull from the cursor the
        local digests were taken at brings nothing. Otherwise pull and compare again,
        ``VERIFY_ATTEMPTS`` times at most, then leave the check for the next sync.

        A confirmed mismatch is stored with the tables it names (``REBOOTSTRAP``): the
        next sync pushes the outbox and bootstraps again (:meth:`run`)."""
        self.progress("verify", 0, None)
        report.verified = True
        report.converged = None
        report.mismatched_tables = []
        mismatched: list[str] = []
        conclusive = False
        for _attempt in range(self.VERIFY_ATTEMPTS):
            server = self.client.checksums()
            cursor, pending, local = self.local_checksums(server.tables)
            mismatched = [name for name, digest in local.items() if server.tables[name] != digest]
            if not mismatched:
                conclusive = True
                break
            if pending:
                break  # our own unacknowledged edits differ: not a verdict
            before = (report.pulled, len(report.evicted))
            self.pull(report)
            with self.cache.engine.connect() as conn:
                moved = int(_get_state(conn, CURSOR) or 0)
            quiet = (report.pulled, len(report.evicted)) == before
            if quiet and cursor <= server.server_seq <= moved:
                # Nothing in scope changed between our cursor and the server's
                # checksums: the cache as compared is the server's scope at that point.
                conclusive = True
                break
            log.info("checksums differ while the server moves on (%s); again", mismatched)

        def record() -> None:
            with self.cache.engine.begin() as conn:
                if conclusive:
                    _set_state(conn, LAST_VERIFY, datetime.now(UTC).isoformat())
                    _set_state(conn, VERIFY_DUE, None)
                    if mismatched:
                        log.warning(
                            "cache differs from the server in %s: bootstrap again", mismatched
                        )
                        _set_state(conn, REBOOTSTRAP, ",".join(mismatched))
                else:
                    _set_state(conn, VERIFY_DUE, "1")

        self.writer(record)
        if conclusive:
            report.converged = not mismatched
            report.mismatched_tables = mismatched
