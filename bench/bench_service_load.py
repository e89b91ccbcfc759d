"""How many device syncs per second does the central CRM sustain on PostgreSQL?

    .venv/bin/python bench/bench_service_load.py [--rms 2000] [--customers-per-rm 300]
        [--rate 50] [--duration 60] [--processes 2] [--concurrency 24] [--threads N]
        [--serve-args "--gzip-level 0"] [--keep-schema | --schema NAME]

Setup (not timed): a PostgreSQL schema of the bench's own (127.0.0.1:5432, user
postgres, database ``test``; dropped at the end), migrated, then filled with ``COPY``
(``bench/_pgbook.py``): 2,000 RMs with 300 customers each, every customer with
``--accounts`` accounts and ``--contacts`` contact logs, versions from the counter,
one login and one already-bootstrapped device per RM (token issued beforehand,
cursor at the head). ``--processes`` service processes (``central-crm serve`` over
the schema, each on its own loopback port: the service is stateless) answer; the
load generator is this process.

Load: syncs are started at ``--rate`` per second (open loop: a sync late because all
``--concurrency`` workers were busy counts from when it was due), each by a device
not already syncing, spread over the service processes. A sync is what the workbench
does: ``hello``, ``push`` of 1-5 mutations (customer field updates with their base,
new contact logs) in ``--push-share`` of the syncs and none in the others, then
``pull`` until caught up (the device's own changes come back with their versions).
Measured for ``--duration`` seconds after ``--warmup``: syncs completed per second,
latency p50/p95/p99 (from due time and from start), errors.

Baseline in the same run: ``GET /api/v1/health`` (one read transaction, no auth)
sampled ``--health-rate`` times a second during the load, and the same before the
load, on an idle service.

Target (the issue): 50 syncs/s sustained with p95 under 100 ms. Prints a table and
writes ``bench/out/service_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _pgbook
from _service import OUT_DIR, PG_CONNINFO, PgSchema, ServiceProcess, latency_summary, pg_unreachable

from central_crm import db
from rm_contract.wire import PROTOCOL_VERSION

TARGET_RATE = 50.0
TARGET_P95_MS = 100.0


@dataclass
class SimDevice:
    seed: _pgbook.DeviceSeed
    cursor: int
    next_mutation: int = 1


@dataclass
class SyncResult:
    due: float
    started: float
    ended: float
    ok: bool
    pushed: int = 0
    pulled: int = 0
    requests: int = 0
    error: str | None = None
    calls: list[tuple[str, float]] = field(default_factory=list)  # (kind, ms)


@dataclass
class Stats:
    results: list[SyncResult] = field(default_factory=list)
    health: list[tuple[float, float]] = field(default_factory=list)  # (when, ms)
    statuses: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Generator:
    """The simulated devices and the workers that sync them."""

    def __init__(
        self, devices: list[SimDevice], bases: list[str], args: argparse.Namespace
    ) -> None:
        self.idle = list(devices)
        self.idle_lock = threading.Lock()
        self.bases = bases
        self.args = args
        self.stats = Stats()
        self.local = threading.local()
        self.next_due = 0.0
        self.due_lock = threading.Lock()
        self.stop_at = 0.0
        self.rng = random.Random(args.seed)

    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self.local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=len(self.bases), pool_maxsize=4)
            session.mount("http://", adapter)
            self.local.session = session
        return session

    def take_device(self, rng: random.Random) -> SimDevice:
        with self.idle_lock:
            index = rng.randrange(len(self.idle))
            self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
            return self.idle.pop()

    def give_back(self, device: SimDevice) -> None:
        with self.idle_lock:
            self.idle.append(device)

    def mutations(self, device: SimDevice, rng: random.Random) -> list[dict[str, Any]]:
        if rng.random() >= self.args.push_share:
            return []
        out = []
        seed = device.seed
        for _ in range(rng.randint(1, self.args.max_mutations)):
            number = device.next_mutation
            device.next_mutation += 1
            if rng.random() < 0.8:
                cid = rng.choice(seed.customers)
                new_notes = f"回访 {uuid.uuid4().hex[:10]}"
                fields: dict[str, Any] = {"notes": {"base": seed.notes[cid], "new": new_notes}}
                seed.notes[cid] = new_notes
                if rng.random() < 0.3:
                    new_email = f"{uuid.uuid4().hex[:8]}@example.cn"
                    fields["email"] = {"base": seed.emails[cid], "new": new_email}
                    seed.emails[cid] = new_email
                table, row_id, op = "customer", cid, "update"
            else:
                row_id = str(uuid.uuid4())
                started = datetime.now(UTC) - timedelta(minutes=rng.randrange(600))
                fields = {
                    name: {"new": value}
                    for name, value in {
                        "contact_no": f"KB{uuid.uuid4().hex[:14].upper()}",
                        "customer_id": rng.choice(seed.customers),
                        "rm_id": seed.rm_id,
                        "started_at": started.isoformat(timespec="microseconds"),
                        "channel": "phone",
                        "call_made": True,
                        "summary": "电话回访",
                    }.items()
                }
                table, op = "contact_log", "insert"
            out.append(
                {
                    "mutation_id": number,
                    "idempotency_key": str(uuid.uuid4()),
                    "table": table,
                    "row_id": row_id,
                    "op": op,
                    "fields": fields,
                }
            )
        return out

    def sync(self, device: SimDevice, due: float, rng: random.Random) -> SyncResult:
        session = self.session()
        base = self.bases[int(device.seed.device_id.rsplit("-", 1)[-1]) % len(self.bases)]
        headers = {"Authorization": f"Bearer {device.seed.token}"}
        result = SyncResult(due=due, started=time.perf_counter(), ended=0.0, ok=False)
        try:
            mark = time.perf_counter()
            answer = session.post(
                f"{base}/sync/hello",
                json={
                    "protocol_version": PROTOCOL_VERSION,
                    "device_id": device.seed.device_id,
                    "cursor": device.cursor,
                    "client_time": datetime.now(UTC).isoformat(),
                },
                headers=headers,
                timeout=30,
            )
            result.requests += 1
            answer.raise_for_status()
            mark = self.lap(result, "hello", mark)
            if answer.json()["must_bootstrap"]:
                raise RuntimeError("the service asked for a re-bootstrap")
            mutations = self.mutations(device, rng)
            if mutations:
                answer = session.post(
                    f"{base}/sync/push",
                    json={"device_id": device.seed.device_id, "mutations": mutations},
                    headers=headers,
                    timeout=30,
                )
                result.requests += 1
                answer.raise_for_status()
                mark = self.lap(result, "push", mark)
                for item in answer.json()["results"]:
                    self.count(item["status"])
                result.pushed = len(mutations)
            while True:
                answer = session.get(
                    f"{base}/sync/pull",
                    params={"cursor": device.cursor, "limit": 1000},
                    headers=headers,
                    timeout=30,
                )
                result.requests += 1
                answer.raise_for_status()
                mark = self.lap(result, "pull", mark)
                page = answer.json()
                result.pulled += len(page["items"])
                device.cursor = page["next_cursor"]
                if not page["has_more"]:
                    break
            result.ok = True
        except Exception as exc:  # counted and reported, the load goes on
            result.error = f"{type(exc).__name__}: {exc}"[:300]
        result.ended = time.perf_counter()
        return result

    @staticmethod
    def lap(result: SyncResult, kind: str, mark: float) -> float:
        now = time.perf_counter()
        result.calls.append((kind, (now - mark) * 1000))
        return now

    def count(self, status: str) -> None:
        with self.stats.lock:
            self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1

    def due(self) -> float | None:
        with self.due_lock:
            due = self.next_due
            if due >= self.stop_at:
                return None
            self.next_due += 1.0 / self.args.rate
            return due

    def worker(self, number: int) -> None:
        rng = random.Random(self.args.seed * 1000 + number)
        while True:
            due = self.due()
            if due is None:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            device = self.take_device(rng)
            try:
                result = self.sync(device, due, rng)
            finally:
                self.give_back(device)
            with self.stats.lock:
                self.stats.results.append(result)

    def health(self, stop: threading.Event) -> None:
        session = requests.Session()
        index = 0
        interval = 1.0 / self.args.health_rate
        while not stop.is_set():
            base = self.bases[index % len(self.bases)]
            index += 1
            started = time.perf_counter()
            try:
                session.get(f"{base}/health", timeout=30).raise_for_status()
                elapsed = (time.perf_counter() - started) * 1000
                with self.stats.lock:
                    self.stats.health.append((started, elapsed))
            except requests.RequestException:
                pass
            stop.wait(max(0.0, interval - (time.perf_counter() - started)))
        session.close()

    def run(self, seconds: float) -> None:
        start = time.perf_counter() + 0.2
        self.next_due = start
        self.stop_at = start + seconds
        stop = threading.Event()
        sampler = threading.Thread(target=self.health, args=(stop,), name="health")
        workers = [
            threading.Thread(target=self.worker, args=(n,), name=f"sync-{n}")
            for n in range(self.args.concurrency)
        ]
        sampler.start()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        stop.set()
        sampler.join()


def idle_health(bases: list[str], count: int) -> list[float]:
    session = requests.Session()
    out = []
    for i in range(count):
        started = time.perf_counter()
        session.get(f"{bases[i % len(bases)]}/health", timeout=30).raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    session.close()
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores) since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rms", type=int, default=2000)
    parser.add_argument("--customers-per-rm", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=2, help="accounts per customer")
    parser.add_argument("--contacts", type=int, default=3, help="contact logs per customer")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="syncs started per s")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2, help="service processes")
    parser.add_argument("--concurrency", type=int, default=24, help="syncs in flight at most")
    parser.add_argument(
        "--threads", type=int, default=None, help="serve --threads (default: the service's)"
    )
    parser.add_argument(
        "--serve-args",
        default="",
        help='more options of central-crm serve, e.g. "--gzip-level 0" (experiments)',
    )
    parser.add_argument("--push-share", type=float, default=0.5)
    parser.add_argument("--max-mutations", type=int, default=5)
    parser.add_argument("--health-rate", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--out", type=Path, default=OUT_DIR / "service_load.json")
    parser.add_argument(
        "--keep-schema", action="store_true", help="keep the loaded schema (to measure again)"
    )
    parser.add_argument(
        "--schema", default=None, help="measure a schema kept by --keep-schema (not dropped)"
    )
    args = parser.parse_args(argv)
    reason = pg_unreachable()
    if reason:
        raise SystemExit(reason)

    schema = PgSchema("bench_service_load", name=args.schema)
    if args.schema is None:
        schema.create()
    try:
        print(f"schema {schema.name}{' (reused)' if args.schema else ''}")
        if args.schema is None:
            engine = db.make_engine(schema.url)
            db.migrate(engine)
            book = _pgbook.load(
                engine,
                PG_CONNINFO,
                schema.name,
                rms=args.rms,
                customers_per_rm=args.customers_per_rm,
                accounts=args.accounts,
                contacts=args.contacts,
                seed=args.seed,
            )
            engine.dispose()
        else:
            book = _pgbook.attach(PG_CONNINFO, schema.name, args.seed)
        devices = [
            SimDevice(
                seed=d,
                cursor=d.cursor or book.server_seq,
                next_mutation=d.last_mutation_id + 1,
            )
            for d in book.devices
        ]
        extra = ["--threads", str(args.threads)] if args.threads else []
        extra += args.serve_args.split()
        services = [ServiceProcess(schema.url, extra=extra) for _ in range(args.processes)]
        try:
            for service in services:
                service.wait_ready()
            bases = [service.base_url for service in services]
            print(f"service pids {[s.pid for s in services]}")
            idle = idle_health(bases, 200)
            generator = Generator(devices, bases, args)
            if args.warmup > 0:
                generator.run(args.warmup)
            warm = len(generator.stats.results)
            generator.stats = Stats()
            cpu_before = {s.pid: cpu_seconds(s.pid) for s in services}
            machine_before = machine_cpu_seconds()
            self_before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            generator.run(args.duration)
            wall = time.perf_counter() - started
            self_after = resource.getrusage(resource.RUSAGE_SELF)
            machine = machine_cpu_seconds() - machine_before
            services_cpu = sum(cpu_seconds(s.pid) - cpu_before[s.pid] for s in services)
            generator_cpu = (self_after.ru_utime + self_after.ru_stime) - (
                self_before.ru_utime + self_before.ru_stime
            )
        finally:
            for service in services:
                service.stop()
    finally:
        if args.schema is None and not args.keep_schema:
            schema.drop()
        else:
            print(f'schema {schema.name} kept: drop it with DROP SCHEMA "{schema.name}" CASCADE')
    return report(
        args,
        book,
        generator.stats,
        idle,
        warm,
        wall,
        {
            "machine_busy_cores": round(machine / wall, 2),
            "services_cores": round(services_cpu / wall, 2),
            "generator_cores": round(generator_cpu / wall, 2),
            "other_cores": round((machine - services_cpu - generator_cpu) / wall, 2),
        },
    )


def report(
    args: argparse.Namespace,
    book: _pgbook.LoadedBook,
    stats: Stats,
    idle: list[float],
    warm: int,
    wall: float,
    cpu: dict[str, float],
) -> int:
    results = stats.results
    ok = [r for r in results if r.ok]
    errors = [r for r in results if not r.ok]
    first = min((r.due for r in results), default=0.0)
    last = max((r.ended for r in results), default=first)
    # All syncs due in the window run to their end: if the service fell behind, the
    # window stretches and the rate drops.
    span = max(args.duration, last - first, 1e-9)
    rate = len(ok) / span
    from_start = [(r.ended - r.started) * 1000 for r in ok]
    from_due = [(r.ended - r.due) * 1000 for r in ok]
    lateness = [max(0.0, r.started - r.due) * 1000 for r in ok]
    health = [ms for _, ms in stats.health]
    sync_s = latency_summary(from_due)
    start_s = latency_summary(from_start)
    health_s = latency_summary(health)
    idle_s = latency_summary(idle)
    p95 = sync_s.get("p95_ms", float("inf"))
    rate_ok = rate >= 0.99 * TARGET_RATE and not errors
    p95_ok = p95 < TARGET_P95_MS
    print()
    print(
        f"{args.rms:,} RMs x {args.customers_per_rm} customers "
        f"({args.accounts} accounts, {args.contacts} contacts each); "
        f"{args.processes} service processes; {args.concurrency} workers; target rate "
        f"{args.rate:g}/s for {args.duration:g} s (after {warm} warm-up syncs)"
    )
    header = f"{'':<34}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    for label, summary in (
        ("sync, from due time", sync_s),
        ("sync, from start", start_s),
        ("baseline: /health under load", health_s),
        ("baseline: /health idle", idle_s),
    ):
        print(
            f"{label:<34}{summary.get('n', 0):>7}{summary.get('p50_ms', 0):>9.1f}"
            f"{summary.get('p95_ms', 0):>9.1f}{summary.get('p99_ms', 0):>9.1f}"
            f"{summary.get('max_ms', 0):>9.1f}"
        )
    per_call = {
        kind: latency_summary([ms for r in ok for k, ms in r.calls if k == kind])
        for kind in ("hello", "push", "pull")
    }
    for kind, summary in per_call.items():
        print(
            f"{'  ' + kind + ' request':<34}{summary.get('n', 0):>7}"
            f"{summary.get('p50_ms', 0):>9.1f}{summary.get('p95_ms', 0):>9.1f}"
            f"{summary.get('p99_ms', 0):>9.1f}{summary.get('max_ms', 0):>9.1f}"
        )
    pushed = sum(r.pushed for r in ok)
    pulled = sum(r.pulled for r in ok)
    calls = sum(r.requests for r in ok)
    print(
        f"sustained {rate:.1f} syncs/s ({calls / span:.0f} requests/s; {pushed} mutations "
        f"pushed, {pulled} items pulled); errors {len(errors)}; push results {stats.statuses}"
    )
    print(
        f"sync p95 / health-under-load p95: {p95 / max(health_s.get('p95_ms', 1e-9), 1e-9):.1f}x; "
        f"CPU cores busy: {cpu}"
    )
    print(
        f"target {TARGET_RATE:g} syncs/s: {'OK' if rate_ok else 'MISSED'}; "
        f"p95 < {TARGET_P95_MS:g} ms: {'OK' if p95_ok else 'MISSED'} ({p95:.1f} ms)"
    )
    if errors:
        print("first errors:", [e.error for e in errors[:3]])
    figures = {
        "rms": args.rms,
        "customers_per_rm": args.customers_per_rm,
        "accounts_per_customer": args.accounts,
        "contacts_per_customer": args.contacts,
        "loaded_rows": book.rows,
        "load_seconds": round(book.seconds, 1),
        "service_processes": args.processes,
        "service_threads": args.threads,
        "serve_args": args.serve_args,
        "concurrency": args.concurrency,
        "target_rate": args.rate,
        "duration_s": args.duration,
        "measured_span_s": round(span, 2),
        "wall_s": round(wall, 2),
        "syncs_ok": len(ok),
        "errors": len(errors),
        "error_samples": [e.error for e in errors[:5]],
        "syncs_per_second": round(rate, 2),
        "requests_per_second": round(calls / span, 1),
        "mutations_pushed": pushed,
        "items_pulled": pulled,
        "push_statuses": stats.statuses,
        "sync_latency_from_due": sync_s,
        "sync_latency_from_start": start_s,
        "start_lateness": latency_summary(lateness),
        "request_latency": per_call,
        "health_under_load": health_s,
        "health_idle": idle_s,
        "ratio_p95_sync_to_health_under_load": round(
            p95 / max(health_s.get("p95_ms", 1e-9), 1e-9), 2
        ),
        "cpu": cpu,
        "target": {"syncs_per_second": TARGET_RATE, "p95_ms": TARGET_P95_MS},
        "target_met": rate_ok and p95_ok,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
