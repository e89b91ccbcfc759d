"""The central CRM's database: engine, sessions, the sequence counter, migrations.

One database URL selects the back end:

* SQLite (``sqlite:///central.db``, the default) for a demo on one machine: WAL, foreign
  keys on, a busy timeout, and write transactions that start with ``BEGIN IMMEDIATE``
  (:func:`write_begin`) so two writers queue up instead of failing when one of them
  tries to upgrade a read lock.
* PostgreSQL (``postgresql+psycopg://user@host/db``) in production, where the service
  is stateless and runs as many processes as needed over one database.

The sequence rule (ARCHITECTURE.md, sync): every change of a synced row is stamped with
a number of ONE global counter, taken inside the writing transaction by
``UPDATE sync_counter SET value = value + n RETURNING value``. On PostgreSQL that
statement locks the counter row until commit, so writers run one after the other and
commit order equals sequence order; on SQLite there is only one writer at a time
anyway. A pull reading ``version > cursor`` therefore never skips a row that commits
later with a smaller number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, make_url, select, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from central_crm.schema import server_state, sync_counter

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///central.db"
# Key of the tombstone horizon in ``server_state``: devices whose cursor is below it
# missed purged tombstones and must re-bootstrap.
HORIZON_KEY = "tombstone_horizon"
# Key of the PostgreSQL advisory lock held while migrating ("CRM1" in ASCII).
MIGRATION_LOCK = 0x43524D31


# Statements of every request, built once (building and caching a statement per call
# costs more than the round trip on this hot path).
_COUNTER = select(sync_counter.c.value).where(sync_counter.c.id == 1)
_COUNTER_LOCKED = _COUNTER.with_for_update()
_TAKE_SEQS = text("UPDATE sync_counter SET value = value + :n WHERE id = 1 RETURNING value")
_SET_COUNTER = sync_counter.update().where(sync_counter.c.id == 1).values(value=bindparam("value"))
_STATE = select(server_state.c.value).where(server_state.c.key == bindparam("key"))


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin): pysqlite's own implicit
    # transactions would break SAVEPOINT and BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str = DEFAULT_URL, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL via psycopg 3).

    ``postgresql://`` is read as ``postgresql+psycopg://`` (the driver installed).
    Extra ``connect_args`` are not needed: a PostgreSQL schema can be chosen with
    ``?options=-csearch_path%3Dname`` in the URL.
    """
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            parsed,
            echo=echo,
            # An in-memory database lives in one connection; a file gets a pool.
            poolclass=StaticPool if memory else None,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        parsed,
        echo=echo,
        pool_size=10,
        max_overflow=20,
        # LIFO keeps the few connections a busy process needs hot (their prepared
        # statements too) and lets the others idle, where ping_if_idle checks them.
        pool_use_lifo=True,
    )
    event.listen(engine, "checkin", _mark_checkin)
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("central_crm_checkin")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool replaces the connection
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc
        if alive is False:
            raise DisconnectionError("stale pooled connection")

    event.listen(engine, "checkout", ping_if_idle)
    return engine


# A pooled connection idle for longer than this is pinged before use (a restart of
# PostgreSQL or a firewall may have cut it; on failure the pool opens a new one).
# ``pool_pre_ping`` pinged at every checkout: one more round trip for each of the
# transactions of a sync (bench/bench_service_load.py), on connections a busy
# process used milliseconds ago.
PING_IDLE_SECONDS = 5.0


def _mark_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["central_crm_checkin"] = time.monotonic()


def _with_options(engine: Engine, key: str, **options: Any) -> Engine:
    """``engine.execution_options(**options)``, made once per engine and kept on it:
    every call makes a new engine (with event listeners for an isolation level), which
    costs more than the short transactions of a request (measured with
    ``bench/bench_service_load.py``)."""
    made: dict[str, Engine] = engine.__dict__.setdefault("_central_crm_option_engines", {})
    found = made.get(key)
    if found is None:
        found = made[key] = engine.execution_options(**options)
    return found


