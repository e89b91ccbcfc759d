"""Fast bulk upserts into the cache with SQLAlchemy Core (a pull page, a bootstrap).

``bulk_upsert`` writes rows in batches through the DBAPI's ``executemany`` with SQL
that SQLAlchemy compiles once per call: ``INSERT … ON CONFLICT (id) DO UPDATE`` for
rows whose key is already in the table and a plain ``INSERT`` of the same columns for
the others. Two measurements on the 5k demo book (``bench/bench_load.py``) shaped it:

* With ``PRAGMA foreign_keys = ON`` (the cache's setting) SQLite runs an upsert about
  twice as slowly as a plain insert even when nothing conflicts, so rows that are new
  are inserted plainly. A batch's keys are looked up first, unless the table was empty
  when the call began (a bootstrap), when the keys written so far are enough.
* SQLAlchemy's per-row parameter handling costs more than SQLite's insert, so rows
  are turned into parameter tuples here, by each column type's own bind processor
  (the code a Core or ORM insert runs: ``Money`` → integer fen, ``UTCDateTime`` → UTC
  ISO text, enums → their value, dates → ISO text). What the ORM reads back equals
  what went in.

Both functions run inside the caller's transaction and never commit: a pull page and
its cursor go into the cache together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Dialect,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from rm_workbench.errors import ValidationError
from rm_workbench.models import Base
from rm_workbench.models.labels import table_label
from rm_workbench.models.types import UTCDateTime

_Processor = Callable[[Any], Any]
# Converts one column of a batch at once: a comprehension per column costs far less
# than a Python call per value.
_ColumnConverter = Callable[[Sequence[Any]], Sequence[Any]]
_BatchConverter = Callable[[Sequence[Mapping[str, Any]]], list[tuple[Any, ...]]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """The compiled statements and batch converter for one table and column set."""

    insert_sql: str  # for rows whose key is not in the table
    upsert_sql: str  # for rows whose key may be
    key: str | None  # the single-column primary key; None: every row goes by upsert
    convert: _BatchConverter


def _python_default(column: Column[Any]) -> Callable[[], Any] | None:
    """A callable producing the column's Python-side insert default, if it has one.

    Server defaults and SQL-expression defaults are left to the database (the column
    is then not part of the INSERT).
    """
    default = column.default if column.default is not None else column.onupdate
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg  # type: ignore[attr-defined]
        return lambda: value
    if default.is_callable:
        # SQLAlchemy wraps callables to take an execution context; ours ignore it.
        fn = default.arg  # type: ignore[attr-defined]
        return lambda: fn(None)
    return None


def _utc_column(processor: _Processor) -> _ColumnConverter:
    """UTCDateTime's conversion with a shortcut for datetimes already in UTC.

    Formatting timestamps is the largest cost of a load; a UTC-aware datetime needs
    no zone conversion, only the same ISO text. Anything else (other zones, naive
    datetimes to refuse, strings) goes through the type's own processor.
    """

    def convert(values: Sequence[Any]) -> list[Any]:
        return [
            None
            if v is None
            else v.isoformat(timespec="microseconds")
            if v.__class__ is datetime and v.tzinfo is UTC
            else processor(v)
            for v in values
        ]

    probe = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    # Should the type's text format ever change, the shortcut must not survive it.
    if convert([probe]) != [processor(probe)]:  # pragma: no cover
        return _plain_column(processor)
    return convert


def _plain_column(processor: _Processor) -> _ColumnConverter:
    if processor(None) is None:  # true of all our types: skip the call for NULLs
        return lambda values: [None if v is None else processor(v) for v in values]
    return lambda values: [processor(v) for v in values]


def _wire_date(value: Any) -> str:
    # The wire's ISO date is what SQLite stores; parsing only validates it.
    if value.__class__ is str and len(value) == 10:
        date.fromisoformat(value)
        return value
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError(f"not a date: {value!r}")


def _wire_dates(values: Sequence[Any]) -> list[Any]:
    # The common case inline (a call per value would double the cost): a 10-character
    # string that parses as an ISO date is stored as it is. (A date is always true.)
    parse = date.fromisoformat
    return [
        v
        if v.__class__ is str and len(v) == 10 and parse(v)
        else None
        if v is None
        else _wire_date(v)
        for v in values
    ]


def _wire_utc(processor: _Processor) -> _ColumnConverter:
    """Wire timestamps in the canonical UTC form are stored as they are (validated);
    anything else goes through UTCDateTime's own conversion."""
    parse = datetime.fromisoformat

    def convert(values: Sequence[Any]) -> list[Any]:
        # Inline, as in _wire_dates: parsing validates, a datetime is always true.
        return [
            v
            if v.__class__ is str and len(v) == 32 and v[26:] == "+00:00" and parse(v)
            else None
            if v is None
            else processor(v)
            for v in values
        ]

    return convert


