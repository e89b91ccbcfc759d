"""Customer use cases: the search box and the customer list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import SearchHit, search_customers
from rm_workbench.domain.duplicates import CustomerKey, find_duplicates
from rm_workbench.domain.masking import mask
from rm_workbench.domain.quality import record_warnings
from rm_workbench.models import Customer
from rm_workbench.models.enums import CustomerCategory


@dataclass(frozen=True)
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


_SUMMARY_COLUMNS = (
    Customer.id,
    Customer.customer_no,
    Customer.name,
    Customer.category,
    Customer.tier,
    Customer.lifecycle_status,
    Customer.id_type,
    Customer.id_number,
    Customer.credit_code,
    Customer.mobile_phone,
    Customer.other_phone,
)
_BY_IDS = select(*_SUMMARY_COLUMNS).where(Customer.id.in_(bindparam("ids", expanding=True)))


def _summary(
    row: Row[Any], hit: SearchHit | None = None, duplicates: tuple[str, ...] = ()
) -> CustomerSummary:
    return CustomerSummary(
        id=row.id,
        customer_no=row.customer_no,
        name=row.name,
        category=str(row.category),
        tier=row.tier,
        lifecycle_status=str(row.lifecycle_status),
        masked_phone=mask("phone", row.mobile_phone or row.other_phone),
        masked_id_number=(
            mask("credit_code", row.credit_code or row.id_number)
            if row.category == CustomerCategory.CORPORATE
            else mask("id_number", row.id_number)
        ),
        warnings=tuple(
            record_warnings(
                category=str(row.category),
                id_type=None if row.id_type is None else str(row.id_type),
                id_number=row.id_number,
                credit_code=row.credit_code,
                mobile_phone=row.mobile_phone,
                other_phone=row.other_phone,
            )
        )
        + duplicates,
        match_rank=None if hit is None else hit.rank,
        matched_kind=None if hit is None else hit.matched_kind,
    )


class CustomerService:
    """Finding and counting the customers in the cache.

    Read-only, so it may run on any thread with its own connection; a search over
    50,000 customers takes a few milliseconds (bench/bench_search.py), fast enough to
    run on every keystroke.
    """

    def __init__(self, cache: Cache, *, rm_id: str | None = None) -> None:
        self._cache = cache
        # None: every customer in the cache (the cache holds one RM's book anyway).
        self._rm_id = rm_id
        # customer id -> "possible duplicate" warnings; filled by refresh_duplicates().
        self._duplicates: dict[str, tuple[str, ...]] = {}

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

    def _row(self, row: Row[Any], hit: SearchHit | None = None) -> CustomerSummary:
        return _summary(row, hit, self._duplicates.get(row.id, ()))

    def search(self, query: str, limit: int = 50) -> list[CustomerSummary]:
        """Customers matching the search box, best first (exact, prefix, fuzzy); at
        most ``limit``: call again with a larger limit to show more."""
        with self._cache.engine.connect() as conn:
            hits = search_customers(conn, query, limit=limit, rm_id=self._rm_id)
            if not hits:
                return []
            rows = conn.execute(_BY_IDS, {"ids": [hit.customer_id for hit in hits]})
            by_id = {row.id: row for row in rows}
        # Both reads share one transaction, so a hit without its row is impossible.
        return [self._row(by_id[hit.customer_id], hit) for hit in hits if hit.customer_id in by_id]

    def page(self, offset: int, limit: int) -> list[CustomerSummary]:
        """One page of the whole list (no search), ordered by name then customer number."""
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(Customer.deleted.is_(False))
            .order_by(Customer.name, Customer.customer_no)
            .offset(max(offset, 0))
            .limit(max(limit, 0))
        )
        if self._rm_id is not None:
            query = query.where(Customer.rm_id == self._rm_id)
        with self._cache.engine.connect() as conn:
            return [self._row(row) for row in conn.execute(query)]

    def count(self) -> int:
        """How many customers (not deleted) the cache holds for this view."""
        query = select(func.count()).select_from(Customer).where(Customer.deleted.is_(False))
        if self._rm_id is not None:
            query = query.where(Customer.rm_id == self._rm_id)
        with self._cache.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
