"""The customer list as a query: what it shows (:class:`CustomerQuery`) and how that
becomes SQL over the search index (:class:`CustomerListPlanner`).

Kept apart from :mod:`rm_workbench.services.customers` (the use cases the UI calls):
this is where the list's speed is won or lost, and it changes with the index and
SQLite's planner, not with what a list row shows.

Keyset paging
=============
:meth:`~rm_workbench.services.customers.CustomerService.page_after` pages through the
book for a :class:`CustomerQuery` (search text, filters, sort column) with *keyset*
paging: a page starts after the :class:`PageKey` of the previous page's last row, so
page 250 costs what page 1 costs and a row inserted meanwhile neither repeats nor hides
a row. Every order ends on the customer id, so ties (two 张伟, one AUM) never swap
places between pages.

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
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection

from rm_contract.vocabulary import LifecycleStatus
from rm_workbench.config import BankConfig, LifeStageRule, bank_config
from rm_workbench.db.search import (
    KIND_CUSTOMER_NO,
    KIND_ORDER_AUM,
    KIND_ORDER_NAME,
    KIND_ORDER_STATUS,
    KIND_ORDER_TIER,
    TABLE,
    match_sql,
)

# "Contains" and in-order matches are added to a search only when fewer customers than
# this match exactly or by prefix.
FUZZY_BELOW = 50


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
    :meth:`~rm_workbench.services.customers.CustomerService.filter_options`).
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
    Opaque to callers: hand it back to
    :meth:`~rm_workbench.services.customers.CustomerService.page_after`."""

    segment: int
    term: str
    customer_id: str


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


class CustomerListPlanner:
    """The SQL that reads the customer list: the keys of a page and the count, for a
    :class:`CustomerQuery`. Holds no connection: each call reads through the one it is
    given, so the caller decides the transaction (a page's keys and rows in one).

    ``rm_id`` keeps one RM's customers (None: every customer in the cache); ``today``
    gives the day life-stage filters count ages on.
    """

    def __init__(self, *, rm_id: str | None, today: Callable[[], date]) -> None:
        self._rm_id = rm_id
        self._today = today

    def keys_after(
        self, conn: Connection, query: CustomerQuery, after: PageKey | None, limit: int
    ) -> list[PageKey]:
        """The next ``limit`` keys of the list ``query`` describes after ``after``
        (None: from the start)."""
        if query.text:
            return self._matched_keys(conn, query, after, limit)
        return self._ordered_keys(conn, query, after, limit)

    def count(self, conn: Connection, query: CustomerQuery) -> int:
        """How many customers the list shows for ``query``: not deleted, and indexed
        (every writer indexes what it writes, see ``db.search``)."""
        where, params = self._filters(query)
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
        sql = f"SELECT count(*) FROM (SELECT DISTINCT customer_id AS cid FROM ({hits_sql})) AS m"
        if where:
            sql += f" CROSS JOIN customer AS c ON c.id = m.cid WHERE c.deleted = 0{where}"
        return int(conn.exec_driver_sql(sql, (*hits_params, *params)).scalar_one())

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