def _wire_booleans(processor: _Processor) -> _ColumnConverter:
    # JSON true/false straight to SQLite's 1/0; anything else through the type.
    return lambda values: [
        1 if v is True else 0 if v is False else None if v is None else processor(v) for v in values
    ]


def _column_converter(
    column: Column[Any], dialect: Dialect, *, wire: bool = False
) -> _ColumnConverter | None:
    """How a column's values become what the driver binds; None: unchanged.

    ``wire``: the values are JSON wire values (decimal strings, ISO text) rather than
    model-typed Python values; Money, Rate, enum and JSON processors take both.
    """
    if wire and isinstance(column.type, Date):
        return _wire_dates
    # dialect_impl: the generic Date/Boolean/Enum are replaced by the dialect's own
    # types, whose processors do the conversion (e.g. SQLite's DATE → ISO text).
    processor: _Processor | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return _wire_utc(processor) if wire else _utc_column(processor)
    if wire and isinstance(column.type, Boolean) and processor(True) == 1:
        return _wire_booleans(processor)
    return _plain_column(processor)


def _batch_converter(
    order: Sequence[str],
    supplied: frozenset[str],
    converters: Mapping[str, _ColumnConverter | None],
    defaults: Mapping[str, Callable[[], Any]],
) -> _BatchConverter:
    """A function turning a batch of row mappings into parameter tuples.

    The batch is transposed into columns, each column converted in one pass, and
    transposed back; zip does both transpositions in C.
    """
    keys = [name for name in order if name in supplied]
    fetch = itemgetter(*keys)
    single = len(keys) == 1
    steps: list[tuple[int | None, _ColumnConverter | None, Callable[[], Any] | None]] = []
    position = 0
    for name in order:
        if name in supplied:
            steps.append((position, converters[name], None))
            position += 1
        else:
            steps.append((None, converters[name], defaults[name]))

    def convert(batch: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        if single:
            raw: list[Sequence[Any]] = [[fetch(row) for row in batch]]
        else:
            raw = list(zip(*[fetch(row) for row in batch], strict=True))
        columns: list[Sequence[Any]] = []
        for index, column_converter, make in steps:
            values = raw[index] if index is not None else [make() for _ in batch]  # type: ignore[misc]
            columns.append(column_converter(values) if column_converter else values)
        return list(zip(*columns, strict=True))

    return convert


@lru_cache(maxsize=512)
def _plan(dialect: Dialect, table: Table, supplied: frozenset[str], *, wire: bool = False) -> _Plan:
    """The plan for these columns, compiled once per dialect, table and column set
    (a bootstrap or a pull calls bulk_upsert for every page of every table)."""
    unknown = supplied - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{table.name}: no such columns: {sorted(unknown)}")
    keys = [c.name for c in table.primary_key.columns]
    missing_keys = [k for k in keys if k not in supplied]
    if missing_keys:
        raise ValueError(f"{table.name}: rows must carry the key column(s) {missing_keys}")

    insert_columns: list[str] = []
    defaults: dict[str, Callable[[], Any]] = {}
    update_names: list[str] = []
    for column in table.columns:
        if column.name in supplied:
            insert_columns.append(column.name)
            if not column.primary_key:
                update_names.append(column.name)
            continue
        default = _python_default(column)
        if default is None:
            continue  # left to the database: server default or NULL
        insert_columns.append(column.name)
        defaults[column.name] = default
        # An omitted column is kept on update, except one the ORM would refresh on
        # every update (updated_at): it takes the freshly computed value.
        if column.onupdate is not None:
            update_names.append(column.name)

    insert = sqlite_insert(table)
    if update_names:
        upsert = insert.on_conflict_do_update(
            index_elements=keys, set_={name: insert.excluded[name] for name in update_names}
        )
    else:
        upsert = insert.on_conflict_do_nothing(index_elements=keys)
    compiled_insert = insert.compile(dialect=dialect, column_keys=insert_columns)
    compiled_upsert = upsert.compile(dialect=dialect, column_keys=insert_columns)
    order = compiled_upsert.positiontup
    if order is None or compiled_insert.positiontup != order:  # pragma: no cover
        raise ValueError(f"dialect {dialect.name}: positional parameters expected")
    converters = {name: _column_converter(table.c[name], dialect, wire=wire) for name in order}
    return _Plan(
        insert_sql=compiled_insert.string,
        upsert_sql=compiled_upsert.string,
        key=keys[0] if len(keys) == 1 else None,
        convert=_batch_converter(order, supplied, converters, defaults),
    )


def _column_mismatch(
    table: Table, batch: Sequence[Mapping[str, Any]], start: int, supplied: frozenset[str]
) -> None:
    """Raise ValueError naming the first row whose columns differ from the first row's."""
    for offset, row in enumerate(batch):
        if row.keys() != supplied:
            raise ValueError(
                f"{table.name}: row {start + offset} has columns {sorted(row.keys())}, "
                f"the first row has {sorted(supplied)}: all rows of a call must match"
            )


def bulk_upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    batch_size: int = 2000,
    wire: bool = False,
) -> int:
    """Insert ``rows`` into ``table``, updating rows whose primary key already exists.

    Every row must carry the same columns, the key included. Omitted columns get
    their Python-side default on insert and are left unchanged on update, except
    columns with an ``onupdate`` (``updated_at``), refreshed as the ORM would; NOT NULL
    columns without a default cannot be omitted, even for rows that only update
    (SQLite checks NOT NULL before it looks for the conflict). Values
    are given as the models declare them (Decimal, aware datetime, enum or its value)
    and converted by the column types; a key repeated in ``rows`` ends with its last
    row. Runs in the caller's transaction; returns the number of rows written.
    Raises ValueError for unknown or inconsistent columns. With ``wire`` the values
    are the sync protocol's JSON values (see ``rm_workbench.sync.wire``), converted
    straight to their stored form and validated on the way (a pulled page).
    """
    if not rows:
        return 0
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    supplied = frozenset(rows[0].keys())
    plan = _plan(conn.dialect, table, supplied, wire=wire)
    width = len(supplied)

    key_column = table.c[plan.key] if plan.key is not None else None
    lookup = None
    # Keys known to be in the table: those found by lookup or written by this call.
    present: set[Any] = set()
    # The highest key stored when the call began: string keys all above it are new
    # without a lookup (a bootstrap's pages come in key order). SQLite's BINARY
    # collation orders UTF-8 bytes, i.e. code points, as Python orders str.
    top: Any = None
    if key_column is not None:
        top = conn.execute(select(func.max(key_column))).scalar()
        if top is not None:
            lookup = select(key_column).where(key_column.in_(bindparam("keys", expanding=True)))
            if not isinstance(top, str) or getattr(key_column.type, "collation", None):
                top = None

    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        # Rows of the first row's length that miss one of its columns make the
        # converter raise KeyError, so the length is all that is checked up front.
        if any(len(row) != width for row in batch):
            _column_mismatch(table, batch, start, supplied)
        try:
            params = plan.convert(batch)
        except KeyError:
            _column_mismatch(table, batch, start, supplied)
            raise
        if plan.key is None:
            conn.exec_driver_sql(plan.upsert_sql, params)
            continue
        key = plan.key
        if lookup is not None:
            keys = [row[key] for row in batch]
            above = top is not None and all(k.__class__ is str for k in keys) and min(keys) > top
            if not above:
                present.update(conn.execute(lookup, {"keys": keys}).scalars())
        fresh: list[tuple[Any, ...]] = []
        again: list[tuple[Any, ...]] = []
        for row, values in zip(batch, params, strict=True):
            value = row[key]
            if value in present:
                again.append(values)
            else:
                present.add(value)
                fresh.append(values)
        # Inserts first: a key repeated within the batch is then updated in order.
        if fresh:
            conn.exec_driver_sql(plan.insert_sql, fresh)
        if again:
            conn.exec_driver_sql(plan.upsert_sql, again)
    return len(rows)


