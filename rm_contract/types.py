"""Column types that keep the bank's data exact.

* ``Money``: ``Decimal`` in Python, integer fen (分) in the database, so sums in SQL
  stay exact and a float never sneaks in (binding a float raises).
* ``Rate``: ``Decimal`` rates and fee ratios, stored as canonical text.
* ``UTCDateTime``: timezone-aware ``datetime`` in Python, UTC ISO-8601 text in the
  database; binding a naive datetime raises instead of guessing a zone.
* ``JSONList``: a JSON array of strings (product codes, target tiers).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Dialect, String, Text
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """Decimal from int, str or Decimal; floats are refused (they are never exact)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, float):
        raise TypeError(f"money must not be a float: {value!r}; use Decimal or str")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {value!r}") from exc
    raise TypeError(f"not an amount: {value!r}")


def decimal_to_fen(value: Any) -> int:
    return int(to_decimal(value).quantize(FEN, rounding=ROUND_HALF_UP) * 100)


def fen_to_decimal(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(FEN)


class Money(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return decimal_to_fen(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return fen_to_decimal(int(value))


class Rate(TypeDecorator[Decimal]):
    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return format(to_decimal(value).normalize(), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value)


def utc_iso(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime refused (no time zone): {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class UTCDateTime(TypeDecorator[datetime]):
    # Fixed-width ISO text sorts chronologically, so range queries work on SQLite.
    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return utc_iso(parse_utc(value))
        return utc_iso(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return parse_utc(value)


class JSONList(TypeDecorator[list[str]]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"))

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        if value is None:
            return None
        result: list[str] = json.loads(value)
        return result
