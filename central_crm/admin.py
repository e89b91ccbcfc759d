"""What the bank's side does to the data: reassignment, catalog, core feed, tombstone
garbage collection.

These are the server-side changes that reach the RMs by pull. Each function runs in
the caller's write transaction (``central_crm.db.write_begin``), takes the counter's
lock first and gives every row it writes a fresh version, like a push does (see
:mod:`central_crm.sync.push`). They are used by the admin endpoints and by the command line.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, exists, false, func, select, true

from central_crm import db
from central_crm.api_models import AssignResponse, CoreFeedRequest, GcResponse, UpsertResponse
from central_crm.auth import utcnow
from central_crm.errors import ApiError
from central_crm.schema import (
    SYNCED,
    applied_mutation,
    assignment,
    device,
    eviction,
    server_metadata,
)
from rm_contract.policy import CUSTOMER_CHILD_TABLES, SYNCED_TABLES
from rm_contract.types import FEN
from rm_contract.vocabulary import VisitStatus
from rm_contract.wire import decode_row

CHUNK = 900  # ids per IN (...) list: below SQLite's old 999-parameter limit


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reversion(conn: Connection, table: Table, ids: Sequence[str], now: datetime) -> int:
    """Give each row of ``ids`` a fresh version (and ``updated_at``); returns how many."""
    if not ids:
        return 0
    first = db.take_seqs(conn, len(ids))
    conn.execute(
        table.update()
        .where(table.c.id == bindparam("b_id"))
        .values(version=bindparam("b_version"), updated_at=now),
        [{"b_id": row_id, "b_version": first + i} for i, row_id in enumerate(ids)],
    )
    return len(ids)


def _rm_name(conn: Connection, rm_id: str) -> str:
    managers = SYNCED["relationship_manager"]
    name = conn.execute(
        select(managers.c.name).where(managers.c.id == rm_id, managers.c.deleted == false())
    ).scalar()
    if name is None:
        raise ApiError(
            422, "unknown_rm", f"客户经理 {rm_id} 不存在。 / No relationship manager {rm_id}."
        )
    return str(name)


# --- reassignment -------------------------------------------------------------------


def assign(conn: Connection, customer_ids: Sequence[str], rm_id: str) -> AssignResponse:
    """Hand customers to ``rm_id``.

    For each customer that changes hands: an eviction for the old RM (its own sequence
    number, before the subtree's), then the customer and every row of its subtree get
    ``owner_rm_id`` = the new RM, its planned visits ``rm_id`` = the new RM too (they
    are the new RM's to do), live rows a fresh version (so the new RM pulls them),
    the groups it belongs to a fresh version (before the subtree's: parents come first
    in sequence order), and the assignment history a new entry.
    """
    db.lock_counter(conn)
    new_name = _rm_name(conn, rm_id)
    customers = SYNCED["customer"]
    found = {
        row.id: row
        for chunk in _chunks(list(dict.fromkeys(customer_ids)))
        for row in conn.execute(
            select(customers.c.id, customers.c.name, customers.c.owner_rm_id).where(
                customers.c.id.in_(chunk), customers.c.deleted == false()
            )
        )
    }
    missing = [cid for cid in customer_ids if cid not in found]
    if missing:
        raise ApiError(
            422,
            "unknown_customer",
            f"有 {len(missing)} 个客户不存在或已删除，未做任何移交。 "
            "/ Unknown or deleted customers; nothing was reassigned.",
            missing[:100],
        )
    now = utcnow()
    moved = rows = evictions = 0
    unchanged: list[str] = []
    members = SYNCED["group_membership"]
    group_table = SYNCED["customer_group"]
    groups: dict[str, None] = {}  # re-versioned already (shared by several customers)
    for customer_id in dict.fromkeys(customer_ids):
        customer = found[customer_id]
        old = customer.owner_rm_id
        if old == rm_id:
            unchanged.append(customer_id)
            continue
        seq = db.next_seq(conn)
        if old is not None:
            conn.execute(
                eviction.insert().values(
                    seq=seq,
                    rm_id=old,
                    customer_id=customer_id,
                    new_rm_id=rm_id,
                    message=f"客户 {customer.name} 已移交给 {new_name}",
                )
            )
            evictions += 1
        conn.execute(
            assignment.update()
            .where(assignment.c.customer_id == customer_id, assignment.c.to_seq.is_(None))
            .values(to_seq=seq)
        )
        conn.execute(assignment.insert().values(customer_id=customer_id, rm_id=rm_id, from_seq=seq))
        conn.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(owner_rm_id=rm_id, rm_id=rm_id)
        )
        rows += _reversion(conn, customers, [customer_id], now)
        # The customer's groups get their versions before its subtree does: a pull
        # page may be cut between any two versions, and a membership that arrived
        # before its group would break the device's foreign key, on every retry.
        group_ids = [
            gid
            for gid in conn.execute(
                select(members.c.group_id)
                .join(group_table, group_table.c.id == members.c.group_id)
                .where(
                    members.c.customer_id == customer_id,
                    members.c.deleted == false(),
                    group_table.c.deleted == false(),
                )
                .distinct()
            ).scalars()
            if gid not in groups
        ]
        groups.update(dict.fromkeys(group_ids))
        rows += _reversion(conn, group_table, sorted(group_ids), now)
        for child in CUSTOMER_CHILD_TABLES:
            table = SYNCED[child]
            # Tombstones change owner too (scope stays right), but only live rows
            # travel: the new RM never had the deleted ones.
            live = list(
                conn.execute(
                    select(table.c.id).where(
                        table.c.customer_id == customer_id, table.c.deleted == false()
                    )
                ).scalars()
            )
            conn.execute(
                table.update().where(table.c.customer_id == customer_id).values(owner_rm_id=rm_id)
            )
            if child == "visit":
                # A planned visit (past ones not written up too) is the new RM's to do:
                # calendars, Today and the iCalendar export list a visit by its RM.
                # Done and cancelled visits keep the RM who ran them, as history.
                conn.execute(
                    table.update()
                    .where(
                        table.c.customer_id == customer_id,
                        table.c.status == VisitStatus.PLANNED,
                        table.c.deleted == false(),
                    )
                    .values(rm_id=rm_id)
                )
            rows += _reversion(conn, table, live, now)
        moved += 1
    return AssignResponse(moved=moved, rows=rows, evictions=evictions, unchanged=unchanged)


# --- catalog ------------------------------------------------------------------------


_CATALOG_KINDS: dict[str, tuple[str, str]] = {
    "product": ("产品", "Product"),
    "bundle_template": ("套餐模板", "Bundle template"),
}


def _bad_row(table: str, index: int, problem: str) -> ApiError:
    zh, en = _CATALOG_KINDS[table]
    return ApiError(
        422,
        f"invalid_{table}",
        f"第 {index + 1} 个{zh}数据不正确：{problem}。未做任何修改。 "
        f"/ {en} #{index + 1} is invalid: {problem}; nothing was changed.",
    )


def upsert_catalog(
    conn: Connection,
    products: Sequence[dict[str, Any]],
    bundles: Sequence[dict[str, Any]] = (),
) -> UpsertResponse:
    """Insert or update products and bundle templates by ``code`` (wire-encoded rows);
    changed rows get a fresh version and reach every RM by pull. All or nothing: one
    bad row refuses the whole request."""
    db.lock_counter(conn)
    batches = [
        ("product", _decode_catalog("product", products)),
        ("bundle_template", _decode_catalog("bundle_template", bundles)),
    ]
    result = UpsertResponse()
    now = utcnow()
    for name, decoded in batches:
        table = SYNCED[name]
        for row in decoded:
            current = conn.execute(select(table).where(table.c.code == row["code"])).first()
            if current is None:
                row.setdefault("id", str(uuid.uuid4()))
                conn.execute(
                    table.insert().values(
                        **row,
                        version=db.next_seq(conn),
                        deleted=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
                result.inserted += 1
                continue
            existing = current._mapping
            changes = {k: v for k, v in row.items() if k != "id" and existing[k] != v}
            if existing["deleted"]:
                changes["deleted"] = False
            if not changes:
                result.unchanged += 1
                continue
            conn.execute(
                table.update()
                .where(table.c.id == existing["id"])
                .values(**changes, version=db.next_seq(conn), updated_at=now)
            )
            result.updated += 1
    return result


def _decode_catalog(table: str, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    decoded: list[dict[str, Any]] = []
    for index, raw in enumerate(rows):
        try:
            row = decode_row(table, raw)
        except KeyError as exc:
            raise _bad_row(table, index, f"未知字段 {exc.args[0]}") from exc
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise _bad_row(table, index, f"字段格式不对（{exc}）") from exc
        if not isinstance(row.get("code"), str) or not row["code"]:
            raise _bad_row(table, index, "缺少代码 code")
        if table == "bundle_template":
            _check_pricing(index, row.get("tier_pricing"))
        for column in ("version", "deleted", "created_at", "updated_at"):
            row.pop(column, None)
        decoded.append(row)
    return decoded


def _check_pricing(index: int, text: Any) -> None:
    """``tier_pricing`` is a JSON object {tier name: {"rate_bonus", "fee_discount"}}
    of decimal strings; anything else is refused rather than stored."""
    if text is None:
        return
    try:
        pricing = json.loads(text) if isinstance(text, str) else None
        if not isinstance(pricing, dict):
            raise ValueError("not an object")
        for terms in pricing.values():
            if not isinstance(terms, dict) or set(terms) - {"rate_bonus", "fee_discount"}:
                raise ValueError("unknown terms")
            for value in terms.values():
                Decimal(str(value))
    except (ValueError, ArithmeticError) as exc:
        raise _bad_row(
            "bundle_template", index, f"tier_pricing 应为按客户等级的定价 JSON（{exc}）"
        ) from exc


# --- core-banking feed --------------------------------------------------------------


def _lookup(conn: Connection, table: Table, key: str, values: Iterable[str]) -> dict[str, Any]:
    wanted = list(dict.fromkeys(values))
    found: dict[str, Any] = {}
    for chunk in _chunks(wanted):
        for row in conn.execute(
            select(table).where(table.c[key].in_(chunk), table.c.deleted == false())
        ):
            found[row._mapping[key]] = row._mapping
    return found


def core_feed(conn: Connection, feed: CoreFeedRequest) -> UpsertResponse:
    """Apply balances, maturities and tiers from core banking. All changes of one row
    are written once, with one fresh version; unchanged rows keep theirs."""
    db.lock_counter(conn)
    accounts = SYNCED["account"]
    customers = SYNCED["customer"]
    result = UpsertResponse()
    pending: dict[tuple[str, str], dict[str, Any]] = {}
    known_accounts = _lookup(
        conn,
        accounts,
        "account_no",
        [b.account_no for b in feed.balances] + [m.account_no for m in feed.maturities],
    )
    known_customers = _lookup(conn, customers, "customer_no", [t.customer_no for t in feed.tiers])

    def stage(table: str, row: Any, column: str, value: Any) -> None:
        if row[column] != value:
            pending.setdefault((table, row["id"]), {})[column] = value

    for balance in feed.balances:
        row = known_accounts.get(balance.account_no)
        if row is None:
            result.not_found.append(balance.account_no)
            continue
        stage("account", row, "balance", balance.balance.quantize(FEN))
    for maturity in feed.maturities:
        row = known_accounts.get(maturity.account_no)
        if row is None:
            result.not_found.append(maturity.account_no)
            continue
        stage("account", row, "matures_on", maturity.matures_on)
    for tier in feed.tiers:
        row = known_customers.get(tier.customer_no)
        if row is None:
            result.not_found.append(tier.customer_no)
            continue
        for column in ("tier", "aum", "contribution"):
            value = getattr(tier, column)
            if isinstance(value, Decimal):
                value = value.quantize(FEN)
            if value is not None or column == "tier":
                stage("customer", row, column, value)
    now = utcnow()
    for (table_name, row_id), changes in pending.items():
        table = SYNCED[table_name]
        conn.execute(
            table.update()
            .where(table.c.id == row_id)
            .values(**changes, version=db.next_seq(conn), updated_at=now)
        )
    result.updated = len(pending)
    result.unchanged = (
        len(feed.balances) + len(feed.maturities) + len(feed.tiers) - len(result.not_found)
    )
    result.unchanged = max(0, result.unchanged - result.updated)
    return result


# --- tombstone garbage collection ----------------------------------------------------


def _referenced(table: Table) -> list[Any]:
    """NOT EXISTS clauses: no row of any table still points at this table's row."""
    clauses = []
    for other in server_metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table:
                clauses.append(~exists(select(fk.parent).where(fk.parent == fk.column)))
    return clauses


ANSWER_RETENTION = timedelta(days=90)


def gc(
    conn: Connection, before_seq: int | None, *, keep_answers: timedelta = ANSWER_RETENTION
) -> GcResponse:
    """Purge tombstones with ``version < before_seq`` and raise the horizon.

    The horizon is the highest sequence number whose tombstones may be gone
    (``before_seq - 1``): a device whose cursor is below it may have missed a purged
    tombstone, and hello tells it to push its outbox and re-bootstrap. Without
    ``before_seq``, everything every device has already pulled is purged (the oldest
    cursor of the devices that have synced), so no device has to re-bootstrap. A
    tombstone another row still refers to is kept.

    The answers stored for pushed mutations (``applied_mutation``) are kept for
    ``keep_answers``: a device that replays an older push is still safe (its mutation
    ids are not above the device's last applied id, so nothing is applied twice), it
    only gets "already done" instead of the first answer.
    """
    db.lock_counter(conn)
    if before_seq is None:
        oldest = conn.execute(select(func.min(device.c.cursor)).where(device.c.cursor > 0)).scalar()
        before_seq = int(oldest) + 1 if oldest is not None else 0
    before_seq = min(before_seq, db.current_seq(conn) + 1)
    purged: dict[str, int] = {}
    for name in reversed(SYNCED_TABLES):  # children before parents
        table = SYNCED[name]
        result = conn.execute(
            table.delete().where(
                table.c.deleted == true(), table.c.version < before_seq, *_referenced(table)
            )
        )
        purged[name] = int(result.rowcount or 0)
    result = conn.execute(eviction.delete().where(eviction.c.seq < before_seq))
    purged["eviction"] = int(result.rowcount or 0)
    result = conn.execute(
        applied_mutation.delete().where(applied_mutation.c.applied_at < utcnow() - keep_answers)
    )
    purged["applied_mutation"] = int(result.rowcount or 0)
    horizon = max(db.tombstone_horizon(conn), before_seq - 1)
    db.set_state(conn, db.HORIZON_KEY, str(horizon))
    return GcResponse(purged=purged, horizon=horizon)
