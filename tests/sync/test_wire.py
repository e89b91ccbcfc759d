"""Wire encoding: what travels equals what is stored, on every table of the demo book."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from central_crm.demo_book import generate_book
from rm_workbench.db.bulk import bulk_upsert, load_book
from rm_workbench.db.cache import open_cache
from rm_workbench.models import Base
from rm_workbench.sync.wire import SYNCED_TABLES, decode_row, encode_row, row_digest


@pytest.fixture(scope="module")
def book():
    return generate_book("default")


def _sample(book, per_table: int = 60):
    return {name: book.tables[name][:per_table] for name in SYNCED_TABLES if name in book.tables}


def test_encode_then_decode_is_the_identity(book) -> None:
    for name, rows in _sample(book).items():
        for row in rows:
            assert decode_row(name, encode_row(name, row)) == row, name


def test_wire_rows_store_exactly_like_typed_rows(book, tmp_path) -> None:
    sample = _sample(book)
    # Keep references inside the sample: customers of the sampled children.
    typed_cache = open_cache(tmp_path / "typed.db")
    wire_cache = open_cache(tmp_path / "wire.db")
    try:
        with typed_cache.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            load_book(conn, sample)
        with wire_cache.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for name, rows in sample.items():
                wire_rows = [encode_row(name, row) for row in rows]
                bulk_upsert(conn, Base.metadata.tables[name], wire_rows, wire=True)
        for name in sample:
            table = Base.metadata.tables[name]
            query = select(*table.c).order_by(table.c.id)
            with typed_cache.engine.connect() as a, wire_cache.engine.connect() as b:
                # Raw stored form: compare through the driver, no type processing.
                raw_a = a.exec_driver_sql(f"SELECT * FROM {name} ORDER BY id").all()
                raw_b = b.exec_driver_sql(f"SELECT * FROM {name} ORDER BY id").all()
                assert raw_a == raw_b, name
                assert a.execute(query).all() == b.execute(query).all(), name
    finally:
        typed_cache.dispose()
        wire_cache.dispose()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("birth_date", "1990-02-30"),
        ("birth_date", "yesterday"),
        ("created_at", "noon"),
        ("aum", "12,5"),
        ("aum", 0.1),
    ],
)
def test_malformed_wire_values_are_refused(cache, book, column, value) -> None:
    row = encode_row("customer", book.tables["customer"][0])
    row[column] = value
    with pytest.raises((ValueError, TypeError)), cache.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        bulk_upsert(conn, Base.metadata.tables["customer"], [row], wire=True)


def test_digest_ignores_order_and_sees_versions() -> None:
    rows = [("a", 1), ("b", 2), ("c", 3)]
    assert row_digest(rows) == row_digest(reversed(rows))
    assert row_digest(rows) != row_digest([("a", 1), ("b", 2), ("c", 4)])
    assert row_digest([]).count == 0
