"""unique numbers of the bulk tables as unique indexes

``account.account_no``, ``contact_log.contact_no`` and ``visit.visit_no`` were
unique table constraints; they become unique indexes (``ix_<table>_<column>``) with
the same rule. SQLite cannot drop a constraint's index, but it can drop an index: a
bootstrap now builds these after its last page, as it does the plain indexes
(``rm_workbench.db.bulk.defer_indexes``), instead of checking each of a book's
~230,000 rows against a random place in a B-tree (a fifth of a bootstrap's time,
bench/bench_bootstrap.py).

Batch mode copies the three tables. Nothing refers to them, so the copy needs no
change of the foreign-key setting, and their rows, indexes and foreign keys stay as
they were.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERS = (("account", "account_no"), ("contact_log", "contact_no"), ("visit", "visit_no"))


def upgrade() -> None:
    for table, column in NUMBERS:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_constraint(f"uq_{table}_{column}", type_="unique")
            batch.create_index(f"ix_{table}_{column}", [column], unique=True)


def downgrade() -> None:
    for table, column in NUMBERS:
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.drop_index(f"ix_{table}_{column}")
            batch.create_unique_constraint(f"uq_{table}_{column}", [column])
