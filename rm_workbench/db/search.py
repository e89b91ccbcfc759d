"""Customer search over the local cache: one box for name, pinyin, phone, ID and number.

Design
======
Every customer is expanded (in Python, at write time) into short *terms* kept in one
table, ``customer_search(kind, term, customer_id)``. Its primary key is
``(kind, term, customer_id)`` and it is ``WITHOUT ROWID``, so the table's own B-tree is
the term index and a lookup never leaves it. Every match is an index range scan
``kind = :k AND term >= :q AND term < :q || U+10FFFF`` that SQLite walks in term order
and stops after a few rows, however many customers the cache holds:

=============  ===========================================  ==========================
kind           term                                         finds
=============  ===========================================  ==========================
name           the normalized name (张三丰)                 exact / prefix 张三
pinyin         full pinyin (zhangsanfeng), and surname in   zhangsanfeng, zhangs,
               full + given-name initials (zhangsf)         zhangsf
initials       pinyin initials (zsf)                        zsf, zs
customer_no    the customer number                          exact / prefix
phone_tail     mobile / other phone, digits *reversed*      last 4+ digits, whole no.
id_tail        ID number / credit code, *reversed*          last 4+ characters
name_sub       every proper suffix of the name (三丰, 丰)   contains (fuzzy)
pinyin_sub     pinyin from each given-name syllable on      sanfeng, feng (fuzzy)
=============  ===========================================  ==========================

* ``kind`` leads the key so that each probe reads only its own kind: with ``term``
  first, a one-digit query walked through thousands of reversed phone numbers that
  happen to start with that digit.
* "Last N digits" is a prefix of the reversed string, so phone and ID tails use the
  same range scan as everything else.
* "Contains" is a prefix of some suffix (a poor man's suffix array). Names are short
  (2–4 characters, corporate names ~15), so this costs a few rows per customer and,
  unlike FTS5's trigram tokenizer, also works for 1–2 character queries and needs no
  virtual table (nothing for Alembic to skip, the same under SQLCipher).
* "All characters in order" (张丰 → 张三丰): the suffixes starting with the query's
  first character are matched against ``张*丰*`` with GLOB inside the index; only
  matches touch the customer table. (Driving it from the customer rows instead cost
  30–45 ms per query under SQLCipher, every page read being decrypted.)

Ranking: 0 exact, 1 prefix (a phone / ID tail counts as prefix, the whole number as
exact), 2 fuzzy (contains, then in-order). Within a rank hits are ordered by the
matched term, then customer number: for a Chinese query that is the name, for a
pinyin query the pinyin, i.e. the order of a Chinese dictionary. That order is the
index order, so each probe reads ``2 × limit`` rows with ``LIMIT`` instead of
collecting and sorting thousands of candidates for a one-letter query; the probes are
merged in Python (:func:`_collect`). Fuzzy probes run only when exact and prefix hits
do not fill the page.

Names are compared, read in pinyin and put in order by the rules of
:mod:`rm_workbench.domain.names` (surname readings, heteronyms, phone-book order); this
module only turns them into terms and order rows and queries them.

The customer list's order
=========================
The same table holds one *order row* per customer and sort column of the customer list
(:mod:`rm_workbench.services.customer_query`), so that every page of that list, in any
order, is a range scan of this B-tree with the customer id as the tie-breaker:

=============  ====================================================================
kind           term
=============  ====================================================================
order_name     the name's pinyin sort key (``names.name_sort_key``): 李 before 张
order_tier     the tier name (the list orders tiers as the bank's configuration does)
order_status   the lifecycle status
order_aum      AUM in fen, offset and zero-padded so text order is numeric order
=============  ====================================================================

(The customer number needs none: its ``customer_no`` term is one per customer.) They
are derived data like the terms, so they stay local: columns or indexes on the
``customer`` table would be copied into the central CRM's schema and sent on the wire.

Writers keep the index current: whoever inserts or changes customers calls
:func:`index_customers` in the same transaction (a tombstoned customer loses its
terms); hard deletes cascade. Queries also join ``customer`` and skip
``deleted = 1``, so a tombstone written without re-indexing never shows up.

Measured by ``bench/bench_search.py`` (50,000 customers, every keystroke of 200 typed
names, pinyin, initials, phone and ID tails): p95 ≈ 1.3 ms plain, ≈ 3.3 ms SQLCipher.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import Connection

from rm_workbench.domain.names import ASCII_ALNUM, name_readings, name_sort_key, normalize

TABLE = "customer_search"
# Declared in rm_workbench.models.search (index=True); rebuild_index drops and remakes it.
CUSTOMER_ID_INDEX = "ix_customer_search_customer_id"

# Tables in the cache the models do not declare (e.g. FTS shadow tables); the
# "autogenerate finds no difference" check skips these. The search table itself is
# declared in rm_workbench.models.search, so nothing is internal today.
SEARCH_INTERNAL_TABLES: frozenset[str] = frozenset()

# Suffixes indexed per name: a very long corporate name stays a few dozen rows.
MAX_NAME_SUFFIXES = 32
# In-order (subsequence) matches read at most; they are the last resort of a search.
SUBSEQUENCE_SCAN_CAP = 1000
# Phone and ID tails shorter than this match far too many customers to be useful.
MIN_TAIL = 4

KIND_NAME = "name"
KIND_NAME_SUB = "name_sub"
KIND_PINYIN = "pinyin"
KIND_PINYIN_SUB = "pinyin_sub"
KIND_INITIALS = "initials"
KIND_CUSTOMER_NO = "customer_no"
KIND_PHONE_TAIL = "phone_tail"
KIND_ID_TAIL = "id_tail"

RANK_EXACT = 0
RANK_PREFIX = 1
RANK_FUZZY = 2

# What a hit reports: suffix terms are fuzzy matches on the name / pinyin.
_PUBLIC_KIND = {KIND_NAME_SUB: KIND_NAME, KIND_PINYIN_SUB: KIND_PINYIN}

# Larger than any character a term can hold (normalization drops noncharacters).
_TOP = "\U0010ffff"


@dataclass(frozen=True)
class SearchHit:
    customer_id: str
    customer_no: str
    name: str
    rank: int  # 0 exact, 1 prefix, 2 fuzzy
    matched_kind: str  # name, pinyin, initials, customer_no, phone_tail, id_tail


# --- terms (pure) --------------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(ch for ch in normalize(text) if "0" <= ch <= "9")


def _alnum(text: str) -> str:
    return "".join(ASCII_ALNUM.findall(normalize(text)))


def search_terms(customer: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (term, kind) pairs that find ``customer`` (a mapping with the customer
    table's columns; missing ones count as empty). Pure; no duplicates."""
    terms: dict[tuple[str, str], None] = {}

    def add(term: str, kind: str) -> None:
        if term:
            terms[(term, kind)] = None

    name = normalize(str(customer.get("name") or ""))
    individual = str(customer.get("category") or "individual") != "corporate"
    add(name, KIND_NAME)
    for start in range(1, min(len(name), MAX_NAME_SUFFIXES + 1)):
        add(name[start:], KIND_NAME_SUB)
    for reading in name_readings(name, individual=individual):
        syllables = reading.syllables
        add("".join(syllables), KIND_PINYIN)
        add("".join(s[0] for s in syllables), KIND_INITIALS)
        if individual and 0 < reading.surname_length < len(syllables):
            surname = "".join(syllables[: reading.surname_length])
            given = syllables[reading.surname_length :]
            # zhangsf: how many type a name; for 张三 "zhangs" is just a pinyin prefix.
            if len(given) >= 2:
                add(surname + "".join(s[0] for s in given), KIND_PINYIN)
            for start in range(reading.surname_length, len(syllables)):
                add("".join(syllables[start:]), KIND_PINYIN_SUB)
    add(normalize(str(customer.get("customer_no") or "")), KIND_CUSTOMER_NO)
    for column in ("mobile_phone", "other_phone"):
        add(_digits(str(customer.get(column) or ""))[::-1], KIND_PHONE_TAIL)
    for column in ("id_number", "credit_code"):
        add(_alnum(str(customer.get(column) or ""))[::-1], KIND_ID_TAIL)
    return list(terms)


