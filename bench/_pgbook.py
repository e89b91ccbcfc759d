"""A large synthetic book loaded straight into the central CRM's PostgreSQL tables.

For ``bench_service_load.py``: 2,000 RMs with 300 customers each would take hours
through the demo book generator (Faker) and the ORM, so rows are made here from small
vocabularies with a seeded random generator and written with PostgreSQL ``COPY``:

* global: 20 branches, the RMs, the demo book's 32 products;
* per customer: the customer row (name, ID number, phone, e-mail, tier, AUM …),
  ``accounts`` accounts and ``contacts`` contact logs (no visits, needs,
  opportunities, proposals or groups: those tables stay empty, but every pull still
  queries them);
* every synced row gets its own version from the counter (taken in order, so the
  counter ends at the last one), ``owner_rm_id`` = its customer's RM, and the
  assignment history one entry per customer;
* one login per RM (``app_user``) with a password hash made ONCE with cheap argon2
  parameters (the same hash for every user: logins are not what is measured), and
  one device per RM with a bearer token issued beforehand (``auth_token`` holds its
  sha256 like a login would store it) and its cursor at the head: the devices are
  already bootstrapped.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, text

from central_crm import db
from central_crm.schema import SYNCED
from rm_demo.book import generate_book

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国志华海燕春梅"
CITIES = ["杭州", "宁波", "温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "丽水", "衢州"]
OCCUPATIONS = ["教师", "医生", "工程师", "律师", "会计", "公务员", "个体经营", "退休", None]
TIERS = ["普通", "黄金", "白金", "钻石", None]
ACCOUNT_TYPES = ["demand_deposit", "time_deposit", "wealth", "fund", "credit_card"]
CHANNELS = ["phone", "wechat", "sms", "visit"]
SUMMARIES = ["电话问候", "产品到期提醒", "理财产品推荐", "生日祝福", "资产配置沟通"]
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
PASSWORD = "bench-password"


@dataclass
class DeviceSeed:
    """A simulated, already bootstrapped device: one per RM."""

    rm_id: str
    user_id: str
    device_id: str
    token: str
    cursor: int = 0  # where the device is (0: at the head of a fresh load)
    last_mutation_id: int = 0
    customers: list[str] = field(default_factory=list)
    # The device's view of the fields it edits (the base of its next update).
    emails: dict[str, str | None] = field(default_factory=dict)
    notes: dict[str, str | None] = field(default_factory=dict)


@dataclass
class LoadedBook:
    devices: list[DeviceSeed]
    rows: dict[str, int]
    server_seq: int
    seconds: float


def device_token(seed: int, device_id: str) -> str:
    """The bearer token of a simulated device: derived from the seed, so a loaded
    schema can be measured again (``attach``); only its sha256 is stored."""
    return hashlib.sha256(f"bench-token:{seed}:{device_id}".encode()).hexdigest()


def attach(conninfo: str, schema: str, seed: int) -> LoadedBook:
    """The devices of a schema ``load`` filled earlier (and earlier runs changed):
    cursors and mutation numbers as the service recorded them, customers' e-mail and
    notes as stored (the bases of the next edits)."""
    import psycopg

    started = time.perf_counter()
    devices: dict[str, DeviceSeed] = {}
    with psycopg.connect(conninfo, options=f"-csearch_path={schema}") as conn:
        for device_id, user_id, rm_id, cursor, last in conn.execute(
            "SELECT d.id, d.user_id, u.rm_id, d.cursor, d.last_mutation_id"
            " FROM device d JOIN app_user u ON u.id = d.user_id ORDER BY d.id"
        ):
            seed_device = DeviceSeed(
                rm_id=rm_id,
                user_id=user_id,
                device_id=device_id,
                token=device_token(seed, device_id),
                cursor=int(cursor),
                last_mutation_id=int(last),
            )
            devices[rm_id] = seed_device
        for cid, owner, email, notes in conn.execute(
            "SELECT id, owner_rm_id, email, notes FROM customer WHERE deleted = false ORDER BY id"
        ):
            device = devices.get(owner)
            if device is not None:
                device.customers.append(cid)
                device.emails[cid] = email
                device.notes[cid] = notes
        head = int(conn.execute("SELECT value FROM sync_counter WHERE id = 1").fetchone()[0])
        counts = {
            name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in ("customer", "account", "contact_log", "app_user", "device")
        }
    return LoadedBook(
        devices=list(devices.values()),
        rows=counts,
        server_seq=head,
        seconds=time.perf_counter() - started,
    )


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _id_number(rng: random.Random, birth: date, gender: str) -> str:
    area = rng.choice(["330102", "330106", "330203", "330302", "330402"])
    serial = rng.randrange(100) * 10 + (rng.randrange(0, 10, 2) + (gender == "male"))
    body = f"{area}{birth:%Y%m%d}{serial:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _columns(names: str) -> list[str]:
    return names.split()


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def take(self) -> int:
        self.value += 1
        return self.value


def load(
    engine: Engine,
    conninfo: str,
    schema: str,
    *,
    rms: int,
    customers_per_rm: int,
    accounts: int,
    contacts: int,
    seed: int = 20261122,
    progress: Any = print,
) -> LoadedBook:
    """Fill an empty, migrated service database; returns the devices to simulate."""
    import psycopg

    started = time.perf_counter()
    rng = random.Random(seed)
    seq = _Counter()
    now = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    stamp = _iso(now)
    counts: dict[str, int] = {}
    book = generate_book("default", seed=seed, with_activity=False)

    with psycopg.connect(conninfo, options=f"-csearch_path={schema}") as conn:

        def copy(table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
            n = 0
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out,
            ):
                for row in rows:
                    out.write_row(row)
                    n += 1
            counts[table] = counts.get(table, 0) + n

        branches = [_id(rng) for _ in range(20)]
        copy(
            "branch",
            _columns("id code name city version deleted created_at updated_at"),
            (
                (
                    b,
                    f"B{i:03d}",
                    f"{CITIES[i % len(CITIES)]}第{i + 1}支行",
                    CITIES[i % 10],
                    seq.take(),
                    False,
                    stamp,
                    stamp,
                )
                for i, b in enumerate(branches)
            ),
        )
        rm_ids = [_id(rng) for _ in range(rms)]
        copy(
            "relationship_manager",
            [
                "id",
                "employee_no",
                "name",
                "branch_id",
                "phone",
                "title",
                "version",
                "deleted",
                "created_at",
                "updated_at",
            ],
            (
                (
                    rm,
                    f"E{900000 + i}",
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    branches[i % len(branches)],
                    f"1390000{i:04d}",
                    "客户经理",
                    seq.take(),
                    False,
                    stamp,
                    stamp,
                )
                for i, rm in enumerate(rm_ids)
            ),
        )
        products = SYNCED["product"]
        product_rows = [dict(row) for row in book.tables["product"]]
        conn.commit()
        with engine.begin() as sa:
            for row in product_rows:
                row["version"] = seq.take()
            sa.execute(products.insert(), product_rows)
        counts["product"] = len(product_rows)
        product_ids = [row["id"] for row in product_rows]

        devices = [
            DeviceSeed(
                rm_id=rm,
                user_id=_id(rng),
                device_id=f"bench-device-{r:05d}",
                token=device_token(seed, f"bench-device-{r:05d}"),
            )
            for r, rm in enumerate(rm_ids)
        ]
        assignments: list[tuple[str, str, int]] = []

        # The big tables' plain indexes are built after the COPY (sorting once is
        # much faster than inserting random UUIDs into B-trees row by row).
        big = ("customer", "account", "contact_log", "assignment")
        deferred = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = %s AND i.tablename = ANY(%s) AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname"
            "  AND c.connamespace = %s::regnamespace)",
            (schema, list(big), schema),
        ).fetchall()
        for name, _ in deferred:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()

        def customers() -> Iterator[tuple[Any, ...]]:
            for r, device in enumerate(devices):
                rm = device.rm_id
                branch = branches[r % len(branches)]
                for c in range(customers_per_rm):
                    cid = _id(rng)
                    gender = rng.choice(["male", "female"])
                    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
                    email = f"c{r}x{c}@example.cn" if rng.random() < 0.6 else None
                    version = seq.take()
                    assignments.append((cid, rm, version))
                    device.customers.append(cid)
                    device.emails[cid] = email
                    device.notes[cid] = None
                    yield (
                        cid,
                        f"62{r:05d}{c:05d}",
                        "individual",
                        rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        "resident_id",
                        _id_number(rng, birth, gender),
                        birth,
                        gender,
                        f"13{rng.randrange(10**9):09d}",
                        email,
                        rng.choice(OCCUPATIONS),
                        rng.choice(TIERS),
                        "active",
                        rng.randrange(10**9),
                        rng.randrange(-(10**5), 10**6),
                        rm,
                        branch,
                        None,
                        version,
                        False,
                        stamp,
                        stamp,
                        rm,
                    )

        def account_rows() -> Iterator[tuple[Any, ...]]:
            for r, device in enumerate(devices):
                for c, cid in enumerate(device.customers):
                    for a in range(accounts):
                        kind = rng.choice(ACCOUNT_TYPES)
                        opened = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
                        yield (
                            _id(rng),
                            f"6222{r:05d}{c:05d}{a:02d}",
                            cid,
                            rng.choice(product_ids),
                            kind,
                            rng.randrange(10**8),
                            "CNY",
                            opened,
                            opened + timedelta(days=1095) if kind == "time_deposit" else None,
                            "open",
                            seq.take(),
                            False,
                            stamp,
                            stamp,
                            device.rm_id,
                        )

        def contact_rows() -> Iterator[tuple[Any, ...]]:
            for r, device in enumerate(devices):
                for c, cid in enumerate(device.customers):
                    for k in range(contacts):
                        moment = now - timedelta(minutes=rng.randrange(60 * 24 * 720))
                        yield (
                            _id(rng),
                            f"K{r:05d}{c:05d}{k:03d}",
                            cid,
                            device.rm_id,
                            _iso(moment),
                            rng.choice(CHANNELS),
                            True,
                            rng.choice(SUMMARIES),
                            seq.take(),
                            False,
                            stamp,
                            stamp,
                            device.rm_id,
                        )

        copy(
            "customer",
            [
                "id",
                "customer_no",
                "category",
                "name",
                "id_type",
                "id_number",
                "birth_date",
                "gender",
                "mobile_phone",
                "email",
                "occupation",
                "tier",
                "lifecycle_status",
                "aum",
                "contribution",
                "rm_id",
                "branch_id",
                "notes",
                "version",
                "deleted",
                "created_at",
                "updated_at",
                "owner_rm_id",
            ],
            customers(),
        )
        progress(f"  customers in {time.perf_counter() - started:.0f} s")
        copy(
            "account",
            [
                "id",
                "account_no",
                "customer_id",
                "product_id",
                "account_type",
                "balance",
                "currency",
                "opened_on",
                "matures_on",
                "status",
                "version",
                "deleted",
                "created_at",
                "updated_at",
                "owner_rm_id",
            ],
            account_rows(),
        )
        progress(f"  accounts in {time.perf_counter() - started:.0f} s")
        copy(
            "contact_log",
            [
                "id",
                "contact_no",
                "customer_id",
                "rm_id",
                "started_at",
                "channel",
                "call_made",
                "summary",
                "version",
                "deleted",
                "created_at",
                "updated_at",
                "owner_rm_id",
            ],
            contact_rows(),
        )
        progress(f"  contact logs in {time.perf_counter() - started:.0f} s")
        for _, definition in deferred:
            conn.execute(definition)
        conn.commit()
        progress(f"  {len(deferred)} indexes in {time.perf_counter() - started:.0f} s")
        copy("assignment", ["customer_id", "rm_id", "from_seq"], iter(assignments))
        head = seq.value
        password_hash = CHEAP_HASHER.hash(PASSWORD)
        expires = _iso(now + timedelta(days=365))
        copy(
            "app_user",
            [
                "id",
                "username",
                "display_name",
                "role",
                "rm_id",
                "password_hash",
                "active",
                "created_at",
            ],
            (
                (d.user_id, f"E{900000 + i}", f"RM {i}", "rm", d.rm_id, password_hash, True, stamp)
                for i, d in enumerate(devices)
            ),
        )
        copy(
            "device",
            _columns("id user_id name last_seen_at cursor last_mutation_id"),
            ((d.device_id, d.user_id, "bench", stamp, head, 0) for d in devices),
        )
        copy(
            "auth_token",
            _columns("token_hash user_id device_id created_at expires_at"),
            (
                (
                    hashlib.sha256(d.token.encode()).hexdigest(),
                    d.user_id,
                    d.device_id,
                    stamp,
                    expires,
                )
                for d in devices
            ),
        )
        conn.execute("UPDATE sync_counter SET value = %s WHERE id = 1", (head,))
        conn.commit()
        progress(f"  copied in {time.perf_counter() - started:.0f} s; analyzing")
        conn.autocommit = True
        conn.execute("ANALYZE")
    with engine.connect() as sa:
        server_seq = db.current_seq(sa)
        if server_seq != head:
            raise RuntimeError(f"counter {server_seq} != {head}")
        sa.execute(text("SELECT 1"))
    return LoadedBook(
        devices=devices, rows=counts, server_seq=head, seconds=time.perf_counter() - started
    )
