"""Resident ID numbers, credit codes and phone normalization."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric, uscc

from rm_contract.vocabulary import Gender
from rm_workbench.domain.identity import (
    area_code_exists,
    check_credit_code,
    check_resident_id,
    clean_id_number,
    normalize_phone,
)

TODAY = date(2026, 6, 1)


def _all_area_codes() -> list[str]:
    """Every district code in stdnum's table (cn/loc), whatever years it was in use."""
    codes: list[str] = []
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high:
            continue
        for child_length, child_low, child_high, child_props, _ in children:
            if child_length == 4 and child_low == child_high and "county" in child_props:
                codes.append(low + child_low)
    return codes


AREA_CODES = _all_area_codes()


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_area_table_is_large() -> None:
    assert len(AREA_CODES) > 3000
    for code in ("110105", "310104", "440305", "330106", "510107"):
        assert code in AREA_CODES


area_codes = st.sampled_from(AREA_CODES)
sequences = st.integers(min_value=0, max_value=999)
birth_dates = st.dates(min_value=date(1906, 6, 2), max_value=TODAY)


@st.composite
def valid_ids(draw: st.DrawFn) -> tuple[str, date, int]:
    birth = draw(birth_dates)
    seq = draw(sequences)
    number = with_check_digit(f"{draw(area_codes)}{birth:%Y%m%d}{seq:03d}")
    return number, birth, seq


# --- examples ---------------------------------------------------------------------


def test_valid_number() -> None:
    result = check_resident_id("110105199001011232")
    assert result.valid
    assert result.reason is None
    assert result.normalized == "110105199001011232"
    assert result.birth_date == date(1990, 1, 1)
    assert result.gender == Gender.MALE  # 17th digit 3
    assert not result.converted_from_15


def test_female_and_check_x() -> None:
    number = with_check_digit("11010519900101124")
    result = check_resident_id(number)
    assert result.valid and result.gender == Gender.FEMALE
    x_number = next(
        with_check_digit(f"11010519900101{n:03d}")
        for n in range(1000)
        if ric.calc_check_digit(f"11010519900101{n:03d}0") == "X"
    )
    assert check_resident_id(x_number.lower()).normalized == x_number


@pytest.mark.parametrize(
    "raw",
    [
        "110105 1990 0101 1232",
        "110105-19900101-1232",
        "１１０１０５１９９００１０１１２３２",
        "\ufeff110105199001011232\n",
        "110105\u3000199001011232",
    ],
)
def test_normalizes_what_real_data_holds(raw: str) -> None:
    result = check_resident_id(raw)
    assert result.valid, result.reason
    assert result.normalized == "110105199001011232"


def test_full_width_lower_x() -> None:
    number = next(
        with_check_digit(f"31010419851231{n:03d}")
        for n in range(1000)
        if ric.calc_check_digit(f"31010419851231{n:03d}0") == "X"
    )
    full_width = number[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "ｘ"
    result = check_resident_id(full_width)
    assert result.valid
    assert result.normalized == number


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "证件号码为空"),
        ("", "证件号码为空"),
        ("  - ", "证件号码为空"),
        ("1101051990010112", "身份证号码应为18位（或旧版15位），实际为16位"),
        ("11010519900101", "身份证号码应为18位（或旧版15位），实际为14位"),
        ("11010590010A123", "15位身份证号码不应包含字母，第12位是'A'"),
        ("11010519900101A23X", "前17位应全为数字，第15位是'A'"),
        ("110105199001011235", "校验位应为 2，实际为 5"),
        ("11010519900101123X", "校验位应为 2，实际为 X"),
        ("11010519900101123A", "校验位应为 2，实际为 A"),
    ],
)
def test_reasons(raw: str | None, reason: str) -> None:
    result = check_resident_id(raw)
    assert not result.valid
    assert result.reason == reason
    assert result.normalized is None and result.birth_date is None and result.gender is None


def test_impossible_birth_date_is_named() -> None:
    result = check_resident_id(with_check_digit("11010519900230123"))
    assert result.reason == "出生日期 1990-02-30 不存在"


def test_impossible_date_named_before_wrong_check_digit() -> None:
    # A mistyped date usually breaks the check digit too; the date says where to look.
    result = check_resident_id("110105199013011230")
    assert result.reason == "出生日期 1990-13-01 不存在"


