"""The server's Alembic migrations on SQLite and PostgreSQL: they build exactly the
schema the code declares, run twice harmlessly, and downgrade cleanly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from central_crm import db
from central_crm.schema import server_metadata
from tests.central.conftest import PG_URL, _pg_unreachable


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = db.make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    reason = _pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    schema = f"central_migrate_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = db.make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_migrations_build_the_declared_schema(empty_engine: Engine) -> None:
    db.migrate(empty_engine)
    db.migrate(empty_engine)  # a second start-up finds nothing to do
    with empty_engine.connect() as conn:
        assert db.current_revision(conn) == db.head_revision()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, server_metadata) == []
        assert db.current_seq(conn) == 0
        tables = set(inspect(conn).get_table_names())
    assert {t.name for t in server_metadata.sorted_tables} <= tables
    assert "customer_search" not in tables


def test_downgrade_and_upgrade_again(empty_engine: Engine) -> None:
    db.migrate(empty_engine)
    with db.write_begin(empty_engine) as conn:
        command.downgrade(db.alembic_config(conn), "base")
    with empty_engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert left == set()
    db.migrate(empty_engine)
    with empty_engine.connect() as conn:
        assert db.current_revision(conn) == db.head_revision()


def test_sequence_numbers_are_taken_in_the_transaction(empty_engine: Engine) -> None:
    db.migrate(empty_engine)
    with db.write_begin(empty_engine) as conn:
        assert db.next_seq(conn) == 1
        assert db.take_seqs(conn, 5) == 2
        assert db.current_seq(conn) == 6
    with pytest.raises(RuntimeError), db.write_begin(empty_engine) as conn:
        db.take_seqs(conn, 10)
        raise RuntimeError("roll back")
    with empty_engine.connect() as conn:
        assert db.current_seq(conn) == 6  # a rolled-back transaction used no numbers


def test_processes_starting_together_migrate_once(empty_engine: Engine) -> None:
    import threading

    errors: list[BaseException] = []

    def start() -> None:
        try:
            db.migrate(empty_engine)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with empty_engine.connect() as conn:
        assert db.current_revision(conn) == db.head_revision()
        assert db.current_seq(conn) == 0
