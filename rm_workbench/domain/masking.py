"""Masking of ID numbers, credit codes and phone numbers for screen and paper.

The one place that decides how much of a customer's identifiers may be shown: the
UI, printed documents and exports all call :func:`mask`. A masked value never
shows more than half of its characters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rm_workbench.domain.identity import clean_id_number, normalize_phone

MaskKind = Literal["id_number", "phone", "credit_code"]

_STAR = "*"


def _keep_ends(text: str, keep: int) -> str:
    """Keep ``keep`` characters at each end (fewer if that would reveal over half)."""
    keep = min(keep, len(text) // 4)
    if keep == 0:
        return _STAR * len(text)
    return text[:keep] + _STAR * (len(text) - 2 * keep) + text[-keep:]


def mask_id_number(value: str | None) -> str:
    """Mask a resident ID number: ``1101**********1234`` for 18 characters.

    Other lengths (old 15-digit numbers, passports, broken data) keep the first two
    and last two characters. The cleaned number's length is preserved.
    """
    text = clean_id_number(value)
    if not text:
        return ""
    return _keep_ends(text, 4 if len(text) == 18 else 2)


def mask_credit_code(value: str | None) -> str:
    """Mask a unified social credit code like an ID number: ``9111**********341L``."""
    return mask_id_number(value)


def mask_customer_no(value: str | None) -> str:
    """Mask a customer number for what leaves the document (a PDF's title, a print
    job's name): ``C9*******01``. Enough to tell two documents apart, not to look the
    customer up."""
    text = "".join((value or "").split())
    return _keep_ends(text, 2) if text else ""


def document_name(kind: str, customer_no: str | None) -> str:
    """A neutral name for a customer's document: its kind and the customer number
    masked, never the name (print servers log job names; PDF titles travel)."""
    masked = mask_customer_no(customer_no)
    return f"{kind} {masked}" if masked else kind


def mask_phone(value: str | None) -> str:
    """Mask a phone number: ``138****8000`` for mainland mobiles.

    Mainland landlines keep the area code and the last two digits
    (``010-******78``); anything else keeps its first two and last two characters.
    """
    if not value or not value.strip():
        return ""
    e164 = normalize_phone(value)
    if e164 is not None and e164.startswith("+86"):
        national = e164[3:]
        if len(national) == 11 and national.startswith("1"):
            return national[:3] + _STAR * 4 + national[-4:]
        landline = _mask_landline(national)
        if landline is not None:
            return landline
    text = "".join(value.split())
    return _keep_ends(text, 2)


def _mask_landline(national: str) -> str | None:
    # Mainland area codes: 10 and 2x are two digits, the rest three; subscriber
    # numbers have 7 or 8 digits. Decided by the numbering plan, not by phonenumbers'
    # validity tables, which reject many real numbers in new ranges.
    # 400 and 800 numbers are nationwide and have no area code.
    if national.startswith(("10", "2")):
        area_length = 2
    elif national[:1] in tuple("3456789") and not national.startswith(("400", "800")):
        area_length = 3
    else:
        return None
    subscriber = national[area_length:]
    if not 7 <= len(subscriber) <= 8:
        return None
    return f"0{national[:area_length]}-{_STAR * (len(subscriber) - 2)}{subscriber[-2:]}"


_MASKERS: dict[str, Callable[[str | None], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "credit_code": mask_credit_code,
}


def mask(kind: MaskKind, value: str | None) -> str:
    """Mask ``value`` for display or print; None or empty gives ""."""
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of value to mask: {kind!r}") from None
    return masker(value)
