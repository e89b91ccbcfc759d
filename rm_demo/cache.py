"""The demo book straight into a workbench cache, without the sync.

:func:`load_demo_book` fills a cache with one RM's share of the generated book
(tests, screenshots and benchmarks that do not need the sync), keeping the sync's
scope rule: the RM sees only customers assigned to them and their children.
:func:`fill_if_empty` is what ``open_workbench(fill=...)`` takes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select

from rm_contract.policy import CUSTOMER_CHILD_TABLES, GLOBAL_TABLES
from rm_demo.book import generate_book
from rm_workbench.db.bulk import load_book
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import index_customers
from rm_workbench.models import Customer

log = logging.getLogger(__name__)

Rows = Mapping[str, Sequence[Mapping[str, Any]]]


def rm_share(tables: Rows, rm_id: str) -> dict[str, list[Mapping[str, Any]]]:
    """The rows an RM may hold: their customers, those customers' children, the groups
    those customers belong to, and the shared reference data (branches, RMs, products,
    bundle templates)."""
    customers = [c for c in tables.get("customer", []) if c["rm_id"] == rm_id]
    ids = {c["id"] for c in customers}
    share: dict[str, list[Mapping[str, Any]]] = {"customer": customers}
    for name in CUSTOMER_CHILD_TABLES:
        share[name] = [r for r in tables.get(name, []) if r["customer_id"] in ids]
    group_ids = {m["group_id"] for m in share["group_membership"]}
    share["customer_group"] = [g for g in tables.get("customer_group", []) if g["id"] in group_ids]
    for name in GLOBAL_TABLES:
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


def fill_if_empty(cache: Cache) -> None:
    """The demo RM's share into an empty cache; a cache with customers is left as it is."""
    if cache_is_empty(cache):
        counts = load_demo_book(cache)
        log.info("demo book loaded: %s", counts)
