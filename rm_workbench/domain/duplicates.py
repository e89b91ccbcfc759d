"""Likely duplicate customers (the same person under several customer numbers).

Duplicates are only *flagged* for an RM to review; nothing here merges or changes a
record. Customers are grouped by key in dictionaries, so the work is linear in the
size of the book.

A pair that matches several rules gets one flag per rule (each with its own
``reason_code``), so the UI can show and filter them separately.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from rm_workbench.domain.identity import check_resident_id, clean_id_number, normalize_phone
from rm_workbench.domain.masking import mask_id_number, mask_phone

SAME_ID_NUMBER = "same_id_number"
SAME_NAME_PHONE = "same_name_phone"
SAME_NAME_BIRTH_DATE = "same_name_birth_date"

# Above this many customers sharing one key, the key is almost surely placeholder
# data (a branch phone, "000000…"); flagging every pair would be quadratic and bury
# the RM, so each member is paired with the group's first member only.
MAX_PAIRWISE_GROUP = 12

# Separators inside transliterated minority names: "阿依古丽·买买提" is typed many ways.
_NAME_DOTS = str.maketrans(dict.fromkeys("•・.．‧∙⋅", "·"))


@dataclass(frozen=True, slots=True)
class CustomerKey:
    """The fields of a customer that duplicate detection looks at."""

    customer_id: str
    customer_no: str | None
    name: str | None
    id_number: str | None
    mobile_phone: str | None
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class DuplicateFlag:
    """Two customers that may be the same person, and why (Chinese, for the RM)."""

    customer_ids: tuple[str, str]
    reason_code: str
    reason: str


def normalize_name(name: str | None) -> str:
    """The name as compared: full-width folded, no spaces, one kind of middle dot."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).translate(_NAME_DOTS)
    return "".join(text.split()).casefold()


class _Groups[K]:
    """Customer ids by key, allocating a list only for keys that repeat.

    Most keys belong to one customer; one list per key would mean 100,000+ live
    lists for a big book, and the garbage collector walking them doubles the time.
    """

    def __init__(self) -> None:
        self._first: dict[K, str] = {}
        self.repeated: dict[K, list[str]] = {}

    def add(self, key: K, customer_id: str) -> None:
        first = self._first.setdefault(key, customer_id)
        if first != customer_id:
            group = self.repeated.get(key)
            if group is None:
                self.repeated[key] = [first, customer_id]
            else:
                group.append(customer_id)


def find_duplicates(customers: Iterable[CustomerKey]) -> list[DuplicateFlag]:
    """Flag likely duplicates among ``customers``; never merges anything.

    Rules: the same ID number (an old 15-digit number equals its 18-digit form;
    invalid numbers compare as cleaned text); the same name and mobile phone; the
    same name and birth date (from the record, else from a valid ID number).
    Flags come sorted by customer ids, then reason code. A customer id given twice
    is looked at once.
    """
    by_id: _Groups[str] = _Groups()
    by_name_phone: _Groups[tuple[str, str]] = _Groups()
    by_name_birth: _Groups[tuple[str, date]] = _Groups()
    old_format: set[str] = set()
    seen: set[str] = set()

    for customer in customers:
        customer_id = customer.customer_id
        if customer_id in seen:
            continue
        seen.add(customer_id)
        birth = customer.birth_date
        id_key = clean_id_number(customer.id_number)
        if id_key:
            check = check_resident_id(id_key)
            if check.valid and check.normalized is not None:
                id_key = check.normalized
                birth = birth or check.birth_date
                if check.converted_from_15:
                    old_format.add(id_key)
            by_id.add(id_key, customer_id)
        name = normalize_name(customer.name)
        if not name:
            continue
        phone = normalize_phone(customer.mobile_phone)
        if phone:
            by_name_phone.add((name, phone), customer_id)
        if birth is not None:
            by_name_birth.add((name, birth), customer_id)

    flags: list[DuplicateFlag] = []
    for key, ids in by_id.repeated.items():
        detail = mask_id_number(key)
        if key in old_format:
            detail += "，含旧版15位号码"
        flags.extend(_pair_flags(ids, SAME_ID_NUMBER, f"证件号码相同（{detail}）"))
    for (_, phone), ids in by_name_phone.repeated.items():
        reason = f"姓名与手机号相同（{mask_phone(phone)}）"
        flags.extend(_pair_flags(ids, SAME_NAME_PHONE, reason))
    for ids in by_name_birth.repeated.values():
        flags.extend(_pair_flags(ids, SAME_NAME_BIRTH_DATE, "姓名与出生日期相同"))
    flags.sort(key=lambda f: (f.customer_ids, f.reason_code))
    return flags


def _pair_flags(ids: list[str], code: str, reason: str) -> list[DuplicateFlag]:
    ordered = sorted(ids)
    if len(ordered) <= MAX_PAIRWISE_GROUP:
        return [DuplicateFlag((a, b), code, reason) for a, b in combinations(ordered, 2)]
    first = ordered[0]
    bulk_reason = f"{reason}；共{len(ordered)}位客户相同，可能是占位数据，请核实"
    return [DuplicateFlag((first, other), code, bulk_reason) for other in ordered[1:]]