def test_unknown_area_code() -> None:
    assert check_resident_id(with_check_digit("99999919900101123")).reason == (
        "地区码 999999 不存在"
    )


def test_unknown_district_of_known_province() -> None:
    # stdnum.cn.ric.validate raises KeyError('county') for this one.
    result = check_resident_id(with_check_digit("11999919900101123"))
    assert result.reason == "地区码 119999 不存在"


def test_district_created_after_birth_is_accepted() -> None:
    # 110112 (通州区) exists since 1997; people born before got it on first issue.
    number = with_check_digit("11011219900101123")
    assert not ric.is_valid(number)
    assert check_resident_id(number).valid


def test_birth_in_future_with_today() -> None:
    number = with_check_digit("11010520270101123")
    assert check_resident_id(number).valid  # no today: no range check
    result = check_resident_id(number, today=TODAY)
    assert not result.valid
    assert result.reason is not None and "2027-01-01" in result.reason
    assert "晚于今天" in result.reason


def test_older_than_120_with_today() -> None:
    number = with_check_digit("11010519000101123")
    result = check_resident_id(number, today=TODAY)
    assert not result.valid
    assert result.reason is not None and "120" in result.reason
    # Exactly 120 is still believable.
    assert check_resident_id(with_check_digit("11010519060601123"), today=TODAY).valid


def test_fifteen_digit_converts() -> None:
    result = check_resident_id("110105900101123")
    assert result.valid
    assert result.converted_from_15
    assert result.normalized == "110105199001011232"
    assert result.birth_date == date(1990, 1, 1)
    assert result.gender == Gender.MALE


def test_fifteen_digit_bad_date() -> None:
    assert check_resident_id("110105900230123").reason == "出生日期 1990-02-30 不存在"


def test_fifteen_digit_non_letter() -> None:
    reason = check_resident_id("1101059001011#3").reason
    assert reason == "15位身份证号码应全为数字，第14位是'#'"


def test_clean_id_number() -> None:
    assert clean_id_number(None) == ""
    assert clean_id_number(" １１０-x ") == "110X"
    assert clean_id_number("abc123") == "ABC123"


def test_the_quick_reading_of_the_area_table_is_numdbs() -> None:
    from rm_workbench.domain.identity import _county_codes

    counties = _county_codes()
    assert counties is not None, "stdnum's cn/loc.dat changed shape: read it again"
    table = numdb.get("cn/loc")

    def by_numdb(code: str) -> bool:
        parts = table.info(code)
        return "".join(part for part, _ in parts) == code and "county" in parts[-1][1]

    assert counties == set(AREA_CODES)
    provinces = [*sorted({code[:2] for code in AREA_CODES}), "00", "99"]
    for province in provinces:
        for rest in range(0, 10_000, 7):
            code = f"{province}{rest:04d}"
            assert (code in counties) == by_numdb(code), code


def test_area_code_exists() -> None:
    assert area_code_exists("110105")
    assert not area_code_exists("999999")
    assert not area_code_exists("119999")
    assert not area_code_exists("11010")
    assert not area_code_exists("11010A")


# --- properties ---------------------------------------------------------------------


@settings(database=None, max_examples=300)
@given(valid_ids())
def test_every_well_formed_number_validates(case: tuple[str, date, int]) -> None:
    number, birth, seq = case
    result = check_resident_id(number, today=TODAY)
    assert result.valid, result.reason
    assert result.normalized == number
    assert result.birth_date == birth
    assert result.gender == (Gender.MALE if seq % 2 else Gender.FEMALE)
    assert result.reason is None


@settings(database=None, max_examples=300)
@given(valid_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_changing_one_character_invalidates(
    case: tuple[str, date, int], position: int, replacement: str
) -> None:
    number = case[0]
    assume(number[position] != replacement)
    assume(position == 17 or replacement != "X")
    changed = number[:position] + replacement + number[position + 1 :]
    result = check_resident_id(changed)
    assert not result.valid
    assert result.reason


@settings(database=None, max_examples=300)
@given(
    area_codes,
    st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)),
    sequences,
)
def test_fifteen_digit_conversion(area: str, birth: date, seq: int) -> None:
    old = f"{area}{birth:%y%m%d}{seq:03d}"
    result = check_resident_id(old)
    assert result.valid, result.reason
    assert result.converted_from_15
    assert result.normalized is not None and len(result.normalized) == 18
    again = check_resident_id(result.normalized)
    assert again.valid and not again.converted_from_15
    assert again.birth_date == result.birth_date == birth
    assert again.gender == result.gender == (Gender.MALE if seq % 2 else Gender.FEMALE)
    assert ric.calc_check_digit(result.normalized) == result.normalized[17]