# --- indexes built after a bulk load -------------------------------------------------

# Key in ``sync_state`` of the CREATE INDEX statements dropped by defer_indexes.
DEFERRED_INDEXES = "deferred_indexes"
_STATE = "sync_state"


def _deferred(conn: Connection) -> list[str]:
    value = conn.exec_driver_sql(
        f"SELECT value FROM {_STATE} WHERE key = ?", (DEFERRED_INDEXES,)
    ).scalar()
    return list(json.loads(value)) if value else []


def defer_indexes(conn: Connection, tables: Iterable[str]) -> int:
    """Drop the non-unique secondary indexes of ``tables`` for a bulk load into them;
    :func:`restore_indexes` builds them again. Returns how many were dropped.

    Rows arriving in primary-key order put their secondary index entries all over
    those B-trees: a load committed page by page rewrites most of every secondary
    index at each commit, while one ``CREATE INDEX`` at the end sorts once
    (``bench/bench_bootstrap.py``: about half the write time of a bootstrap).
    Primary keys and unique indexes stay: they are rules, not just access paths.
    The statements are kept in ``sync_state`` in the caller's transaction, so a
    crash leaves them to :func:`restore_indexes` (``open_cache`` calls it).
    """
    names = list(dict.fromkeys(tables))
    if not names:
        return 0
    marks = ", ".join("?" * len(names))
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) ORDER BY name",
        tuple(names),
    ).all()
    dropped = [(name, sql) for name, sql in found if not _is_unique(sql)]
    if not dropped:
        return 0
    statements = _deferred(conn) + [sql for _, sql in dropped]
    for name, _ in dropped:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql(
        f"INSERT INTO {_STATE} (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (DEFERRED_INDEXES, json.dumps(statements)),
    )
    return len(dropped)


