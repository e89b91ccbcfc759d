"""Alembic environment of the central CRM's database.

Migrations run on a connection handed over by :func:`central_crm.db.migrate`
(``config.attributes["connection"]``), so the same code path serves ``serve``, the
tests and both back ends (SQLite, PostgreSQL).
"""

from __future__ import annotations

from alembic import context

from central_crm.schema import server_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("central_crm migrations run through central_crm.db.migrate, not the CLI")

context.configure(
    connection=connection,
    target_metadata=server_metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
