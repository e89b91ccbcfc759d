"""Scope: who sees and who may write what in the central CRM's synced tables.

An RM sees the rows whose ``owner_rm_id`` is theirs, the global tables (products,
branches, RMs), and the groups one of their customers belongs to; an admin sees
everything (:func:`scope_filter`, used by every read). A push's mutation is checked
by :class:`MutationScope`: the customer it belongs to must be the caller's, every
reference it writes must point into their book, and after a reassignment the former
owner's device may still hand over what it queued before it learned of it (the
hand-over rules of ARCHITECTURE.md: only mutations queued before the reassignment,
never anything after).

Apart from the push (:mod:`central_crm.sync.push`) because these rules change when the
bank's idea of a book changes (groups, reassignment), not when the merge does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.engine import RowMapping

from central_crm.auth import Principal
from central_crm.schema import OWNED_TABLES, SYNCED, assignment, device
from central_crm.sync.common import Refused, label
from rm_contract.policy import GLOBAL_TABLES
from rm_contract.wire import Mutation


def scope_filter(table: Table, principal: Principal) -> ColumnElement[bool] | None:
    """The WHERE clause limiting ``table`` to the caller's scope (None: everything)."""
    if principal.is_admin or table.name in GLOBAL_TABLES:
        return None
    if principal.rm_id is None:
        return false()
    return rm_scope(table, principal.rm_id)


def rm_scope(table: Table, rm_id: Any) -> ColumnElement[bool]:
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


def scoped(query: Any, table: Table, principal: Principal) -> Any:
    condition = scope_filter(table, principal)
    return query if condition is None else query.where(condition)


def _rm_name(conn: Connection, rm_id: str | None) -> str:
    if rm_id is None:
        return "（无）"
    managers = SYNCED["relationship_manager"]
    name = conn.execute(select(managers.c.name).where(managers.c.id == rm_id)).scalar()
    return str(name) if name is not None else rm_id


_CUSTOMER_ACCESS = select(
    SYNCED["customer"].c.id,
    SYNCED["customer"].c.name,
    SYNCED["customer"].c.owner_rm_id,
    SYNCED["customer"].c.deleted,
).where(SYNCED["customer"].c.id == bindparam("customer_id"))
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
# highest cursor it ever pulled from (see MutationScope._queued_before_reassignment).
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
        or_(rm_scope(groups, rm_id), and_(groups.c.rm_id == rm_id, ~any_member)),
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


@dataclass
class Access:
    """Whose row a mutation touches and on what terms."""

    customer_id: str | None
    owner_rm_id: str | None
    handed_over_to: str | None = None  # the new owner's name when handed over
    message: str | None = None


class MutationScope:
    """Whether the caller may write one mutation, and on whose behalf: the checks a
    push (:class:`central_crm.sync.push.Pusher`) makes before it writes, in its
    transaction."""

    def __init__(self, conn: Connection, principal: Principal) -> None:
        self.conn = conn
        self.principal = principal

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

    def access(self, mutation: Mutation, current: RowMapping | None) -> Access:
        name = mutation.table
        principal = self.principal
        if name == "audit_log":
            return Access(customer_id=None, owner_rm_id=principal.rm_id)
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
            # Pusher.apply() has just read the customer's own row: no second read.
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
            return Access(customer_id=customer_id, owner_rm_id=owner)
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
        return Access(
            customer_id=customer_id,
            owner_rm_id=owner,
            handed_over_to=new_owner,
            message=f"该客户已移交给 {new_owner}，您的修改已转交给新的客户经理，不会丢失。",
        )

    def _new_customer_access(self, mutation: Mutation) -> Access:
        if self.principal.is_admin:
            change = mutation.fields.get("rm_id")
            owner = change.new if change is not None and isinstance(change.new, str) else None
            return Access(customer_id=mutation.row_id, owner_rm_id=owner)
        if self.principal.rm_id is None:
            raise Refused("您的账号没有关联客户经理，不能新建客户。")
        return Access(customer_id=mutation.row_id, owner_rm_id=self.principal.rm_id)

    def _group_access(self, mutation: Mutation, current: RowMapping | None) -> Access:
        if current is None or self.principal.is_admin:
            return Access(customer_id=None, owner_rm_id=None)
        if self._group_in_scope(mutation.row_id):
            return Access(customer_id=None, owner_rm_id=None)
        raise Refused("该客户群不在您的客户名单中，无权修改。")

    def _group_in_scope(self, group_id: str) -> bool:
        """A group the caller may write to or add members to: one a customer of theirs
        belongs to (their scope), or one they created and have not filled yet (no
        member rows at all: made on their device, maybe earlier in this push)."""
        if self.principal.rm_id is None:
            return False
        params = {"group_id": group_id, "rm_id": self.principal.rm_id}
        return self.conn.execute(_GROUP_IN_SCOPE, params).first() is not None

    def check_references(self, name: str, values: dict[str, Any], access: Access) -> None:
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

    def _reference_in_book(self, target: str, value: Any, access: Access) -> bool:
        if target not in OWNED_TABLES or access.owner_rm_id is None:
            return False  # a table with no scope rule here: nothing may point at it
        table = SYNCED[target]
        where = [table.c.id == value, table.c.owner_rm_id == access.owner_rm_id]
        if access.handed_over_to is not None:
            customer = table.c.id if target == "customer" else table.c.customer_id
            where.append(customer == access.customer_id)
        return self.conn.execute(select(table.c.id).where(*where)).first() is not None
