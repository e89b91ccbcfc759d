"""The pure rules under the services: reminder dates and input checks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rm_contract.vocabulary import SalesStage
from rm_workbench.domain import validation as check
from rm_workbench.domain.reminders import (
    Dormancy,
    birthday_in,
    birthday_keys,
    day_start,
    dormancy,
    dormancy_sign_range,
    local_today,
    next_birthday,
    visit_overdue_days,
    week_of,
)
from rm_workbench.errors import ValidationError


def test_day_boundaries_are_beijing_midnight() -> None:
    assert day_start(date(2026, 11, 25)) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert local_today(datetime(2026, 11, 24, 16, 0, tzinfo=UTC)) == date(2026, 11, 25)
    assert local_today(datetime(2026, 11, 24, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 24)
    with pytest.raises(ValueError, match="naive"):
        local_today(datetime(2026, 11, 25, 10, 0))


def test_week_runs_monday_to_sunday() -> None:
    assert week_of(date(2026, 11, 25)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week_of(date(2026, 11, 29)) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week_of(date(2026, 11, 30)) == (date(2026, 11, 30), date(2026, 12, 6))


def test_birthdays_and_29_february() -> None:
    leap = date(2000, 2, 29)
    assert birthday_in(leap, 2027) == date(2027, 3, 1)
    assert birthday_in(leap, 2028) == date(2028, 2, 29)
    assert next_birthday(date(1980, 1, 2), date(2026, 12, 28)) == date(2027, 1, 2)
    assert birthday_keys(date(2027, 2, 27), date(2027, 3, 1)) == [
        "02-27",
        "02-28",
        "03-01",
        "02-29",
    ]
    assert "02-29" not in birthday_keys(date(2028, 2, 27), date(2028, 3, 1))[3:]
    assert birthday_keys(date(2026, 12, 30), date(2027, 1, 1)) == ["12-30", "12-31", "01-01"]


def test_dormancy_window() -> None:
    today = date(2026, 11, 25)
    assert dormancy(date(2026, 5, 30), today, 180) == Dormancy(turned=False, days=1, idle_days=179)
    assert dormancy(date(2026, 5, 29), today, 180) == Dormancy(turned=True, days=0, idle_days=180)
    assert dormancy(date(2026, 6, 28), today, 180) == Dormancy(turned=False, days=30, idle_days=150)
    assert dormancy(date(2026, 6, 29), today, 180) is None  # 149 days: not yet
    assert dormancy(date(2026, 4, 30), today, 180) == Dormancy(turned=True, days=29, idle_days=209)
    assert dormancy(date(2026, 4, 29), today, 180) is None  # old news
    first, last = dormancy_sign_range(today, 180)
    assert (first, last) == (date(2026, 4, 30), date(2026, 6, 28))


def test_visit_cadence() -> None:
    today = date(2026, 11, 25)
    assert visit_overdue_days(None, today, 30) == 0
    assert visit_overdue_days(date(2026, 10, 26), today, 30) == 0
    assert visit_overdue_days(date(2026, 10, 27), today, 30) is None
    assert visit_overdue_days(date(2026, 10, 16), today, 30) == 10
    assert visit_overdue_days(None, today, 0) is None


def test_text_checks() -> None:
    assert check.required_text("  回访  ", "拜访目的", 10) == "回访"
    assert check.optional_text("   ", "地点") is None
    with pytest.raises(ValidationError, match="请填写拜访目的"):
        check.required_text(None, "拜访目的", 10)
    with pytest.raises(ValidationError, match="拜访目的最多 2 个字，现在有 3 个字"):
        check.required_text("三个字", "拜访目的", 2)
    with pytest.raises(ValidationError, match="控制字符"):
        check.required_text("a\x00b", "概要", 10)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12000", Decimal("12000.00")),
        ("12,000.5", Decimal("12000.50")),
        (" 8000元 ", Decimal("8000.00")),
        (Decimal("0.01"), Decimal("0.01")),
        (3, Decimal("3.00")),
        ("", None),
        (None, None),
    ],
)
def test_yuan_accepts(typed: object, amount: Decimal | None) -> None:
    assert check.yuan(typed, "金额") == amount  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-0.01", "金额不能为负数"),
        ("0.001", "金额以元为单位，最多两位小数（到分），“0.001”的小数位太多"),
        ("abc", "金额“abc”不是有效的金额"),
        (1.5, "金额必须是以元为单位的数字"),
        (True, "金额必须是以元为单位的数字"),
        ("NaN", "金额不是有效的金额"),
        ("1e13", "金额过大"),
    ],
)
def test_yuan_refuses(typed: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check.yuan(typed, "金额")  # type: ignore[arg-type]
    assert message in caught.value.user_message


def test_probability_and_choices() -> None:
    assert check.probability("45%") == 45
    assert check.probability(0) == 0
    with pytest.raises(ValidationError, match="现在是 101"):
        check.probability(101)
    with pytest.raises(ValidationError, match="整数"):
        check.probability("4.5")
    assert check.choice(SalesStage, "won", "销售阶段") is SalesStage.WON
    with pytest.raises(ValidationError, match="销售阶段“maybe”无法识别"):
        check.choice(SalesStage, "maybe", "销售阶段")


def test_date_order_and_the_past() -> None:
    check.dates_in_order(date(2026, 1, 1), None, "开始", "结束")
    check.dates_in_order(date(2026, 1, 1), date(2026, 1, 1), "开始", "结束")
    with pytest.raises(
        ValidationError, match=r"结束（2025年12月31日）不能早于开始（2026年1月1日）"
    ):
        check.dates_in_order(date(2026, 1, 1), date(2025, 12, 31), "开始", "结束")
    check.not_before_today(date(2026, 11, 25), date(2026, 11, 25), "跟进日期")
    with pytest.raises(ValidationError, match="跟进日期（2026年11月24日）已经过去"):
        check.not_before_today(date(2026, 11, 24), date(2026, 11, 25), "跟进日期")
