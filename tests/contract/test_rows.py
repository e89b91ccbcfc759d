"""The OpenAPI document names every synced column and its type (rm_contract.rows).

A bank implementing the contract reads the service's document; every synced table's
row is a model there, made from rm_contract.tables, so a column added to a table is
in the document without a line written (and a column of a type the row models do not
know stops the import). Real rows of every table are checked against these models in
tests/demo/test_demo_central.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, LargeBinary, MetaData, String, Table

from central_crm.app import create_app
from rm_contract.rows import ROW_FIELDS, ROW_MODELS, _row_model
from rm_contract.tables import TABLES, metadata, synced_columns
from rm_contract.types import JSONList, Money, Rate, UTCDateTime
from rm_contract.vocabulary import Priority, enum_column


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = create_app("sqlite://")
    try:
        return app.openapi()
    finally:
        app.state.engine.dispose()


def _typed(schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:
        return all(_typed(s) for s in schema["anyOf"])
    return "type" in schema or "enum" in schema or "$ref" in schema


def test_every_synced_column_is_named_with_its_type(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(ROW_MODELS) == set(TABLES) == set(metadata.tables)
    for name, table in TABLES.items():
        row = schemas[ROW_MODELS[name].__name__]
        assert set(row["properties"]) == {c.name for c in table.columns}, name
        assert set(row["required"]) == {c.name for c in table.columns}, name
        assert row["additionalProperties"] is False
        for column in table.columns:
            schema = row["properties"][column.name]
            assert _typed(schema), (name, column.name, schema)
            nullable = "anyOf" in schema and {"type": "null"} in schema["anyOf"]
            assert nullable == bool(column.nullable), (name, column.name)


def test_money_dates_times_and_enums_are_described_as_they_travel(
    document: dict[str, Any],
) -> None:
    customer = document["components"]["schemas"]["CustomerRow"]["properties"]
    assert customer["aum"]["type"] == "string" and "pattern" in customer["aum"]
    assert customer["birth_date"]["anyOf"][0] == {"format": "date", "type": "string"}
    assert customer["updated_at"]["format"] == "date-time"
    assert set(customer["category"]["enum"]) == {"individual", "corporate"}
    assert customer["name"]["maxLength"] == 100
    assert customer["version"]["anyOf"][0]["minimum"] == 0


def test_the_fields_that_carry_rows_point_at_the_row_models(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    refs = {f"#/components/schemas/{m.__name__}" for m in ROW_MODELS.values()}
    for model, field in ROW_FIELDS.items():
        schema = schemas[model]["properties"][field]
        one_of = schema["items"]["oneOf"] if "items" in schema else schema["anyOf"][0]["oneOf"]
        assert {s["$ref"] for s in one_of} == refs, model


def test_a_row_model_checks_values_as_the_wire_encodes_them() -> None:
    model = ROW_MODELS["opportunity"]
    good = {
        "opportunity_no": "O1",
        "customer_id": "c",
        "product_id": None,
        "need_id": None,
        "started_on": "2026-12-08",
        "ends_on": None,
        "probability": 10,
        "sales_method": None,
        "sales_stage": "lead",
        "summary": "定期存款",
        "content": None,
        "expected_value": "250000.50",
        "id": "o",
        "version": 7,
        "deleted": False,
        "created_at": "2026-12-08T01:00:00.000000+00:00",
        "updated_at": "2026-12-08T01:00:00.000000+00:00",
    }
    model.model_validate_json(json.dumps(good))
    for field, bad in [
        ("expected_value", "1e9"),
        ("expected_value", 250000.5),
        ("sales_stage", "maybe"),
        ("started_on", "08/12/2026"),
        ("version", -1),
    ]:
        with pytest.raises(ValidationError):
            model.model_validate_json(json.dumps({**good, field: bad}))
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps({**good, "extra": 1}))


def test_a_new_table_is_described_without_a_line_written() -> None:
    table = Table(
        "campaign_outcome",
        MetaData(),
        Column("outcome", String(16), nullable=False),
        Column("budget", Money, nullable=True),
        Column("rate", Rate, nullable=True),
        Column("due_at", UTCDateTime, nullable=True),
        Column("tags", JSONList, nullable=False),
        Column("priority", enum_column(Priority), nullable=False),
        *synced_columns(),
    )
    schema = _row_model(table).model_json_schema()
    assert set(schema["properties"]) == {c.name for c in table.columns}
    assert schema["title"] == "CampaignOutcomeRow"


def test_a_column_of_a_type_the_wire_does_not_know_stops_the_import() -> None:
    table = Table("odd", MetaData(), Column("blob", LargeBinary), *synced_columns())
    with pytest.raises(TypeError, match=r"odd\.blob"):
        _row_model(table)
