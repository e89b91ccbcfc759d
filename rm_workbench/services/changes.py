"""What a write changed, so the UI can emit one application-level "changed" signal.

Every service call that writes returns a :class:`Change`; the UI forwards it on one
signal and each view decides for itself whether to refresh (Anki's op-changes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection

from rm_workbench.db.engine import Cache


@dataclass(frozen=True)
class Change:
    """One write: what happened, to whose rows, and which tables it touched.

    ``kind`` names the action (``"visit_planned"``, ``"contact_added"``, …); ``ids``
    are the rows written, the main row first (a completed visit, then the needs it
    created); ``tables`` are the tables written, so a view refreshes only when it
    shows one of them. A write to several customers (a sync) names them in
    ``customer_ids``, or sets ``all_customers`` when any of them may be concerned (a
    bootstrap, reference data).
    """

    kind: str
    customer_id: str | None
    ids: tuple[str, ...]
    tables: frozenset[str]
    customer_ids: frozenset[str] = frozenset()
    all_customers: bool = False

    @property
    def id(self) -> str:
        """The main row written (a new visit's id, the need that was closed …)."""
        return self.ids[0]

    def touches(self, *tables: str) -> bool:
        """Whether the write changed any of ``tables``."""
        return not self.tables.isdisjoint(tables)

    def concerns(self, customer_id: str | None) -> bool:
        """Whether the write may have changed rows of this customer."""
        return (
            self.all_customers
            or (customer_id is not None and customer_id == self.customer_id)
            or customer_id in self.customer_ids
        )


@contextmanager
def write_transaction(cache: Cache) -> Iterator[Connection]:
    """One write transaction on the cache, for the outbox functions.

    Committed when the block ends, rolled back when it raises: a refused edit leaves
    neither a row nor an outbox entry. Driver errors (a full disk) come out as the
    cache's clear CacheErrors, as from :meth:`Cache.session`.
    """
    with cache.session() as session:
        yield session.connection()
