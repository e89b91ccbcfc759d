"""Checks of what an RM types, each failing with a Chinese sentence that says what is
wrong and what is expected (raised as :class:`~rm_workbench.errors.ValidationError`).

Pure functions: no database, no Qt. The services call them before they open a
transaction, so a refused input never writes anything (nor an outbox entry).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from rm_workbench.domain.formatting import format_date, format_datetime
from rm_workbench.errors import ValidationError

# Money columns are integer fen in a 64-bit column; no single amount an RM types comes
# near that, so anything above a trillion yuan is a typing slip.
MAX_YUAN = Decimal("1000000000000")


def required_text(value: str | None, label: str, max_length: int) -> str:
    """The text without surrounding blanks; empty or too long is refused."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"请填写{label}。", f"{label}: empty")
    return _max_length(text, label, max_length)


def optional_text(value: str | None, label: str, max_length: int | None = None) -> str | None:
    """The text without surrounding blanks, or None when nothing was typed."""
    text = (value or "").strip()
    if not text:
        return None
    return text if max_length is None else _max_length(text, label, max_length)


def _max_length(text: str, label: str, max_length: int) -> str:
    if len(text) > max_length:
        raise ValidationError(
            f"{label}最多 {max_length} 个字，现在有 {len(text)} 个字，请精简。",
            f"{label}: {len(text)} > {max_length}",
        )
    if "\x00" in text:
        raise ValidationError(f"{label}中含有无法保存的控制字符。", f"{label}: NUL")
    return text


def yuan(value: Decimal | int | str | None, label: str) -> Decimal | None:
    """An amount in yuan (元) with at most two decimals (分), not negative.

    Accepts Decimal, int or text (``"12,000.50"``, ``"12000"``); None or blank text is
    "no amount". A float is refused: it has already lost the exact fen.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(
            f"{label}必须是以元为单位的数字（例如 12000.50）。",
            f"{label}: {type(value).__name__} {value!r}",
        )
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if text.endswith("元"):
            text = text[:-1].strip()
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                f"{label}“{value}”不是有效的金额，请输入以元为单位的数字（例如 12000.50）。",
                f"{label}: {value!r}",
            ) from None
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise ValidationError(f"{label}不是有效的金额。", f"{label}: {value!r}")
    if amount < 0:
        raise ValidationError(f"{label}不能为负数。", f"{label}: {amount}")
    if amount >= MAX_YUAN:
        raise ValidationError(f"{label}过大，请检查单位是否为元。", f"{label}: {amount}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            f"{label}以元为单位，最多两位小数（到分），“{value}”的小数位太多。",
            f"{label}: {amount}",
        )
    return amount.quantize(Decimal("0.01"))


def probability(value: int | str | None, label: str = "成功概率") -> int:
    """A percentage from 0 to 100 (whole numbers)."""
    if isinstance(value, str):
        text = value.strip().rstrip("%％").strip()
        if not text.isdigit():
            raise ValidationError(
                f"{label}应为 0 到 100 之间的整数（百分比），“{value}”不是。",
                f"{label}: {value!r}",
            )
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label}应为 0 到 100 之间的整数（百分比）。", f"{label}: {value!r}")
    if not 0 <= value <= 100:
        raise ValidationError(
            f"{label}应在 0 到 100 之间（百分比），现在是 {value}。", f"{label}: {value}"
        )
    return value


def choice[E: StrEnum](enum_cls: type[E], value: E | str | None, label: str) -> E:
    """A member of ``enum_cls`` from itself or its value text."""
    if isinstance(value, enum_cls):
        return value
    if value is None or not str(value).strip():
        raise ValidationError(f"请选择{label}。", f"{label}: empty")
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(
            f"{label}“{value}”无法识别，请从列表中选择。",
            f"{label}: {value!r} not in {[m.value for m in enum_cls]}",
        ) from None


def aware(value: datetime, label: str) -> datetime:
    """A timezone-aware datetime; a naive one is a programming error, not the RM's."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label}: naive datetime refused, pass an aware one: {value!r}")
    return value


def times_in_order(start: datetime, end: datetime | None, start_label: str, end_label: str) -> None:
    """``end`` (if any) is not before ``start``."""
    if end is not None and end < start:
        raise ValidationError(
            f"{end_label}（{format_datetime(end)}）不能早于{start_label}"
            f"（{format_datetime(start)}）。",
            f"{end_label} {end.isoformat()} < {start_label} {start.isoformat()}",
        )


def dates_in_order(start: date | None, end: date | None, start_label: str, end_label: str) -> None:
    """``end`` (if any) is not before ``start`` (if any)."""
    if start is not None and end is not None and end < start:
        raise ValidationError(
            f"{end_label}（{format_date(end)}）不能早于{start_label}（{format_date(start)}）。",
            f"{end_label} {end} < {start_label} {start}",
        )


def not_before_today(day: date | None, today: date, label: str) -> None:
    """A date that must not lie in the past (a follow-up, a planned end)."""
    if day is not None and day < today:
        raise ValidationError(
            f"{label}（{format_date(day)}）已经过去，请选择今天（{format_date(today)}）或以后的日期。",
            f"{label} {day} < today {today}",
        )


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def phone(value: str | None, label: str, *, mobile: bool = False) -> str | None:
    """A phone number checked with ``phonenumbers`` (a number without a country code
    is taken as mainland Chinese), or None when nothing was typed; ``mobile``: it must
    be a mobile number. Stored the way the bank's records write them: a mainland
    mobile as its 11 digits, a mainland landline as area code, dash, number
    (``0571-88886666``), others in international form (``+852 9123 4567``)."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return None
    import phonenumbers  # imported on first use: 0.1 s at start-up

    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"{label}“{value}”不是有效的电话号码。请输入手机号（如 13800138000）、"
            "带区号的座机号（如 0571-88886666），境外号码请加国际区号（如 +852 9123 4567）。",
            f"{label}: {value!r} not a valid number",
        )
    kind = phonenumbers.number_type(number)
    types = phonenumbers.PhoneNumberType
    if mobile and kind not in (types.MOBILE, types.FIXED_LINE_OR_MOBILE):
        raise ValidationError(
            f"{label}“{value}”不是手机号码；座机号请填在“其他电话”中。",
            f"{label}: {value!r} type {kind}",
        )
    national = str(number.national_number)
    if phonenumbers.region_code_for_number(number) == "CN":
        if kind == types.MOBILE:
            return national
        area = phonenumbers.length_of_geographical_area_code(number)
        if area:
            return f"0{national[:area]}-{national[area:]}"
        return f"0{national}"
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if len(shown) > 20:
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return shown


def email(value: str | None, label: str = "电子邮箱") -> str | None:
    """An e-mail address (``name@domain.tld``, at most 100 characters), or None when
    nothing was typed."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return None
    if not _EMAIL.fullmatch(text):
        raise ValidationError(
            f"{label}“{value}”格式不对，应像 zhang.san@example.com 这样。",
            f"{label}: {value!r}",
        )
    return _max_length(text, label, 100)
