"""Re-indexing only what a write changed (index_customers(before=...), a pull page)
leaves exactly the index a full rebuild makes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, select, update

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import (
    TABLE,
    index_customers,
    indexed_state,
    rebuild_index,
    remove_customers,
)
from rm_workbench.models import Base, Customer

CUSTOMERS = Base.metadata.tables["customer"]

SPECS: list[dict[str, Any]] = [
    {"name": "张三丰", "mobile_phone": "13800138000", "id_number": "110105194912310021"},
    {"name": "曾乐乐", "tier": "黄金", "aum": Decimal("523000.15")},
    {"name": "欧阳春晓", "other_phone": "010-66668888", "lifecycle_status": "dormant"},
    {"name": "重庆山城贸易有限公司", "category": "corporate", "credit_code": "91500000MA5U0AB12X"},
    {"name": "李明", "tier": "白金", "aum": Decimal("-12.30")},
]


def _add(cache: Cache) -> list[str]:
    customers = [
        Customer(**{"customer_no": f"C{i:08d}", "category": "individual", **spec})
        for i, spec in enumerate(SPECS, start=1)
    ]
    with cache.session() as session:
        session.add_all(customers)
    ids = [c.id for c in customers]
    with cache.engine.begin() as conn:
        index_customers(conn, _stored(conn, ids))
    return ids


def _stored(conn: Connection, ids: list[str]) -> list[dict[str, Any]]:
    rows = conn.execute(select(CUSTOMERS).where(CUSTOMERS.c.id.in_(ids))).mappings()
    return [dict(row) for row in rows]


def _index(conn: Connection) -> list[tuple[str, str, str]]:
    rows = conn.exec_driver_sql(f"SELECT kind, term, customer_id FROM {TABLE}").all()
    return sorted((str(kind), str(term), str(cid)) for kind, term, cid in rows)


Change = Callable[[Connection, list[str]], None]


def _set(index: int, **values: Any) -> Change:
    def change(conn: Connection, ids: list[str]) -> None:
        conn.execute(update(CUSTOMERS).where(CUSTOMERS.c.id == ids[index]).values(**values))

    return change


def _unindexed(index: int) -> Change:
    def change(conn: Connection, ids: list[str]) -> None:
        remove_customers(conn, [ids[index]])  # an index that lost a customer's rows

    return change


CHANGES: dict[str, list[Change]] = {
    "nothing": [],
    "balances": [_set(0, aum=Decimal("1000.00")), _set(1, aum=Decimal("523100.15"))],
    "tier and status": [_set(1, tier="白金"), _set(2, lifecycle_status="active")],
    "name": [_set(0, name="张三"), _set(4, aum=Decimal("99"))],
    "category": [_set(3, category="individual")],
    "phones and ids": [_set(0, mobile_phone=None, id_number="11010519491231002X")],
    "tombstone": [_set(2, deleted=True)],
    "revived": [_set(2, deleted=True), _set(2, deleted=False, aum=Decimal("5"))],
    "rows missing": [_unindexed(4), _set(4, aum=Decimal("7.00"))],
}


@pytest.mark.parametrize("plain", [True, False], ids=["plain rows", "model-typed rows"])
@pytest.mark.parametrize("name", list(CHANGES))
def test_changed_rows_only_give_the_full_index(cache: Cache, name: str, plain: bool) -> None:
    ids = _add(cache)
    changes = CHANGES[name]
    with cache.engine.begin() as conn:
        # A tombstone before the write under test: indexed as the write that made it.
        for change in changes[:-1]:
            change(conn, ids)
            index_customers(conn, _stored(conn, ids))
    with cache.engine.begin() as conn:
        before = indexed_state(conn, ids)
        for change in changes[-1:]:
            change(conn, ids)
        # The rows to index as stored (a pull) or as the models read them.
        stored = (
            list(indexed_state(conn, ids, before=False).values()) if plain else _stored(conn, ids)
        )
        indexed = index_customers(conn, stored, before=before)
        incremental = _index(conn)
        assert indexed == rebuild_index(conn)  # every live customer, counted once
        assert incremental == _index(conn)


def test_a_customer_not_stored_before_is_indexed_in_full(cache: Cache) -> None:
    ids = _add(cache)
    with cache.engine.begin() as conn:
        before = indexed_state(conn, ids[:2])
        assert set(before) == set(ids[:2])
        assert all(row["indexed"] for row in before.values())
        remove_customers(conn, ids[2:])
        index_customers(conn, indexed_state(conn, ids, before=False).values(), before=before)
        incremental = _index(conn)
        rebuild_index(conn)
        assert incremental == _index(conn)


def test_a_balance_change_reads_no_names_again(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rm_workbench.db.search as search

    ids = _add(cache)
    read: list[str] = []

    def spy(name: str) -> Callable[..., Any]:
        real = getattr(search, name)

        def called(*args: Any, **kwargs: Any) -> Any:
            read.append(name)
            return real(*args, **kwargs)

        return called

    for name in ("search_terms", "name_sort_key"):
        monkeypatch.setattr(search, name, spy(name))
    with cache.engine.begin() as conn:
        before = indexed_state(conn, ids)
        conn.execute(update(CUSTOMERS).values(aum=CUSTOMERS.c.aum + Decimal("1")))
        assert index_customers(conn, _stored(conn, ids), before=before) == len(ids)
    assert read == []