def writer(engine: Engine) -> Engine:
    """The engine for write transactions: on SQLite they start ``BEGIN IMMEDIATE``."""
    return _with_options(engine, "writer", sqlite_begin="IMMEDIATE")


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def one_statement(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection for ONE statement that needs nothing around it.

    On PostgreSQL in autocommit: a single statement is atomic and sees one snapshot
    on its own, and BEGIN and COMMIT would be two more round trips (the hello of
    every sync is one statement, then one small write). On SQLite a transaction as
    :func:`read_begin` or :func:`write_begin` would open (``write``).
    """
    if is_sqlite(engine):
        with (writer(engine) if write else engine).begin() as conn:
            yield conn
        return
    with _with_options(engine, "autocommit", isolation_level="AUTOCOMMIT").connect() as conn:
        yield conn


@contextmanager
def write_begin(engine: Engine) -> Iterator[Connection]:
    """A write transaction (committed on success, rolled back on error).

    On SQLite it holds the database's write lock from its first statement, so the
    reads that decide what to write see the state the write applies to.
    """
    with writer(engine).begin() as conn:
        yield conn


def lock_counter(conn: Connection) -> int:
    """Take the counter's lock now (PostgreSQL: ``FOR UPDATE``) and return its value.

    Called first in a transaction that will read-then-write synced rows: from here on
    no other writer can commit in between, so what was read is what gets merged.
    Taking this lock before any row lock also keeps lock order the same everywhere
    (no deadlocks).
    """
    query = _COUNTER if is_sqlite(conn) else _COUNTER_LOCKED
    return int(conn.execute(query).scalar_one())


class _Held:
    """The counter of a transaction inside :func:`counter_held`: the last number
    handed out, written back to the table when the block ends."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value


# Keyed by the root transaction (alive for the whole block, whatever savepoints come
# and go inside it); the block removes its entry however it ends.
_HELD: dict[Any, _Held] = {}


@contextmanager
def counter_held(conn: Connection) -> Iterator[int]:
    """:func:`lock_counter`, then :func:`take_seqs` and :func:`current_seq` answer from
    memory until the block ends, where the counter is written once; yields the value
    the lock found.

    The lock makes this transaction the only writer until it commits, so nobody else
    can take numbers in between: a push then costs one counter write instead of one
    per row it stamps, inside the section every writer waits for
    (bench/bench_service_load.py). After a rollback to a savepoint,
    :func:`rewind_seqs` gives back what was taken since. When the block raises,
    nothing is written: the transaction is rolled back anyway.
    """
    transaction = conn.get_transaction()
    if transaction is None:
        raise RuntimeError("counter_held needs a transaction")
    start = lock_counter(conn)
    held = _HELD[transaction] = _Held(start)
    try:
        yield start
    finally:
        del _HELD[transaction]
    if held.value != start:
        conn.execute(_SET_COUNTER, {"value": held.value})


def rewind_seqs(conn: Connection, value: int) -> None:
    """After a rollback to a savepoint: numbers taken since :func:`current_seq` read
    ``value`` are free again (inside :func:`counter_held`; elsewhere the rollback of
    the counter's row did it), so a rejected mutation uses no number."""
    held = _held(conn)
    if held is not None:
        held.value = value


def _held(conn: Connection) -> _Held | None:
    return _HELD.get(conn.get_transaction()) if _HELD else None


def take_seqs(conn: Connection, count: int) -> int:
    """Reserve ``count`` consecutive sequence numbers; returns the FIRST of them.

    Must run inside the transaction that writes the rows (see the module docstring).
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    held = _held(conn)
    if held is not None:
        held.value += count
        return held.value - count + 1
    last = conn.execute(_TAKE_SEQS, {"n": count}).scalar_one()
    return int(last) - count + 1


def next_seq(conn: Connection) -> int:
    """The next number of the global counter, inside the writing transaction."""
    return take_seqs(conn, 1)


def current_seq(conn: Connection) -> int:
    """The highest sequence number committed (or taken by this transaction)."""
    held = _held(conn)
    if held is not None:
        return held.value
    return int(conn.execute(_COUNTER).scalar_one())


def get_state(conn: Connection, key: str) -> str | None:
    value = conn.execute(_STATE, {"key": key}).scalar_one_or_none()
    return None if value is None else str(value)


def set_state(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(
        server_state.update().where(server_state.c.key == key).values(value=value)
    ).rowcount
    if not updated:
        conn.execute(server_state.insert().values(key=key, value=value))


def tombstone_horizon(conn: Connection) -> int:
    value = get_state(conn, HORIZON_KEY)
    return int(value) if value is not None else 0


# --- migrations ---------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    location = resources.files("central_crm").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError("central_crm has no migrations")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, target: str = "head") -> None:
    """Upgrade the database to ``target`` (run by ``serve`` at start-up).

    Runs in one transaction (PostgreSQL DDL is transactional; on SQLite batch mode
    copies tables). Several processes starting together are serialized (SQLite's
    write lock, a PostgreSQL advisory lock): the later ones find the work done.
    """
    with writer(engine).begin() as conn:
        if not is_sqlite(conn):
            # Processes starting together over one PostgreSQL queue up here (the lock
            # ends with the transaction); the next one finds the schema at head.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if current_revision(conn) == (head_revision() if target == "head" else target):
            return
        log.info("migrating the central CRM database to %s", target)
        command.upgrade(alembic_config(conn), target)


@contextmanager
def read_begin(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that sees ONE snapshot of the database.

    A pull reads a dozen tables; on PostgreSQL's default READ COMMITTED each statement
    would see a newer state, and a row committed between two statements with a
    smaller sequence number than one seen later could be skipped by the cursor.
    REPEATABLE READ gives all statements the same snapshot (a read-only transaction
    never fails with a serialization error). SQLite's read transactions are
    snapshots already.
    """
    if is_sqlite(engine):
        with engine.begin() as conn:
            yield conn
        return
    with _with_options(engine, "reader", isolation_level="REPEATABLE READ").begin() as conn:
        yield conn
