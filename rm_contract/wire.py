"""The sync protocol's wire format, shared by the workbench and the central service.

The central service publishes these models in its OpenAPI document, which is the
contract a bank implements if it replaces the reference service.

Protocol (version 2), all under ``/api/v1`` and JSON (gzip both ways):

* ``POST /auth/login`` → bearer token (expiring; stored hashed server-side).
* ``POST /sync/hello``: protocol range, server time, whether the device must
  (re-)bootstrap and from which snapshot sequence.
* ``GET /sync/snapshot``: one table's rows in id order at a snapshot, resumable page
  by page (``after_id``). After the last table the device's cursor is the snapshot's
  sequence number. With ``protocol=2`` a page names its columns once and sends each
  row as an array (:class:`ColumnarSnapshotPage`); without it, each row is an object
  (:class:`SnapshotPage`, protocol 1).
* ``POST /sync/push``: ordered mutations from the outbox; each has a device-monotonic
  ``mutation_id`` and an ``idempotency_key``; a replay changes nothing and returns the
  first answer. Updates carry each field's ``base`` (the value the device last saw) and
  ``new`` value; the server merges field by field. Who and when of what an RM creates
  come from the token and the server's clock (``central_crm.audit.STAMPED``), and each
  audit entry carries its device's chain (:mod:`rm_contract.audit_chain`).
* ``GET /sync/pull?cursor=N``: the changes after the cursor in the RM's scope, in
  sequence order: changed rows (tombstones included) and evictions (a customer
  reassigned away). The client applies a page and its cursor in one transaction.
* ``GET /sync/checksums``: per-table count and digest of the live rows in scope, to
  prove convergence. With ``protocol=2`` the digest is :func:`version_digest` (computed
  by the database on both sides); without it, :func:`row_digest` of ``(id, version)``.

Protocol 1 clients (row objects, :func:`row_digest`) are still served: they ask
without ``protocol=2``. ``hello`` refuses versions outside the server's range with 426
and a message telling the RM to upgrade.
* ``GET /sync/conflicts`` and ``POST /sync/conflicts/{id}/resolve``.

Row values travel as JSON scalars: money and rates as decimal strings, dates as
``YYYY-MM-DD``, times as ISO-8601 with offset, enums as their value. ``encode_row``
and ``decode_row`` convert using the column types of :mod:`rm_contract.tables`, so
both sides agree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import from_json
from sqlalchemy import Boolean, Date, Integer, String, Table
from sqlalchemy import Enum as SAEnum

from rm_contract.tables import TABLES
from rm_contract.types import JSONList, Money, Rate, UTCDateTime, parse_utc, utc_iso

# 2: columnar snapshot pages and the version digest (see the module docstring).
# 3: conflicts listed with who made each side (``?protocol=3``), "keep mine" with the
# value the RM was shown, answered with what was written (:class:`ResolveResult`).
PROTOCOL_VERSION = 3
# Sequence numbers, cursors and mutation ids are 64-bit signed integers in both
# databases; the contract says so, so an absurd number is a 422, not an overflow.
MAX_SEQ = 2**63 - 1
API_PREFIX = "/api/v1"


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class RequestModel(WireModel):
    """A request body: text with a NUL character is refused (no database stores it,
    and no person typed it). Answers are not walked: pages are large."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("文本中不能含有 NUL 控制字符 / text must not contain NUL characters")
        return data


# --- auth ---------------------------------------------------------------------------


class LoginRequest(RequestModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=8, max_length=64)
    device_name: str = Field(default="", max_length=100)


class UserInfo(WireModel):
    username: str
    display_name: str
    role: Literal["rm", "admin"]
    rm_id: str | None


class LoginResponse(WireModel):
    token: str
    expires_at: datetime
    user: UserInfo


class ErrorBody(WireModel):
    """Every 4xx/5xx answer: a code a program can test and a message a person reads."""

    code: str
    message: str
    details: Any = None


# --- hello --------------------------------------------------------------------------


class HelloRequest(RequestModel):
    protocol_version: int
    device_id: str = Field(min_length=8, max_length=64)
    cursor: int = Field(ge=0, le=MAX_SEQ)
    client_time: datetime


class HelloResponse(WireModel):
    protocol_min: int
    protocol_max: int
    server_time: datetime
    clock_skew_seconds: float = Field(allow_inf_nan=False)
    server_seq: int = Field(ge=0, le=MAX_SEQ)
    # The device holds nothing yet, or fell behind the tombstone horizon: push the
    # outbox, then bootstrap from ``snapshot_seq``.
    must_bootstrap: bool
    bootstrap_reason: str | None = None
    snapshot_seq: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    tables: list[str]


