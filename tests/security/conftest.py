"""The attacks of issue 13 against the real central CRM on loopback (SQLite and
PostgreSQL) and the real workbench: the fixtures of ``tests/central`` (a running
service, a seeded two-RM book, logged-in clients, devices) are reused here."""

from tests.central.conftest import *  # noqa: F403
