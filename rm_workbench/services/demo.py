"""The demo book in a local cache: one RM's share of the generated central CRM data.

Until the sync service exists this fills the demo profile's cache directly, keeping the
sync's scope rule: the RM sees only customers assigned to them and their children.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from central_crm.demo_book import generate_book
from rm_workbench.db.bulk import load_book
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import index_customers
from rm_workbench.models import Customer
from rm_workbench.sync.wire import CUSTOMER_CHILD_TABLES

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


def rm_share(tables: Rows, rm_id: str) -> dict[str, list[Mapping[str, Any]]]:
    """The rows an RM may hold: their customers, those customers' children, the groups
    those customers belong to, and the shared reference data (branches, RMs, products)."""
    customers = [c for c in tables.get("customer", []) if c["rm_id"] == rm_id]
    ids = {c["id"] for c in customers}
    share: dict[str, list[Mapping[str, Any]]] = {"customer": customers}
    for name in CUSTOMER_CHILD_TABLES:
        share[name] = [r for r in tables.get(name, []) if r["customer_id"] in ids]
    group_ids = {m["group_id"] for m in share["group_membership"]}
    share["customer_group"] = [g for g in tables.get("customer_group", []) if g["id"] in group_ids]
    for name in ("branch", "relationship_manager", "product"):
        share[name] = list(tables.get(name, []))
    return share


def load_demo_book(cache: Cache, *, rm_index: int = 0) -> dict[str, int]:
    """Fill an empty cache with the ``rm_index``-th RM's share of the default demo book."""
    book = generate_book("default")
    rms = book.tables["relationship_manager"]
    share = rm_share(book.tables, rms[rm_index]["id"])
    with cache.engine.begin() as conn:
        counts = load_book(conn, share)
        index_customers(conn, share["customer"])
    return counts


def cache_is_empty(cache: Cache) -> bool:
    with cache.session() as session:
        return not session.scalar(select(func.count()).select_from(Customer))
