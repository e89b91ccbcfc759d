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
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache, partial
from operator import is_not, itemgetter, methodcaller
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    Dialect,
    Integer,
    String,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from rm_contract.labels import table_label
from rm_contract.types import JSONList, Money, Rate, UTCDateTime
from rm_workbench.errors import ValidationError
from rm_workbench.models import Base

log = logging.getLogger(__name__)

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
    # The statements' parameters in order, with each one's column converter and, for
    # columns the rows do not supply, the Python-side default (insert_columns).
    order: tuple[str, ...]
    converters: tuple[_ColumnConverter | None, ...]
    defaults: dict[str, Callable[[], Any]]


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


# --- wire values, checked strictly -------------------------------------------------------
#
# What a server sends is checked by the conversion itself, value by value where a column
# is not in its canonical form and by whole columns where it is, with the rule of
# ``rm_contract.wire.value_problem`` (the per-value statement of it, shared with the
# central service; tests/sync/test_value_rules.py holds the two to the same verdicts): a
# boolean is a JSON boolean, an integer an integer within 64 bits (a version 0 or more),
# money and rates finite decimals that fit their columns, dates and times ISO text,
# enums one of their values, strings within their length, JSON lists lists of strings.
# A converter raises ValueError with the offending value; the callers name the table
# and column (:class:`ColumnValueError`).

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Decimal exponents beyond these cannot fit: money's integer digits (fen within 64 bits)
# and the 24 characters of a rate's stored text.
_MONEY_DIGITS = 17
_RATE_TEXT = 24


class ColumnValueError(ValueError):
    """A value its column does not accept (a server's row): which table, which column,
    and why, with the value."""

    def __init__(self, table: str, column: str, reason: str) -> None:
        super().__init__(f"{table}.{column}: {reason}")
        self.table = table
        self.column = column
        self.reason = reason


def _shown(value: Any) -> str:
    return f"{value!r:.40}"


def _wire_date(value: Any) -> str:
    # Another ISO form the parser accepts ("2026-W47-1") is stored in the one form
    # the cache compares and sorts.
    if value.__class__ is str and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"值 {_shown(value)} 不是日期 / not a date")


def _wire_dates(values: Sequence[Any]) -> list[Any]:
    # The common case inline (a call per value would double the cost): a 10-character
    # string that parses as an ISO date is stored as it is. (A date is always true.)
    parse = date.fromisoformat
    return [
        v
        if v.__class__ is str and len(v) == 10 and v[4] == v[7] == "-" and parse(v)
        else None
        if v is None
        else _wire_date(v)
        for v in values
    ]


def _wire_time(processor: _Processor) -> _Processor:
    """UTCDateTime's conversion of ISO text only (a number is no time)."""

    def one(value: Any) -> Any:
        if value.__class__ is str:
            try:
                return processor(value)
            except (ValueError, ArithmeticError):
                pass
        raise ValueError(f"值 {_shown(value)} 不是时间 / not an ISO time")

    return one


def _wire_utc(processor: _Processor) -> _ColumnConverter:
    """Wire timestamps in the canonical UTC form are stored as they are (validated);
    anything else goes through UTCDateTime's own conversion."""
    parse = datetime.fromisoformat

    def convert(values: Sequence[Any]) -> list[Any]:
        # Inline, as in _wire_dates: parsing validates, a datetime is always true.
        return [
            v
            if v.__class__ is str
            and len(v) == 32
            and v[10] == "T"
            and v[26:] == "+00:00"
            and parse(v)
            else None
            if v is None
            else processor(v)
            for v in values
        ]

    return convert


def _not_boolean(value: Any) -> Any:
    raise ValueError(f"值 {_shown(value)} 不是 true/false / not a boolean")


# JSON true/false straight to SQLite's 1/0; anything else is refused.
def _wire_booleans(values: Sequence[Any]) -> list[Any]:
    return [
        1 if v is True else 0 if v is False else None if v is None else _not_boolean(v)
        for v in values
    ]


def _decimal_of(value: Any) -> Decimal:
    """A finite Decimal from a decimal string or an integer (not a bool, not a float)."""
    if value.__class__ is str or value.__class__ is int:
        try:
            number = Decimal(value)
        except ArithmeticError:
            pass
        else:
            if number.is_finite():
                return number
    raise ValueError(f"值 {_shown(value)} 不是有效的数额 / not a finite decimal")