# --- the customer list's order --------------------------------------------------------

KIND_ORDER_NAME = "order_name"
KIND_ORDER_TIER = "order_tier"
KIND_ORDER_STATUS = "order_status"
KIND_ORDER_AUM = "order_aum"
ORDER_KINDS = (KIND_ORDER_NAME, KIND_ORDER_TIER, KIND_ORDER_STATUS, KIND_ORDER_AUM)

# Fen are offset so negative amounts sort too, and padded to one width (19 digits hold
# any int64 fen amount plus the offset).
_AUM_OFFSET = 10**18


def aum_sort_key(aum: Any) -> str:
    """AUM as text in numeric order. Takes the model's Decimal yuan, the stored integer
    fen (plain SQL reads) or the wire's decimal string."""
    if aum is None or aum == "":
        fen = 0
    elif isinstance(aum, int) and not isinstance(aum, bool):
        fen = aum
    else:
        fen = int((Decimal(str(aum)) * 100).to_integral_value(ROUND_HALF_EVEN))
    return f"{min(max(fen + _AUM_OFFSET, 0), 10**19 - 1):019d}"


def _order_name(customer: Mapping[str, Any]) -> str:
    individual = str(customer.get("category") or "individual") != "corporate"
    return name_sort_key(str(customer.get("name") or ""), individual=individual)


