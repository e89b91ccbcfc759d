"""Reading synced rows fast, straight into their wire JSON.

A snapshot or pull page is thousands of rows. Turning them into ORM objects, or even
into typed values and then ``wire.encode_row`` and ``json.dumps``, costs several times
what the database needs to read them (measured on the 5k book: ~15k rows/s through
the types, ~70k rows/s with a raw select and ``json.dumps``). So the database writes
each row's JSON object itself — SQLite's ``json_object``, PostgreSQL's
``row_to_json`` — and a page is those texts joined with commas (~130k rows/s for a
5,000-row page of contact logs on SQLite). Each column is
first turned into its wire form in SQL:

* ``Money`` (integer fen) → decimal string with two places (``-0.05``, ``1234.50``);
* ``UTCDateTime`` is stored as the UTC ISO text the wire uses: unchanged;
* ``Date`` → ``YYYY-MM-DD`` (already text on SQLite);
* ``Boolean`` → JSON true/false; ``JSONList`` → the JSON array it stores;
* enums, ``Rate`` (canonical decimal text), strings and integers: unchanged.

The result equals ``wire.encode_row`` of the typed row, as JSON (a test proves it on
every table, on both back ends). One nuance: a ``Rate`` below 1e-6 is sent in plain
notation (``"0.0000001"``) where ``str(Decimal)`` would write ``"1E-7"``; both decode
to the same ``Decimal``. ``owner_rm_id`` and ``written_by`` never leave the server.
:class:`TableCodec` also keeps a pure-Python path (:meth:`TableCodec.encode`) used
for checking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    BindParameter,
    Boolean,
    ColumnElement,
    Date,
    Select,
    String,
    Table,
    Text,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    type_coerce,
)

from central_crm.schema import SERVER_ONLY_COLUMNS, SYNCED
from rm_contract.types import JSONList, Money
from rm_contract.wire import encode_row


def _text(value: str) -> ColumnElement[Any]:
    """A string constant written into the SQL (no bind parameter per use)."""
    return literal_column(f"'{value}'", String)


def _money(column: Any) -> ColumnElement[Any]:
    """fen → "[-]units.cc" in portable SQL (NULL stays NULL: ``||`` with NULL is NULL)."""
    magnitude = func.abs(column, type_=BigInteger)
    hundred = literal_column("100", BigInteger)
    cents = magnitude % hundred
    return (
        case((column < literal_column("0", BigInteger), _text("-")), else_=_text(""))
        + cast(magnitude // hundred, Text)
        + _text(".")
        + case((cents < literal_column("10", BigInteger), _text("0")), else_=_text(""))
        + cast(cents, Text)
    )


def _wire_sql(column: Any, dialect: str) -> ColumnElement[Any]:
    """The column's wire value as SQL, as the JSON builder should embed it."""
    kind = column.type
    if isinstance(kind, Money):
        return _money(type_coerce(column, BigInteger))
    if isinstance(kind, JSONList):
        # The stored JSON array, embedded as JSON rather than as a string.
        return func.json(column) if dialect == "sqlite" else cast(column, JSON)
    if dialect == "sqlite":
        if isinstance(kind, Boolean):
            # json() marks 'true'/'false' as JSON, so json_object embeds a boolean.
            return func.json(
                case(
                    (column.is_(None), null()),
                    (type_coerce(column, BigInteger) != literal_column("0"), _text("true")),
                    else_=_text("false"),
                )
            )
        return column
    if isinstance(kind, Date):
        return func.to_char(column, _text("YYYY-MM-DD"))
    return column


class TableCodec:
    """Wire JSON of one synced table's rows, built by the database."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [c for c in table.columns if c.name not in SERVER_ONLY_COLUMNS]
        self.names: tuple[str, ...] = tuple(c.name for c in self.columns)

    def page(
        self,
        dialect: str,
        where: Sequence[ColumnElement[bool]],
        order_by: Any,
        limit: int | BindParameter[int],
    ) -> Select[Any]:
        """``SELECT id, version, <row JSON>`` of the rows matching ``where``, in
        ``order_by`` order (a column of this table), at most ``limit`` of them.

        SQLite builds each object with ``json_object``; PostgreSQL with ``row_to_json``
        over a subquery of the converted columns, which measured ~25% faster than
        ``json_build_object``.
        """
        table = self.table
        if dialect == "sqlite":
            arguments: list[Any] = []
            for column in self.columns:
                arguments.append(_text(column.name))
                arguments.append(_wire_sql(column, dialect))
            wire = cast(func.json_object(*arguments), Text).label("wire")
            return (
                select(table.c.id, table.c.version, wire)
                .where(*where)
                .order_by(order_by)
                .limit(limit)
            )
        inner = (
            select(*[_wire_sql(c, dialect).label(c.name) for c in self.columns])
            .where(*where)
            .order_by(order_by)
            .limit(limit)
            .subquery("r")
        )
        return select(
            inner.c.id,
            inner.c.version,
            cast(func.row_to_json(inner.table_valued()), Text).label("wire"),
        ).order_by(inner.c[order_by.name])

    def array_page(
        self,
        dialect: str,
        where: Sequence[ColumnElement[bool]],
        order_by: Any,
        limit: int | BindParameter[int],
    ) -> Select[Any]:
        """Like :meth:`page`, but each row's JSON is an array of the values in
        ``names`` order (protocol 2's columnar snapshot pages): no key repeated per
        row, so less for the database to build and for gzip and the client to read."""
        values = [_wire_sql(column, dialect) for column in self.columns]
        builder = func.json_array if dialect == "sqlite" else func.json_build_array
        wire = cast(builder(*values), Text).label("wire")
        return (
            select(self.table.c.id, self.table.c.version, wire)
            .where(*where)
            .order_by(order_by)
            .limit(limit)
        )

    def encode(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Typed rows → wire rows the slow, obvious way (``wire.encode_row``)."""
        name = self.table.name
        return [
            encode_row(name, {k: v for k, v in row.items() if k not in SERVER_ONLY_COLUMNS})
            for row in rows
        ]


CODECS: dict[str, TableCodec] = {name: TableCodec(table) for name, table in SYNCED.items()}
