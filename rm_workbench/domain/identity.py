"""Who a customer is: resident ID numbers, unified social credit codes, phone numbers.

Check characters and the area-code table come from python-stdnum (``stdnum.cn.ric``,
``stdnum.cn.uscc``, ``stdnum.numdb``); this module turns failures into sentences an
RM can act on, and copes with the data the bank really has (full-width digits,
spaces, lower-case x, the old 15-digit numbers).

Resident IDs are not passed through ``ric.validate``: it costs ~50 µs a number (its
``clean()`` walks every character and the area lookup is uncached), too slow for a
50,000-customer duplicate scan, and it raises KeyError, not a validation error, for
an unknown district of a known province. The same checks are made here with
stdnum's check-digit function and area table.

Deliberate departures from stdnum:

* stdnum rejects an area code that did not exist in the holder's birth year. People
  are registered where they live when their card is issued, often years after birth
  and after districts were re-drawn (someone born in 1990 in Tongzhou carries
  110112, a code created in 1997), so such numbers are real. Here an area code is
  valid if the national table has ever known it.
* stdnum rejects credit codes whose first character is a letter, but GB 32100 allows
  letter registration authorities (N for agricultural collectives, Y for "other"),
  so those are accepted when the check character is right.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength

from rm_contract.vocabulary import Gender
from rm_workbench.domain.segmentation import age_on

_DIGITS = frozenset("0123456789")
# Separators people type or that spreadsheets leave behind (BOM, zero-width space).
_SEPARATORS = frozenset("-‐‑‒–—―−﹣\u200b\u200c\u200d\u2060\ufeff")
_MAX_AGE = 120
# Characters GB 32100 uses: digits and capitals without I, O, Z, S, V.
_USCC_ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPQRTUWXY")
_USCC_EXCLUDED = frozenset("IOZSV")


@dataclass(frozen=True, slots=True)
class IdCheck:
    """Result of checking a resident ID number.

    ``normalized`` is the 18-character form (old 15-digit numbers converted, check
    character upper-case) and is set only when ``valid``; ``reason`` is a Chinese
    sentence for the RM and is None exactly when ``valid``.
    """

    valid: bool
    normalized: str | None = None
    birth_date: date | None = None
    gender: Gender | None = None
    reason: str | None = None
    converted_from_15: bool = False


@dataclass(frozen=True, slots=True)
class CreditCodeCheck:
    """Result of checking a unified social credit code (统一社会信用代码)."""

    valid: bool
    normalized: str | None = None
    reason: str | None = None


def clean_id_number(raw: str | None) -> str:
    """The number as typed, minus what people add around it.

    Full-width characters become ASCII, spaces and hyphens go, letters become
    upper-case. Nothing else is "fixed": an invalid number stays invalid.
    """
    if not raw:
        return ""
    if raw.isascii() and raw.isalnum():
        return raw.upper()
    text = unicodedata.normalize("NFKC", raw)
    return "".join(c for c in text if not c.isspace() and c not in _SEPARATORS).upper()


def _invalid(reason: str) -> IdCheck:
    return IdCheck(valid=False, reason=reason)


def _first_non_digit(text: str) -> tuple[int, str] | None:
    for index, char in enumerate(text, start=1):
        if char not in _DIGITS:
            return index, char
    return None


_PROVINCE_LINE = re.compile(r"([0-9]{2}) ")
_COUNTY_LINE = re.compile(r"  ([0-9]{4}) .*county=")


@lru_cache(maxsize=1)
def _county_codes() -> frozenset[str] | None:
    """Every code stdnum's division table (``cn/loc.dat``) lists as a county, read as
    the plain lines it holds (``11 province=…``, then ``  0105 county=…``): numdb's
    general reading of it takes 0.1 s, which the customer list's first page waited
    for. None when a line has another shape (then numdb reads it); a test holds the
    two readings equal."""
    data = resources.files("stdnum").joinpath("cn", "loc.dat").read_text(encoding="utf-8")
    codes: set[str] = set()
    province: str | None = None
    for line in data.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            found = _PROVINCE_LINE.match(line)
            if found is None:
                return None
            province = found.group(1)
            continue
        county = _COUNTY_LINE.match(line)
        if county is None or province is None:
            return None
        codes.add(province + county.group(1))
    return frozenset(codes)


@lru_cache(maxsize=8192)
def area_code_exists(code: str) -> bool:
    """Whether the national administrative-division table has ever had this code."""
    if len(code) != 6 or not set(code) <= _DIGITS:
        return False
    counties = _county_codes()
    if counties is not None:
        return code in counties
    parts = numdb.get("cn/loc").info(code)
    return "".join(part for part, _ in parts) == code and "county" in parts[-1][1]


def check_resident_id(raw: str | None, today: date | None = None) -> IdCheck:
    """Check a resident ID number (居民身份证号码), old 15-digit or 18-digit.

    Never raises on bad input: the result says why the number is wrong. When
    ``today`` is given, birth dates in the future or more than 120 years back are
    rejected too.
    """
    number = clean_id_number(raw)
    if not number:
        return _invalid("证件号码为空")

    converted = False
    if len(number) == 15:
        bad = _first_non_digit(number)
        if bad is not None:
            position, char = bad
            if char.isalpha():
                return _invalid(f"15位身份证号码不应包含字母，第{position}位是'{char}'")
            return _invalid(f"15位身份证号码应全为数字，第{position}位是'{char}'")
        # Old numbers carry a two-digit year of the 1900s and no check digit.
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
        converted = True
    elif len(number) != 18:
        return _invalid(f"身份证号码应为18位（或旧版15位），实际为{len(number)}位")
    else:
        bad = _first_non_digit(number[:17])
        if bad is not None:
            position, char = bad
            return _invalid(f"前17位应全为数字，第{position}位是'{char}'")

    # The date and the area are named before a wrong check digit: a mistyped date
    # breaks both, and "the date does not exist" tells the RM where to look.
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _invalid(f"出生日期 {number[6:10]}-{number[10:12]}-{number[12:14]} 不存在")
    if not area_code_exists(number[:6]):
        return _invalid(f"地区码 {number[:6]} 不存在")
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        return _invalid(f"校验位应为 {expected}，实际为 {number[17]}")
    if today is not None:
        if birth > today:
            return _invalid(f"出生日期 {birth.isoformat()} 晚于今天，不可能")
        if age_on(birth, today) > _MAX_AGE:
            return _invalid(f"出生日期 {birth.isoformat()} 表示年龄超过{_MAX_AGE}岁，请核对")
    gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
    return IdCheck(
        valid=True,
        normalized=number,
        birth_date=birth,
        gender=gender,
        converted_from_15=converted,
    )


def check_credit_code(raw: str | None) -> CreditCodeCheck:
    """Check a unified social credit code (统一社会信用代码, GB 32100); never raises."""
    code = clean_id_number(raw)
    if not code:
        return CreditCodeCheck(valid=False, reason="统一社会信用代码为空")
    if len(code) != 18:
        return CreditCodeCheck(valid=False, reason=f"统一社会信用代码应为18位，实际为{len(code)}位")
    try:
        uscc.validate(code)
    except InvalidLength:  # pragma: no cover - the length was checked above
        return CreditCodeCheck(valid=False, reason=f"统一社会信用代码应为18位，实际为{len(code)}位")
    except InvalidFormat:
        reason = _credit_code_format_problem(code)
        if reason is not None:
            return CreditCodeCheck(valid=False, reason=reason)
        # A letter registration authority, which stdnum refuses: check the sum here.
        if code[17] != uscc.calc_check_digit(code):
            return CreditCodeCheck(valid=False, reason=_credit_checksum_reason(code))
    except InvalidChecksum:
        return CreditCodeCheck(valid=False, reason=_credit_checksum_reason(code))
    return CreditCodeCheck(valid=True, normalized=code)


def _credit_checksum_reason(code: str) -> str:
    return f"校验位应为 {uscc.calc_check_digit(code)}，实际为 {code[17]}"


def _credit_code_format_problem(code: str) -> str | None:
    for position, char in enumerate(code, start=1):
        if char in _USCC_EXCLUDED:
            return f"统一社会信用代码不使用字母 I、O、Z、S、V，第{position}位是'{char}'"
        if char not in _USCC_ALPHABET:
            return f"统一社会信用代码只能由数字和大写字母组成，第{position}位是'{char}'"
    # Position 2 is the entity type and 3-8 the registering region: always digits.
    bad = _first_non_digit(code[1:8])
    if bad is not None:
        position, char = bad
        return f"第2至8位（机构类别和行政区划码）应为数字，第{position + 1}位是'{char}'"
    return None


_CN_MOBILE = re.compile(r"(?:0{0,2}86)?(1[3-9]\d{9})")


@lru_cache(maxsize=65536)
def normalize_phone(raw: str | None) -> str | None:
    """A phone number in E.164 form ("+8613800138000"), or None when there is none.

    Numbers without a country code are taken as mainland Chinese. Text that is not
    a possible phone number comes back as its digits, so two records holding the
    same odd text still compare equal.
    """
    if not raw:
        return None
    if raw.isascii() and raw.isdigit():
        text = digits = raw
    else:
        text = unicodedata.normalize("NFKC", raw).strip()
        digits = "".join(c for c in text if c in _DIGITS)
    if not digits:
        return None
    # Fast path for the common case (mainland mobiles); phonenumbers is ~20 µs a call.
    if not text.startswith("+") or digits.startswith("86"):
        match = _CN_MOBILE.fullmatch(digits)
        if match:
            return "+86" + match.group(1)
    import phonenumbers  # imported on first use: 0.1 s at start-up

    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
