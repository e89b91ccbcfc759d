"""How long does an everyday sync take: 100 local edits and 500 remote changes, and none?

    .venv/bin/python bench/bench_incremental.py [--repeat 5] [--noop 30] [--backend sqlite|pg]

The service runs in a separate process (``central-crm serve`` on loopback over the 5k
demo book, SQLite or a PostgreSQL schema of the bench's own); this process holds a
cache bootstrapped from it (not timed). Each round, untimed:

* 100 local edits through the outbox, each in its own transaction as the UI makes
  them: 60 ``update_row`` of customers (e-mail, occupation, notes), 20 of visits
  (outcome), 20 ``insert_row`` of new contact logs;
* 500 remote changes through the API: ``POST /admin/core-feed`` with 400 account
  balances and 100 customer tiers and AUM (other customers than the edited ones).

Then ``SyncEngine.run`` is timed: push 100, pull ~600 (the 500 plus our own 100 with
their server versions), apply. Rounds alternate ``verify=False`` and ``verify=True``
(``verify`` compares protocol 2's per-table checksums, each side summing a digest of
every live row of the RM's scope in one SQL statement). Then ``--noop`` syncs with
nothing to do, each way, and the checksum pass alone (``SyncEngine.verify``); its cost
is reported as a ratio to the no-op sync without it, measured in the same loop.
``rm-workbench sync`` runs the pass after a bootstrap and then every 24 hours (or with
``--verify``), not at every sync.

Baselines in the same run, with ``requests`` from a second device of the same RM:
the bare round trips of the same sync — ``hello`` and ``pull`` from the same cursor
until caught up, JSON decoded, nothing applied (measured just before ours, on the
same changes); for the no-op sync, ``hello`` plus a ``pull`` with nothing to do.

Targets (the issue): the incremental sync under 1 s, a sync with nothing to do under
50 ms. Prints a table and writes ``bench/out/incremental.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _service import (
    DEMO_PASSWORD,
    OUT_DIR,
    PgSchema,
    ServiceProcess,
    latency_summary,
    load_demo,
    pg_unreachable,
)
from sqlalchemy import text

from rm_contract.wire import PROTOCOL_VERSION, LoginRequest
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport, device_id
from rm_workbench.sync.outbox import insert_row, update_row

TARGET_INCREMENTAL_S = 1.0
TARGET_NOOP_MS = 50.0
LOCAL_CUSTOMERS, LOCAL_VISITS, LOCAL_CONTACTS = 60, 20, 20
REMOTE_BALANCES, REMOTE_TIERS = 400, 100


class RawDevice:
    """A second device of the same RM speaking HTTP with requests: the baseline."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.device = f"bench-raw-{uuid.uuid4().hex[:12]}"
        self.session = requests.Session()
        self.session.headers["Accept-Encoding"] = "gzip"
        answer = self.session.post(
            f"{base}/auth/login",
            json={"username": username, "password": DEMO_PASSWORD, "device_id": self.device},
            timeout=60,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['token']}"

    def post(self, path: str, body: Any) -> Any:
        answer = self.session.post(f"{self.base}{path}", json=body, timeout=120)
        answer.raise_for_status()
        return answer.json()

    def hello(self, cursor: int) -> Any:
        return self.post(
            "/sync/hello",
            {
                "protocol_version": PROTOCOL_VERSION,
                "device_id": self.device,
                "cursor": cursor,
                "client_time": datetime.now(UTC).isoformat(),
            },
        )

    def pull_all(self, cursor: int) -> int:
        """Pull until caught up; returns the number of items."""
        items = 0
        while True:
            answer = self.session.get(
                f"{self.base}/sync/pull", params={"cursor": cursor, "limit": 1000}, timeout=120
            )
            answer.raise_for_status()
            page = answer.json()
            items += len(page["items"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return items

    def sync_round_trips(self, cursor: int) -> tuple[float, int]:
        started = time.perf_counter()
        self.hello(cursor)
        items = self.pull_all(cursor)
        return time.perf_counter() - started, items


class Book:
    """What the edits pick from: the cached book's ids, in two disjoint halves."""

    def __init__(self, cache: Cache, seed: int) -> None:
        with cache.engine.connect() as conn:
            customers = conn.execute(
                text("SELECT id, customer_no FROM customer WHERE deleted = 0 ORDER BY id")
            ).all()
            self.visits = list(
                conn.execute(text("SELECT id FROM visit WHERE deleted = 0 ORDER BY id")).scalars()
            )
            accounts = conn.execute(
                text("SELECT account_no, customer_id FROM account WHERE deleted = 0 ORDER BY id")
            ).all()
            self.rm_id = conn.execute(text("SELECT id FROM relationship_manager")).scalar_one()
        self.rng = random.Random(seed)
        half = len(customers) // 2
        self.local = [c.id for c in customers[:half]]  # edited on the device
        remote = {c.id: c.customer_no for c in customers[half:]}  # changed by core banking
        self.remote_customers = list(remote.values())
        self.remote_accounts = [a.account_no for a in accounts if a.customer_id in remote]


def local_edits(cache: Cache, book: Book, round_no: int) -> None:
    """100 edits through the outbox, one transaction each (as the UI makes them)."""
    rng = book.rng
    for customer_id in rng.sample(book.local, LOCAL_CUSTOMERS):
        with cache.engine.begin() as conn:
            update_row(
                conn,
                "customer",
                customer_id,
                {
                    "email": f"r{round_no}.{rng.randrange(10**6)}@example.cn",
                    "occupation": rng.choice(["教师", "医生", "工程师", "律师", "个体经营"]),
                    "notes": f"第 {round_no} 轮回访记录 {uuid.uuid4().hex[:8]}",
                },
            )
    for visit_id in rng.sample(book.visits, LOCAL_VISITS):
        with cache.engine.begin() as conn:
            update_row(conn, "visit", visit_id, {"outcome": f"已沟通 {uuid.uuid4().hex[:6]}"})
    now = datetime.now(UTC)
    for customer_id in rng.sample(book.local, LOCAL_CONTACTS):
        with cache.engine.begin() as conn:
            insert_row(
                conn,
                "contact_log",
                {
                    "contact_no": f"KB{uuid.uuid4().hex[:16].upper()}",
                    "customer_id": customer_id,
                    "rm_id": book.rm_id,
                    "started_at": now - timedelta(minutes=rng.randrange(600)),
                    "channel": "phone",
                    "call_made": True,
                    "summary": "电话回访",
                },
            )


def remote_changes(admin: RawDevice, book: Book) -> int:
    """500 changes from core banking; returns how many rows the service updated."""
    rng = book.rng
    feed = {
        "balances": [
            {"account_no": no, "balance": str(Decimal(rng.randrange(10**8)) / 100)}
            for no in rng.sample(book.remote_accounts, REMOTE_BALANCES)
        ],
        "tiers": [
            {
                "customer_no": no,
                "tier": rng.choice(["普通", "黄金", "白金", "钻石"]),
                "aum": str(Decimal(rng.randrange(10**10)) / 100),
            }
            for no in rng.sample(book.remote_customers, REMOTE_TIERS)
        ],
    }
    return int(admin.post("/admin/core-feed", feed)["updated"])


def pending(cache: Cache) -> int:
    with cache.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox")).scalar_one())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each kind")
    parser.add_argument("--noop", type=int, default=30, help="no-op syncs of each kind")
    parser.add_argument("--size", default="5k")
    parser.add_argument("--backend", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    name = "incremental.json" if args.backend == "sqlite" else "incremental-pg.json"
    out = args.out or OUT_DIR / name

    rounds: dict[str, list[dict[str, Any]]] = {"no_verify": [], "verify": []}
    noop: dict[str, list[float]] = {
        "no_verify": [],
        "verify": [],
        "checksum_pass": [],
        "baseline": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        directory = Path(tmp)
        schema: PgSchema | None = None
        if args.backend == "pg":
            reason = pg_unreachable()
            if reason:
                raise SystemExit(reason)
            schema = PgSchema("bench_incremental").__enter__()
            db_url = schema.url
        else:
            db_url = f"sqlite:///{directory / 'central.db'}"
        try:
            started = time.perf_counter()
            loaded = load_demo(db_url, args.size)
            username = loaded.rsplit("：", 1)[-1].split(",")[0].strip()
            print(f"central CRM ({args.backend}) loaded in {time.perf_counter() - started:.1f} s")
            with ServiceProcess(db_url, log=directory / "serve.log") as service:
                print(f"service pid {service.pid} on {service.root}")
                cache = open_cache(directory / "cache.db")
                client = SyncClient(service.root)
                client.login(
                    LoginRequest(
                        username=username, password=DEMO_PASSWORD, device_id=device_id(cache)
                    )
                )
                engine = SyncEngine(cache, client)
                started = time.perf_counter()
                report = engine.run()
                print(
                    f"bootstrapped {report.bootstrapped_rows:,} rows in "
                    f"{time.perf_counter() - started:.1f} s (converged: {report.converged})"
                )
                book = Book(cache, args.seed)
                admin = RawDevice(service.base_url, "admin")
                raw = RawDevice(service.base_url, username)
                raw.hello(0)
                for round_no in range(2 * args.repeat):
                    kind = "verify" if round_no % 2 else "no_verify"
                    local_edits(cache, book, round_no)
                    remote = remote_changes(admin, book)
                    base_seconds, base_items = raw.sync_round_trips(report.cursor)
                    queued = pending(cache)
                    started = time.perf_counter()
                    report = engine.run(verify=kind == "verify")
                    seconds = time.perf_counter() - started
                    if report.conflicts or report.rejected or pending(cache):
                        raise SystemExit(f"round {round_no}: unexpected outcome {report!r:.500}")
                    if kind == "verify" and report.converged is not True:
                        raise SystemExit(f"round {round_no}: not converged {report!r:.500}")
                    rounds[kind].append(
                        {
                            "seconds": seconds,
                            "pushed": report.pushed,
                            "pulled": report.pulled,
                            "queued": queued,
                            "remote_rows": remote,
                            "baseline_seconds": base_seconds,
                            "baseline_items": base_items,
                        }
                    )
                    print(
                        f"  round {round_no + 1} ({kind}): {seconds * 1000:.0f} ms, pushed "
                        f"{report.pushed}, pulled {report.pulled}; baseline "
                        f"{base_seconds * 1000:.0f} ms ({base_items} items)"
                    )
                for _ in range(args.noop):
                    started = time.perf_counter()
                    raw.hello(report.cursor)
                    if raw.pull_all(report.cursor):
                        raise SystemExit("the no-op baseline found changes")
                    noop["baseline"].append((time.perf_counter() - started) * 1000)
                    for kind in ("no_verify", "verify"):
                        started = time.perf_counter()
                        report = engine.run(verify=kind == "verify")
                        noop[kind].append((time.perf_counter() - started) * 1000)
                        if report.pushed or report.pulled:
                            raise SystemExit(f"the no-op sync did something: {report!r:.300}")
                    checked = SyncReport()
                    started = time.perf_counter()
                    engine.verify(checked)
                    noop["checksum_pass"].append((time.perf_counter() - started) * 1000)
                    if checked.converged is not True:
                        raise SystemExit(f"the checksum pass failed: {checked!r:.300}")
                client.close()
                cache.dispose()
                raw.session.close()
                admin.session.close()
        finally:
            if schema is not None:
                schema.drop()
    return summarize(args, rounds, noop, out, report)


def summarize(
    args: argparse.Namespace,
    rounds: dict[str, list[dict[str, Any]]],
    noop: dict[str, list[float]],
    out: Path,
    report: SyncReport,
) -> int:
    best = {kind: min(r["seconds"] for r in runs) for kind, runs in rounds.items()}
    base = min(r["baseline_seconds"] for runs in rounds.values() for r in runs)
    noop_stats = {kind: latency_summary(values) for kind, values in noop.items()}
    noop_best = {kind: min(values) for kind, values in noop.items()}
    print()
    print(f"{'sync':<44}{'best ms':>10}{'median ms':>11}{'x baseline':>12}")
    for kind, label in (
        ("no_verify", "100 local + 500 remote, no verify"),
        ("verify", "100 local + 500 remote, with verify"),
    ):
        median = statistics.median(r["seconds"] for r in rounds[kind]) * 1000
        print(f"{label:<44}{best[kind] * 1000:>10.0f}{median:>11.0f}{best[kind] / base:>12.1f}")
    print(f"{'baseline: hello + pull, raw requests':<44}{base * 1000:>10.0f}")
    for kind, label in (
        ("no_verify", "nothing to do, no verify"),
        ("verify", "nothing to do, with verify"),
        ("checksum_pass", "the checksum pass alone"),
        ("baseline", "baseline: hello + empty pull, raw requests"),
    ):
        ratio = noop_best[kind] / noop_best["baseline"]
        print(
            f"{label:<44}{noop_best[kind]:>10.1f}{noop_stats[kind]['p50_ms']:>11.1f}{ratio:>12.1f}"
        )
    checksum_ratio = noop_stats["checksum_pass"]["p50_ms"] / noop_stats["no_verify"]["p50_ms"]
    print(
        f"checksum pass (5k scope, both sides): p50 {noop_stats['checksum_pass']['p50_ms']:.1f} ms"
        f" = {checksum_ratio:.1f}x a no-op sync (p50 {noop_stats['no_verify']['p50_ms']:.1f} ms),"
        " same loop"
    )
    incremental_ok = best["no_verify"] < TARGET_INCREMENTAL_S
    noop_ok = noop_stats["no_verify"]["p50_ms"] < TARGET_NOOP_MS
    print(
        f"incremental < {TARGET_INCREMENTAL_S:.0f} s: {'OK' if incremental_ok else 'MISSED'} "
        f"(without verify; with verify "
        f"{'OK' if best['verify'] < TARGET_INCREMENTAL_S else 'MISSED'}); "
        f"no-op < {TARGET_NOOP_MS:.0f} ms (median): {'OK' if noop_ok else 'MISSED'} "
        f"(without verify; with verify "
        f"{'OK' if noop_stats['verify']['p50_ms'] < TARGET_NOOP_MS else 'MISSED'})"
    )
    figures = {
        "backend": args.backend,
        "size": args.size,
        "local_edits": LOCAL_CUSTOMERS + LOCAL_VISITS + LOCAL_CONTACTS,
        "remote_changes": REMOTE_BALANCES + REMOTE_TIERS,
        "incremental_best_ms": {k: round(v * 1000, 1) for k, v in best.items()},
        "incremental_baseline_best_ms": round(base * 1000, 1),
        "incremental_ratio": {k: round(v / base, 2) for k, v in best.items()},
        "noop_ms": noop_stats,
        "noop_best_ms": {k: round(v, 2) for k, v in noop_best.items()},
        "noop_ratio_best": {k: round(v / noop_best["baseline"], 2) for k, v in noop_best.items()},
        "checksum_pass_to_noop_ratio_p50": round(checksum_ratio, 2),
        "targets": {"incremental_s": TARGET_INCREMENTAL_S, "noop_ms": TARGET_NOOP_MS},
        "target_met": {"incremental_no_verify": incremental_ok, "noop_no_verify": noop_ok},
        "rounds": rounds,
        "final_cursor": report.cursor,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