# --- snapshot -----------------------------------------------------------------------


class SnapshotPage(WireModel):
    """A snapshot page of protocol 1: every row an object."""

    table: str
    snapshot_seq: int = Field(ge=0, le=MAX_SEQ)
    rows: list[dict[str, Any]]
    # Pass as ``after_id`` for the next page; None when the table is done.
    next_after_id: str | None


class ColumnarSnapshotPage(WireModel):
    """A snapshot page of protocol 2: the column names once, then every row as an
    array of values in that order (a third fewer bytes to build, compress and parse
    than objects). Columns this client does not know (a newer server) are ignored."""

    table: str
    snapshot_seq: int = Field(ge=0, le=MAX_SEQ)
    columns: list[str]
    rows: list[list[Any]]
    # Pass as ``after_id`` for the next page; None when the table is done.
    next_after_id: str | None

    @classmethod
    def from_json(cls, content: bytes | str) -> ColumnarSnapshotPage:
        """Parse a page, checking its shape but not each value's type: validating
        250,000 rows of ``Any`` cost more than parsing them, and the bulk loader
        converts (and so checks) every value by its column anyway. Raises ValueError
        for anything that is not a page of this shape."""
        data = from_json(content, allow_inf_nan=False)
        if not isinstance(data, dict) or data.keys() != _COLUMNAR_KEYS:
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"not a columnar snapshot page: {keys}")
        table, seq, columns, rows, after = (
            data["table"],
            data["snapshot_seq"],
            data["columns"],
            data["rows"],
            data["next_after_id"],
        )
        if not isinstance(table, str) or type(seq) is not int or not 0 <= seq <= MAX_SEQ:
            raise ValueError(f"bad table or snapshot_seq: {table!r:.100}, {seq!r:.100}")
        if not isinstance(after, str | None):
            raise ValueError(f"bad next_after_id: {after!r}")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ValueError(f"bad columns: {columns!r:.200}")
        width = len(columns)
        # Whole-list checks in C: a Python test per row cost more than the parse.
        if not isinstance(rows, list) or not (
            set(map(type, rows)) <= {list} and set(map(len, rows)) <= {width}
        ):
            raise ValueError(f"rows must be arrays of {width} values")
        return cls.model_construct(
            table=table, snapshot_seq=seq, columns=columns, rows=rows, next_after_id=after
        )


_COLUMNAR_KEYS = frozenset(ColumnarSnapshotPage.model_fields)


# --- push ---------------------------------------------------------------------------


class FieldChange(WireModel):
    new: Any = None
    # The value the device last saw (absent for inserts).
    base: Any = None


class Mutation(WireModel):
    mutation_id: int = Field(ge=1, le=MAX_SEQ)
    idempotency_key: str = Field(min_length=8, max_length=64)
    table: str
    row_id: str = Field(min_length=1, max_length=36)
    op: Literal["insert", "update", "delete"]
    fields: dict[str, FieldChange] = Field(default_factory=dict)


class PushRequest(RequestModel):
    device_id: str = Field(min_length=8, max_length=64)
    mutations: list[Mutation] = Field(max_length=1000)
    # 3: answer each refusal with the row as the server holds it (``MutationResult.row``).
    protocol: int | None = Field(default=None, ge=1, le=1000)


class ConflictInfo(WireModel):
    conflict_id: str
    table: str
    row_id: str
    field: str
    base: Any
    theirs: Any
    yours: Any


MutationStatus = Literal["applied", "duplicate", "conflict", "rejected", "handed_over"]


class MutationResult(WireModel):
    mutation_id: int
    status: MutationStatus
    # Server version of the row after this mutation (None if nothing was written).
    version: int | None = None
    conflicts: list[ConflictInfo] = Field(default_factory=list)
    rejected_fields: list[str] = Field(default_factory=list)
    message: str | None = None
    # For a "duplicate" (a replay): the status the mutation got the first time, so a
    # device whose first answer was lost still learns it was rejected or conflicted.
    original_status: MutationStatus | None = None
    # Protocol 3, when something was refused: the row as the server holds it now (wire
    # form; None when it has none in the caller's scope), so the device shows that
    # rather than the refused value, which it keeps in its rejected-edits list. Also
    # for an audit entry: the row with the who and when the server stamped.
    row: dict[str, Any] | None = None


class PushResponse(WireModel):
    results: list[MutationResult]


# --- pull ---------------------------------------------------------------------------


