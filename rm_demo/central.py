"""The demo's central CRM: the demo book loaded into the service, its endpoint, and
the embedded service the workbench's demo launch talks to.

* :func:`load_demo_book`: the generated book (:mod:`rm_demo.book`) into an empty
  central database, with versions from the counter, owners from each customer's RM
  and one login per RM (user name = employee number); :func:`create_demo_admin`.
* :func:`create_demo_app`: the service with ``POST /admin/demo-book`` added
  (:func:`install_demo_routes`). A production service (``central-crm serve``) has no
  such endpoint; ``central-crm-demo serve`` has.
* :func:`start_demo_central`: the service over a SQLite file on a free loopback port,
  filled with the demo book on first use, for ``rm-workbench-demo``.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher
from fastapi import FastAPI
from pydantic import Field
from sqlalchemy import Engine, select

from central_crm import db
from central_crm.api_models import ApiModel
from central_crm.app import Admin, create_app
from central_crm.auth import create_user, utcnow
from central_crm.errors import ApiError
from central_crm.passwords import check_password
from central_crm.schema import OWNED_TABLES, SYNCED, app_user, assignment
from central_crm.server import RunningServer, run_in_thread
from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import API_PREFIX, ErrorBody
from rm_demo.book import DEFAULT_SEED, generate_book

log = logging.getLogger(__name__)

# The RMs' password in the demo (it passes the bank's password rule).
DEMO_PASSWORD = "demo-password"


class DemoBookRequest(ApiModel):
    size: Literal["default", "5k", "50k"] = "default"
    seed: int = DEFAULT_SEED
    with_activity: bool = True
    # The RMs' password; it must pass the password rule (the default does).
    password: str = Field(default="demo-password", min_length=1, max_length=256)


class DemoBookResponse(ApiModel):
    tables: dict[str, int]
    users: list[str]
    seconds: float
    server_seq: int


def load_demo_book(
    engine: Engine, hasher: PasswordHasher, request: DemoBookRequest
) -> DemoBookResponse:
    """Load the generated demo book with versions from the counter, owners from each
    customer's RM, and one login per RM (username = employee number)."""
    started = time.perf_counter()
    check_password(request.password)
    book = generate_book(request.size, seed=request.seed, with_activity=request.with_activity)
    customers = book.tables["customer"]
    owner_of = {row["id"]: row["rm_id"] for row in customers}
    # One password rule for every login (the default demo-password passes it).
    for rm in book.tables["relationship_manager"]:
        check_password(request.password, rm["employee_no"])
    # Hashing is slow on purpose; do it before taking the write lock.
    password_hash = hasher.hash(request.password)
    users: list[str] = []
    with db.write_begin(engine) as conn:
        db.lock_counter(conn)
        table = SYNCED["customer"]
        if conn.execute(select(table.c.id).limit(1)).first() is not None:
            raise ApiError(
                409,
                "already_loaded",
                "总行数据库中已有客户数据，示范客户簿只能载入空数据库。 "
                "/ The database already holds customers; the demo book loads into an empty one.",
            )
        seq = db.take_seqs(conn, book.row_count())
        for name in SYNCED_TABLES:
            rows = book.tables.get(name)
            if not rows:
                continue
            for row in rows:
                row["version"] = seq
                seq += 1
                if name == "customer":
                    row["owner_rm_id"] = row["rm_id"]
                elif name in OWNED_TABLES:
                    row["owner_rm_id"] = owner_of.get(row.get("customer_id", ""))
            conn.execute(SYNCED[name].insert(), rows)
        conn.execute(
            assignment.insert(),
            [
                {"customer_id": row["id"], "rm_id": row["rm_id"], "from_seq": row["version"]}
                for row in customers
                if row["rm_id"] is not None
            ],
        )
        taken = set(conn.execute(select(app_user.c.username)).scalars())
        now = utcnow()
        logins = [
            {
                "id": str(uuid.uuid4()),
                "username": rm["employee_no"],
                "display_name": rm["name"],
                "role": "rm",
                "rm_id": rm["id"],
                "password_hash": password_hash,
                "active": True,
                "created_at": now,
            }
            for rm in book.tables["relationship_manager"]
            if rm["employee_no"] not in taken
        ]
        if logins:
            conn.execute(app_user.insert(), logins)
        users = [login["username"] for login in logins]
        server_seq = db.current_seq(conn)
    with engine.begin() as conn:
        # Fresh statistics, or the planner guesses from an empty table: on PostgreSQL
        # a snapshot page then sorts the whole book instead of walking the index.
        conn.exec_driver_sql("ANALYZE")
    return DemoBookResponse(
        tables=book.counts(),
        users=users,
        seconds=round(time.perf_counter() - started, 3),
        server_seq=server_seq,
    )