def _wire_money(processor: _Processor) -> _Processor:
    def one(value: Any) -> Any:
        number = _decimal_of(value)
        if number.adjusted() < _MONEY_DIGITS:
            fen = processor(number)
            if INT64_MIN <= fen <= INT64_MAX:
                return fen
        raise ValueError(f"金额 {_shown(value)} 超出范围 / amount out of range")

    return one


def _wire_rates(processor: _Processor) -> _ColumnConverter:
    def one(value: Any) -> Any:
        number = _decimal_of(value)
        if -_RATE_TEXT < number.adjusted() < _RATE_TEXT:
            text = processor(number)
            if len(text) <= _RATE_TEXT:
                return text
        raise ValueError(f"比率 {_shown(value)} 超出范围 / rate out of range")

    return lambda values: [None if v is None else one(v) for v in values]


def _wire_json_lists(processor: _Processor) -> _ColumnConverter:
    def one(value: Any) -> Any:
        if value.__class__ is list and set(map(type, value)) <= {str}:
            return processor(value)
        raise ValueError(f"值 {_shown(value)} 不是文本列表 / not a list of strings")

    return lambda values: [None if v is None else one(v) for v in values]


# --- whole-column shortcuts for wire values ---------------------------------------------
#
# A page's column is checked with a few passes of C-level map/set over all its values,
# and stored as it came when every value is in the canonical wire form; only a column
# that is not falls back to the per-value converter above (same result, same errors).
# A Python-level loop per value was the largest cost of applying a page.

_NONE = type(None)
_NO_POINT = methodcaller("replace", ".", "")
_PRESENT = partial(is_not, None)
# The wire's money: a decimal string with exactly two places (central_crm.rows).
_MONEY_COLUMN = re.compile(r"(?:-?[0-9]{1,16}\.[0-9]{2}\n)*-?[0-9]{1,16}\.[0-9]{2}")


def _without_none(values: Sequence[Any]) -> Sequence[Any]:
    return [v for v in values if v is not None] if None in values else values


def _canonical_texts(values: Sequence[Any], shape: re.Pattern[str], width: int) -> bool:
    """Every value is None or a string of ``width`` characters in the canonical
    ``shape``, whose date is in the calendar. Checked on the column joined by line
    breaks, in C: the join refuses any value that is no string, there is one line per
    value (no value holds a line break), so the shape, whose lines are ``width``
    characters, checks every value's width and form at once. Then the distinct days
    go to ``date.fromisoformat``, which raises ValueError for one that is not in the
    calendar, as the per-value path would (the shape does not know month lengths): a
    column of timestamps has far fewer days than values."""
    present = values
    try:
        joined = "\n".join(values)
    except TypeError:  # None among them (or a value that is no string)
        present = [v for v in values if v is not None]
        try:
            joined = "\n".join(present)
        except TypeError:
            return False
    if not present:
        return True
    if joined.count("\n") != len(present) - 1 or not shape.fullmatch(joined):
        return False
    deque(map(date.fromisoformat, set(map(_DAY, present))), maxlen=0)
    return True


_DAY = itemgetter(slice(0, 10))
# The forms the cache stores (and the service sends): other ISO forms the parsers also
# accept ("2026-W47-1", a space for the "T", another offset) take the per-value path.
# The time of day is checked by its shape alone (what datetime.fromisoformat allows).
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE_COLUMN = re.compile(f"(?:{_DATE}\n)*{_DATE}")
_UTC = _DATE + "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.[0-9]{6}\\+00:00"
_UTC_COLUMN = re.compile(f"(?:{_UTC}\n)*{_UTC}")


def _whole_utc(slow: _ColumnConverter) -> _ColumnConverter:
    def convert(values: Sequence[Any]) -> Sequence[Any]:
        return values if _canonical_texts(values, _UTC_COLUMN, 32) else slow(values)

    return convert


def _whole_dates(values: Sequence[Any]) -> Sequence[Any]:
    if _canonical_texts(values, _DATE_COLUMN, 10):
        return values
    return _wire_dates(values)


