"""Use cases the UI calls (customers, visits, agenda, proposals, sync).

Services take a :class:`~rm_workbench.db.engine.Cache`, do their work in short
transactions and hand back plain data (frozen dataclasses), never ORM objects or
sessions. They import no Qt; the UI runs the slow ones off the GUI thread.
"""
