"""A typed model of every synced table's row, as it travels (for the OpenAPI document).

The wire carries rows as JSON objects (or, in a columnar snapshot page, arrays in the
page's column order) whose values follow :mod:`rm_contract.wire`'s encoding: money
and rates as decimal strings, dates as ``YYYY-MM-DD``, times as ISO-8601 with offset,
enums as their value. These models say so column by column, made from
:mod:`rm_contract.tables`, so a bank implementing the contract sees every column and
its type, and a table added there is described here without a line written.

They describe; they do not check at run time (a page of 10,000 rows is converted by
its column types instead, :func:`rm_contract.wire.value_problem`). The service puts
them into its document (``central_crm.app``); tests/contract/test_rows.py validates
real rows of every table against them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String, Table, Text
from sqlalchemy import Enum as SAEnum

from rm_contract.labels import field_label, table_label
from rm_contract.tables import TABLES
from rm_contract.types import JSONList, Money, Rate, UTCDateTime
from rm_contract.wire import INT64_MAX, INT64_MIN, MAX_SEQ

MONEY_PATTERN = r"^-?[0-9]{1,17}\.[0-9]{2}$"
RATE_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


class RowModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _value_type(table: Table, column: Column[Any]) -> Any:
    """The wire type of one column's (non-null) value, with its bounds."""
    kind = column.type
    label = field_label(column.name)
    about = None if label == column.name else label
    if isinstance(kind, Money):
        return Annotated[
            str,
            Field(
                pattern=MONEY_PATTERN,
                description=f"{about or column.name}（元，两位小数）",
            ),
        ]
    if isinstance(kind, Rate):
        return Annotated[str, Field(pattern=RATE_PATTERN, max_length=24, description=about)]
    if isinstance(kind, UTCDateTime):
        return Annotated[datetime, Field(description=about)]
    if isinstance(kind, Date):
        return Annotated[date, Field(description=about)]
    if isinstance(kind, Boolean):
        return Annotated[bool, Field(description=about)]
    if isinstance(kind, JSONList):
        return Annotated[list[str], Field(description=about)]
    if isinstance(kind, SAEnum):
        values = tuple(kind.enums)
        return Annotated[Literal[values], Field(description=about)]
    if isinstance(kind, Integer | BigInteger):
        low, high = (0, MAX_SEQ) if column.name == "version" else (INT64_MIN, INT64_MAX)
        return Annotated[int, Field(ge=low, le=high, description=about)]
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None)
        return Annotated[str, Field(max_length=length, description=about)]
    raise TypeError(f"{table.name}.{column.name}: no wire type for {kind!r}")


def _row_model(table: Table) -> type[RowModel]:
    fields: dict[str, Any] = {}
    for column in table.columns:
        value = _value_type(table, column)
        if column.nullable:
            fields[column.name] = (value | None, ...)
        else:
            fields[column.name] = (value, ...)
    model = create_model(
        f"{_camel(table.name)}Row",
        __base__=RowModel,
        __doc__=f"A row of ``{table.name}`` ({table_label(table.name)}) on the wire.",
        **fields,
    )
    return model


# Table name -> its row model, in foreign-key order.
ROW_MODELS: dict[str, type[RowModel]] = {name: _row_model(t) for name, t in TABLES.items()}


# The wire models' fields that carry rows of any synced table (model -> field).
ROW_FIELDS: dict[str, str] = {"SnapshotPage": "rows", "ChangeItem": "row", "MutationResult": "row"}


def describe_rows(document: dict[str, Any]) -> dict[str, Any]:
    """Put the row models into an OpenAPI document (``components/schemas``) and point
    the fields that carry rows at them; returns the document."""
    from pydantic.json_schema import models_json_schema

    _, definitions = models_json_schema(
        [(model, "serialization") for model in ROW_MODELS.values()],
        ref_template="#/components/schemas/{model}",
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(definitions.get("$defs", {}))
    any_row = {
        "oneOf": [{"$ref": f"#/components/schemas/{m.__name__}"} for m in ROW_MODELS.values()],
        "description": "A row of the table the object names (``table``), as its row model says.",
    }
    for model, name in ROW_FIELDS.items():
        properties = schemas.get(model, {}).get("properties", {})
        if name not in properties:
            continue
        if name == "rows":
            properties[name] = {"type": "array", "items": any_row, "title": "Rows"}
        else:
            properties[name] = {"anyOf": [any_row, {"type": "null"}], "title": "Row"}
    columnar = schemas.get("ColumnarSnapshotPage", {}).get("properties", {})
    if "rows" in columnar:
        columnar["rows"]["description"] = (
            "Each row as an array of its values in the order of ``columns``; the values "
            "are those of the table's row model (e.g. CustomerRow)."
        )
    return document
