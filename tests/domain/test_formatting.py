"""zh_CN money, 万元, rates and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rm_workbench.domain.formatting import (
    format_date,
    format_datetime,
    format_money,
    format_rate,
    format_short_date,
    format_wan,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234567.89"), "¥1,234,567.89"),
        (Decimal("1234567.885"), "¥1,234,567.89"),  # half-up, not babel's half-even
        (Decimal("0.005"), "¥0.01"),
        (Decimal("0"), "¥0.00"),
        (Decimal("-0.001"), "¥0.00"),  # no "-¥0.00"
        (Decimal("-1234.5"), "-¥1,234.50"),
        (12, "¥12.00"),
    ],
)
def test_format_money(amount: Decimal, text: str) -> None:
    assert format_money(amount) == text


def test_format_money_other_currencies() -> None:
    assert format_money(Decimal("12.5"), "USD") == "US$12.50"
    assert format_money(Decimal("12.5"), "JPY") == "JP¥13"


@pytest.mark.parametrize(
    "bad",
    [1.5, 0.0, True, "12", None],
)
def test_money_refuses_non_decimal(bad: object) -> None:
    with pytest.raises(TypeError):
        format_money(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_wan(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_rate(bad)  # type: ignore[arg-type]


def test_money_refuses_nan() -> None:
    with pytest.raises(ValueError):
        format_money(Decimal("NaN"))


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("500000", "50万元"),
        ("1234567", "123.46万元"),
        ("1234500", "123.45万元"),
        ("1200000", "120万元"),
        ("10000", "1万元"),
        ("5000", "0.5万元"),
        ("0", "0万元"),
        ("-0.4", "0万元"),
        ("-1234567", "-123.46万元"),
        ("99994999", "9,999.5万元"),
        ("99999999", "1亿元"),  # rounds to 10,000万: written in 亿
        ("100000000", "1亿元"),
        ("120000000", "1.2亿元"),
        ("123456789", "1.23亿元"),
        ("-250000000", "-2.5亿元"),
        ("1234567890000", "12,345.68亿元"),
    ],
)
def test_format_wan(amount: str, text: str) -> None:
    assert format_wan(Decimal(amount)) == text


@settings(database=None, max_examples=300)
@given(st.decimals(min_value=-(10**13), max_value=10**13, places=2))
def test_format_wan_round_trips_within_rounding(amount: Decimal) -> None:
    text = format_wan(amount)
    unit = Decimal(100_000_000) if text.endswith("亿元") else Decimal(10_000)
    shown = Decimal(text.removesuffix("亿元").removesuffix("万元").replace(",", ""))
    assert abs(shown * unit - amount) <= unit / 200
    assert (shown < 0) == (text.startswith("-"))


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("0.0215", "2.15%"),
        ("0.03", "3.00%"),
        ("0.03125", "3.125%"),
        ("0.000123456", "0.0123%"),
        ("-0.005", "-0.50%"),
        ("1", "100.00%"),
    ],
)
def test_format_rate(rate: str, text: str) -> None:
    assert format_rate(Decimal(rate)) == text


def test_dates() -> None:
    assert format_date(date(2026, 12, 3)) == "2026年12月3日"
    assert format_short_date(date(2026, 12, 3)) == "12月3日"
    assert format_date(date(2027, 1, 15)) == "2027年1月15日"


def test_datetime_in_beijing_time() -> None:
    assert format_datetime(datetime(2026, 12, 3, 6, 30, tzinfo=UTC)) == "2026年12月3日 14:30"
    # 17:00 UTC is already the next day in Beijing.
    late = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    assert format_datetime(late) == "2026年12月3日 01:00"
    assert format_date(late) == "2026年12月3日"
    assert format_short_date(late) == "12月3日"
    tokyo = datetime(2026, 12, 3, 15, 30, tzinfo=timezone(timedelta(hours=9)))
    assert format_datetime(tokyo) == "2026年12月3日 14:30"


@settings(database=None, max_examples=500)
@given(st.decimals(min_value=-(10**14), max_value=10**14, places=4))
def test_format_wan_writes_what_babel_writes(amount: Decimal) -> None:
    from babel.numbers import format_decimal

    text = format_wan(amount)
    unit = text[-2:]
    rounded = Decimal(text[:-2].replace(",", "")).quantize(Decimal("0.01"))
    assert text == format_decimal(rounded, "#,##0.##", locale="zh_CN") + unit


@settings(database=None, max_examples=300)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_dates_are_written_as_babel_writes_them(day: date) -> None:
    from babel.dates import format_date as babel_date

    assert format_date(day) == babel_date(day, "y年M月d日", locale="zh_CN")
    assert format_short_date(day) == babel_date(day, "M月d日", locale="zh_CN")


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        format_datetime(datetime(2026, 12, 3, 14, 30))
