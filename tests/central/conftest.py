"""The real central CRM over loopback HTTP, on SQLite and on PostgreSQL.

One uvicorn server per back end runs for the whole session (in a thread, on a free
port); every test starts from an empty database (tables emptied, counter at 0) and
builds the small book it needs with :func:`seed`. PostgreSQL runs in a schema of its
own, created for the session and dropped afterwards; without a reachable server
(127.0.0.1:5432, user postgres, database test) those tests are skipped with the
reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, text

from central_crm import auth, db
from central_crm.app import create_app
from central_crm.schema import SYNCED, assignment, server_metadata
from central_crm.server import run_in_thread
from rm_contract.wire import PROTOCOL_VERSION, LoginRequest
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.models import Base, LocalConflict, OutboxEntry
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport, device_id
from rm_workbench.sync.outbox import update_row

PG_HOST = os.environ.get("CENTRAL_TEST_PG_HOST", "127.0.0.1")
PG_URL = f"postgresql+psycopg://postgres@{PG_HOST}:5432/test"
# Cheap argon2 parameters: the tests log in hundreds of times.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "secret-password"


def _pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            f"host={PG_HOST} port=5432 user=postgres dbname=test", connect_timeout=3
        ):
            return None
    except Exception as exc:  # any failure means: no PostgreSQL to test against
        return f"PostgreSQL at {PG_HOST}:5432 (user postgres, db test) unreachable: {exc}"


@dataclass
class Service:
    """A running service: its base URL and the engine behind it."""

    backend: str
    base: str
    engine: Engine
    root: str

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    backend = request.param
    schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"
    else:
        reason = _pg_unreachable()
        if reason is not None:
            pytest.skip(reason)
        schema = f"central_test_{uuid.uuid4().hex[:12]}"
        admin_engine = db.make_engine(PG_URL)
        with admin_engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        admin_engine.dispose()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    app = create_app(url, password_hasher=FAST_HASHER)
    running = run_in_thread(app)
    try:
        yield Service(backend, running.base_url, app.state.engine, running.root)
    finally:
        running.stop()
        app.state.engine.dispose()
        if schema is not None:
            admin_engine = db.make_engine(PG_URL)
            with admin_engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin_engine.dispose()


def reset(engine: Engine) -> None:
    """Empty every table and restart the counter (the schema stays)."""
    tables = [t for t in reversed(server_metadata.sorted_tables)]
    with db.write_begin(engine) as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(text("INSERT INTO sync_counter (id, value) VALUES (1, 0)"))


@pytest.fixture
def svc(service: Service) -> Service:
    reset(service.engine)
    return service


# --- a client ---------------------------------------------------------------------------


class Api:
    """A logged-in device talking to the service with requests."""

    def __init__(self, service: Service, username: str, device_id: str) -> None:
        self.service = service
        self.device_id = device_id
        self.session = requests.Session()
        self.next_mutation = 1
        answer = self.session.post(
            service.url("/auth/login"),
            json={
                "username": username,
                "password": PASSWORD,
                "device_id": device_id,
                "device_name": "测试电脑",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        self.login = answer.json()
        self.token = self.login["token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.service.url(path), params=params, timeout=60)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.service.url(path), json=body, timeout=120, **kwargs)

    def ok(self, response: requests.Response) -> Any:
        assert response.status_code == 200, f"{response.status_code}: {response.text}"
        return response.json()

    def hello(self, cursor: int = 0, protocol: int = PROTOCOL_VERSION) -> requests.Response:
        return self.post(
            "/sync/hello",
            {
                "protocol_version": protocol,
                "device_id": self.device_id,
                "cursor": cursor,
                "client_time": datetime.now(UTC).isoformat(),
            },
        )

    def mutation(
        self, table: str, row_id: str, op: str, fields: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A mutation with the next device-monotonic id and a fresh idempotency key."""
        number = self.next_mutation
        self.next_mutation += 1
        return {
            "mutation_id": number,
            "idempotency_key": str(uuid.uuid4()),
            "table": table,
            "row_id": row_id,
            "op": op,
            "fields": fields or {},
        }

    def push_raw(self, mutations: list[dict[str, Any]]) -> requests.Response:
        return self.post("/sync/push", {"device_id": self.device_id, "mutations": mutations})

    def push(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = self.ok(self.push_raw(list(mutations)))["results"]
        return results

    def update(self, table: str, row_id: str, **changes: tuple[Any, Any]) -> dict[str, Any]:
        """Push one update; ``field=(base, new)``."""
        fields = {k: {"base": base, "new": new} for k, (base, new) in changes.items()}
        return self.push(self.mutation(table, row_id, "update", fields))[0]

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        fields = {k: {"new": v} for k, v in row.items() if k != "id"}
        return self.push(self.mutation(table, row["id"], "insert", fields))[0]

    def delete(self, table: str, row_id: str) -> dict[str, Any]:
        return self.push(self.mutation(table, row_id, "delete"))[0]

    def pull_all(self, cursor: int, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.ok(self.get("/sync/pull", cursor=cursor, limit=limit))
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return items, cursor

    def snapshot_all(self, table: str, limit: int = 2000) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"table": table, "limit": limit}
            if after is not None:
                params["after_id"] = after
            page = self.ok(self.get("/sync/snapshot", **params))
            rows.extend(page["rows"])
            after = page["next_after_id"]
            if after is None:
                return rows

    def row_ids(self, cursor: int = 0) -> dict[str, set[str]]:
        """Every (live or deleted) row id this device receives by pull, per table."""
        items, _ = self.pull_all(cursor)
        seen: dict[str, set[str]] = {}
        for item in items:
            if item["kind"] == "row":
                seen.setdefault(item["table"], set()).add(item["row"]["id"])
        return seen


# --- a small hand-made book --------------------------------------------------------------


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Book:
    """Ids of what :func:`seed` created, by role."""

    branch: str
    rms: dict[str, str]  # "a", "b", "c" -> relationship_manager id
    customers: dict[str, str]  # name key -> customer id
    rows: dict[str, dict[str, str]] = field(default_factory=dict)  # customer key -> table -> id
    group: str = ""
    group_b: str = ""
    membership_b: str = ""  # b1's membership of group_b
    product: str = ""


def _number(prefix: str) -> str:
    """A unique business number (customer_no, visit_no …)."""
    return f"{prefix}{uuid.uuid4().hex[:12].upper()}"


def _now() -> datetime:
    return datetime(2026, 11, 1, 2, 30, tzinfo=UTC)


def synced_row(**values: Any) -> dict[str, Any]:
    row = {"id": new_id(), "deleted": False, "created_at": _now(), "updated_at": _now()}
    row.update(values)
    return row


def insert_rows(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert typed rows with fresh versions, as the service would."""
    with db.write_begin(engine) as conn:
        first = db.take_seqs(conn, len(rows))
        for offset, row in enumerate(rows):
            row["version"] = first + offset
        conn.execute(SYNCED[table].insert(), rows)
        if table == "customer":
            conn.execute(
                assignment.insert(),
                [
                    {"customer_id": r["id"], "rm_id": r["owner_rm_id"], "from_seq": r["version"]}
                    for r in rows
                ],
            )


def customer_row(rm_id: str, branch: str, name: str) -> dict[str, Any]:
    return synced_row(
        customer_no=_number("C"),
        category="individual",
        name=name,
        id_type="resident_id",
        id_number="110101199003071234",
        birth_date=date(1990, 3, 7),
        gender="male",
        mobile_phone="13800000000",
        email="old@example.com",
        occupation="教师",
        tier="黄金",
        lifecycle_status="active",
        aum=Decimal("1250000.50"),
        contribution=Decimal("-12.05"),
        rm_id=rm_id,
        branch_id=branch,
        owner_rm_id=rm_id,
    )


def children_of(customer: dict[str, Any], product: str) -> dict[str, dict[str, Any]]:
    cid = customer["id"]
    owner = customer["owner_rm_id"]
    return {
        "account": synced_row(
            account_no=_number("A"),
            customer_id=cid,
            product_id=product,
            account_type="time_deposit",
            product_name="三年定期",
            balance=Decimal("500000.00"),
            currency="CNY",
            opened_on=date(2024, 1, 2),
            matures_on=date(2027, 1, 2),
            rate=Decimal("0.0215"),
            status="open",
            owner_rm_id=owner,
        ),
        "visit": synced_row(
            visit_no=_number("V"),
            customer_id=cid,
            rm_id=owner,
            planned_start=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
            category="home",
            status="done",
            priority="normal",
            cost=Decimal("35.00"),
            purpose="年度回访",
            report="客户关心养老规划。",
            owner_rm_id=owner,
        ),
        "contact_log": synced_row(
            contact_no=_number("K"),
            customer_id=cid,
            rm_id=owner,
            started_at=datetime(2026, 11, 18, 1, 0, tzinfo=UTC),
            channel="phone",
            call_made=True,
            summary="电话问候",
            owner_rm_id=owner,
        ),
        "need": synced_row(
            need_no=_number("N"),
            customer_id=cid,
            category="retirement",
            started_on=date(2026, 11, 1),
            summary="养老规划",
            status="open",
            severity="normal",
            urgency="high",
            owner_rm_id=owner,
        ),
    }


def seed(engine: Engine, *, admin: bool = True) -> Book:
    """Three RMs (a, b, c) with logins alice, bob, carol; an admin; a product; customers
    a1, a2 (RM a) and b1 (RM b) with an account, a visit, a contact and a need each; a
    household with a1 and b1, and a group with b1 only."""
    branch = synced_row(code="B001", name="城东支行", city="杭州")
    insert_rows(engine, "branch", [branch])
    rms = {
        key: synced_row(employee_no=f"E00{i}", name=name, branch_id=branch["id"])
        for i, (key, name) in enumerate([("a", "王经理"), ("b", "李四"), ("c", "赵六")], 1)
    }
    insert_rows(engine, "relationship_manager", list(rms.values()))
    product = synced_row(
        code="TD3Y",
        name="三年定期存款",
        product_type="time_deposit",
        min_amount=Decimal("50.00"),
        term_months=36,
        rate=Decimal("0.0215"),
        currency="CNY",
        target_life_stages=["退休"],
        target_tiers=[],
        on_sale=True,
    )
    insert_rows(engine, "product", [product])
    customers = {
        "a1": customer_row(rms["a"]["id"], branch["id"], "张三"),
        "a2": customer_row(rms["a"]["id"], branch["id"], "钱七"),
        "b1": customer_row(rms["b"]["id"], branch["id"], "孙八"),
    }
    insert_rows(engine, "customer", list(customers.values()))
    book = Book(
        branch=branch["id"],
        rms={k: v["id"] for k, v in rms.items()},
        customers={k: v["id"] for k, v in customers.items()},
        product=product["id"],
    )
    for key, customer in customers.items():
        children = children_of(customer, product["id"])
        for table, row in children.items():
            insert_rows(engine, table, [row])
        book.rows[key] = {table: row["id"] for table, row in children.items()}
    household = synced_row(
        group_no=_number("G"), name="张孙家庭", kind="household", rm_id=rms["a"]["id"]
    )
    only_b = synced_row(
        group_no=_number("G"), name="孙氏集团", kind="corporate_group", rm_id=rms["b"]["id"]
    )
    insert_rows(engine, "customer_group", [household, only_b])
    memberships = [
        synced_row(
            group_id=household["id"],
            customer_id=customers["a1"]["id"],
            role="head",
            valid_from=date(2020, 1, 1),
            owner_rm_id=rms["a"]["id"],
        ),
        synced_row(
            group_id=household["id"],
            customer_id=customers["b1"]["id"],
            role="spouse",
            valid_from=date(2020, 1, 1),
            owner_rm_id=rms["b"]["id"],
        ),
        synced_row(
            group_id=only_b["id"],
            customer_id=customers["b1"]["id"],
            role="controller",
            valid_from=date(2021, 1, 1),
            owner_rm_id=rms["b"]["id"],
        ),
    ]
    insert_rows(engine, "group_membership", memberships)
    book.rows["a1"]["group_membership"] = memberships[0]["id"]
    book.rows["b1"]["group_membership"] = memberships[1]["id"]
    book.group = household["id"]
    book.group_b = only_b["id"]
    book.membership_b = memberships[2]["id"]
    with db.write_begin(engine) as conn:
        for username, role, rm_key in [
            ("alice", "rm", "a"),
            ("bob", "rm", "b"),
            ("carol", "rm", "c"),
            *([("admin", "admin", None)] if admin else []),
        ]:
            auth.create_user(
                conn,
                FAST_HASHER,
                username=username,
                password=PASSWORD,
                display_name=username,
                role=role,
                rm_id=book.rms[rm_key] if rm_key else None,
            )
    return book


@pytest.fixture
def book(svc: Service) -> Book:
    return seed(svc.engine)


@pytest.fixture
def alice(svc: Service, book: Book) -> Api:
    return Api(svc, "alice", "device-alice-1")


@pytest.fixture
def bob(svc: Service, book: Book) -> Api:
    return Api(svc, "bob", "device-bob-1")


@pytest.fixture
def admin(svc: Service, book: Book) -> Api:
    return Api(svc, "admin", "device-admin-1")


def fetch(engine: Engine, table: str, row_id: str) -> dict[str, Any] | None:
    """A row as the server stores it (typed), or None."""
    t = SYNCED[table]
    with engine.connect() as conn:
        row = conn.execute(t.select().where(t.c.id == row_id)).mappings().first()
    return dict(row) if row is not None else None


def counter(engine: Engine) -> int:
    with engine.connect() as conn:
        return db.current_seq(conn)


def assert_error(
    response: requests.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The answer is an ErrorBody with this status (and code) and a readable message."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "message", "details"}, body
    if code is not None:
        assert body["code"] == code, body
    assert isinstance(body["message"], str) and len(body["message"]) > 5
    return body


# --- workbench devices -----------------------------------------------------------------


class Device:
    """A workbench cache logged in as one user, syncing through its own client."""

    def __init__(self, svc: Service, folder: Path, username: str, base_url: str | None = None):
        self.cache: Cache = open_cache(folder / f"{username}-{len(list(folder.iterdir()))}.db")
        self.username = username
        self.client = SyncClient(base_url or svc.root, backoff=0.01, timeout=(2.0, 30.0))
        self.login()
        self.engine = SyncEngine(self.cache, self.client)

    def login(self) -> None:
        self.client.login(
            LoginRequest(username=self.username, password=PASSWORD, device_id=device_id(self.cache))
        )

    def sync(self) -> SyncReport:
        # Every sync of these tests proves convergence (the workbench's default checks
        # only after a bootstrap and then every few hours).
        return self.engine.run(verify=True)

    def edit(self, table: str, row_id: str, **changes: Any) -> None:
        with self.cache.engine.begin() as conn:
            update_row(conn, table, row_id, changes)

    def value(self, table: str, row_id: str, field: str) -> Any:
        target = Base.metadata.tables[table]
        with self.cache.engine.connect() as conn:
            return conn.execute(select(target.c[field]).where(target.c.id == row_id)).scalar()

    def has(self, table: str, row_id: str) -> bool:
        target = Base.metadata.tables[table]
        with self.cache.engine.connect() as conn:
            found = conn.execute(select(target.c.id).where(target.c.id == row_id)).first()
        return found is not None

    def outbox(self) -> int:
        with self.cache.session() as session:
            return len(session.scalars(select(OutboxEntry)).all())

    def conflicts(self) -> list[LocalConflict]:
        with self.cache.session() as session:
            return list(session.scalars(select(LocalConflict)))

    def close(self) -> None:
        self.client.close()
        self.cache.dispose()


@pytest.fixture
def devices(svc: Service, book: Book, tmp_path: Path) -> Iterator[Any]:
    made: list[Device] = []

    def make(username: str, base_url: str | None = None) -> Device:
        device = Device(svc, tmp_path, username, base_url)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()