@settings(database=None, max_examples=500)
@given(st.text(max_size=40))
def test_garbage_never_raises(raw: str) -> None:
    cleaned = clean_id_number(raw)
    assume(not (len(cleaned) in (15, 18) and cleaned[:17].isdigit()))
    result = check_resident_id(raw, today=TODAY)
    assert not result.valid
    assert isinstance(result.reason, str) and result.reason


@settings(database=None, max_examples=300)
@given(st.text(alphabet="0123456789Xx -ｘ１", max_size=20))
def test_digit_soup_never_raises(raw: str) -> None:
    result = check_resident_id(raw, today=TODAY)
    assert result.valid == (result.reason is None)
    if result.valid:
        assert result.normalized is not None and len(result.normalized) == 18


# --- credit codes ---------------------------------------------------------------------

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def with_credit_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


def test_credit_code_valid() -> None:
    result = check_credit_code("91110000600037341L")
    assert result.valid and result.normalized == "91110000600037341L" and result.reason is None
    assert check_credit_code(" 9111 0000-6000 3734 1l ").normalized == "91110000600037341L"


def test_credit_code_letter_authority_is_accepted() -> None:
    # GB 32100 authority N (农业农村) and Y (其他); stdnum rejects a leading letter.
    for first in "NY":
        code = with_credit_check(f"{first}2110000600037341")
        assert not uscc.is_valid(code)
        assert check_credit_code(code).valid
    wrong = "N2110000600037341" + (
        "0" if with_credit_check("N2110000600037341")[-1] != "0" else "1"
    )
    assert not check_credit_code(wrong).valid


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "统一社会信用代码为空"),
        ("9111000060003734", "统一社会信用代码应为18位，实际为16位"),
        ("91110000600037341X", "校验位应为 L，实际为 X"),
        ("91110000600O37341L", "统一社会信用代码不使用字母 I、O、Z、S、V，第12位是'O'"),
        ("91110000600037341I", "统一社会信用代码不使用字母 I、O、Z、S、V，第18位是'I'"),
        ("9111000060003734#L", "统一社会信用代码只能由数字和大写字母组成，第17位是'#'"),
        ("9A110000600037341L", "第2至8位（机构类别和行政区划码）应为数字，第2位是'A'"),
    ],
)
def test_credit_code_reasons(raw: str | None, reason: str) -> None:
    result = check_credit_code(raw)
    assert not result.valid and result.normalized is None
    assert result.reason == reason


@settings(database=None, max_examples=200)
@given(
    st.sampled_from("159Y"),
    st.sampled_from("123459"),
    area_codes,
    st.text(alphabet=CREDIT_ALPHABET, min_size=9, max_size=9),
)
def test_credit_code_property(authority: str, kind: str, area: str, org: str) -> None:
    code = with_credit_check(authority + kind + area + org)
    assert check_credit_code(code).valid
    for position in range(18):
        for replacement in "0AX":
            if replacement != code[position]:
                changed = code[:position] + replacement + code[position + 1 :]
                result = check_credit_code(changed)
                assert not result.valid and result.reason


@settings(database=None, max_examples=300)
@given(st.text(max_size=30))
def test_credit_code_garbage_never_raises(raw: str) -> None:
    result = check_credit_code(raw)
    assert result.valid == (result.reason is None)


# --- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138-0013-8000",
        "86 13800138000",
        "0086 138 0013 8000",
        "１３８００１３８０００",
    ],
)
def test_mobile_forms_are_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+8613800138000"


def test_phone_other_forms() -> None:
    assert normalize_phone(None) is None
    assert normalize_phone("") is None
    assert normalize_phone("无") is None
    assert normalize_phone("010-12345678") == normalize_phone("(010) 1234 5678") == "+861012345678"
    # A foreign number keeps its own country code, even if it looks like a CN mobile.
    assert normalize_phone("+1 302 555 0123") == "+13025550123"
