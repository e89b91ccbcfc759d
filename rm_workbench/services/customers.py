"""Customer use cases: the search box and the customer list.

The list
========
:meth:`CustomerService.page_after` pages through the book for a :class:`CustomerQuery`
(search text, filters, sort column) with *keyset* paging: a page starts after the
:class:`PageKey` of the previous page's last row, so page 250 costs what page 1 costs
and a row inserted meanwhile neither repeats nor hides a row. Every order ends on the
customer id, so ties (two 张伟, one AUM) never swap places between pages.

Without search text a page is a range scan of one kind of *order rows* in the term
index (``rm_workbench.db.search``: ``order_name`` holds the pinyin sort key, so
李 comes before 张), joined to ``customer`` for the filters. An order with a fixed
sequence of values (tiers as the bank's configuration lists them, lifecycle
statuses) is read as *segments*, one range per value, then one for any other value;
the key carries the segment. With search text the matching customers come from the
term index (``match_sql``) and are sorted in SQL: by relevance (exact, prefix, fuzzy,
as the search box ranks) or by the chosen column, through the same order rows.

"Contains" matches (三丰 → 张三丰) join only when the exact and prefix matches are
few (:data:`FUZZY_BELOW`), as in :func:`~rm_workbench.db.search.search_customers`:
one typed letter should list the customers whose name starts with it, not the whole
book.

Measured by ``bench/bench_customer_list.py`` over 50,000 customers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, select

from rm_contract.types import fen_to_decimal
from rm_contract.vocabulary import CustomerCategory, LifecycleStatus
from rm_workbench.config import BankConfig, LifeStageRule, bank_config
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import (
    KIND_CUSTOMER_NO,
    KIND_ORDER_AUM,
    KIND_ORDER_NAME,
    KIND_ORDER_STATUS,
    KIND_ORDER_TIER,
    TABLE,
    SearchHit,
    match_sql,
    search_customers,
)
from rm_workbench.domain.duplicates import CustomerKey, find_duplicates
from rm_workbench.domain.masking import mask
from rm_workbench.domain.quality import record_warnings
from rm_workbench.domain.segmentation import life_stage
from rm_workbench.models import Customer

# "Contains" and in-order matches are added to a search only when fewer customers than
# this match exactly or by prefix.
FUZZY_BELOW = 50


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


class SortColumn(StrEnum):
    """What the customer list is ordered by."""

    # Best matches first (exact, prefix, fuzzy) while searching; by name otherwise.
    RELEVANCE = "relevance"
    NAME = "name"  # pinyin order
    CUSTOMER_NO = "customer_no"
    TIER = "tier"  # the configuration's order: highest tier first
    AUM = "aum"
    LIFECYCLE = "lifecycle"  # potential, active, dormant, lost


def _frozen(values: Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    if isinstance(values, str):
        return frozenset({values})
    return frozenset(values)


@dataclass(frozen=True)
class CustomerQuery:
    """What the list shows: the search box, the filters and the order.

    Filters hold the chosen values (empty: no filter); different filters combine with
    AND, values of one filter with OR, and all of them with the search text. ``tiers``
    are tier names, ``life_stages`` life-stage codes, ``branches`` branch ids (see
    :meth:`CustomerService.filter_options`).
    """

    text: str = ""
    tiers: frozenset[str] = field(default_factory=frozenset)
    lifecycle_statuses: frozenset[str] = field(default_factory=frozenset)
    life_stages: frozenset[str] = field(default_factory=frozenset)
    branches: frozenset[str] = field(default_factory=frozenset)
    sort: SortColumn = SortColumn.RELEVANCE
    descending: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable (a set, a list) and keep the query hashable.
        for name in ("tiers", "lifecycle_statuses", "life_stages", "branches"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        object.__setattr__(self, "sort", SortColumn(self.sort))
        object.__setattr__(self, "text", self.text.strip())

    @property
    def effective_sort(self) -> SortColumn:
        """The order really used: relevance needs search text, else it is by name."""
        if self.sort is SortColumn.RELEVANCE and not self.text:
            return SortColumn.NAME
        return self.sort


@dataclass(frozen=True, order=True)
class PageKey:
    """Where a page ended: the last row's segment, order term and customer id.
    Opaque to callers: hand it back to :meth:`CustomerService.page_after`."""

    segment: int
    term: str
    customer_id: str


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
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM customer WHERE id IN ({_marks(chunk)})"
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


# --- SQL pieces ------------------------------------------------------------------------


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


@dataclass(frozen=True)
class _Segment:
    """One part of an order: the rows whose term is ``term``; or, for the catch-all
    segment, any term but ``others``; with neither, all rows of the kind."""

    ordinal: int
    term: str | None = None
    others: tuple[str, ...] = ()

    def ranges(self) -> list[tuple[str, list[Any]]]:
        """SQL conditions on ``o.term``, each an index range, in ascending order. The
        catch-all is the gaps between the known values (NOT IN would read them all)."""
        if self.term is not None:
            return [(" AND o.term = ?", [self.term])]
        if not self.others:
            return [("", [])]
        bounds = sorted(set(self.others))
        gaps = [(" AND o.term < ?", [bounds[0]])]
        gaps += [(" AND o.term > ? AND o.term < ?", [a, b]) for a, b in pairwise(bounds)]
        gaps.append((" AND o.term > ?", [bounds[-1]]))
        return gaps


def _years_before(today: date, years: int) -> str:
    """The ISO text of the same day ``years`` earlier, compared as text: a birth date
    at or before it means an age of at least ``years`` (a 29 February birthday counts
    on 1 March, as in :func:`~rm_workbench.domain.segmentation.age_on`)."""
    return f"{max(today.year - years, 0):04d}-{today.month:02d}-{today.day:02d}"


def _rule_sql(rule: LifeStageRule, today: date) -> tuple[str, list[Any]]:
    """SQL true for a customer whose age, marital status and children meet ``rule``."""
    parts: list[str] = []
    params: list[Any] = []
    if rule.min_age is not None:
        parts.append("c.birth_date <= ?")
        params.append(_years_before(today, rule.min_age))
    if rule.max_age is not None:
        parts.append("c.birth_date > ?")
        params.append(_years_before(today, rule.max_age))
    if rule.marital is not None:
        values = [str(m) for m in rule.marital]
        parts.append(f"coalesce(nullif(c.marital_status, ''), 'unknown') IN ({_marks(values)})")
        params += values
    if rule.min_children is not None:
        parts.append("coalesce(c.children_count, 0) >= ?")
        params.append(rule.min_children)
    if rule.max_children is not None:
        parts.append("coalesce(c.children_count, 0) <= ?")
        params.append(rule.max_children)
    return ("(" + " AND ".join(parts) + ")" if parts else "1"), params


def _life_stage_sql(
    codes: frozenset[str], today: date, config: BankConfig
) -> tuple[str, list[Any]]:
    """SQL true for a customer in one of the life stages ``codes``: the first rule that
    holds decides, as in :func:`~rm_workbench.domain.segmentation.life_stage`."""
    rules = [_rule_sql(rule, today) for rule in config.life_stages]
    choices: list[str] = []
    params: list[Any] = []
    for index, stage in enumerate(config.life_stages):
        if stage.code not in codes:
            continue
        holds, holds_params = rules[index]
        parts = [holds]
        params += holds_params
        for earlier, earlier_params in rules[:index]:
            parts.append(f"NOT {earlier}")
            params += earlier_params
        choices.append("(" + " AND ".join(parts) + ")")
    if not choices:
        return "0", []
    return "(c.birth_date IS NOT NULL AND (" + " OR ".join(choices) + "))", params


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
            if query.text:
                keys = self._matched_keys(conn, query, after, limit + 1)
            else:
                keys = self._ordered_keys(conn, query, after, limit + 1)
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
        query = query or CustomerQuery()
        where, params = self._filters(query)
        with self._cache.engine.connect() as conn:
            if not query.text and not where:
                # The whole book: count the name order rows (one per listed customer, an
                # index-only scan) rather than read every customer row (8× slower).
                sql = f"SELECT count(*) FROM {TABLE} WHERE kind = ?"
                return int(conn.exec_driver_sql(sql, (KIND_ORDER_NAME,)).scalar_one())
            if not query.text:
                sql = f"SELECT count(*) FROM customer AS c WHERE c.deleted = 0{where}"
                return int(conn.exec_driver_sql(sql, tuple(params)).scalar_one())
            hits = self._hits(conn, query.text)
            if hits is None:
                return 0
            hits_sql, hits_params = hits
            sql = (
                f"SELECT count(*) FROM (SELECT DISTINCT customer_id AS cid FROM ({hits_sql})) AS m"
            )
            if where:
                sql += f" CROSS JOIN customer AS c ON c.id = m.cid WHERE c.deleted = 0{where}"
            return int(conn.exec_driver_sql(sql, (*hits_params, *params)).scalar_one())

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

    # --- how the list is read --------------------------------------------------------

    def _filters(self, query: CustomerQuery) -> tuple[str, list[Any]]:
        """`` AND …`` conditions on ``customer AS c`` for the query's filters."""
        sql = ""
        params: list[Any] = []
        for column, values in (
            ("c.tier", query.tiers),
            ("c.lifecycle_status", query.lifecycle_statuses),
            ("c.branch_id", query.branches),
        ):
            if values:
                chosen = sorted(values)
                sql += f" AND {column} IN ({_marks(chosen)})"
                params += chosen
        if query.life_stages:
            stage_sql, stage_params = _life_stage_sql(
                query.life_stages, self._today(), bank_config()
            )
            sql += f" AND {stage_sql}"
            params += stage_params
        if self._rm_id is not None:
            sql += " AND c.rm_id = ?"
            params.append(self._rm_id)
        return sql, params

    @staticmethod
    def _order(query: CustomerQuery) -> tuple[str, list[_Segment]]:
        """The order-row kind of the query's sort, and its segments in ascending order."""
        sort = query.effective_sort
        if sort is SortColumn.TIER:
            names = tuple(t.name for t in bank_config().tiers)
            return KIND_ORDER_TIER, _segments(names, query.tiers)
        if sort is SortColumn.LIFECYCLE:
            statuses = tuple(s.value for s in LifecycleStatus)
            return KIND_ORDER_STATUS, _segments(statuses, query.lifecycle_statuses)
        kind = {
            SortColumn.NAME: KIND_ORDER_NAME,
            SortColumn.CUSTOMER_NO: KIND_CUSTOMER_NO,
            SortColumn.AUM: KIND_ORDER_AUM,
        }[sort]
        return kind, [_Segment(0)]

    def _ordered_keys(
        self, conn: Connection, query: CustomerQuery, after: PageKey | None, limit: int
    ) -> list[PageKey]:
        """The next keys of an unsearched list: one index range scan per segment."""
        kind, segments = self._order(query)
        where, params = self._filters(query)
        newer, direction = ("<", "DESC") if query.descending else (">", "ASC")
        if query.descending:
            segments = segments[::-1]
        keys: list[PageKey] = []
        for segment in segments:
            if after is not None and (
                segment.ordinal < after.segment
                if not query.descending
                else segment.ordinal > after.segment
            ):
                continue
            ranges = segment.ranges()
            for range_sql, range_params in ranges[::-1] if query.descending else ranges:
                keyset, keyset_params = "", []
                if after is not None and segment.ordinal == after.segment:
                    if segment.term is not None:  # one term: the id alone keeps it a range
                        keyset, keyset_params = f" AND o.customer_id {newer} ?", [after.customer_id]
                    else:
                        keyset = f" AND (o.term, o.customer_id) {newer} (?, ?)"
                        keyset_params = [after.term, after.customer_id]
                # CROSS JOIN pins the join order: walk the order rows in index order and
                # look each customer up, never sort the book (an index on c.tier would
                # otherwise tempt the planner).
                sql = (
                    f"SELECT o.term, o.customer_id FROM {TABLE} AS o"
                    " CROSS JOIN customer AS c ON c.id = o.customer_id"
                    f" WHERE o.kind = ?{range_sql}{keyset} AND c.deleted = 0{where}"
                    f" ORDER BY o.term {direction}, o.customer_id {direction} LIMIT ?"
                )
                rows = conn.exec_driver_sql(
                    sql,
                    (kind, *range_params, *keyset_params, *params, limit - len(keys)),
                ).all()
                keys += [PageKey(segment.ordinal, term, cid) for term, cid in rows]
                if len(keys) >= limit:
                    return keys
        return keys

    def _hits(self, conn: Connection, text: str) -> tuple[str, list[Any]] | None:
        """The term rows matching ``text`` (:func:`match_sql`), fuzzy ones included
        only when the exact and prefix matches are fewer than FUZZY_BELOW customers."""
        strict = match_sql(text, fuzzy=False)
        if strict is None:
            return None
        sql, params = strict
        enough = conn.exec_driver_sql(
            f"SELECT count(*) FROM (SELECT DISTINCT customer_id FROM ({sql}) LIMIT ?)",
            (*params, FUZZY_BELOW),
        ).scalar_one()
        if enough >= FUZZY_BELOW:
            return strict
        return match_sql(text, fuzzy=True)

    def _matched_keys(
        self, conn: Connection, query: CustomerQuery, after: PageKey | None, limit: int
    ) -> list[PageKey]:
        """The next keys of a searched list: the matches, sorted in SQL."""
        hits = self._hits(conn, query.text)
        if hits is None:
            return []
        hits_sql, hits_params = hits
        where, params = self._filters(query)
        sort = query.effective_sort
        if sort is SortColumn.RELEVANCE:
            source = (
                f"(SELECT customer_id AS cid, MIN(rel) AS term FROM ({hits_sql})"
                " GROUP BY customer_id) AS m"
            )
            segment_sql, term_sql = "0", "m.term"
            segment_params: list[Any] = []
        else:
            kind, segments = self._order(query)
            # The customer's order row, found by the customer_id index (covering).
            source = (
                f"(SELECT DISTINCT customer_id AS cid FROM ({hits_sql})) AS m"
                f" CROSS JOIN {TABLE} AS o ON o.customer_id = m.cid AND o.kind = '{kind}'"
            )
            term_sql = "o.term"
            segment_sql, segment_params = _segment_case(segments)
        if where:
            source += " CROSS JOIN customer AS c ON c.id = m.cid"
            where = " AND c.deleted = 0" + where
        newer, direction = ("<", "DESC") if query.descending else (">", "ASC")
        keyset, keyset_params = "", []
        if after is not None:
            keyset = f" AND ({segment_sql}, {term_sql}, m.cid) {newer} (?, ?, ?)"
            keyset_params = [*segment_params, after.segment, after.term, after.customer_id]
        sql = (
            f"SELECT {segment_sql} AS segment, {term_sql} AS term, m.cid FROM {source}"
            f" WHERE 1{where}{keyset}"
            f" ORDER BY segment {direction}, term {direction}, m.cid {direction} LIMIT ?"
        )
        rows = conn.exec_driver_sql(
            sql,
            (*segment_params, *hits_params, *params, *keyset_params, limit),
        ).all()
        return [PageKey(int(segment), term, cid) for segment, term, cid in rows]


def _segments(values: tuple[str, ...], chosen: frozenset[str]) -> list[_Segment]:
    """One segment per value in order, then one for any other value; with a filter on
    the same column, only the segments it can match (no scan of a skipped tier)."""
    segments = [
        _Segment(index, term=value)
        for index, value in enumerate(values)
        if not chosen or value in chosen
    ]
    if not chosen or not chosen <= set(values):
        segments.append(_Segment(len(values), others=values))
    return segments


def _segment_case(segments: list[_Segment]) -> tuple[str, list[Any]]:
    """SQL giving an order row's segment number (on ``o.term``)."""
    fixed = [s for s in segments if s.term is not None]
    if not fixed:
        return "0", []
    # The catch-all's number; without one (a filter on known values) any number past
    # the fixed ones (such rows are filtered out anyway).
    rest = next((s.ordinal for s in segments if s.term is None), fixed[-1].ordinal + 1)
    whens = " ".join("WHEN ? THEN ?" for _ in fixed)
    params: list[Any] = []
    for s in fixed:
        params += [s.term, s.ordinal]
    return f"(CASE o.term {whens} ELSE {int(rest)} END)", params