def _whole_booleans(values: Sequence[Any]) -> Sequence[Any]:
    # sqlite3 binds True and False as the integers 1 and 0.
    return values if set(map(type, values)) <= {bool, _NONE} else _wire_booleans(values)


def _whole_enum(column: Column[Any]) -> _ColumnConverter:
    allowed = frozenset(column.type.enums) | {None}  # type: ignore[attr-defined]

    def convert(values: Sequence[Any]) -> Sequence[Any]:
        if set(map(type, values)) <= {str, _NONE} and set(values) <= allowed:
            return values
        bad = next(v for v in values if v.__class__ not in (str, _NONE) or v not in allowed)
        raise ValueError(f"值 {_shown(bad)} 不是可选的值 / not one of the column's values")

    return convert


def _whole_money(slow: _Processor) -> _ColumnConverter:
    """ "-0.05" → -5 fen, "1234.50" → 123450: the point dropped, read as an integer."""

    def convert(values: Sequence[Any]) -> Sequence[Any]:
        present = _without_none(values)
        if not (
            present
            and set(map(type, present)) <= {str}
            and _MONEY_COLUMN.fullmatch("\n".join(present))
        ):
            return [None if v is None else slow(v) for v in values]
        if len(present) == len(values):
            return list(map(int, map(_NO_POINT, values)))
        # Some amounts missing (a visit's cost): still no Decimal per value.
        return [None if v is None else int(v.replace(".", "")) for v in values]

    return convert


def _whole_integers(low: int, high: int) -> _ColumnConverter:
    def convert(values: Sequence[Any]) -> Sequence[Any]:
        types = set(map(type, values))
        if types <= {int, _NONE}:
            present = filter(_PRESENT, values) if _NONE in types else values
            smallest = min(present, default=None)
            if smallest is None:
                return values
            present = filter(_PRESENT, values) if _NONE in types else values
            if smallest >= low and max(present) <= high:
                return values
        for v in values:
            if v is not None and (v.__class__ is not int or not low <= v <= high):
                what = (
                    "超出范围 / out of range" if v.__class__ is int else "不是整数 / not an integer"
                )
                raise ValueError(f"值 {_shown(v)} {what}")
        return values  # pragma: no cover - one of them failed above

    return convert


def _whole_strings(length: int | None) -> _ColumnConverter:
    def convert(values: Sequence[Any]) -> Sequence[Any]:
        # A join raises TypeError for any value that is no string (None included):
        # one pass in C, several times cheaper than a set of the values' types.
        present: Sequence[Any] | None = values
        try:
            "".join(values)
        except TypeError:
            present = [v for v in values if v is not None]
            try:
                "".join(present)
            except TypeError:
                present = None
        if present is not None and (length is None or max(map(len, present), default=0) <= length):
            return values
        for v in values:
            if v is not None and v.__class__ is not str:
                raise ValueError(f"值 {_shown(v)} 不是文本 / not a string")
            if v is not None and length is not None and len(v) > length:
                raise ValueError(f"超过 {length} 个字 / longer than {length} characters")
        return values  # pragma: no cover - one of them failed above

    return convert


def _wire_converter(column: Column[Any], dialect: Dialect) -> _ColumnConverter:
    """How a column's wire values (JSON: decimal strings, ISO text, booleans, lists)
    become what the driver binds, refusing any value the column does not accept."""
    kind = column.type
    processor: _Processor | None = kind.dialect_impl(dialect).bind_processor(dialect)
    if isinstance(kind, Date):
        return _whole_dates
    if isinstance(kind, UTCDateTime) and processor is not None:
        return _whole_utc(_wire_utc(_wire_time(processor)))
    if isinstance(kind, Boolean):
        return _whole_booleans
    if isinstance(kind, Money) and processor is not None:
        return _whole_money(_wire_money(processor))
    if isinstance(kind, Rate) and processor is not None:
        return _wire_rates(processor)
    if isinstance(kind, JSONList) and processor is not None:
        return _wire_json_lists(processor)
    if isinstance(kind, SAEnum):
        if processor is None or all(processor(v) == v for v in kind.enums):
            return _whole_enum(column)
        check, store = _whole_enum(column), _plain_column(processor)
        return lambda values: store(check(values))
    if isinstance(kind, Integer):
        check = _whole_integers(0 if column.name == "version" else INT64_MIN, INT64_MAX)
    elif isinstance(kind, String):
        check = _whole_strings(kind.length)
    else:  # pragma: no cover - every cache column type is handled above
        raise TypeError(f"{column}: no wire converter for {kind!r}")
    if processor is None:
        return check
    store = _plain_column(processor)
    return lambda values: store(check(values))