# Each order kind's term, from the customer's columns.
_ORDER_KEYS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    KIND_ORDER_NAME: _order_name,
    KIND_ORDER_TIER: lambda customer: str(customer.get("tier") or ""),
    KIND_ORDER_STATUS: lambda customer: str(customer.get("lifecycle_status") or ""),
    KIND_ORDER_AUM: lambda customer: aum_sort_key(customer.get("aum")),
}


def order_terms(customer: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (term, kind) order rows of ``customer`` (a mapping with the customer table's
    columns ``name``, ``category``, ``tier``, ``lifecycle_status`` and ``aum``; missing
    ones count as empty). Pure; one row per order kind."""
    return [(make(customer), kind) for kind, make in _ORDER_KEYS.items()]


# --- writing the index ---------------------------------------------------------------

_INSERT = f"INSERT OR IGNORE INTO {TABLE} (kind, term, customer_id) VALUES (?, ?, ?)"
_DELETE_ONE = f"DELETE FROM {TABLE} WHERE customer_id = ?"
_CUSTOMER_COLUMNS = (
    "id, name, category, customer_no, mobile_phone, other_phone, id_number, credit_code,"
    " tier, lifecycle_status, aum"
)
_BATCH = 5000


def _insert_terms(conn: Connection, customers: Iterable[Mapping[str, Any]]) -> int:
    rows: list[tuple[str, str, str]] = []
    count = 0
    for customer in customers:
        if customer.get("deleted"):
            continue
        customer_id = str(customer["id"])
        rows.extend((kind, term, customer_id) for term, kind in search_terms(customer))
        rows.extend((kind, term, customer_id) for term, kind in order_terms(customer))
        count += 1
    # Inserting in key order appends to the B-tree instead of splitting pages all over.
    rows.sort()
    if rows:
        conn.exec_driver_sql(_INSERT, rows)
    return count


def index_customers(
    conn: Connection,
    customers: Iterable[Mapping[str, Any]],
    *,
    new: bool = False,
    before: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Replace the search terms and order rows of ``customers`` (mappings with the
    customer table's columns, ``id`` required: the stored rows, as read back after a
    write); tombstoned ones (``deleted``) are only removed. ``new``: the customers were
    just inserted (none has terms yet), so there is nothing to remove: a bootstrap
    page builds them without the customer_id index (see SyncEngine.bootstrap).
    ``before``: what :func:`indexed_state` read of these customers before the write;
    only what the write changed is then rewritten (see :func:`_reindex_changed`).
    Returns how many customers were indexed. Call it in the transaction that wrote
    the customers, so the index never lags behind the table."""
    batch = list(customers)
    if not batch:
        return 0
    if before is not None:
        return _reindex_changed(conn, batch, before)
    if not new:
        remove_customers(conn, [str(c["id"]) for c in batch])
    return _insert_terms(conn, batch)


# The columns search_terms reads (all text: compared as the text it reads).
_SEARCH_COLUMNS = (
    "name",
    "category",
    "customer_no",
    "mobile_phone",
    "other_phone",
    "id_number",
    "credit_code",
)
_DELETE_KIND = f"DELETE FROM {TABLE} WHERE customer_id = ? AND kind = ?"
_STATE_SQL = f"SELECT {_CUSTOMER_COLUMNS}, deleted{{indexed}} FROM customer WHERE id IN ({{marks}})"
_INDEXED = (
    f", EXISTS (SELECT 1 FROM {TABLE} AS s"
    f" WHERE s.customer_id = customer.id AND s.kind = '{KIND_ORDER_AUM}') AS indexed"
)
_STATE_CHUNK = 500


def indexed_state(
    conn: Connection, ids: Iterable[str], *, before: bool = True
) -> dict[str, dict[str, Any]]:
    """What the index rows of these customers are made from: id → the stored values
    of the columns :func:`index_customers` reads and ``deleted``, read with plain SQL.
    ``before`` (a write): with ``indexed``, whether the customer has index rows at
    all, for :func:`index_customers` ``before``; without, the rows to index after the
    write. Customers not stored are left out."""
    wanted = list(dict.fromkeys(str(i) for i in ids))
    state: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), _STATE_CHUNK):
        chunk = wanted[start : start + _STATE_CHUNK]
        sql = _STATE_SQL.format(
            indexed=_INDEXED if before else "", marks=", ".join("?" * len(chunk))
        )
        result = conn.exec_driver_sql(sql, tuple(chunk))
        names = tuple(result.keys())
        # Plain tuples zipped with the names: SQLAlchemy's mapping rows cost 3x more.
        for row in result.all():
            state[str(row[0])] = dict(zip(names, row, strict=True))
    return state


