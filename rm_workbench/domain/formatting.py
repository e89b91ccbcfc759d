"""Money, rates and dates the way a Chinese bank writes them (zh_CN, via babel).

Amounts are Decimal (or int) only: a float has already lost the fen, so it is refused
with a TypeError rather than printed. Rounding is half-up, as on bank statements
(babel on its own rounds half-even).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

# Parsed once: babel parses a locale string again on every call (about 0.5 ms).
LOCALE = Locale.parse("zh_CN")

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_CENT = Decimal("0.01")


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        # Windows without the tzdata package; China has had no DST since 1991.
        return timezone(timedelta(hours=8), "CST")


SHANGHAI = _shanghai()


def _require_decimal(amount: object) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}: {amount!r}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return value


def _round(value: Decimal, exponent: Decimal) -> Decimal:
    rounded = value.quantize(exponent, rounding=ROUND_HALF_UP)
    # Never print "-0.00" for an amount that rounds to nothing.
    return abs(rounded) if rounded == 0 else rounded


def format_money(amount: Decimal, currency: str = "CNY") -> str:
    """``Decimal("1234567.885")`` → ``"¥1,234,567.89"``; other currencies by their code.

    Rounded half-up to the currency's minor unit (2 for CNY, 0 for JPY).
    """
    value = _require_decimal(amount)
    precision = babel_numbers.get_currency_precision(currency)
    value = _round(value, Decimal(1).scaleb(-precision))
    return babel_numbers.format_currency(value, currency, locale=LOCALE)


def format_wan(amount: Decimal) -> str:
    """An amount in yuan written in 万元 or 亿元: ``"50万元"``, ``"123.46万元"``, ``"1.2亿元"``.

    At most two decimals, trailing zeros dropped; 1亿 and more is written in 亿元.
    """
    value = _require_decimal(amount)
    unit, divisor = "万元", _WAN
    rounded = _round(value / _WAN, _CENT)
    # Decide on the rounded figure so 99,999,999 reads "1亿元", not "10,000万元".
    if abs(rounded) >= _WAN:
        unit, divisor = "亿元", _YI
        rounded = _round(value / divisor, _CENT)
    return _grouped(rounded) + unit


def _grouped(value: Decimal) -> str:
    """Babel's ``#,##0.##`` in zh_CN for a value already rounded to the fen (a test
    holds the two equal): written directly, it costs a tenth of babel's call, and the
    Today screen formats a thousand amounts."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".")


def format_rate(rate: Decimal) -> str:
    """A rate as a percentage with 2 to 4 decimals: ``Decimal("0.0215")`` → ``"2.15%"``."""
    value = _round(_require_decimal(rate), Decimal("0.000001"))
    return babel_numbers.format_percent(value, "0.00##%", locale=LOCALE)


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        # Stored times are UTC and aware; guessing a zone for a naive one hides bugs.
        raise ValueError(f"naive datetime, expected an aware one: {dt.isoformat()}")
    return dt.astimezone(SHANGHAI)


def _as_date(d: date) -> date:
    return _local(d).date() if isinstance(d, datetime) else d


def format_date(d: date) -> str:
    """``date(2026, 12, 3)`` → ``"2026年12月3日"`` (a datetime is taken in Beijing time)."""
    # Babel's "y年M月d日", written directly (a test holds the two equal).
    day = _as_date(d)
    return f"{day.year}年{day.month}月{day.day}日"


def format_short_date(d: date) -> str:
    """``date(2026, 12, 3)`` → ``"12月3日"`` (a datetime is taken in Beijing time)."""
    day = _as_date(d)
    return f"{day.month}月{day.day}日"


def format_datetime(dt: datetime) -> str:
    """An aware datetime in Beijing time: ``"2026年12月3日 14:30"``; naive raises ValueError."""
    local = _local(dt)
    return babel_dates.format_datetime(local, "y年M月d日 HH:mm", tzinfo=local.tzinfo, locale=LOCALE)
