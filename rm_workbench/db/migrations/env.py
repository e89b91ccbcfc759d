"""Alembic environment of the local cache.

Migrations always run on a connection the workbench hands over
(``config.attributes["connection"]``): the cache may be encrypted, and only the
workbench knows how to open it.

They run as one SQLite transaction with foreign keys off
(:func:`rm_workbench.db.migrate.migration_transaction`; usually ``upgrade_cache``'s,
which this one joins). The transaction is begun before Alembic looks at the
connection, so that Alembic sees a transaction of the caller's and never commits one
of its own per revision. A migration must not commit, nor change a PRAGMA that SQLite
ignores or refuses inside a transaction (``foreign_keys``, ``journal_mode``).
"""

from __future__ import annotations

from alembic import context

from rm_workbench.db.migrate import migration_transaction
from rm_workbench.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "rm_workbench migrations run through rm_workbench.db.migrate, not the alembic CLI"
    )

with migration_transaction(connection):
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
