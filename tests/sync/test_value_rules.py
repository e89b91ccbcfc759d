"""One rule for a wire value, two implementations: ``wire.value_problem`` (per value,
shared with the central service) and the bulk loader's strict wire converters (whole
columns of a snapshot page at once). They must give the same verdict on every value,
for every column of every synced table."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import MAX_SEQ, value_problem
from rm_workbench.db.bulk import ColumnValueError, _converted, _wire_converter
from rm_workbench.models import Base

DIALECT = sqlite.dialect()

CORPUS: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -5,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    10**30,
    1.5,
    float("nan"),
    "",
    "abc",
    "false",
    "true",
    "0",
    "12.50",
    "-0.05",
    "1234.5",
    "1.005",
    "1E+30",
    "1e2",
    "NaN",
    "Infinity",
    "-Infinity",
    "9999999999999999.99",
    "92233720368547758.07",
    "92233720368547758.08",
    "1E+16",
    "1E+17",
    "0.0215",
    "1E-23",
    "1E-22",
    "123456789012345678901234",
    "1234567890123456789012345",
    "2026-11-22",
    "2026-02-30",
    "2026-W47-1",
    "20261122",
    "2026-11-22T01:00:00.000000+00:00",
    "2026-11-22T09:00:00+08:00",
    "2026-11-22T01:00:00",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59+00:00",
    "2026-11-22T25:00:00+00:00",
    "x" * 36,
    "x" * 37,
    "张" * 100,
    "张" * 101,
    [],
    ["a", "b"],
    ["a", 1],
    {"a": 1},
    "individual",
    "phone",
    "open",
    "time_deposit",
    "R3",
]


def _columns() -> list[tuple[str, str]]:
    return [(t, c.name) for t in SYNCED_TABLES for c in Base.metadata.tables[t].columns]


def _enum_values(table: str, column: str) -> list[Any]:
    kind = Base.metadata.tables[table].c[column].type
    return list(getattr(kind, "enums", []) or [])


@pytest.mark.parametrize(("table", "column"), _columns())
def test_the_per_value_rule_and_the_column_converters_agree(table: str, column: str) -> None:
    converter = _wire_converter(Base.metadata.tables[table].c[column], DIALECT)
    for value in [*CORPUS, *_enum_values(table, column), MAX_SEQ]:
        per_value = value_problem(table, column, value) is None
        try:
            _converted(table, column, converter, [value])
            whole = True
        except ColumnValueError as exc:
            whole = False
            assert exc.table == table and exc.column == column
        assert per_value == whole, f"{table}.{column} = {value!r:.60}: {per_value} vs {whole}"
        # The column path (many values at once, canonical or not) agrees too.
        try:
            _converted(table, column, converter, [value, None, value])
            many = True
        except ColumnValueError:
            many = False
        assert many == whole, f"{table}.{column} = {value!r:.60} in a column"


def test_strict_values_refused_with_their_column() -> None:
    money = _wire_converter(Base.metadata.tables["customer"].c.aum, DIALECT)
    for bad in ("1E+30", "abc", "NaN", True, 1.5):
        with pytest.raises(ColumnValueError) as raised:
            _converted("customer", "aum", money, ["12.00", bad])
        assert raised.value.column == "aum" and "customer" in str(raised.value)
    assert _converted("customer", "aum", money, ["12.00", "-0.05", None]) == [1200, -5, None]
    deleted = _wire_converter(Base.metadata.tables["customer"].c.deleted, DIALECT)
    with pytest.raises(ColumnValueError):
        _converted("customer", "deleted", deleted, [False, "false"])
