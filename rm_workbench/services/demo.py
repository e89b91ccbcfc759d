"""The demo: an embedded central CRM on loopback, and the demo book.

``python main.py --demo`` starts :func:`start_demo_central` (a central CRM over a
SQLite file in the demo profile's folder, filled with the generated demo book on
first use) and then logs in and syncs like any RM would. :func:`load_demo_book`
fills a cache directly with one RM's share (tests, screenshots and benchmarks that
do not need the sync), keeping the sync's scope rule: the RM sees only customers
assigned to them and their children.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from rm_contract.policy import (
    CUSTOMER_CHILD_TABLES,
    GLOBAL_TABLES,
)
from rm_workbench.db.bulk import load_book
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import index_customers
from rm_workbench.models import Customer

if TYPE_CHECKING:
    from central_crm.server import RunningServer

log = logging.getLogger(__name__)

Rows = Mapping[str, Sequence[Mapping[str, Any]]]

DEMO_PASSWORD = "demo-password"


def rm_share(tables: Rows, rm_id: str) -> dict[str, list[Mapping[str, Any]]]:
    """The rows an RM may hold: their customers, those customers' children, the groups
    those customers belong to, and the shared reference data (branches, RMs, products,
    bundle templates)."""
    customers = [c for c in tables.get("customer", []) if c["rm_id"] == rm_id]
    ids = {c["id"] for c in customers}
    share: dict[str, list[Mapping[str, Any]]] = {"customer": customers}
    for name in CUSTOMER_CHILD_TABLES:
        share[name] = [r for r in tables.get(name, []) if r["customer_id"] in ids]
    group_ids = {m["group_id"] for m in share["group_membership"]}
    share["customer_group"] = [g for g in tables.get("customer_group", []) if g["id"] in group_ids]
    for name in GLOBAL_TABLES:
        share[name] = list(tables.get(name, []))
    return share


def load_demo_book(cache: Cache, *, rm_index: int = 0) -> dict[str, int]:
    """Fill an empty cache with the ``rm_index``-th RM's share of the default demo book."""
    # Imported here: the generator is big, and the workbench's start-up never needs it.
    from central_crm.demo_book import generate_book

    book = generate_book("default")
    rms = book.tables["relationship_manager"]
    share = rm_share(book.tables, rms[rm_index]["id"])
    with cache.engine.begin() as conn:
        counts = load_book(conn, share)
        index_customers(conn, share["customer"])
    return counts


def cache_is_empty(cache: Cache) -> bool:
    with cache.session() as session:
        return not session.scalar(select(func.count()).select_from(Customer))


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
    from argon2 import PasswordHasher

    from central_crm import admin, db
    from central_crm.api_models import DemoBookRequest
    from central_crm.app import create_app
    from central_crm.schema import SYNCED, app_user
    from central_crm.server import run_in_thread

    folder.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(f"sqlite:///{folder / 'demo-central.sqlite'}")
    app = create_app(engine=engine)  # migrates
    with engine.connect() as conn:
        empty = conn.execute(select(SYNCED["customer"].c.id).limit(1)).first() is None
    if empty:
        hasher = PasswordHasher()
        loaded = admin.load_demo_book(
            engine,
            hasher,
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