def _search_signature(customer: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(customer.get(column) or "") for column in _SEARCH_COLUMNS)


def _reindex_changed(
    conn: Connection, batch: Sequence[Mapping[str, Any]], before: Mapping[str, Mapping[str, Any]]
) -> int:
    """Rewrite only the index rows a write changed. A pull page is mostly balances and
    statuses of customers whose names did not change: reading their names in pinyin
    again and replacing ~45 rows each (1,000 customers: 0.6 s of Python holding the
    GIL, bench/bench_customer_list.py's sync) comes down to one order row per changed
    column. Every term is a function of its columns' text, so equal text means equal
    terms. A customer new, revived, without index rows, or with a changed search
    column is indexed in full."""
    full: list[Mapping[str, Any]] = []
    removed: list[str] = []
    stale: list[tuple[str, str]] = []
    fresh: list[tuple[str, str, str]] = []
    for customer in batch:
        customer_id = str(customer["id"])
        old = before.get(customer_id)
        if customer.get("deleted"):
            removed.append(customer_id)
        elif (
            old is None
            or old["deleted"]
            or not old["indexed"]
            or _search_signature(old) != _search_signature(customer)
        ):
            removed.append(customer_id)
            full.append(customer)
        else:
            for kind, make in _ORDER_KEYS.items():
                if kind == KIND_ORDER_NAME:
                    continue  # name and category are search columns: unchanged here
                term = make(customer)
                if term != make(old):
                    stale.append((customer_id, kind))
                    fresh.append((kind, term, customer_id))
    remove_customers(conn, removed)
    if stale:
        conn.exec_driver_sql(_DELETE_KIND, stale)
        fresh.sort()
        conn.exec_driver_sql(_INSERT, fresh)
    # Removed: the tombstones and the customers indexed in full.
    return _insert_terms(conn, full) + len(batch) - len(removed)


def remove_customers(conn: Connection, ids: Iterable[str]) -> None:
    """Drop the search terms of these customers (eviction, tombstones)."""
    params = [(customer_id,) for customer_id in ids]
    if params:
        conn.exec_driver_sql(_DELETE_ONE, params)


