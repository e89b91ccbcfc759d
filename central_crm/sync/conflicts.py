"""Conflicts: storing one, listing an RM's, resolving one; and who wrote each field.

A conflict is stored when a push's edit meets a field someone else changed since its
base (:mod:`central_crm.sync.push`), or when "keep mine" meets a value that moved on
since the RM was shown it. It follows its customer: the current owner lists and
settles it, whoever's push made it. Each row's ``written_by`` records who last wrote
each field, so that both sides of a conflict are named.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, false, or_, select, true

from central_crm import db
from central_crm.auth import Principal, utcnow
from central_crm.errors import ApiError
from central_crm.schema import SYNCED, app_user, device, sync_conflict
from central_crm.sync.common import dumps, label
from central_crm.sync.scope import scope_filter
from rm_contract.wire import (
    ConflictDetail,
    ConflictDetailList,
    ConflictInfo,
    ConflictList,
    ResolveResult,
    decode_value,
    encode_value,
    value_problem,
)

# --- who wrote each field -----------------------------------------------------------


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


# --- storing -------------------------------------------------------------------------


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


# --- listing and resolving -----------------------------------------------------------


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
            problem = value_problem(name, column, shown)
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