class ChangeItem(WireModel):
    seq: int = Field(ge=0, le=MAX_SEQ)
    kind: Literal["row", "evict"]
    table: str | None = None
    row: dict[str, Any] | None = None
    # For evictions: the customer whose whole subtree leaves this RM's cache.
    customer_id: str | None = None
    message: str | None = None


class PullResponse(WireModel):
    items: list[ChangeItem]
    next_cursor: int = Field(ge=0, le=MAX_SEQ)
    has_more: bool


# --- checksums and conflicts --------------------------------------------------------


class TableChecksum(WireModel):
    count: int
    digest: str


class ChecksumResponse(WireModel):
    server_seq: int = Field(ge=0, le=MAX_SEQ)
    tables: dict[str, TableChecksum]


class ConflictDetail(ConflictInfo):
    """A stored conflict as protocol 3 lists it: whose customer, who made each side."""

    customer_id: str | None = None
    customer_name: str | None = None
    # Display names ("张伟（E880004）"); theirs None: the bank's own systems.
    yours_by: str | None = None
    yours_device: str | None = None
    theirs_by: str | None = None
    created_at: datetime | None = None


class ResolveRequest(RequestModel):
    choice: Literal["mine", "theirs"]
    # "mine": the server's value the RM was shown (wire form), the base of the write.
    # Left out (protocol 2): the conflict's stored "theirs", which is what it showed.
    seen: Any = None


class ResolveResult(WireModel):
    """What a resolution did. "mine" writes yours if the field still holds what the RM
    was shown; if it moved on, nothing is written and a new conflict (theirs: the
    current value) replaces this one: ``resolution`` "moved", ``conflict`` the new one.
    A conflict resolved before answers its first resolution again."""

    conflict_id: str
    resolution: Literal["mine", "theirs", "moved"]
    table: str
    row_id: str
    field: str
    # The field's value on the server after the resolution (wire form).
    value: Any = None
    # The row's version after writing yours (None: nothing was written).
    version: int | None = None
    conflict: ConflictDetail | None = None
    message: str | None = None


class ConflictList(WireModel):
    conflicts: list[ConflictInfo]


class ConflictDetailList(WireModel):
    conflicts: list[ConflictDetail]


# --- row encoding -------------------------------------------------------------------


def _encoder(table: Table, name: str) -> Any:
    kind = table.c[name].type
    if isinstance(kind, Money | Rate):
        return lambda v: None if v is None else str(v)
    if isinstance(kind, UTCDateTime):
        return lambda v: None if v is None else utc_iso(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, SAEnum):
        return lambda v: None if v is None else (v.value if isinstance(v, Enum) else v)
    return None


def _decoder(table: Table, name: str) -> Any:
    kind = table.c[name].type
    if isinstance(kind, Money | Rate):
        return lambda v: None if v is None else Decimal(str(v))
    if isinstance(kind, UTCDateTime):
        return lambda v: None if v is None else parse_utc(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else bool(v)
    if isinstance(kind, Integer):
        return lambda v: None if v is None else int(v)
    if isinstance(kind, JSONList):
        return lambda v: None if v is None else [str(x) for x in v]
    return None


_ENCODERS: dict[str, dict[str, Any]] = {}
_DECODERS: dict[str, dict[str, Any]] = {}
for _table in TABLES.values():
    _ENCODERS[_table.name] = {
        c.name: f for c in _table.columns if (f := _encoder(_table, c.name)) is not None
    }
    _DECODERS[_table.name] = {
        c.name: f for c in _table.columns if (f := _decoder(_table, c.name)) is not None
    }


def table_of(name: str) -> Table:
    return TABLES[name]


def encode_value(table: str, column: str, value: Any) -> Any:
    encoder = _ENCODERS[table].get(column)
    return value if encoder is None else encoder(value)


def decode_value(table: str, column: str, value: Any) -> Any:
    decoder = _DECODERS[table].get(column)
    return value if decoder is None else decoder(value)


def encode_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row (model-typed values) as JSON-ready values."""
    encoders = _ENCODERS[table]
    return {k: (encoders[k](v) if k in encoders else v) for k, v in row.items()}


def decode_row(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON row back to model-typed values; unknown columns raise KeyError."""
    columns = table_of(table).c
    decoders = _DECODERS[table]
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key not in columns:
            raise KeyError(f"{table}.{key}")
        out[key] = decoders[key](value) if key in decoders else value
    return out


# --- what a value must be to fit its column -----------------------------------------
#
# One rule for both sides: the central service checks every value a push sends with
# it, the workbench every value of a pulled row and of a push answer's row before it
# writes anything. The bulk loader (rm_workbench.db.bulk, ``wire=True``) applies the
# same rule to a snapshot page's whole columns at once while it converts them; a test
# (tests/sync/test_wire.py) holds the two to the same verdicts.

# SQLite's integers (and the cache's money in fen) are 64-bit signed.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Decimal exponents beyond these cannot fit a column (and a string like "1E+999999999"
# must not be formatted to find out).
_MAX_MONEY_DIGITS = 17  # integer digits of the largest amount in fen, 9.2e16 yuan
_RATE_TEXT = 24  # Rate is stored as canonical text of at most 24 characters


def _decimal(raw: Any) -> Decimal | None:
    """A finite Decimal from a wire amount (a decimal string or an integer), or None."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    try:
        value = Decimal(raw if isinstance(raw, str) else int(raw))
    except (ArithmeticError, ValueError):
        return None
    return value if value.is_finite() else None


def money_fits(raw: Any) -> bool:
    """A finite amount whose fen fit SQLite's int64 (rounded to fen as Money does)."""
    value = _decimal(raw)
    if value is None or value.adjusted() >= _MAX_MONEY_DIGITS:
        return False
    fen = int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))
    return INT64_MIN <= fen <= INT64_MAX