def _column_converter(
    column: Column[Any], dialect: Dialect, *, wire: bool = False
) -> _ColumnConverter | None:
    """How a column's values become what the driver binds; None: unchanged.

    ``wire``: the values are JSON wire values (decimal strings, ISO text) rather than
    model-typed Python values, checked strictly (:func:`_wire_converter`).
    """
    if wire:
        return _wire_converter(column, dialect)
    # dialect_impl: the generic Date/Boolean/Enum are replaced by the dialect's own
    # types, whose processors do the conversion (e.g. SQLite's DATE → ISO text).
    processor: _Processor | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return _utc_column(processor)
    return _plain_column(processor)


def _converted(
    table: str, name: str, converter: _ColumnConverter, values: Sequence[Any]
) -> Sequence[Any]:
    """``converter(values)``, a value it refuses named by its table and column."""
    try:
        return converter(values)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ColumnValueError(table, name, str(exc)[:200]) from exc


def _batch_converter(
    table: str,
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
    steps: list[tuple[str, int | None, _ColumnConverter | None, Callable[[], Any] | None]] = []
    position = 0
    for name in order:
        if name in supplied:
            steps.append((name, position, converters[name], None))
            position += 1
        else:
            steps.append((name, None, converters[name], defaults[name]))

    def convert(batch: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        if single:
            raw: list[Sequence[Any]] = [[fetch(row) for row in batch]]
        else:
            raw = list(zip(*[fetch(row) for row in batch], strict=True))
        columns: list[Sequence[Any]] = []
        for name, index, column_converter, make in steps:
            values = raw[index] if index is not None else [make() for _ in batch]  # type: ignore[misc]
            columns.append(
                _converted(table, name, column_converter, values) if column_converter else values
            )
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
        convert=_batch_converter(table.name, order, supplied, converters, defaults),
        order=tuple(order),
        converters=tuple(converters[name] for name in order),
        defaults=defaults,
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
    are the sync protocol's JSON values (see ``rm_contract.wire``), converted
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


@dataclass(frozen=True, slots=True)
class Written:
    """What :func:`insert_columns` stored: ``rows`` as bound, in ``columns`` order
    (the stored form: what a plain SQL read of those rows returns)."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Any]]
    # Every row was inserted (none of their keys was in the table before).
    new: bool = False


def insert_columns(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    wire: bool = True,
    lookup_batch: int = 2000,
) -> Written:
    """:func:`bulk_upsert` for rows given as value arrays in ``columns`` order (a
    columnar snapshot page): the columns are known once for all rows, so each column
    is checked (and, where the stored form differs, converted) in one pass, and the
    page's own arrays are bound by one ``executemany`` on the driver's connection.
    Columns this table does not have are left out (a newer server may send more);
    every row must have ``len(columns)`` values.

    Rows whose key is above every stored key (a bootstrap page into an empty or
    resumed table: pages come in key order) are inserted without a lookup; the others
    are looked up and upserted, as :func:`bulk_upsert` does. Runs in the caller's
    transaction, never commits; ``rows`` are never changed. Raises ValueError for a
    row of the wrong length, a missing key column or a value its column does not
    accept.
    """
    width = len(columns)
    if not rows:
        return Written(tuple(columns), [])
    if not set(map(len, rows)) <= {width}:
        bad = next(i for i, row in enumerate(rows) if len(row) != width)
        raise ValueError(f"{table.name}: row {bad} has {len(rows[bad])} values, not {width}")
    known = [i for i, name in enumerate(columns) if name in table.c]
    names = [columns[i] for i in known]
    if len(set(names)) != len(names):
        raise ValueError(f"{table.name}: a column is named twice in {list(columns)}")
    plan = _plan(conn.dialect, table, frozenset(names), wire=wire)
    count = len(rows)
    params: Sequence[Sequence[Any]]
    if (
        len(names) == width
        and len(plan.order) == width
        and conn.dialect.paramstyle == "qmark"
        and set(map(type, rows)) <= {list}
    ):
        # Every column known and none to default: the page's own arrays are the
        # parameters, in the page's column order, when every value is stored as it
        # came (the others are only checked). A page with values a converter changes
        # (money to fen) is bound from copies: the caller's arrays stay as they came
        # (a page retried without its orphans was once converted twice).
        order = tuple(columns)
        insert_sql, upsert_sql = _ordered_sql(conn.dialect, table, order)
        converters = dict(zip(plan.order, plan.converters, strict=True))
        # Every column at once, transposed in C (wire columns all have a converter:
        # every value is checked).
        transposed = list(zip(*rows, strict=True))
        changed: list[tuple[int, Sequence[Any]]] = []
        for i, name in enumerate(order):
            converter = converters[name]
            if converter is None:
                continue
            values = transposed[i]
            stored = _converted(table.name, name, converter, values)
            if stored is not values:
                changed.append((i, stored))
        params = rows
        if changed:
            copies = list(map(list, rows))
            for i, stored in changed:
                for copy, value in zip(copies, stored, strict=True):
                    copy[i] = value
            params = copies
        keys: Sequence[Any] = transposed[order.index(plan.key)] if plan.key is not None else []
    else:
        # Transposed in C; a column of values per name.
        transposed = list(zip(*rows, strict=True))
        by_name = {name: transposed[i] for name, i in zip(names, known, strict=True)}
        converted: list[Sequence[Any]] = []
        for name, converter in zip(plan.order, plan.converters, strict=True):
            supplied: Sequence[Any] | None = by_name.get(name)
            if supplied is None:
                make = plan.defaults[name]
                supplied = [make() for _ in range(count)]
            converted.append(
                _converted(table.name, name, converter, supplied) if converter else supplied
            )
        order, insert_sql, upsert_sql = plan.order, plan.insert_sql, plan.upsert_sql
        params = list(zip(*converted, strict=True))
        keys = converted[plan.order.index(plan.key)] if plan.key is not None else []
    if plan.key is None:
        _executemany(conn, upsert_sql, params)
        return Written(order, params)
    key_column = table.c[plan.key]
    top = conn.execute(select(func.max(key_column))).scalar()
    fresh_only = top is None or (
        isinstance(top, str)
        and not getattr(key_column.type, "collation", None)
        and set(map(type, keys)) <= {str}
        and min(keys) > top
    )
    if fresh_only and len(set(keys)) == count:
        _executemany(conn, insert_sql, params)
        return Written(order, params, new=True)
    # Some keys may be stored already (a page applied again after local edits were
    # pushed): look them up; a key repeated in the page is updated in order.
    present: set[Any] = set()
    lookup = select(key_column).where(key_column.in_(bindparam("keys", expanding=True)))
    for start in range(0, count, lookup_batch):
        chunk = list(keys[start : start + lookup_batch])
        present.update(conn.execute(lookup, {"keys": chunk}).scalars())
    fresh: list[Sequence[Any]] = []
    again: list[Sequence[Any]] = []
    for key, row in zip(keys, params, strict=True):
        if key in present:
            again.append(row)
        else:
            present.add(key)
            fresh.append(row)
    if fresh:
        _executemany(conn, insert_sql, fresh)
    if again:
        _executemany(conn, upsert_sql, again)
    return Written(order, params)


def _executemany(conn: Connection, sql: str, params: Sequence[Sequence[Any]]) -> None:
    """``executemany`` on the driver's own connection, in the caller's transaction:
    SQLAlchemy's would copy every row into a tuple first (and refuses lists). Driver
    errors come out as SQLAlchemy's, as from ``exec_driver_sql``."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        conn.connection.driver_connection.executemany(sql, params)  # type: ignore[union-attr]
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=conn.dialect) from exc


@lru_cache(maxsize=512)
def _ordered_sql(dialect: Dialect, table: Table, names: tuple[str, ...]) -> tuple[str, str]:
    """INSERT and upsert of ``names`` in that order, for qmark drivers (SQLite's):
    what :func:`_plan` compiles, with the parameters in the caller's column order."""
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    marks = ", ".join("?" * len(names))
    insert = f"INSERT INTO {target} ({', '.join(map(quote, names))}) VALUES ({marks})"
    keys = [c.name for c in table.primary_key.columns]
    updates = [f"{quote(n)} = excluded.{quote(n)}" for n in names if n not in keys]
    conflict = f" ON CONFLICT ({', '.join(map(quote, keys))}) DO "
    upsert = insert + conflict + ("UPDATE SET " + ", ".join(updates) if updates else "NOTHING")
    return insert, upsert


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
    """Drop the secondary indexes of ``tables`` for a bulk load into them;
    :func:`restore_indexes` builds them again. Returns how many were dropped.

    Rows arriving in primary-key order put their secondary index entries all over
    those B-trees: a load committed page by page rewrites most of every secondary
    index at each commit, while one ``CREATE INDEX`` at the end sorts once
    (``bench/bench_bootstrap.py``: about half the write time of a bootstrap).
    Unique indexes (the bulk tables' numbers) go too: their rule is checked when
    they are built again, where a duplicate fails the build. Primary keys and unique
    table constraints stay, checked row by row. The statements are kept in
    ``sync_state`` in the caller's transaction, so a crash leaves them to
    :func:`restore_indexes` (``open_cache`` calls it).
    """
    names = list(dict.fromkeys(tables))
    if not names:
        return 0
    marks = ", ".join("?" * len(names))
    dropped = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) ORDER BY name",
        tuple(names),
    ).all()
    if not dropped:
        return 0
    # Recorded first: the write begins the driver's transaction (pysqlite begins one
    # only before a data change, and a DDL statement outside one commits on its own),
    # so the drops that follow are part of it and a crash leaves both or neither.
    _set_deferred(conn, _deferred(conn) + [sql for _, sql in dropped])
    for name, _ in dropped:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return len(dropped)


