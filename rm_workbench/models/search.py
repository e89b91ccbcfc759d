"""The customer search index: derived, local-only rows (never synced).

Filled and queried by :mod:`rm_workbench.db.search`, which explains the design. The
table is ``WITHOUT ROWID`` with ``(kind, term)`` leading its primary key, so a lookup is a
range scan of the table's own B-tree.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base


class CustomerSearchTerm(Base):
    """One way to find a customer: a term (name, pinyin, reversed phone tail, …) of a kind.

    Rows go with their customer (``ON DELETE CASCADE``), so evicting a customer's
    subtree removes its search terms too.
    """

    __tablename__ = "customer_search"
    __table_args__ = ({"sqlite_with_rowid": False},)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    term: Mapped[str] = mapped_column(Text, primary_key=True)
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, index=True
    )
