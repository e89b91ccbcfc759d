"""Customer use cases: the search box and the customer list.

The search box ranks a few best hits (:func:`~rm_workbench.db.search.search_customers`);
the list pages through the whole book for a :class:`CustomerQuery`, whose SQL
(keyset paging over the search index's order rows, filters, segments) is planned in
:mod:`rm_workbench.services.customer_query`. This module turns what they find into
plain rows to show: masked, with data-quality and duplicate warnings and life stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from rm_contract.types import fen_to_decimal
from rm_contract.vocabulary import CustomerCategory, LifecycleStatus
from rm_workbench.config import bank_config
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import SearchHit, search_customers
from rm_workbench.domain.duplicates import CustomerKey, find_duplicates
from rm_workbench.domain.masking import mask
from rm_workbench.domain.quality import record_warnings
from rm_workbench.domain.segmentation import life_stage
from rm_workbench.models import Customer
from rm_workbench.services.customer_query import CustomerListPlanner, CustomerQuery, PageKey


@dataclass(frozen=True, slots=True)  # slots: a 50,000-row list is 50,000 fewer dicts
class CustomerSummary:
    """One row of a customer list, ready to show: phone and ID number come masked
    (revealing them is a deliberate, audited action elsewhere), with the record's
    data-quality warnings."""

    id: str
    customer_no: str
    name: str
    category: str
    tier: str | None
    lifecycle_status: str
    masked_phone: str
    masked_id_number: str
    warnings: tuple[str, ...]
    # How a search found it: 0 exact, 1 prefix, 2 fuzzy; and on what (name, pinyin, …).
    # None in a plain listing.
    match_rank: int | None = None
    matched_kind: str | None = None
    aum: Decimal = Decimal(0)
    # The life stage's name from the bank's configuration; None when the age is unknown.
    life_stage: str | None = None


@dataclass(frozen=True)
class CustomerPage:
    rows: tuple[CustomerSummary, ...]
    # Where the next page starts; None when this page is the last.
    next_key: PageKey | None


@dataclass(frozen=True)
class FilterOption:
    value: str
    label: str


@dataclass(frozen=True)
class FilterOptions:
    """The values each filter offers, in display order. Lifecycle labels are the
    status codes: the UI translates them."""

    tiers: tuple[FilterOption, ...]
    lifecycle_statuses: tuple[FilterOption, ...]
    life_stages: tuple[FilterOption, ...]
    branches: tuple[FilterOption, ...]


# The stored values a list row is made of, read with plain SQL: SQLAlchemy's typed rows
# cost about 2 µs per attribute, a third of a page's time (bench_customer_list.py).
_SUMMARY_COLUMNS = (
    "id, customer_no, name, category, tier, lifecycle_status, id_type, id_number,"
    " credit_code, mobile_phone, other_phone, aum, birth_date, marital_status, children_count"
)


def _rows_by_ids(conn: Connection, ids: Sequence[str], *, live: bool) -> dict[str, tuple[Any, ...]]:
    """Stored values of these customers by id (``live``: tombstones left out)."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        chunk = tuple(ids[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM customer WHERE id IN ({marks})"
        if live:
            sql += " AND deleted = 0"
        found.update((row[0], tuple(row)) for row in conn.exec_driver_sql(sql, chunk))
    return found


@lru_cache(maxsize=65536)
def _record_warnings(
    category: str,
    id_type: str | None,
    id_number: str | None,
    credit_code: str | None,
    mobile_phone: str | None,
    other_phone: str | None,
) -> tuple[str, ...]:
    # The identity checks are the costliest part of a row; the same book is listed
    # again and again (another order, a filter, after a sync), with the same numbers.
    return tuple(
        record_warnings(
            category=category,
            id_type=id_type,
            id_number=id_number,
            credit_code=credit_code,
            mobile_phone=mobile_phone,
            other_phone=other_phone,
        )
    )


def _summary(
    values: Sequence[Any],
    today: date,
    hit: SearchHit | None = None,
    duplicates: tuple[str, ...] = (),
) -> CustomerSummary:
    """A list row from the stored values of :data:`_SUMMARY_COLUMNS`."""
    (
        customer_id,
        customer_no,
        name,
        category,
        tier,
        lifecycle_status,
        id_type,
        id_number,
        credit_code,
        mobile_phone,
        other_phone,
        aum,
        birth_date,
        marital_status,
        children_count,
    ) = values
    stage = (
        None
        if birth_date is None
        else life_stage(
            birth_date=date.fromisoformat(birth_date),
            marital_status=marital_status,
            children_count=children_count,
            today=today,
        )
    )
    corporate = category == CustomerCategory.CORPORATE
    return CustomerSummary(
        id=customer_id,
        customer_no=customer_no,
        name=name,
        category=category,
        tier=tier,
        lifecycle_status=lifecycle_status,
        masked_phone=mask("phone", mobile_phone or other_phone),
        masked_id_number=(
            mask("credit_code", credit_code or id_number)
            if corporate
            else mask("id_number", id_number)
        ),
        warnings=_record_warnings(
            category, id_type, id_number, credit_code, mobile_phone, other_phone
        )
        + duplicates,
        match_rank=None if hit is None else hit.rank,
        matched_kind=None if hit is None else hit.matched_kind,
        aum=fen_to_decimal(aum or 0),
        life_stage=None if stage is None else stage.name,
    )


