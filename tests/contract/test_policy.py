"""Guards of the contract's lists (recipe: docs/recipes/adding-a-synced-record-type.md).

A synced table added to rm_contract/tables.py must be placed by the sync policy and
named to a person; these fail when a step of the recipe is forgotten, and name it.
"""

from __future__ import annotations

from rm_contract.labels import FIELD_LABELS, TABLE_LABELS
from rm_contract.policy import (
    APPEND_FIELDS,
    APPEND_ONLY_TABLES,
    CUSTOMER_CHILD_TABLES,
    GLOBAL_TABLES,
    READ_ONLY_TABLES,
    SERVER_OWNED_FIELDS,
    SYNC_COLUMNS,
    SYNCED_TABLES,
)
from rm_contract.tables import SYNC_COLUMN_NAMES, TABLES

# Tables with a scope rule of their own (the customer itself, its groups, the audit log).
OWN_RULES = {"customer", "customer_group", "audit_log"}


def _customer_fk(name: str) -> bool:
    column = TABLES[name].c.get("customer_id")
    return column is not None and any(
        fk.column.table.name == "customer" for fk in column.foreign_keys
    )


def test_every_synced_table_is_placed_exactly_once() -> None:
    """Step 2: customer child (a customer_id), reference data for every RM, or a
    table with a scope rule of its own (which the service must be taught)."""
    places = [set(CUSTOMER_CHILD_TABLES), set(GLOBAL_TABLES), OWN_RULES]
    for name in SYNCED_TABLES:
        found = [i for i, place in enumerate(places) if name in place]
        assert len(found) == 1, f"{name}: placed {len(found)} times in the sync policy"


def test_customer_children_hang_under_a_customer_and_global_tables_do_not() -> None:
    for name in CUSTOMER_CHILD_TABLES:
        assert _customer_fk(name), f"{name}: a customer child needs customer_id → customer.id"
    for name in GLOBAL_TABLES:
        assert "customer_id" not in TABLES[name].c, f"{name}: global, but has a customer_id"


def test_the_policy_names_only_real_tables_and_columns() -> None:
    assert tuple(TABLES) == SYNCED_TABLES
    for listed in (READ_ONLY_TABLES, APPEND_ONLY_TABLES, GLOBAL_TABLES, CUSTOMER_CHILD_TABLES):
        assert set(listed) <= set(TABLES), set(listed) - set(TABLES)
    for fields in (SERVER_OWNED_FIELDS, APPEND_FIELDS):
        for table, columns in fields.items():
            assert table in TABLES, table
            assert set(columns) <= set(TABLES[table].c.keys()), (table, columns)
    assert set(SYNC_COLUMNS) <= set(SYNC_COLUMN_NAMES)
    for name, table in TABLES.items():
        assert [c.name for c in table.columns][-5:] == list(SYNC_COLUMN_NAMES), name


def test_every_synced_table_and_every_field_an_rm_edits_has_a_chinese_label() -> None:
    """Step 3: messages, conflicts and the rejected-edits list name tables and fields
    in Chinese; an English column name on an RM's screen is this test failing."""
    assert set(TABLES) <= set(TABLE_LABELS), set(TABLES) - set(TABLE_LABELS)
    missing = []
    for name, table in TABLES.items():
        if name in READ_ONLY_TABLES or name == "audit_log":
            continue
        owned = SERVER_OWNED_FIELDS.get(name, frozenset())
        for column in table.columns:
            if column.name in SYNC_COLUMN_NAMES or column.name in owned:
                continue
            if column.name not in FIELD_LABELS:
                missing.append(f"{name}.{column.name}")
    assert not missing, f"fields an RM edits without a label: {missing}"
