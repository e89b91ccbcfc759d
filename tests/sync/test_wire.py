"""Wire encoding: what travels equals what is stored, on every table of the demo book."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import (
    ColumnarSnapshotPage,
    decode_row,
    encode_row,
    row_digest,
    version_digest,
    version_digest_of_sums,
    version_mix_sql,
)
from rm_demo.book import generate_book
from rm_workbench.db.bulk import bulk_upsert, insert_columns, load_book
from rm_workbench.db.cache import open_cache
from rm_workbench.models import Base


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


def _columnar(rows: list[dict], order: list[str]) -> list[list]:
    return [[row[name] for name in order] for row in rows]


def test_columnar_pages_store_exactly_like_wire_rows(book, tmp_path) -> None:
    """insert_columns (protocol 2's pages, columns in any order, one unknown) stores
    what bulk_upsert stores from row objects."""
    sample = _sample(book)
    rows_cache = open_cache(tmp_path / "rows.db")
    columns_cache = open_cache(tmp_path / "columns.db")
    try:
        for cache, columnar in ((rows_cache, False), (columns_cache, True)):
            with cache.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
                for name, rows in sample.items():
                    wire_rows = [encode_row(name, row) for row in rows]
                    table = Base.metadata.tables[name]
                    if not columnar:
                        bulk_upsert(conn, table, wire_rows, wire=True)
                        continue
                    order = sorted(wire_rows[0], reverse=True)
                    arrays = [[*values, "x"] for values in _columnar(wire_rows, order)]
                    written = insert_columns(conn, table, [*order, "unknown_column"], arrays)
                    assert len(written.rows) == len(rows)
        for name in sample:
            with rows_cache.engine.connect() as a, columns_cache.engine.connect() as b:
                raw_a = a.exec_driver_sql(f"SELECT * FROM {name} ORDER BY id").all()
                raw_b = b.exec_driver_sql(f"SELECT * FROM {name} ORDER BY id").all()
                assert raw_a == raw_b, name
    finally:
        rows_cache.dispose()
        columns_cache.dispose()


def test_columnar_pages_are_left_as_they_came(cache, book) -> None:
    """The fast path binds a page's own arrays; where a converter changes values
    (yuan to fen, amounts with gaps too) it binds copies: a page applied again (a
    retry without its orphans) must find its values as sent."""
    sample = _sample(book)
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        for name, rows in sample.items():
            wire_rows = [encode_row(name, row) for row in rows]
            order = list(wire_rows[0])
            arrays = _columnar(wire_rows, order)
            sent = [list(values) for values in arrays]
            insert_columns(conn, Base.metadata.tables[name], order, arrays)
            assert arrays == sent, name
    with cache.engine.connect() as conn:
        costs = conn.exec_driver_sql("SELECT cost FROM visit").scalars().all()
    expected = [v["cost"] for v in sample["visit"]]
    assert sorted(costs, key=str) == sorted(
        (None if c is None else int(c * 100) for c in expected), key=str
    )
    assert None in costs and any(c is not None for c in costs)


def test_columnar_pages_upsert_stored_keys_and_fill_defaults(cache, book) -> None:
    table = Base.metadata.tables["customer"]
    rows = [encode_row("customer", row) for row in book.tables["customer"][:4]]
    order = list(rows[0])
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        insert_columns(conn, table, order, _columnar(rows[2:], order))
        # Keys below and among the stored ones, one repeated: upserted in order.
        again = [{**rows[3], "notes": "第一次"}, rows[0], {**rows[3], "notes": "第二次"}]
        insert_columns(conn, table, order, _columnar(again, order))
        # Without the columns that have defaults (deleted): the defaults are used.
        short = [name for name in order if name != "deleted"]
        extra = {**encode_row("customer", book.tables["customer"][4])}
        insert_columns(conn, table, short, _columnar([extra], short))
        stored = dict(conn.exec_driver_sql("SELECT id, notes FROM customer").tuples().all())
        deleted = conn.exec_driver_sql("SELECT deleted FROM customer WHERE id = ?", (extra["id"],))
        assert deleted.scalar_one() == 0
    assert len(stored) == 4 and stored[rows[3]["id"]] == "第二次"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("birth_date", "1990-02-30"),
        ("birth_date", "yesterday"),
        ("created_at", "noon"),
        ("created_at", "2026-11-22T01:00:00.000000+25:00"),
        ("created_at", "2026-02-30T01:00:00.000000+00:00"),
        ("created_at", "2026-11-22T24:00:00.000000+00:00"),
        # Two canonical values in one: the column's joined text must not hide it.
        ("created_at", "2026-11-22T01:00:00.000000+00:00\n2026-11-22T01:00:00.000000+00:00"),
        ("birth_date", "1990-01-01\n1990-01-02"),
        ("aum", "12,5"),
        ("aum", 0.1),
        ("aum", "1.00\n2.00"),
        ("category", "alien"),
        ("deleted", "no"),
    ],
)
def test_malformed_values_in_columnar_pages_are_refused(cache, book, column, value) -> None:
    rows = [encode_row("customer", row) for row in book.tables["customer"][:3]]
    rows[1][column] = value
    order = list(rows[0])
    with pytest.raises((ValueError, TypeError, LookupError)), cache.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        insert_columns(conn, Base.metadata.tables["customer"], order, _columnar(rows, order))


def test_columnar_rows_of_the_wrong_length_are_refused(cache, book) -> None:
    rows = [encode_row("branch", row) for row in book.tables["branch"][:2]]
    order = list(rows[0])
    arrays = _columnar(rows, order)
    arrays[1].pop()
    with pytest.raises(ValueError, match="row 1"), cache.engine.begin() as conn:
        insert_columns(conn, Base.metadata.tables["branch"], order, arrays)


def test_the_version_digest_ignores_order_and_sees_every_version() -> None:
    versions = [1, 5, 6, 2**40 + 3, 2**63 - 1]
    assert version_digest(versions) == version_digest(reversed(versions))
    assert version_digest(versions).count == 5
    assert version_digest(versions) != version_digest([1, 5, 7, 2**40 + 3, 2**63 - 1])
    # Sets with equal sums of versions and of their squares still differ.
    assert version_digest([1, 5, 6]) != version_digest([2, 3, 7])
    assert version_digest([]) == version_digest_of_sums(0, [None, None])


def test_the_version_digest_in_sql_equals_the_reference(tmp_path) -> None:
    versions = [0, 1, 2, 3, 12345678, 2**31 - 1, 2**31, 2**62 + 11, 2**63 - 1]
    db = sqlite3.connect(tmp_path / "digest.db")
    db.execute("CREATE TABLE t (version INTEGER)")
    db.executemany("INSERT INTO t VALUES (?)", [(v,) for v in versions])
    terms = ", ".join(f"sum({term})" for term in version_mix_sql("version"))
    count, *sums = db.execute(f"SELECT count(*), {terms} FROM t").fetchone()
    db.close()
    assert version_digest_of_sums(count, sums) == version_digest(versions)


def test_a_columnar_page_is_parsed_and_its_shape_checked() -> None:
    good = (
        '{"table":"branch","snapshot_seq":7,"columns":["id","name"],'
        '"rows":[["b1","一"],["b2",null]],"next_after_id":"b2"}'
    )
    page = ColumnarSnapshotPage.from_json(good)
    assert page.rows == [["b1", "一"], ["b2", None]] and page.next_after_id == "b2"
    for bad in (
        "[]",
        good.replace('"next_after_id":"b2"', '"next_after_id":3'),
        good.replace('["b2",null]', '["b2"]'),
        good.replace('["b2",null]', '{"id":"b2"}'),
        good.replace('"snapshot_seq":7', '"snapshot_seq":true'),
        good.replace('"columns":["id","name"]', '"columns":["id",2]'),
        good.replace('"table":"branch",', '"table":"branch","extra":1,'),
        good[:-5],
    ):
        with pytest.raises(ValueError):
            ColumnarSnapshotPage.from_json(bad)


@pytest.mark.parametrize("columnar", [True, False])
def test_other_iso_forms_are_stored_in_the_canonical_one(cache, book, columnar) -> None:
    rows = [encode_row("customer", row) for row in book.tables["customer"][:2]]
    rows[0]["birth_date"] = "1990-W01-1"  # ISO week date of 1990-01-01
    rows[0]["created_at"] = "2026-11-22 01:00:00.000000+00:00"
    rows[1]["created_at"] = "2026-11-22T09:00:00.000000+08:00"
    table = Base.metadata.tables["customer"]
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        if columnar:
            order = list(rows[0])
            insert_columns(conn, table, order, _columnar(rows, order))
        else:
            bulk_upsert(conn, table, rows, wire=True)
        stored = conn.exec_driver_sql(
            "SELECT birth_date, created_at FROM customer WHERE id IN (?, ?) ORDER BY id = ?",
            (rows[0]["id"], rows[1]["id"], rows[0]["id"]),
        ).all()
    assert stored[1] == ("1990-01-01", "2026-11-22T01:00:00.000000+00:00")
    assert stored[0][1] == "2026-11-22T01:00:00.000000+00:00"
