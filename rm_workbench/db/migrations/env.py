"""Alembic environment of the local cache.

Migrations always run on a connection the workbench hands over
(``config.attributes["connection"]``): the cache may be encrypted, and only the
workbench knows how to open it.
"""

from __future__ import annotations

from alembic import context

from rm_workbench.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "rm_workbench migrations run through rm_workbench.db.migrate, not the alembic CLI"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
