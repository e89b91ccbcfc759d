"""What the sync engine and the bootstrap both stand on: the sync's own tables, the
sync_state keys both read and write (always in the caller's transaction), and the
errors a wrong answer of the server is refused with.

A module of its own so that :mod:`rm_workbench.sync.bootstrap` needs nothing from
:mod:`rm_workbench.sync.engine` at run time (the engine builds on the bootstrap, not
the other way round). The other sync_state keys live where they are used: the
bootstrap's position in ``bootstrap.py``, the rest in ``engine.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rm_workbench.errors import ServerAnswerError
from rm_workbench.models import Base, LocalConflict, OutboxEntry, RejectedEdit, SyncState

OUTBOX = Base.metadata.tables[OutboxEntry.__tablename__]
STATE = Base.metadata.tables[SyncState.__tablename__]
CONFLICTS = Base.metadata.tables[LocalConflict.__tablename__]
REJECTED = Base.metadata.tables[RejectedEdit.__tablename__]

CURSOR = "cursor"

# The tables a confirmed mismatch named: the next sync bootstraps again.
REBOOTSTRAP = "rebootstrap_tables"


def _get_state(conn: Connection, key: str, state: Table = STATE) -> str | None:
    return conn.execute(select(state.c.value).where(state.c.key == key)).scalar()


def _set_state(conn: Connection, key: str, value: str | None, state: Table = STATE) -> None:
    if value is None:
        conn.execute(delete(state).where(state.c.key == key))
        return
    stmt = sqlite_insert(state).values(key=key, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def _bad_answer(what: str, details: str) -> ServerAnswerError:
    return ServerAnswerError(
        f"总行系统的应答有误（{what}），本次同步已停止，未写入任何数据，本机数据未受影响。"
        "请联系技术支持检查总行系统。",
        details[:2000],
    )


def _out_of_scope(rm_id: str, found: Any, details: str) -> ServerAnswerError:
    owner = "没有客户经理" if found is None else "属于其他客户经理"
    return ServerAnswerError(
        f"总行系统发来的客户{owner}，不在您的客户名单中，本次同步已停止，未写入任何数据，"
        "本机数据未受影响。请联系技术支持检查总行系统。",
        f"customer rm_id {found!r:.60}, signed in as {rm_id}: {details}"[:2000],
    )
