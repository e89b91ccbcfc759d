"""Local edits write their outbox entry in the same transaction, with field bases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import search_customers
from rm_workbench.errors import ValidationError
from rm_workbench.models import Base, Customer, OutboxEntry
from rm_workbench.sync.outbox import (
    delete_row,
    insert_row,
    pending_count,
    pending_fields,
    update_row,
)

OUTBOX = Base.metadata.tables["outbox"]


def _entries(cache: Cache) -> list[OutboxEntry]:
    with cache.session() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.mutation_id)))


def _new_customer(cache: Cache, name: str = "张三丰") -> str:
    with cache.engine.begin() as conn:
        return insert_row(
            conn,
            "customer",
            {
                "customer_no": "C0000000001",
                "category": "individual",
                "name": name,
                "mobile_phone": "13800138000",
            },
        )


def test_insert_queues_an_insert_and_indexes_the_customer(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    (entry,) = _entries(cache)
    assert (entry.op, entry.table_name, entry.row_id, entry.customer_id) == (
        "insert",
        "customer",
        customer_id,
        customer_id,
    )
    fields = json.loads(entry.fields)
    assert fields["name"] == {"new": "张三丰"}
    assert fields["aum"] == {"new": "0.00"}
    with cache.engine.connect() as conn:
        assert [h.name for h in search_customers(conn, "zsf")] == ["张三丰"]


def test_updates_record_the_base_and_fold_until_sent(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    with cache.engine.begin() as conn:
        conn.execute(update(OUTBOX).values(sent_at=datetime.now(UTC)))  # the insert went out
        assert update_row(conn, "customer", customer_id, {"occupation": "教师"})
        assert update_row(conn, "customer", customer_id, {"occupation": "校长", "email": "a@b.cn"})
        assert not update_row(conn, "customer", customer_id, {"email": "a@b.cn"})  # no change
    _insert, edit = _entries(cache)
    assert json.loads(edit.fields) == {
        "occupation": {"base": None, "new": "校长"},
        "email": {"base": None, "new": "a@b.cn"},
    }
    # Once sent, an entry is frozen: the next edit gets its own entry, based on the
    # value the device now has.
    with cache.engine.begin() as conn:
        conn.execute(update(OUTBOX).values(sent_at=datetime.now(UTC)))
        update_row(conn, "customer", customer_id, {"occupation": "退休教师"})
    *_, last = _entries(cache)
    assert json.loads(last.fields) == {"occupation": {"base": "校长", "new": "退休教师"}}
    with cache.engine.connect() as conn:
        assert pending_fields(conn)[("customer", customer_id)] is None  # the insert is pending
        assert pending_count(conn) == 3


def test_editing_back_to_the_base_cancels_the_entry(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    with cache.engine.begin() as conn:
        conn.execute(update(OUTBOX).values(sent_at=datetime.now(UTC)))
        update_row(conn, "customer", customer_id, {"occupation": "教师"})
        update_row(conn, "customer", customer_id, {"occupation": None})
    assert [e.op for e in _entries(cache)] == ["insert"]


def test_server_owned_fields_and_read_only_tables_are_refused(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    with pytest.raises(ValidationError, match="核心系统维护"), cache.engine.begin() as conn:
        update_row(conn, "customer", customer_id, {"aum": Decimal("1")})
    with pytest.raises(ValidationError, match="总行系统维护"), cache.engine.begin() as conn:
        insert_row(conn, "account", {"account_no": "1", "customer_id": customer_id})
    with pytest.raises(ValidationError, match="不能修改或删除"), cache.engine.begin() as conn:
        contact = insert_row(
            conn,
            "contact_log",
            {
                "contact_no": "K1",
                "customer_id": customer_id,
                "channel": "phone",
                "started_at": datetime.now(UTC),
                "summary": "电话回访",
            },
        )
        update_row(conn, "contact_log", contact, {"summary": "改写"})
    # The refused edits rolled back with their transaction: nothing half-done remains.
    with cache.session() as session:
        assert session.get(Customer, customer_id).aum == Decimal("0.00")  # type: ignore[union-attr]
    assert [e.table_name for e in _entries(cache)] == ["customer"]


def test_deleting_a_row_never_sent_leaves_nothing_to_push(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    with cache.engine.begin() as conn:
        delete_row(conn, "customer", customer_id)
    assert _entries(cache) == []
    with cache.engine.connect() as conn:
        assert search_customers(conn, "zsf") == []


def test_deleting_a_synced_row_queues_a_delete(cache: Cache) -> None:
    customer_id = _new_customer(cache)
    with cache.engine.begin() as conn:
        conn.execute(OUTBOX.delete())  # as if acknowledged
        delete_row(conn, "customer", customer_id)
    (entry,) = _entries(cache)
    assert (entry.op, entry.row_id) == ("delete", customer_id)