class CustomerService:
    """Finding, listing and counting the customers in the cache.

    Read-only, so it may run on any thread (each call takes its own connection): the
    UI calls it through ``run_in_background``. A page of the list or a search over
    50,000 customers takes a few milliseconds (bench/bench_customer_list.py,
    bench/bench_search.py); a count or a one-letter search some tens.
    """

    def __init__(
        self,
        cache: Cache,
        *,
        rm_id: str | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._cache = cache
        # None: every customer in the cache (the cache holds one RM's book anyway).
        self._rm_id = rm_id
        # The day ages (life stages) are counted on; a function, as the app runs for days.
        self._today = today
        # customer id -> "possible duplicate" warnings; filled by refresh_duplicates().
        self._duplicates: dict[str, tuple[str, ...]] = {}
        self._planner = CustomerListPlanner(rm_id=rm_id, today=today)

    def refresh_duplicates(self) -> int:
        """Re-run the duplicate rules over the whole book; returns the number of flags.

        Needs every customer, so it runs once at start-up and after a sync, not per
        row (about 0.5 s for 50,000 customers). Flags are warnings on the rows; no
        record is ever merged.
        """
        query = select(
            Customer.id,
            Customer.customer_no,
            Customer.name,
            Customer.id_number,
            Customer.mobile_phone,
            Customer.birth_date,
        ).where(Customer.deleted.is_(False))
        with self._cache.engine.connect() as conn:
            keys = [CustomerKey(*row) for row in conn.execute(query)]
        number = {key.customer_id: key.customer_no for key in keys}
        found: dict[str, list[str]] = {}
        flags = find_duplicates(keys)
        for flag in flags:
            first, second = flag.customer_ids
            found.setdefault(first, []).append(f"可能重复：与客户 {number[second]} {flag.reason}")
            found.setdefault(second, []).append(f"可能重复：与客户 {number[first]} {flag.reason}")
        self._duplicates = {cid: tuple(reasons) for cid, reasons in found.items()}
        return len(flags)

    def _row(self, values: Sequence[Any], hit: SearchHit | None = None) -> CustomerSummary:
        return _summary(values, self._today(), hit, self._duplicates.get(values[0], ()))

    def search(self, query: str, limit: int = 50) -> list[CustomerSummary]:
        """Customers matching the search box, best first (exact, prefix, fuzzy); at
        most ``limit``: call again with a larger limit to show more."""
        with self._cache.engine.connect() as conn:
            hits = search_customers(conn, query, limit=limit, rm_id=self._rm_id)
            if not hits:
                return []
            by_id = _rows_by_ids(conn, [hit.customer_id for hit in hits], live=False)
        # Both reads share one transaction, so a hit without its row is impossible.
        return [self._row(by_id[hit.customer_id], hit) for hit in hits if hit.customer_id in by_id]

    def page(self, offset: int, limit: int) -> list[CustomerSummary]:
        """One page of the whole list by OFFSET, ordered by name's code points then
        customer number. Kept for old callers; the customer list uses
        :meth:`page_after` (pinyin order, filters, constant cost per page)."""
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM customer WHERE deleted = 0"
        params: list[Any] = []
        if self._rm_id is not None:
            sql += " AND rm_id = ?"
            params.append(self._rm_id)
        sql += " ORDER BY name, customer_no LIMIT ? OFFSET ?"
        params += [max(limit, 0), max(offset, 0)]
        with self._cache.engine.connect() as conn:
            return [self._row(row) for row in conn.exec_driver_sql(sql, tuple(params))]

    # --- the list ------------------------------------------------------------------

    def page_after(
        self, query: CustomerQuery, after: PageKey | None = None, limit: int = 200
    ) -> CustomerPage:
        """The ``limit`` customers that follow ``after`` (None: the first page) in the
        list ``query`` describes, with the key the next page starts from."""
        limit = max(limit, 1)
        with self._cache.engine.connect() as conn:
            keys = self._planner.keys_after(conn, query, after, limit + 1)
            more = len(keys) > limit
            keys = keys[:limit]
            ids = [key.customer_id for key in keys]
            by_id = _rows_by_ids(conn, ids, live=True)
        today = self._today()
        rows = tuple(
            _summary(by_id[cid], today, None, self._duplicates.get(cid, ()))
            for cid in ids
            if cid in by_id  # a tombstone written without re-indexing
        )
        return CustomerPage(rows=rows, next_key=keys[-1] if more else None)

    def count(self, query: CustomerQuery | None = None) -> int:
        """How many customers the list shows for ``query`` (None: all): not deleted,
        and indexed (every writer indexes what it writes, see ``db.search``)."""
        with self._cache.engine.connect() as conn:
            return self._planner.count(conn, query or CustomerQuery())

    def filter_options(self) -> FilterOptions:
        """The values of the list's filters: the configuration's tiers (then any other
        tier found in the book), the lifecycle statuses, the configuration's life
        stages, and the branches that have customers in the book."""
        config = bank_config()
        tiers = [FilterOption(t.name, t.name) for t in config.tiers]
        known = {t.name for t in config.tiers}
        with self._cache.engine.connect() as conn:
            found = conn.execute(
                select(Customer.tier).where(Customer.tier.is_not(None)).distinct()
            ).scalars()
            tiers += [FilterOption(t, t) for t in sorted({t for t in found if t} - known)]
            branches = conn.exec_driver_sql(
                "SELECT b.id, b.name FROM branch AS b WHERE b.deleted = 0 AND b.id IN"
                " (SELECT DISTINCT branch_id FROM customer WHERE deleted = 0)"
                " ORDER BY b.code, b.id"
            ).all()
        return FilterOptions(
            tiers=tuple(tiers),
            lifecycle_statuses=tuple(FilterOption(s.value, s.value) for s in LifecycleStatus),
            life_stages=tuple(FilterOption(s.code, s.name) for s in config.life_stages),
            branches=tuple(FilterOption(str(b.id), str(b.name)) for b in branches),
        )