def rate_fits(raw: Any) -> bool:
    """A finite rate whose canonical text (what Rate stores) fits its 24 characters."""
    value = _decimal(raw)
    if value is None or not -_RATE_TEXT < value.adjusted() < _RATE_TEXT:
        return False
    return len(format(value.normalize(), "f")) <= _RATE_TEXT


def _is_time(raw: Any) -> bool:
    try:
        if isinstance(raw, str) and len(raw) == 32 and raw.endswith("+00:00"):
            # The form the service sends (and the cache stores): already in UTC.
            return isinstance(datetime.fromisoformat(raw), datetime)
        # As stored: in UTC (year 1 at +08:00 is no time the cache can keep).
        return isinstance(raw, str) and isinstance(utc_iso(parse_utc(raw)), str)
    except (ValueError, ArithmeticError):
        return False


# The wire's money as the service sends it: at most 16 digits, exactly two places.
_PLAIN_MONEY = re.compile(r"-?[0-9]{1,16}\.[0-9]{2}")


def _is_money(raw: Any) -> bool:
    if isinstance(raw, str) and _PLAIN_MONEY.fullmatch(raw):
        return True
    return money_fits(raw)


def _is_date(raw: Any) -> bool:
    try:
        return isinstance(raw, str) and len(raw) == 10 and isinstance(date.fromisoformat(raw), date)
    except ValueError:
        return False


def _is_text(length: int | None) -> Any:
    if length is None:
        return lambda raw: isinstance(raw, str)
    return lambda raw: isinstance(raw, str) and len(raw) <= length


def _rule(table: Table, column: str) -> Any:
    """Whether a (non-None) wire value fits ``table.column``: a predicate made once
    per column (a pulled page asks for every value of every row)."""
    kind = table.c[column].type
    if isinstance(kind, Money):
        return _is_money
    if isinstance(kind, Rate):
        return rate_fits
    if isinstance(kind, UTCDateTime):
        return _is_time
    if isinstance(kind, Date):
        return _is_date
    if isinstance(kind, Boolean):
        return lambda raw: isinstance(raw, bool)
    if isinstance(kind, Integer):
        low, high = (0, MAX_SEQ) if column == "version" else (INT64_MIN, INT64_MAX)
        return lambda raw: type(raw) is int and low <= raw <= high
    if isinstance(kind, SAEnum):
        allowed = frozenset(kind.enums)
        return lambda raw: isinstance(raw, str) and raw in allowed
    if isinstance(kind, JSONList):
        return lambda raw: isinstance(raw, list) and all(isinstance(x, str) for x in raw)
    if isinstance(kind, String):
        return _is_text(kind.length)
    return lambda raw: True  # pragma: no cover - every cache column type is handled above


_RULES: dict[str, dict[str, Any]] = {
    table.name: {column.name: _rule(table, column.name) for column in table.columns}
    for table in TABLES.values()
}