def _set_deferred(conn: Connection, statements: Sequence[str]) -> None:
    if statements:
        conn.exec_driver_sql(
            f"INSERT INTO {_STATE} (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (DEFERRED_INDEXES, json.dumps(list(statements))),
        )
    else:
        conn.exec_driver_sql(f"DELETE FROM {_STATE} WHERE key = ?", (DEFERRED_INDEXES,))


def restore_indexes(
    conn: Connection, *, strict: bool = True, tables: Iterable[str] | None = None
) -> int:
    """Build again the indexes :func:`defer_indexes` dropped (exactly as they were);
    returns how many were built. Runs in the caller's transaction; a no-op when none
    are. ``tables``: only those tables' indexes (a bootstrap builds a table's as soon
    as its last page is in); the others stay deferred. A unique index the rows break
    (a duplicate number) raises IntegrityError, or, when not ``strict``, is left out
    and stays deferred (logged): the cache stays readable and the next bootstrap,
    which starts over, builds it."""
    if not conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_STATE,)
    ).first():
        return 0
    statements = _deferred(conn)
    if not statements:
        return 0
    wanted = None if tables is None else set(tables)
    existing = set(
        conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'index'").scalars()
    )
    left: list[str] = []
    built = 0
    for sql in statements:
        if sql in existing:
            continue
        if wanted is not None and _indexed_table(sql) not in wanted:
            left.append(sql)
            continue
        try:
            conn.exec_driver_sql(sql)  # a failed statement leaves nothing behind
        except IntegrityError:
            if strict:
                raise
            log.warning("index left out, its rule is broken: %s", sql, exc_info=True)
            left.append(sql)
        else:
            built += 1
    _set_deferred(conn, left)
    return built


# The table of a CREATE INDEX statement as SQLite keeps it ("... ON account (...)").
_ON_TABLE = re.compile(r'\bON\s+"?([A-Za-z_][A-Za-z0-9_]*)"?\s*\(', re.IGNORECASE)


def _indexed_table(sql: str) -> str | None:
    match = _ON_TABLE.search(sql)
    return match.group(1) if match else None


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
