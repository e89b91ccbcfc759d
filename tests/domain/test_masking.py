"""Masking for screen and paper: never more than half, never the middle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rm_workbench.domain.masking import mask, mask_credit_code, mask_id_number, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105199001011232", "1101**********1232"),
        ("11010519900101123x", "1101**********123X"),
        ("110105900101123", "11***********23"),
        ("E12345678", "E1*****78"),
        ("1234567", "1*****7"),
        ("123", "***"),
        (None, ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_mask_id_number(value: str | None, masked: str) -> None:
    assert mask_id_number(value) == masked
    assert mask("id_number", value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("010-12345678", "010-******78"),
        ("0755 8888 1234", "0755-******34"),
        ("+1 302 555 0123", "+1********23"),
        (None, ""),
        ("", ""),
    ],
)
def test_mask_phone(value: str | None, masked: str) -> None:
    assert mask_phone(value) == masked
    assert mask("phone", value) == masked


def test_mask_credit_code() -> None:
    assert mask_credit_code("91110000600037341L") == "9111**********341L"
    assert mask("credit_code", "91110000600037341L") == "9111**********341L"
    assert mask("credit_code", None) == ""


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        mask("email", "a@b.c")  # type: ignore[arg-type]


def _revealed(masked: str) -> int:
    return sum(1 for c in masked if c != "*")


@settings(database=None, max_examples=300)
@given(st.text(alphabet="0123456789X", min_size=1, max_size=30))
def test_id_masking_hides_the_middle(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    keep = 4 if len(value) == 18 else min(2, len(value) // 4)
    assert masked[keep : len(value) - keep] == "*" * (len(value) - 2 * keep)
    assert _revealed(masked) * 2 <= len(value)


@settings(database=None, max_examples=300)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_masking_hides_the_middle(mobile: str) -> None:
    masked = mask_phone(mobile)
    assert masked == mobile[:3] + "****" + mobile[7:]
    assert mask_phone(f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}") == masked


@settings(database=None, max_examples=300)
@given(
    st.sampled_from(["10", "21", "755", "571", "28"]),
    st.from_regex(r"[2-8][0-9]{7}", fullmatch=True),
)
def test_landline_masking_hides_the_subscriber(area: str, subscriber: str) -> None:
    masked = mask_phone(f"0{area}-{subscriber}")
    assert masked == f"0{area}-******{subscriber[-2:]}"


@settings(database=None, max_examples=300)
@given(st.text(min_size=1, max_size=30))
def test_phone_masking_never_reveals_more_than_it_got(value: str) -> None:
    masked = mask_phone(value)
    assert sum(c.isdigit() for c in masked) <= max(1, sum(c.isdigit() for c in value))
    assert "".join(value.split()) == "" or masked