def value_problem(table: str, column: str, raw: Any) -> str | None:
    """Why the wire value ``raw`` does not fit ``table.column`` (None when it does),
    in the words the RM is shown (Chinese, then English for the bank's IT).

    Strict, by the column's type: booleans are JSON booleans; integers are integers
    (not booleans) within 64 bits, and a ``version`` is a sequence number (0 to
    ``MAX_SEQ``); money and rates are decimal strings (or integers) that are finite and
    fit the column (money in fen within 64 bits, a rate's text within 24 characters);
    dates are ``YYYY-MM-DD`` (or another 10-character ISO form), times ISO-8601 text;
    enums one of their values; strings within their length; JSON lists lists of
    strings. None is accepted here (NOT NULL is the database's rule)."""
    if raw is None or _RULES[table][column](raw):
        return None
    kind = table_of(table).c[column].type
    if type(raw) is int and isinstance(kind, Integer):
        return f"{column}: 值 {raw!r:.40} 超出范围 / out of range"
    if isinstance(raw, str) and isinstance(kind, String) and not isinstance(kind, SAEnum):
        return f"{column}: 超过 {kind.length} 个字 / longer than {kind.length} characters"
    return f"{column}: 值 {raw!r:.40} 格式不对 / invalid value"


def row_problem(table: str, row: Mapping[str, Any]) -> str | None:
    """The first reason a wire row of ``table`` cannot be written (None: it can): an
    ``id`` that is not a non-empty string, or a value its column does not accept.
    Columns this build does not know (a newer server) are left to the caller."""
    row_id = row.get("id")
    if not isinstance(row_id, str) or not row_id:
        return f"id: 值 {row_id!r:.40} 格式不对 / invalid id"
    rules = _RULES[table]
    for name, raw in row.items():
        rule = rules.get(name)
        if rule is not None and raw is not None and not rule(raw):
            return value_problem(table, name, raw)
    return None


def row_digest(rows: Iterable[tuple[str, int | None]]) -> TableChecksum:
    """Protocol 1's digest: order-independent digest of ``(id, version)`` pairs, count
    and a 64-bit sum of per-row hashes. Hashing every row in Python cost ~1 s per side
    on a 5,000-customer book; protocol 2 uses :func:`version_digest`."""
    count = 0
    total = 0
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    for row_id, version in rows:
        count += 1
        total += from_bytes(blake2b(f"{row_id}:{version}".encode(), digest_size=8).digest())
    return TableChecksum(count=count, digest=f"{total % (1 << 64):016x}")


# --- protocol 2's digest --------------------------------------------------------------
#
# Each live row contributes two numbers computed from its version alone, and the digest
# is their sums: integer arithmetic that SQLite and PostgreSQL evaluate identically and
# that never leaves 63 bits (every factor is below 2**31), so each side computes it in
# one aggregate query over the table, without sending a row to Python.
#
# The version is enough: every write of a synced row takes a fresh number of the
# server's one counter (central_crm.db.take_seqs), so a version names exactly one row
# write, and equal sets of versions mean equal sets of (row, version). Mixing is a
# square modulo a prime, twice with different primes and constants: a stale, missing
# or extra row changes each sum unless two versions collide in both, about 2**-62.
DIGEST_MIXES: tuple[tuple[int, int, int, int], ...] = (
    # (prime p < 2**31, multiplier a < 2**31, b, c): h(v) = ((v % p * a + b) % p)**2 + c mod p
    (2147483647, 1597334677, 12345, 1013904223),
    (2147483629, 1103515245, 54321, 1664525),
)


def version_mix_sql(version: str) -> list[str]:
    """The per-row terms of :func:`version_digest` as SQL over the expression
    ``version`` (a non-negative integer), one per entry of ``DIGEST_MIXES``."""
    terms = []
    for p, a, b, c in DIGEST_MIXES:
        y = f"((({version}) % {p}) * {a} + {b}) % {p}"
        terms.append(f"(({y}) * ({y}) + {c}) % {p}")
    return terms


def version_digest_of_sums(count: int, sums: Iterable[int | None]) -> TableChecksum:
    """The digest from the row count and the sums of the per-row terms (SQL's SUM is
    NULL over no rows)."""
    return TableChecksum(
        count=count, digest="".join(f"{int(s or 0) % (1 << 64):016x}" for s in sums)
    )


def version_digest(versions: Iterable[int]) -> TableChecksum:
    """Protocol 2's digest of a table's live versions (the pure-Python reference of
    what both databases compute with :func:`version_mix_sql`)."""
    count = 0
    sums = [0] * len(DIGEST_MIXES)
    for version in versions:
        count += 1
        for i, (p, a, b, c) in enumerate(DIGEST_MIXES):
            y = (version % p * a + b) % p
            sums[i] += (y * y + c) % p
    return version_digest_of_sums(count, sums)