def _is_unique(sql: str) -> bool:
    return " ".join(sql.split()[:2]).upper() == "CREATE UNIQUE"


def restore_indexes(conn: Connection) -> int:
    """Build again the indexes :func:`defer_indexes` dropped (exactly as they were);
    returns how many. Runs in the caller's transaction; a no-op when none are."""
    if not conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_STATE,)
    ).first():
        return 0
    statements = _deferred(conn)
    if not statements:
        return 0
    existing = set(
        conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index'").scalars()
    )
    for sql in statements:
        if sql not in existing:
            conn.exec_driver_sql(sql)
    conn.exec_driver_sql(f"DELETE FROM {_STATE} WHERE key = ?", (DEFERRED_INDEXES,))
    return len(statements)


def load_book(
    conn: Connection, tables: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, int]:
    """Upsert whole tables (``{table name: rows}``) in foreign-key order.

    Parents are written before children whatever the mapping's order, so the cache's
    foreign-key checks hold. Runs in the caller's transaction; returns rows written
    per table. Raises ValueError for a name that is not a cache table, and
    ValidationError (with the table and the broken rule) when rows break a NOT NULL,
    unique or foreign-key rule.
    """
    known = {table.name: table for table in Base.metadata.sorted_tables}
    unknown = set(tables) - set(known)
    if unknown:
        raise ValueError(f"not tables of the cache: {sorted(unknown)}")
    written: dict[str, int] = {}
    for name, table in known.items():
        if name in tables:
            try:
                written[name] = bulk_upsert(conn, table, tables[name])
            except IntegrityError as exc:
                # Data from another system broke a rule of the cache: say which table
                # and which rule; the caller's transaction rolls back, nothing is half
                # written.
                raise ValidationError(
                    f"数据不完整，未写入：{table_label(name)}中有记录缺少必填字段、"
                    "编号重复或引用了不存在的记录。",
                    f"{name}: {exc.orig}",
                ) from exc
    return written