def rebuild_index(conn: Connection) -> int:
    """Re-index every customer that is not deleted; returns how many. Reads the table
    with plain SQL so migration 0002 can call it whatever the models look like later.

    The customer_id index is dropped and built again afterwards: inserting 500,000
    rows into it in random (UUID) order costs more than sorting them once."""
    conn.exec_driver_sql(f"DELETE FROM {TABLE}")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {CUSTOMER_ID_INDEX}")
    result = conn.exec_driver_sql(f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE deleted = 0")
    customers = [dict(row._mapping) for row in result]
    total = 0
    for start in range(0, len(customers), _BATCH):
        total += _insert_terms(conn, customers[start : start + _BATCH])
    conn.exec_driver_sql(f"CREATE INDEX {CUSTOMER_ID_INDEX} ON {TABLE} (customer_id)")
    return total


def rebuild_order(conn: Connection) -> int:
    """Write the order rows of every customer that is not deleted, replacing any;
    returns how many customers. For migration 0004 (caches indexed before the rows
    existed); plain SQL like :func:`rebuild_index`."""
    marks = ", ".join("?" * len(ORDER_KINDS))
    conn.exec_driver_sql(f"DELETE FROM {TABLE} WHERE kind IN ({marks})", ORDER_KINDS)
    result = conn.exec_driver_sql(f"SELECT {_CUSTOMER_COLUMNS} FROM customer WHERE deleted = 0")
    rows: list[tuple[str, str, str]] = []
    count = 0
    for customer in map(dict, result.mappings()):
        rows.extend((kind, term, str(customer["id"])) for term, kind in order_terms(customer))
        count += 1
    rows.sort()
    for start in range(0, len(rows), _BATCH):
        conn.exec_driver_sql(_INSERT, rows[start : start + _BATCH])
    return count


# --- searching -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Probe:
    """One range scan: terms of ``kind`` starting with ``prefix``."""

    kind: str
    prefix: str
    fuzzy: bool = False


@dataclass(frozen=True, order=True)
class _Row:
    rank: int
    term: str
    customer_no: str
    customer_id: str
    kind: str
    name: str

    @property
    def order(self) -> tuple[int, str, str]:
        return (self.rank, self.term, self.customer_no)


# CROSS JOIN pins the join order: drive from the term index, never from an index on
# customer (rm_id) that SQLite might otherwise pick and then sort thousands of rows.
_SELECT_HITS = (
    "SELECT s.term, s.kind, s.customer_id, c.customer_no, c.name"
    f" FROM {TABLE} AS s CROSS JOIN customer AS c ON c.id = s.customer_id"
)
_PROBE_SQL = (
    f"{_SELECT_HITS} WHERE s.kind = ? AND s.term >= ? AND s.term < ? AND c.deleted = 0"
    " AND (? IS NULL OR c.rm_id = ?) ORDER BY s.term, c.customer_no LIMIT ?"
)
# In-order matches: every name holding the query's first character (at the start:
# kind name; further on: name_sub) whose suffix from there holds the rest in order.
# Index-only until a suffix matches; GLOB is case-sensitive like the normalized terms.
_IN_ORDER_SQL = (
    f"{_SELECT_HITS} WHERE s.kind IN ('name', 'name_sub') AND s.term >= ? AND s.term < ?"
    " AND s.term GLOB ? AND c.deleted = 0 AND (? IS NULL OR c.rm_id = ?) LIMIT ?"
)


def _fetch(conn: Connection, probe: _Probe, count: int, rm_id: str | None) -> list[_Row]:
    params = (probe.kind, probe.prefix, probe.prefix + _TOP, rm_id, rm_id, count)
    rows = []
    for term, kind, customer_id, customer_no, name in conn.exec_driver_sql(_PROBE_SQL, params):
        rank = RANK_EXACT if term == probe.prefix else RANK_PREFIX
        if probe.fuzzy:
            rank = RANK_FUZZY
        rows.append(_Row(rank, term, customer_no or "", customer_id, kind, name or ""))
    return rows


def _hit(row: _Row) -> SearchHit:
    return SearchHit(
        customer_id=row.customer_id,
        customer_no=row.customer_no,
        name=row.name,
        rank=row.rank,
        matched_kind=_PUBLIC_KIND.get(row.kind, row.kind),
    )


def _collect(
    conn: Connection,
    probes: Sequence[_Probe],
    found: dict[str, SearchHit],
    limit: int,
    rm_id: str | None,
) -> None:
    """Add the best hits of ``probes`` to ``found`` (id → hit) until it holds ``limit``.

    Each probe reads its rows in (term, customer_no) order with a LIMIT; the merged
    order is only trusted up to the last row of any probe that hit its LIMIT, and if
    that is too few the probes run again reading more (one customer can own several
    rows: readings, two phones)."""
    wanted = limit - len(found)
    count = 2 * limit + 16
    while True:
        streams = [_fetch(conn, probe, count, rm_id) for probe in probes]
        cut = min((s[-1].order for s in streams if len(s) == count), default=None)
        added: dict[str, SearchHit] = {}
        complete = True
        for row in heapq.merge(*streams):
            if cut is not None and row.order > cut:
                complete = False
                break
            if row.customer_id not in found and row.customer_id not in added:
                added[row.customer_id] = _hit(row)
                if len(added) == wanted:
                    break
        if len(added) == wanted or complete:
            found.update(added)
            return
        count *= 4


def _glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char


def _collect_in_order(
    conn: Connection, query: str, found: dict[str, SearchHit], limit: int, rm_id: str | None
) -> None:
    """Names holding the query's characters in order, not next to each other
    (张丰 → 张三丰); at most SUBSEQUENCE_SCAN_CAP of them are read."""
    first = query[0]
    pattern = _glob_literal(first) + "*" + "*".join(map(_glob_literal, query[1:])) + "*"
    params = (first, first + _TOP, pattern, rm_id, rm_id, SUBSEQUENCE_SCAN_CAP)
    rows = {
        customer_id: (name or "", customer_no or "", customer_id, kind)
        for _term, kind, customer_id, customer_no, name in conn.exec_driver_sql(
            _IN_ORDER_SQL, params
        )
        if customer_id not in found
    }
    for name, customer_no, customer_id, kind in sorted(rows.values()):
        if len(found) >= limit:
            return
        found[customer_id] = SearchHit(
            customer_id, customer_no, name, RANK_FUZZY, _PUBLIC_KIND.get(kind, kind)
        )


_PHONE_QUERY = re.compile(r"[0-9+\-()]+")


def _probes(query: str) -> list[_Probe]:
    probes = [_Probe(KIND_NAME, query), _Probe(KIND_CUSTOMER_NO, query)]
    alnum = bool(ASCII_ALNUM.fullmatch(query))
    if alnum:
        probes += [_Probe(KIND_PINYIN, query), _Probe(KIND_INITIALS, query)]
    if _PHONE_QUERY.fullmatch(query):
        digits = "".join(ch for ch in query if "0" <= ch <= "9")
        if len(digits) >= MIN_TAIL:
            probes.append(_Probe(KIND_PHONE_TAIL, digits[::-1]))
    if alnum and len(query) >= MIN_TAIL:
        probes.append(_Probe(KIND_ID_TAIL, query[::-1]))
    return probes


def _fuzzy_probes(query: str) -> list[_Probe]:
    probes = [_Probe(KIND_NAME_SUB, query, fuzzy=True)]
    if ASCII_ALNUM.fullmatch(query):
        probes.append(_Probe(KIND_PINYIN_SUB, query, fuzzy=True))
    return probes


def match_sql(query: str, *, fuzzy: bool) -> tuple[str, list[Any]] | None:
    """A SELECT of ``(customer_id, rel)``, one row per matching term (a customer may
    have several), for filtering a list by the search box instead of ranking a few
    best hits; None when nothing can match. The same probes as
    :func:`search_customers`: exact and prefix ones, and with ``fuzzy`` also
    "contains" and "all characters in order" (张丰 → 张三丰), each a range scan of the
    term index. ``rel`` orders the matches as the search does: the rank digit (0 exact,
    1 prefix, 2 fuzzy), then the matched term."""
    q = normalize(query)
    if not q:
        return None
    parts: list[str] = []
    params: list[Any] = []
    for probe in _probes(q) + (_fuzzy_probes(q) if fuzzy else []):
        rank = "'2'" if probe.fuzzy else "CASE WHEN term = ? THEN '0' ELSE '1' END"
        parts.append(
            f"SELECT customer_id, {rank} || term AS rel FROM {TABLE}"
            " WHERE kind = ? AND term >= ? AND term < ?"
        )
        params += [] if probe.fuzzy else [probe.prefix]
        params += [probe.kind, probe.prefix, probe.prefix + _TOP]
    if fuzzy and len(q) >= 2 and not q.isascii():
        first = q[0]
        pattern = _glob_literal(first) + "*" + "*".join(map(_glob_literal, q[1:])) + "*"
        parts.append(
            f"SELECT customer_id, '2' || term AS rel FROM {TABLE} WHERE kind IN"
            f" ('{KIND_NAME}', '{KIND_NAME_SUB}') AND term >= ? AND term < ? AND term GLOB ?"
        )
        params += [first, first + _TOP, pattern]
    return " UNION ALL ".join(parts), params


def search_customers(
    conn: Connection, query: str, *, limit: int = 50, rm_id: str | None = None
) -> list[SearchHit]:
    """Customers matching what was typed in the search box, best first, at most
    ``limit`` (ask again with a larger limit for more). ``rm_id`` keeps one RM's
    customers only. Never raises on odd input: every value is a bound parameter."""
    q = normalize(query)
    if not q or limit <= 0:
        return []
    found: dict[str, SearchHit] = {}
    _collect(conn, _probes(q), found, limit, rm_id)
    if len(found) < limit:
        _collect(conn, _fuzzy_probes(q), found, limit, rm_id)
    if len(found) < limit and len(q) >= 2 and not q.isascii():
        _collect_in_order(conn, q, found, limit, rm_id)
    return list(found.values())