def create_demo_admin(engine: Engine, hasher: PasswordHasher, username: str, password: str) -> None:
    """An admin login, unless the username exists (for the embedded demo)."""
    with db.write_begin(engine) as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.username == username)).first():
            return
        create_user(
            conn,
            hasher,
            username=username,
            password=password,
            display_name="系统管理员",
            role="admin",
            rm_id=None,
        )


def install_demo_routes(app: FastAPI) -> None:
    """Add ``POST /admin/demo-book`` (an administrator's) to a service made by
    :func:`central_crm.app.create_app`."""
    engine: Engine = app.state.engine
    hasher: PasswordHasher = app.state.hasher
    errors: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody} for status in (400, 401, 403, 409, 413, 422, 500)
    }

    @app.post(
        f"{API_PREFIX}/admin/demo-book",
        response_model=DemoBookResponse,
        tags=["admin"],
        responses=errors,
    )
    def demo_book(body: DemoBookRequest, _admin: Admin) -> DemoBookResponse:
        """Load the generated demo book into an empty database (409 otherwise)."""
        return load_demo_book(engine, hasher, body)


def create_demo_app(database_url: str = db.DEFAULT_URL, **options: Any) -> FastAPI:
    """:func:`central_crm.app.create_app` with the demo's endpoint."""
    app = create_app(database_url, **options)
    install_demo_routes(app)
    return app


@dataclass
class DemoCentral:
    """The embedded central CRM of the demo, and the RM login the demo uses."""

    server: RunningServer
    username: str
    password: str

    @property
    def server_url(self) -> str:
        """What the workbench is configured with (the API prefix is its own)."""
        return self.server.root

    def stop(self) -> None:
        self.server.stop()


def start_demo_central(folder: Path, *, size: str = "default") -> DemoCentral:
    """Start the demo central CRM on a free loopback port (first use: load the book).

    The RM is the demo book's first relationship manager (user name = employee
    number, password :data:`DEMO_PASSWORD`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(f"sqlite:///{folder / 'demo-central.sqlite'}")
    app = create_app(engine=engine)  # migrates
    with engine.connect() as conn:
        empty = conn.execute(select(SYNCED["customer"].c.id).limit(1)).first() is None
    if empty:
        loaded = load_demo_book(
            engine,
            app.state.hasher,
            DemoBookRequest(size=size, password=DEMO_PASSWORD),  # type: ignore[arg-type]
        )
        log.info("demo central CRM loaded: %s", loaded.tables)
    with engine.connect() as conn:
        managers = SYNCED["relationship_manager"]
        username = conn.execute(
            select(app_user.c.username)
            .join(managers, managers.c.id == app_user.c.rm_id)
            .where(app_user.c.role == "rm")
            .order_by(managers.c.employee_no)
            .limit(1)
        ).scalar_one()
    server = run_in_thread(app)
    log.info("demo central CRM at %s (RM %s)", server.base_url, username)
    return DemoCentral(server=server, username=str(username), password=DEMO_PASSWORD)
