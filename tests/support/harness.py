"""Fault-injection rounds for the sync: several devices, server-side changes, broken
connections and killed clients, with the guarantees of ARCHITECTURE.md checked after
every round.

:func:`run_rounds` seeds a small book into an empty central CRM, gives each device a
real cache file, its own :class:`~tests.support.faultproxy.FaultProxy` and a sync
engine with tiny page sizes (so pages, cursors and resumption are exercised), then
plays ``rounds`` seeded rounds. Round ``n`` is a random mix, drawn from
``random.Random(seed * 1_000_003 + n)`` (row ids are seeded too, so a seed replays), of:

* local edits through the outbox (customer profile fields, visit outcome and report,
  need inserts/updates/deletes, opportunity updates, contact-log inserts), some of them
  typed *while* a sync runs (from the engine's progress callback, as the RM does while
  the background sync is busy), some on the very field the back office just changed;
* server-side changes: admin pushes of field edits (mostly on the current value,
  sometimes on a stale base), core-feed balances and tiers, reassignment of a customer
  between the two RMs, tombstone GC (now and then one that forces a re-bootstrap), and
  conflict resolutions by the owning RM;
* syncs of random devices through their faulty proxies; a sync may fail with a
  ``WorkbenchError`` and that is tolerated. Some syncs are killed: an exception inside
  a page-apply transaction after rows were written, or just before / after a push
  reached the server; half of the killed devices are then "restarted" (cache disposed
  and reopened from its file, a fresh HTTP client with the stored token).

At the end of a round the faults stop and every device syncs three times: the first
pass pushes everything, the second pulls what the others pushed, the third must do
nothing at all and prove convergence. Then (each failure message names the seed and
the round, so ``run_rounds(..., seed=S, rounds=R + 1)`` replays it, and lists what the
round did):

1. Convergence: every device's checksums equal the server's, and its rows equal the
   server's rows in its scope column by column (checksums cover only ``(id, version)``;
   ``updated_at`` is left out, see :meth:`Harness._check_device_rows`); the search
   index covers exactly the cached customers.
2. No acknowledged edit lost: every outbox entry (as the local edits left it) went to
   the server unchanged; every mutation sent has the server's record of its first
   answer; replaying those records in the server's commit order through a model of the
   field merge (base == theirs → apply, new == theirs → no-op, otherwise conflict;
   visit reports append) predicts each tracked field's final value and which fields
   conflicted, and both must match the server exactly. Every appended report line and
   every acknowledged contact log is on the server.
3. Nothing duplicated: the server's tracked tables hold exactly the seeded rows plus
   the acknowledged inserts, business numbers are unique, and no contact log exists
   twice (by id or by content) on the server or on a device.
4. Conflicts: every device holds exactly the unresolved conflicts of its RM's
   customers (the server's list replaces its own at every sync), with who made each
   side; the device of an edit handed over to another RM holds none of them.
5. Content, edit by edit (issue 12): every acknowledged edit ends as the server's
   value (applied, then possibly replaced by a later edit the merge rules accept), an
   unresolved conflict the customer's current RM is shown (a "keep mine" that found
   the value moved on is followed to the conflict that replaced it), a resolution the
   RM chose, or an entry in the sending device's rejected-edits list with the RM's
   values (until the RM settles it: corrected and sent again, or discarded). Every
   note added to a visit's report is in the server's report, whole: notes share
   prefixes ("客户表示…", "已电话确认…") and some reports start empty, where merging by
   similarity lost words.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import requests
from sqlalchemy import Connection, Engine, false, func, select

from central_crm import db as central_db
from central_crm.auth import Principal
from central_crm.schema import SYNCED, applied_mutation, sync_conflict
from central_crm.sync.read import DEVICE_TABLES
from central_crm.sync.scope import scope_filter
from rm_contract.policy import APPEND_FIELDS
from rm_contract.vocabulary import NeedStatus, Priority, SalesStage
from rm_contract.wire import (
    API_PREFIX,
    ChangeItem,
    HelloResponse,
    LoginRequest,
    MutationResult,
    PullResponse,
    PushRequest,
    PushResponse,
    decode_value,
    encode_value,
)
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.errors import AuthRequired, WorkbenchError
from rm_workbench.models import Base, LocalConflict, OutboxEntry, RejectedEdit
from rm_workbench.services.conflicts import ConflictService
from rm_workbench.services.rejected import RejectedEditService
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport, device_id
from rm_workbench.sync.outbox import delete_row, insert_row, update_row
from tests.central.conftest import (
    PASSWORD,
    Book,
    children_of,
    customer_row,
    insert_rows,
    seed,
    synced_row,
)
from tests.support.faultproxy import FaultPlan, FaultProxy

OUTBOX = Base.metadata.tables[OutboxEntry.__tablename__]
LOCAL_CONFLICTS = Base.metadata.tables[LocalConflict.__tablename__]
REJECTED = Base.metadata.tables[RejectedEdit.__tablename__]
SEARCH = Base.metadata.tables["customer_search"]

# The RM-writable fields the rounds edit and the oracle follows, per table.
TRACKED: dict[str, tuple[str, ...]] = {
    "customer": ("occupation", "email", "address", "notes"),
    "visit": ("outcome", "report"),
    "need": ("summary", "status", "urgency"),
    "opportunity": ("summary", "sales_stage", "probability", "expected_value"),
    "contact_log": ("summary",),
}
# Small pools on purpose: two parties often pick the same value (a no-op merge) or
# different ones (a conflict).
POOLS: dict[tuple[str, str], list[Any]] = {
    ("customer", "occupation"): ["医生", "律师", "教师", "工程师", "会计"],
    ("customer", "email"): [f"rm{i}@example.cn" for i in range(4)],
    ("customer", "address"): [
        "杭州市西湖区文三路1号",
        "杭州市上城区解放路8号",
        "宁波市中山西路3号",
    ],
    ("customer", "notes"): ["关注养老规划", "计划换房", "子女明年出国", None],
    ("visit", "outcome"): ["客户有意向", "需再跟进", "客户暂不考虑", "已签约"],
    ("need", "summary"): ["养老规划", "子女教育", "购房贷款", "资产配置"],
    ("need", "status"): list(NeedStatus),
    ("need", "urgency"): list(Priority),
    ("opportunity", "summary"): ["定期续存", "基金定投", "保险配置", "理财升级"],
    ("opportunity", "sales_stage"): list(SalesStage),
    ("opportunity", "probability"): [10, 20, 50, 80],
    ("opportunity", "expected_value"): [Decimal("100000.00"), Decimal("250000.50"), None],
}
EDITABLE: list[tuple[str, str]] = [
    (table, name) for table, names in TRACKED.items() if table != "contact_log" for name in names
]
TOKEN = re.compile(r"\[tok-\d+-\d+\]")
# Notes added to visit reports: pairs that share a prefix, and one whose pieces the
# other contains (the texts that lost words when merges matched by similarity).
NOTES = (
    "客户表示有意向购买理财产品",
    "客户表示下月再联系",
    "已电话确认 12月8日 面谈",
    "已电话确认 8日",
)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class SimulatedCrash(Exception):
    """The workbench process died at this point (injected by the harness)."""

    def __init__(self, where: str) -> None:
        super().__init__(f"killed {where}")
        self.where = where


class HarnessFailure(AssertionError):
    """A guarantee did not hold; the message names the seed and round to replay."""


@dataclass
class HarnessConfig:
    """Knobs of the rounds; the defaults fit the CI budget."""

    steps: tuple[int, int] = (3, 7)  # random operations per round
    # Page sizes per device (cycled): small, so pulls, snapshots and pushes take
    # several pages and an edit typed between two pages meets rows of the next one.
    pull_limit: tuple[int, ...] = (3, 5, 7)
    snapshot_limit: tuple[int, ...] = (4, 3, 6)
    push_batch: tuple[int, ...] = (3, 2, 5)
    retries: int = 1
    timeout: tuple[float, float] = (2.0, 10.0)
    plan: FaultPlan = field(
        default_factory=lambda: FaultPlan(
            refuse=0.05, cut_request=0.06, drop_response=0.1, cut_response=0.1
        )
    )
    # Weights of the random operations.
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "edit": 40,
            "sync": 30,
            "busy_sync": 3,
            "admin_edit": 10,
            "core_feed": 4,
            "reassign": 3,
            "gc": 2,
            "resolve": 3,
            "note_race": 3,
            "settle_rejected": 2,
            "restart": 2,
        }
    )
    p_kill: float = 0.2  # a random sync is killed somewhere
    p_midsync_edit: float = 0.15  # the RM edits while a random sync runs
    p_forced_gc: float = 0.25  # a GC that purges everything (devices re-bootstrap)
    p_stale_admin_base: float = 0.2
    final_attempts: int = 3  # first pass (faults off): tries per device


@dataclass
class HarnessResult:
    """What the rounds did, for the test's messages and the soak's report."""

    seed: int
    rounds: int = 0
    seconds: float = 0.0
    syncs: int = 0
    syncs_failed: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)
    restarts: int = 0
    relogins: int = 0
    local_edits: Counter[str] = field(default_factory=Counter)
    midsync_edits: int = 0
    admin: Counter[str] = field(default_factory=Counter)
    reassignments: int = 0
    gcs: int = 0
    forced_gcs: int = 0
    resolutions: int = 0
    resolutions_moved: int = 0  # "keep mine" on a value that moved on: a new conflict
    rejected_edits: int = 0  # refusals kept in a device's rejected-edits list
    rejected_settled: Counter[str] = field(default_factory=Counter)  # resent / discarded
    edits_traced: int = 0  # acknowledged field edits whose end was checked
    bootstraps: int = 0
    evictions: int = 0
    mutations_checked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0  # stored by the server
    # First-pass syncs of the end of a round whose checksums differed (others were
    # still to push): informative only, the third pass must converge.
    unconverged_first_pass: int = 0

    @property
    def seconds_per_round(self) -> float:
        return self.seconds / self.rounds if self.rounds else 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in vars(self).items():
            out[name] = dict(sorted(value.items())) if isinstance(value, Counter) else value
        out["seconds_per_round"] = round(self.seconds_per_round, 4)
        out["seconds"] = round(self.seconds, 2)
        return out

    def summary(self) -> str:
        faults = {k: v for k, v in self.faults.items() if k != "pass"}
        return (
            f"seed {self.seed}: {self.rounds} rounds in {self.seconds:.1f} s "
            f"({self.seconds_per_round * 1000:.0f} ms/round), {self.syncs} syncs "
            f"({sum(self.syncs_failed.values())} failed: {dict(self.syncs_failed)}), "
            f"faults {faults}, kills {dict(self.kills)}, restarts {self.restarts}, "
            f"edits {sum(self.local_edits.values())} ({self.midsync_edits} mid-sync), "
            f"mutations checked {self.mutations_checked} {dict(self.statuses)}, "
            f"conflicts {self.conflicts} (resolved {self.resolutions}, moved "
            f"{self.resolutions_moved}), rejected {self.rejected_edits} "
            f"{dict(self.rejected_settled)}, edits traced {self.edits_traced}, "
            f"reassignments {self.reassignments}, "
            f"gc {self.gcs} (forced {self.forced_gcs}), bootstraps {self.bootstraps}, "
            f"evictions {self.evictions}"
        )


# --- the devices ------------------------------------------------------------------------


@dataclass(frozen=True)
class SentMutation:
    device_id: str
    mutation_id: int
    idempotency_key: str
    table: str
    row_id: str
    op: str
    fields: dict[str, dict[str, Any]]


class HarnessClient(SyncClient):
    """A SyncClient that records every push (the ledger of what left the device) and
    can die just before or just after a push reached the server."""

    def __init__(self, base_url: str, *, on_push: Callable[[PushRequest], None], **kw: Any):
        super().__init__(base_url, **kw)
        self.on_push = on_push
        self.crash: str | None = None  # "before" | "after"
        self.evictions = 0  # received (a page may come more than once)
        # One connection per request: the proxy draws a fault for each connection.
        self.session.headers["Connection"] = "close"

    def pull(self, cursor: int, limit: int) -> PullResponse:
        page = super().pull(cursor, limit)
        self.evictions += sum(1 for item in page.items if item.kind == "evict")
        return page

    def push(self, request: PushRequest) -> PushResponse:
        self.on_push(request)
        if self.crash == "before":
            self.crash = None
            raise SimulatedCrash("push_before_send")
        answer = super().push(request)
        if self.crash == "after":
            self.crash = None
            raise SimulatedCrash("push_after_answer")
        return answer


class HarnessEngine(SyncEngine):
    """A SyncEngine that can be killed inside an apply transaction after it wrote rows,
    and tells the harness when its cache is rebuilt or a customer evicted (those drop
    local conflicts)."""

    def __init__(self, cache: Cache, client: SyncClient, device: Device, **kw: Any):
        super().__init__(cache, client, **kw)
        self.device = device
        self.kill_after: int | None = None  # die in the n-th apply from now

    def _apply_rows(self, conn: Connection, table: str, rows: Any) -> None:
        # Every page goes through here: pulls, and snapshot pages of either protocol.
        super()._apply_rows(conn, table, rows)
        if self.kill_after is not None:
            self.kill_after -= 1
            if self.kill_after <= 0:
                self.kill_after = None
                raise SimulatedCrash("mid_apply")

    def bootstrap(self, hello: HelloResponse, report: SyncReport) -> None:
        # Marked before: a rebuilt cache has lost its local conflicts.
        self.device.wiped_at = datetime.now(UTC)
        self.device.bootstraps += 1
        super().bootstrap(hello, report)

    def _apply_page(
        self, conn: Connection, items: Sequence[ChangeItem], report: SyncReport
    ) -> None:
        now = datetime.now(UTC)
        for item in items:
            if item.kind == "evict" and item.customer_id:
                self.device.evicted_at[item.customer_id] = now
        super()._apply_page(conn, items, report)


class Device:
    """One workbench: a cache file, a fault proxy in front of the service, an engine."""

    def __init__(self, harness: Harness, index: int, username: str, rm_id: str) -> None:
        self.harness = harness
        self.index = index
        self.username = username
        self.rm_id = rm_id
        self.path = harness.workdir / f"device-{index}-{username}.db"
        self.proxy = FaultProxy(
            upstream_port=harness.port, seed=harness.seed * 100 + index, plan=harness.config.plan
        )
        self.proxy.enabled = False
        self.cache = open_cache(self.path)
        self.device_id = device_id(self.cache)
        self.client = self._client(token=None)
        self.login()
        self.engine = self._engine()
        self.wiped_at = EPOCH
        self.evicted_at: dict[str, datetime] = {}
        self.bootstraps = 0
        # An edit the RM makes while the next sync runs (called from its progress).
        self.midsync: Callable[[], None] | None = None
        # Mostly "pull": an edit typed between two pulled pages is still pending when a
        # later page brings the same row (one typed while pushing goes up in that push).
        self.midsync_stage = "pull"
        # Outbox entries as the last local edit left them (mutation_id -> content), and
        # what the client sent for each mutation id.
        self.entries: dict[int, SentMutation] = {}
        self.sent: dict[int, SentMutation] = {}

    def _client(self, token: str | None) -> HarnessClient:
        config = self.harness.config
        return HarnessClient(
            self.proxy.url,
            on_push=self._on_push,
            token=token,
            timeout=config.timeout,
            retries=config.retries,
            backoff=0.001,
        )

    def _engine(self) -> HarnessEngine:
        engine = HarnessEngine(
            self.cache, self.client, self, progress=self._progress, rm_id=self.rm_id
        )
        config = self.harness.config
        engine.PULL_LIMIT = config.pull_limit[self.index % len(config.pull_limit)]
        engine.SNAPSHOT_LIMIT = config.snapshot_limit[self.index % len(config.snapshot_limit)]
        engine.PUSH_BATCH = config.push_batch[self.index % len(config.push_batch)]
        return engine

    def login(self) -> None:
        """Log in straight at the service (login is never retried; not what is tested)."""
        direct = SyncClient(self.harness.root)
        try:
            answer = direct.login(
                LoginRequest(username=self.username, password=PASSWORD, device_id=self.device_id)
            )
        finally:
            direct.close()
        self.client.token = answer.token

    def restart(self) -> None:
        """The process died and starts again: the cache reopened from its file, a new
        HTTP client with the token from the keyring."""
        token = self.client.token
        self.harness.evictions += self.client.evictions
        self.client.close()
        self.cache.dispose()
        self.cache = open_cache(self.path)
        self.client = self._client(token)
        self.engine = self._engine()

    def close(self) -> None:
        self.client.close()
        self.cache.dispose()
        self.proxy.close()

    def _on_push(self, request: PushRequest) -> None:
        for m in request.mutations:
            sent = SentMutation(
                device_id=self.device_id,
                mutation_id=m.mutation_id,
                idempotency_key=m.idempotency_key,
                table=m.table,
                row_id=m.row_id,
                op=m.op,
                fields={k: v.model_dump() for k, v in m.fields.items()},
            )
            previous = self.sent.get(m.mutation_id)
            if previous is not None and previous != sent:
                self.harness.fail(f"mutation {m.mutation_id} changed between two sends")
            self.sent[m.mutation_id] = sent
            self.harness.oracle.sent[m.idempotency_key] = sent

    def _progress(self, stage: str, done: int, total: int | None) -> None:
        if self.midsync is not None and stage == self.midsync_stage:
            edit, self.midsync = self.midsync, None
            edit()

    def sync(self, *, verify: bool) -> SyncReport:
        try:
            return self.engine.run(verify=verify)
        except AuthRequired:
            self.harness.result.relogins += 1
            self.login()
            raise

    def outbox(self) -> int:
        with self.cache.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(OUTBOX)).scalar_one())


# --- the bank's side --------------------------------------------------------------------


class Admin:
    """The bank's administrator, straight at the service (no faults): pushes field
    edits as the admin device and calls the admin endpoints."""

    def __init__(self, root: str) -> None:
        self.base = f"{root}{API_PREFIX}"
        self.session = requests.Session()
        # One connection per call: the service closes an idle keep-alive connection
        # after a few seconds, and a call sent on it at that very moment fails with
        # RemoteDisconnected (soak seed 11, round 4,594) — a race of the harness's own
        # driver, not of the system under test (the workbench's client counts it as
        # offline and the next sync pushes again).
        self.session.headers["Connection"] = "close"
        self.device_id = f"harness-admin-{uuid.uuid4().hex[:8]}"
        self.next_mutation = 1
        answer = self.post(
            "/auth/login",
            {"username": "admin", "password": PASSWORD, "device_id": self.device_id},
        )
        self.session.headers["Authorization"] = f"Bearer {answer['token']}"

    def post(self, path: str, body: Any) -> Any:
        response = self.session.post(f"{self.base}{path}", json=body, timeout=60)
        if response.status_code != 200:
            raise HarnessFailure(f"admin {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def push(
        self, table: str, row_id: str, op: str, fields: dict[str, dict[str, Any]]
    ) -> tuple[SentMutation, MutationResult]:
        sent = SentMutation(
            device_id=self.device_id,
            mutation_id=self.next_mutation,
            idempotency_key=str(uuid.uuid4()),
            table=table,
            row_id=row_id,
            op=op,
            fields=fields,
        )
        self.next_mutation += 1
        body = {
            "device_id": self.device_id,
            "mutations": [
                {
                    "mutation_id": sent.mutation_id,
                    "idempotency_key": sent.idempotency_key,
                    "table": table,
                    "row_id": row_id,
                    "op": op,
                    "fields": fields,
                }
            ],
        }
        (result,) = PushResponse.model_validate(self.post("/sync/push", body)).results
        return sent, result

    def close(self) -> None:
        self.session.close()


# --- the oracle -------------------------------------------------------------------------


@dataclass
class Oracle:
    """The expected server state of the tracked fields, advanced by replaying the
    server's records of first answers (``applied_mutation``) and "keep mine"
    resolutions in commit order through a model of the merge rules."""

    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    deleted: set[tuple[str, str]] = field(default_factory=set)
    # Visit id -> every note an acknowledged edit added to its report, whole.
    notes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Conflicts acknowledged edits met (conflict id -> the edit), to follow to their end.
    conflicted: dict[str, str] = field(default_factory=dict)
    # Refused edits (device id, mutation id) -> the edit: each must be in that device's
    # rejected-edits list until the RM settles it.
    refused: dict[tuple[str, int], SentMutation] = field(default_factory=dict)
    traced: int = 0
    # Every mutation any party sent, by idempotency key, until the server's record of
    # it has been replayed.
    sent: dict[str, SentMutation] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    watermark: datetime = EPOCH
    # Conflicts the server stored, by (device, row, field), not yet matched to the edit
    # that met them: a handed-over edit's answer does not list its conflicts (they are
    # the new RM's), so they are found here.
    stored: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    matched: set[str] = field(default_factory=set)

    def load(self, engine: Engine) -> None:
        with engine.connect() as conn:
            for table, names in TRACKED.items():
                t = SYNCED[table]
                for row in conn.execute(select(t.c.id, t.c.deleted, *[t.c[n] for n in names])):
                    key = (table, row.id)
                    if row.deleted:
                        self.deleted.add(key)
                    else:
                        self.values[key] = {n: row._mapping[n] for n in names}

    def advance(self, engine: Engine, result: HarnessResult) -> list[str]:
        """Replay the records committed since the last call; returns the problems."""
        problems: list[str] = []
        with engine.connect() as conn:
            records = conn.execute(
                select(
                    applied_mutation.c.applied_at,
                    applied_mutation.c.device_id,
                    applied_mutation.c.mutation_id,
                    applied_mutation.c.idempotency_key,
                    applied_mutation.c.result,
                ).where(applied_mutation.c.applied_at >= self.watermark)
            ).all()
            resolutions = conn.execute(
                select(sync_conflict).where(
                    sync_conflict.c.resolution == "mine",
                    sync_conflict.c.resolved_at >= self.watermark,
                )
            ).all()
            for c in conn.execute(
                select(sync_conflict).where(sync_conflict.c.created_at >= self.watermark)
            ):
                if c.id not in self.matched and c.device_id is not None:
                    bucket = self.stored.setdefault((c.device_id, c.row_id, c.field), [])
                    if all(other.id != c.id for other in bucket):
                        bucket.append(c)
        events: list[tuple[datetime, str, int, str, Any]] = []
        for r in records:
            if r.idempotency_key not in self.processed:
                events.append(
                    (_as_dt(r.applied_at), r.device_id, int(r.mutation_id), r.idempotency_key, r)
                )
        for c in resolutions:
            if c.id not in self.processed:
                events.append((_as_dt(c.resolved_at), "~resolve", 0, c.id, c))
        events.sort(key=lambda e: e[:3])
        for at, _device, _mid, key, record in events:
            self.processed.add(key)
            self.watermark = max(self.watermark, at)
            if _device == "~resolve":
                self._resolution(record, problems)
                continue
            sent = self.sent.pop(key, None)
            if sent is None:
                problems.append(f"the server recorded mutation {key} that nobody sent")
                continue
            if (sent.device_id, sent.mutation_id) != (record.device_id, record.mutation_id):
                problems.append(f"mutation {key} recorded under another device or id")
            answer = MutationResult.model_validate_json(record.result)
            result.mutations_checked += 1
            result.statuses[answer.status] += 1
            self._mutation(sent, answer, problems, at)
        for key in list(self.stored):
            self.stored[key] = [c for c in self.stored[key] if c.id not in self.matched]
            if not self.stored[key]:
                del self.stored[key]
        for sent in self.sent.values():
            problems.append(
                f"{sent.table} {sent.op} {sent.row_id} (device {sent.device_id[:8]}, mutation "
                f"{sent.mutation_id}) was sent and acknowledged but the server has no record "
                "of applying it: the edit is lost"
            )
        self.sent.clear()
        return problems

    def _resolution(self, c: Any, problems: list[str]) -> None:
        key = (c.table_name, c.row_id)
        if c.field not in TRACKED.get(c.table_name, ()) or key not in self.values:
            return
        yours = None if c.yours is None else json.loads(c.yours)
        self.values[key][c.field] = decode_value(c.table_name, c.field, yours)

    def _mutation(
        self, sent: SentMutation, answer: MutationResult, problems: list[str], at: datetime
    ) -> None:
        key = (sent.table, sent.row_id)
        where = f"{sent.table} {sent.op} {sent.row_id} by {sent.device_id[:8]}#{sent.mutation_id}"
        if answer.status == "duplicate":
            problems.append(f"{where}: its first (stored) answer is 'duplicate': never applied")
            return
        tracked = TRACKED.get(sent.table)
        if tracked is None:
            return
        conflicted = {c.field for c in answer.conflicts}
        for c in answer.conflicts:
            self.conflicted[c.conflict_id] = f"{where}.{c.field}={c.yours!r}"
            self.matched.add(c.conflict_id)
        if answer.status == "handed_over":
            # Stored for the new RM and left out of the answer: found on the server, made
            # by the same push (its clock; a "keep mine" that moved makes one too).
            for name, change in sent.fields.items():
                bucket = self.stored.get((sent.device_id, sent.row_id, name), [])
                for c in bucket:
                    if (
                        c.id not in self.matched
                        and _as_dt(c.created_at) == at
                        and json.loads(c.yours) == change.get("new")
                    ):
                        self.matched.add(c.id)
                        bucket.remove(c)
                        conflicted.add(name)
                        self.conflicted[c.id] = f"{where}.{name}={change.get('new')!r}"
                        break
        refused = answer.status == "rejected" or bool(answer.rejected_fields)
        if refused and not sent.device_id.startswith("harness-admin"):
            self.refused[(sent.device_id, sent.mutation_id)] = sent
        if answer.status == "rejected":
            # Legitimate: the row is gone, or a delete of a customer handed over.
            if sent.op == "insert":
                problems.append(f"{where}: insert rejected ({answer.message})")
            elif sent.op == "update" and key in self.values:
                problems.append(f"{where}: update of a live row rejected ({answer.message})")
            return
        if sent.op == "delete":
            self.values.pop(key, None)
            self.deleted.add(key)
            return
        if sent.op == "insert" and key not in self.values and key not in self.deleted:
            self.values[key] = {
                n: decode_value(sent.table, n, sent.fields[n]["new"]) if n in sent.fields else None
                for n in tracked
            }
            if conflicted:
                problems.append(f"{where}: a new row cannot conflict: {sorted(conflicted)}")
            return
        current = self.values.get(key)
        if current is None:
            problems.append(f"{where}: answered {answer.status} but the row is gone or unknown")
            return
        append = APPEND_FIELDS.get(sent.table, frozenset())
        expected_conflicts: set[str] = set()
        for name, change in sent.fields.items():
            if name not in tracked:
                continue
            if name in append:
                new_text = change.get("new") or ""
                base_text = change.get("base") if sent.op == "update" else None
                added = (
                    new_text[len(base_text) :]
                    if base_text and new_text.startswith(base_text)
                    else new_text
                ).strip("\n")
                if added.strip():
                    self.notes.setdefault(sent.row_id, []).append((where, added))
                self.traced += 1
                continue
            self.traced += 1
            theirs = current[name]
            new = decode_value(sent.table, name, change.get("new"))
            base = None
            if sent.op == "update":
                base = decode_value(sent.table, name, change.get("base"))
            if new == theirs:
                continue
            if sent.op == "update" and base == theirs:
                current[name] = new
            else:
                expected_conflicts.add(name)
        if expected_conflicts != conflicted & set(tracked):
            problems.append(
                f"{where}: conflicts {sorted(conflicted)}, the merge rules give "
                f"{sorted(expected_conflicts)} (fields {sent.fields}, server had {current})"
            )


# --- the harness ------------------------------------------------------------------------


class Harness:
    def __init__(
        self,
        root: str,
        engine: Engine,
        *,
        seed: int,
        devices: int,
        workdir: Path,
        config: HarnessConfig,
    ) -> None:
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self.root = root.rstrip("/")
        self.port = int(self.root.rsplit(":", 1)[1])
        self.engine = engine
        self.seed = seed
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.result = HarnessResult(seed=seed)
        self.round = -1
        self.trace: list[str] = []
        self.tokens = 0
        self.evictions = 0  # received by clients since closed
        self.hot: tuple[str, str, str] | None = None  # the admin's last edit
        self.oracle = Oracle()
        self.book = self._seed_book()
        self.oracle.load(engine)
        self.admin = Admin(self.root)
        # Two RMs, alternating: with three devices, two of alice and one of bob.
        users = [("alice", self.book.rms["a"]), ("bob", self.book.rms["b"])]
        self.devices: list[Device] = []
        try:
            for index in range(devices):
                username, rm_id = users[index % 2]
                self.devices.append(Device(self, index, username, rm_id))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for device in self.devices:
            device.close()
        if hasattr(self, "admin"):
            self.admin.close()

    def fail(self, message: str) -> None:
        raise HarnessFailure(
            f"seed={self.seed} round={self.round}: {message} "
            f"(replay: run_rounds(..., seed={self.seed}, rounds={self.round + 1}))\n"
            "the round so far:\n  " + "\n  ".join(self.trace[-40:])
        )

    def note(self, text: str) -> None:
        self.trace.append(text)

    def _seed_book(self) -> Book:
        """tests.central.conftest.seed (alice/bob/carol/admin, customers a1 a2 b1) plus
        a3 and b2, and an opportunity for each customer."""
        # Seeded ids: the rounds pick rows in id order, so a seed replays the same picks.
        ids = random.Random(self.seed)
        with mock.patch.object(uuid, "uuid4", lambda: uuid.UUID(_uuid(ids))):
            return self._seed_rows()

    def _seed_rows(self) -> Book:
        book = seed(self.engine)
        extra = {
            "a3": customer_row(book.rms["a"], book.branch, "周九"),
            "b2": customer_row(book.rms["b"], book.branch, "吴十"),
        }
        insert_rows(self.engine, "customer", list(extra.values()))
        for key, customer in extra.items():
            book.customers[key] = customer["id"]
            rows = children_of(customer, book.product)
            for table, row in rows.items():
                insert_rows(self.engine, table, [row])
            book.rows[key] = {table: row["id"] for table, row in rows.items()}
        opportunities = [
            synced_row(
                opportunity_no=f"O{uuid.uuid4().hex[:12].upper()}",  # seeded: see above
                customer_id=customer_id,
                product_id=book.product,
                started_on=date(2026, 11, 1),
                probability=20,
                sales_stage="lead",
                summary="定期续存",
                expected_value=Decimal("100000.00"),
                owner_rm_id=book.rms[key[0]],
            )
            for key, customer_id in book.customers.items()
        ]
        insert_rows(self.engine, "opportunity", opportunities)
        # Some reports start empty: the first notes of two devices then share no base.
        visits = SYNCED["visit"]
        with self.engine.begin() as conn:
            for key in ("a1", "a3", "b2"):
                conn.execute(
                    visits.update()
                    .where(visits.c.id == book.rows[key]["visit"])
                    .values(report=None)
                )
        return book

    # --- one round -------------------------------------------------------------------

    def play(self, number: int) -> None:
        self.round = number
        self.trace = []
        # Mixed so that seed s + 1 does not replay seed s's rounds one round later.
        rng = random.Random(self.seed * 1_000_003 + number)
        for device in self.devices:
            device.proxy.reseed(rng.randrange(1 << 30))
            device.proxy.enabled = True
        operations = list(self.config.weights)
        weights = [self.config.weights[o] for o in operations]
        for _ in range(rng.randint(*self.config.steps)):
            operation = rng.choices(operations, weights)[0]
            getattr(self, f"_op_{operation}")(rng)
        self.converge()
        self.check()
        self.result.rounds += 1

    def _token(self) -> str:
        self.tokens += 1
        return f"[tok-{self.round}-{self.tokens}]"

    def _note(self, current: str | None, rng: random.Random) -> str:
        """A report with one more note, as the visit service appends it."""
        note = f"{rng.choice(NOTES)}{self._token()}"
        return f"{current.rstrip(chr(10))}\n\n{note}" if current and current.strip() else note

    # --- local edits -------------------------------------------------------------------

    def _op_edit(self, rng: random.Random) -> None:
        self.local_edit(rng.choice(self.devices), rng, hot=rng.random() < 0.2)

    def local_edit(self, device: Device, rng: random.Random, *, hot: bool = False) -> None:
        """One edit through the outbox; ``hot``: the field the admin changed last, if
        this device holds that row (two people editing the same thing at once)."""
        kind = rng.choices(
            ["field", "report", "need_insert", "need_delete", "contact", "visit_insert"],
            [10, 2, 2, 1, 3, 1],
        )[0]
        if hot and self.hot is not None:
            kind = "hot"
        with device.cache.engine.begin() as conn:
            before = _unsent(conn)
            done = self._edit(conn, device, kind, rng)
            after = _unsent(conn)
        if not done:
            return
        self.result.local_edits[done] += 1
        self.note(f"d{device.index} edit {done}")
        for mutation_id in before.keys() - after.keys():
            device.entries.pop(mutation_id, None)  # folded away (edited back, or dropped)
        for mutation_id, content in after.items():
            device.entries[mutation_id] = SentMutation(device_id=device.device_id, **content)

    def _edit(self, conn: Connection, device: Device, kind: str, rng: random.Random) -> str:
        customers = _live(conn, "customer")
        if not customers:
            return ""
        if kind == "hot" and self.hot is not None:
            table, row_id, name = self.hot
            if row_id in _live(conn, table) and name != "report":
                update_row(conn, table, row_id, {name: rng.choice(POOLS[(table, name)])})
                return f"{table}.{name}(hot)"
            kind = "field"
        if kind == "field":
            table, name = rng.choice(EDITABLE)
            if (table, name) == ("visit", "report"):
                kind = "report"
            else:
                rows = _live(conn, table)
                if not rows:
                    return ""
                row_id = rng.choice(rows)
                value = rng.choice(POOLS[(table, name)])
                update_row(conn, table, row_id, {name: value})
                return f"{table}.{name}"
        if kind == "report":
            rows = _live(conn, "visit")
            if not rows:
                return ""
            row_id = rng.choice(rows)
            visits = Base.metadata.tables["visit"]
            current = conn.execute(select(visits.c.report).where(visits.c.id == row_id)).scalar()
            update_row(conn, "visit", row_id, {"report": self._note(current, rng)})
            return "visit.report"
        if kind == "need_insert":
            insert_row(
                conn,
                "need",
                {
                    "id": _uuid(rng),
                    "need_no": f"N{_uuid(rng).replace('-', '')[:16].upper()}",
                    "customer_id": rng.choice(customers),
                    "category": "other",
                    "started_on": date(2026, 11, 1) + timedelta(days=rng.randint(0, 60)),
                    "summary": rng.choice(POOLS[("need", "summary")]),
                    "status": rng.choice(POOLS[("need", "status")]),
                    "urgency": rng.choice(POOLS[("need", "urgency")]),
                },
            )
            return "need.insert"
        if kind == "visit_insert":
            # A planned visit: its report starts empty.
            insert_row(
                conn,
                "visit",
                {
                    "id": _uuid(rng),
                    "visit_no": f"V{_uuid(rng).replace('-', '')[:16].upper()}",
                    "customer_id": rng.choice(customers),
                    "rm_id": device.rm_id,
                    "planned_start": datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
                    + timedelta(hours=rng.randint(0, 500)),
                    "category": "home",
                    "purpose": "上门拜访",
                },
            )
            return "visit.insert"
        if kind == "need_delete":
            rows = _live(conn, "need")
            if not rows:
                return ""
            delete_row(conn, "need", rng.choice(rows))
            return "need.delete"
        insert_row(
            conn,
            "contact_log",
            {
                "id": _uuid(rng),
                "contact_no": f"K{_uuid(rng).replace('-', '')[:16].upper()}",
                "customer_id": rng.choice(customers),
                "rm_id": device.rm_id,
                "started_at": datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
                + timedelta(minutes=rng.randint(0, 10_000)),
                "channel": rng.choice(["phone", "wechat", "visit"]),
                "summary": f"回访 {self._token()}",
            },
        )
        return "contact_log.insert"

    # --- syncs under faults -----------------------------------------------------------

    def _op_busy_sync(self, rng: random.Random) -> None:
        """The back office changes a field and a batch of balances; a device syncs the
        backlog (several pages) while its RM edits that same field between two pages."""
        self._op_admin_edit(rng)
        self._op_core_feed(rng, accounts=8)
        self._op_sync(rng, midsync="hot")

    def _op_sync(self, rng: random.Random, *, midsync: str | None = None) -> None:
        self._sync_device(rng.choice(self.devices), rng, midsync=midsync)

    def _sync_device(
        self, device: Device, rng: random.Random, *, midsync: str | None = None
    ) -> None:
        if midsync is None and rng.random() < self.config.p_midsync_edit:
            midsync = rng.choice(["pull", "pull", "pull", "push", "bootstrap"])
        if rng.random() < self.config.p_kill:
            where = rng.choice(["apply", "apply", "push_before", "push_after"])
            if where == "apply":
                device.engine.kill_after = rng.randint(1, 4)
            else:
                device.client.crash = where.removeprefix("push_")
        if midsync is not None:
            edit_rng = random.Random(rng.random())
            hot = midsync == "hot" or edit_rng.random() < 0.5

            def edit() -> None:
                self.result.midsync_edits += 1
                self.local_edit(device, edit_rng, hot=hot)

            device.midsync = edit
            device.midsync_stage = "pull" if midsync == "hot" else midsync
        self.result.syncs += 1
        armed = f"kill_after={device.engine.kill_after} crash={device.client.crash}"
        try:
            report = device.sync(verify=rng.random() < 0.3)
            self.note(f"d{device.index} sync ({armed}): ok {_brief(report)}")
            if report.converged is False:
                # The engine only says so when nothing pending or newer explains it.
                self.fail(f"device {device.index}: checksums disproved convergence: {report!r}")
        except WorkbenchError as exc:
            self.note(f"d{device.index} sync ({armed}): {exc!r}")
            self.result.syncs_failed[type(exc).__name__] += 1
        except SimulatedCrash as exc:
            self.note(f"d{device.index} sync ({armed}): {exc!r}")
            self.result.kills[exc.where] += 1
            self.result.syncs_failed["SimulatedCrash"] += 1
            if rng.random() < 0.5:
                self.result.restarts += 1
                device.restart()
        finally:
            device.engine.kill_after = None
            device.client.crash = None
            device.midsync = None

    def _op_note_race(self, rng: random.Random) -> None:
        """Two devices of one RM add a note to the same visit before either pulls the
        other's (the visit's report is often still empty), then both sync."""
        pair = [d for d in self.devices if d.username == "alice"][:2]
        if len(pair) < 2:
            return
        with pair[0].cache.engine.connect() as first, pair[1].cache.engine.connect() as second:
            both = sorted(set(_live(first, "visit")) & set(_live(second, "visit")))
        if not both:
            return
        visits = Base.metadata.tables["visit"]
        visit = rng.choice(both)
        for device in pair:
            with device.cache.engine.begin() as conn:
                before = _unsent(conn)
                current = conn.execute(select(visits.c.report).where(visits.c.id == visit)).scalar()
                update_row(conn, "visit", visit, {"report": self._note(current, rng)})
                after = _unsent(conn)
            for key in before.keys() - after.keys():
                device.entries.pop(key, None)
            for key, content in after.items():
                device.entries[key] = SentMutation(device_id=device.device_id, **content)
            self.result.local_edits["visit.report(race)"] += 1
        self.note(f"note race on visit {visit[:8]}")
        for device in pair:
            self._sync_device(device, rng)

    def _op_restart(self, rng: random.Random) -> None:
        self.result.restarts += 1
        device = rng.choice(self.devices)
        self.note(f"d{device.index} restart")
        device.restart()

    # --- the bank's changes -----------------------------------------------------------

    def _server_rows(self, table: str) -> list[Any]:
        t = SYNCED[table]
        with self.engine.connect() as conn:
            return list(conn.execute(select(t).where(t.c.deleted == false()).order_by(t.c.id)))

    def _op_admin_edit(self, rng: random.Random) -> None:
        table, name = rng.choice(EDITABLE)
        rows = self._server_rows(table)
        if not rows:
            return
        row = rng.choice(rows)._mapping
        current = encode_value(table, name, row[name])
        if name == "report":
            new = self._note(current, rng)
            base = current
        else:
            new = encode_value(table, name, rng.choice(POOLS[(table, name)]))
            base = current
            if rng.random() < self.config.p_stale_admin_base:
                base = encode_value(table, name, rng.choice(POOLS[(table, name)]))
        sent, answer = self.admin.push(
            table, row["id"], "update", {name: {"base": base, "new": new}}
        )
        self.oracle.sent[sent.idempotency_key] = sent
        self.result.admin[f"edit:{answer.status}"] += 1
        self.hot = (table, row["id"], name)
        self.note(f"admin {table}.{name} {row['id'][:8]} {base!r}->{new!r}: {answer.status}")

    def _op_core_feed(self, rng: random.Random, *, accounts: int = 2) -> None:
        rows = self._server_rows("account")
        customers = self._server_rows("customer")
        feed: dict[str, Any] = {"balances": [], "tiers": []}
        for row in rng.sample(rows, min(len(rows), rng.randint(1, accounts))):
            amount = Decimal(rng.randint(0, 10**8)) / 100
            feed["balances"].append({"account_no": row.account_no, "balance": str(amount)})
        if customers and rng.random() < 0.5:
            row = rng.choice(customers)
            feed["tiers"].append(
                {
                    "customer_no": row.customer_no,
                    "tier": rng.choice(["黄金", "白金", "钻石"]),
                    "aum": str(Decimal(rng.randint(0, 10**9)) / 100),
                }
            )
        self.admin.post("/admin/core-feed", feed)
        self.note(f"admin core feed {feed}")
        self.result.admin["core_feed"] += 1

    def _op_reassign(self, rng: random.Random) -> None:
        customers = self._server_rows("customer")
        if not customers:
            return
        row = rng.choice(customers)
        rms = self.book.rms
        target = rms["b"] if row.owner_rm_id == rms["a"] else rms["a"]
        self.admin.post("/admin/assign", {"customer_ids": [row.id], "rm_id": target})
        self.note(f"admin assign {row.id[:8]} ({row.name}) to {target[:8]}")
        self.result.reassignments += 1

    def _op_gc(self, rng: random.Random) -> None:
        body: dict[str, Any] = {}
        if rng.random() < self.config.p_forced_gc:
            with self.engine.connect() as conn:
                body["before_seq"] = central_db.current_seq(conn) + 1
            self.result.forced_gcs += 1
        self.note(f"admin gc {body}: {self.admin.post('/admin/gc', body)}")
        self.result.gcs += 1

    def _op_resolve(self, rng: random.Random) -> None:
        """The RM picks a side for a conflict or two in the dialog (the service the
        dialog calls, on the conflicts this device holds), through the faulty
        connection: "keep mine" is based on the value the dialog showed."""
        device = rng.choice(self.devices)
        service = ConflictService(device.cache, None)  # type: ignore[arg-type]
        try:
            for conflict in service.list()[: rng.randint(1, 2)]:
                choice = rng.choice(["mine", "theirs"])
                done = service.resolve(conflict.conflict_id, choice, client=device.client)
                self.note(
                    f"d{device.index} resolve {conflict.table}.{conflict.field} {choice}: "
                    f"{done.resolution}"
                )
                self.result.resolutions += 1
                self.result.resolutions_moved += done.resolution == "moved"
        except WorkbenchError as exc:
            self.result.syncs_failed[f"resolve:{type(exc).__name__}"] += 1

    def _op_settle_rejected(self, rng: random.Random) -> None:
        """The RM works through the rejected-edits list: sends one again (as it was:
        the harness does not correct) or discards it."""
        device = rng.choice(self.devices)
        service = RejectedEditService(device.cache)
        entries = service.list()
        if not entries:
            return
        entry = rng.choice(entries)
        with device.cache.engine.connect() as conn:
            mutation_id = conn.execute(
                select(REJECTED.c.mutation_id).where(REJECTED.c.id == entry.id)
            ).scalar_one()
        if entry.can_resend and rng.random() < 0.5:
            with device.cache.engine.connect() as conn:
                before = _unsent(conn)
            try:
                service.resend(entry.id)
            except WorkbenchError as exc:  # e.g. the row is gone since
                self.note(f"d{device.index} resend refused: {exc!r}")
                return
            with device.cache.engine.connect() as conn:
                after = _unsent(conn)
            for key in before.keys() - after.keys():
                device.entries.pop(key, None)
            for key, content in after.items():
                device.entries[key] = SentMutation(device_id=device.device_id, **content)
            how = "resent"
        else:
            service.discard(entry.id)
            how = "discarded"
        self.oracle.refused.pop((device.device_id, mutation_id), None)
        self.result.rejected_settled[how] += 1
        self.note(f"d{device.index} rejected {entry.table}.{entry.op} {how}")

    # --- the end of a round: converge, then check --------------------------------------

    def converge(self) -> None:
        for device in self.devices:
            device.proxy.enabled = False
        for device in self.devices:
            for attempt in range(self.config.final_attempts):
                self.result.syncs += 1
                try:
                    report = device.sync(verify=True)
                except WorkbenchError as exc:
                    self.result.syncs_failed[f"final:{type(exc).__name__}"] += 1
                    if attempt + 1 == self.config.final_attempts:
                        self.fail(f"device {device.index} cannot sync without faults: {exc}")
                    continue
                if report.converged is False:
                    # Not "others still to push" (that is None): the cache is wrong.
                    self.fail(
                        f"device {device.index} ({device.username}): checksums disproved "
                        f"convergence in the first pass: {report.mismatched_tables}"
                    )
                if not report.converged:
                    self.result.unconverged_first_pass += 1
                break
            if device.outbox():
                self.fail(f"device {device.index}: outbox not empty after a clean sync")
        for device in self.devices:  # pull what the others pushed in the first pass
            self.result.syncs += 1
            report = device.sync(verify=False)
            if report.pushed:
                self.fail(f"device {device.index} pushed {report.pushed} in the second pass")
        for device in self.devices:
            self.result.syncs += 1
            report = device.sync(verify=True)
            work = (report.pushed, report.pulled, report.bootstrapped_rows, len(report.evicted))
            if work != (0, 0, 0, 0):
                self.fail(f"device {device.index}: the third sync was not a no-op: {report!r}")
            if report.converged is not True:
                self.fail(
                    f"device {device.index} ({device.username}) did not converge: "
                    f"{report.mismatched_tables}"
                )
        for device in self.devices:
            self.result.faults.update(device.proxy.stats)
            device.proxy.stats.clear()

    def check(self) -> None:
        problems: list[str] = []
        for device in self.devices:
            problems += self._check_device_rows(device)
            problems += self._check_outbox_ledger(device)
        problems += self.oracle.advance(self.engine, self.result)
        problems += self._check_server_values()
        problems += self._check_conflicts()
        problems += self._check_rejected()
        self.result.edits_traced = self.oracle.traced
        self.result.bootstraps = sum(d.bootstraps for d in self.devices)
        self.result.evictions = self.evictions + sum(d.client.evictions for d in self.devices)
        if problems:
            self.fail(f"{len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]))

    def _check_device_rows(self, device: Device) -> list[str]:
        """The device holds exactly the server's live rows in its scope, column by
        column (but ``updated_at``: a local edit that folded back to nothing, or one the
        server found already done, leaves the local edit time, and no new version comes
        to replace it); the search index covers exactly its customers."""
        problems: list[str] = []
        principal = Principal(
            user_id="",
            username=device.username,
            display_name="",
            role="rm",
            rm_id=device.rm_id,
            device_id=device.device_id,
            token_hash="",
        )
        with self.engine.connect() as server, device.cache.engine.connect() as local:
            for name in DEVICE_TABLES:
                mine = Base.metadata.tables[name]
                theirs = SYNCED[name]
                columns = [c.name for c in mine.c if c.name != "updated_at"]
                query = select(*[theirs.c[c] for c in columns]).where(theirs.c.deleted == false())
                condition = scope_filter(theirs, principal)
                if condition is not None:
                    query = query.where(condition)
                expected = {r.id: dict(r._mapping) for r in server.execute(query)}
                held = {
                    r.id: dict(r._mapping)
                    for r in local.execute(select(*[mine.c[c] for c in columns]))
                }
                if expected == held:
                    continue
                missing = expected.keys() - held.keys()
                extra = held.keys() - expected.keys()
                differing = [
                    (i, {k: (held[i][k], v) for k, v in expected[i].items() if held[i][k] != v})
                    for i in expected.keys() & held.keys()
                    if expected[i] != held[i]
                ]
                problems.append(
                    f"device {device.index} ({device.username}) {name}: missing {sorted(missing)}"
                    f", extra {sorted(extra)}, differing (mine, server's) {differing[:3]}"
                )
            customers = set(local.execute(select(Base.metadata.tables["customer"].c.id)).scalars())
            indexed = set(local.execute(select(SEARCH.c.customer_id).distinct()).scalars())
            if customers != indexed:
                problems.append(
                    f"device {device.index}: search index covers {sorted(indexed)}, "
                    f"cache holds {sorted(customers)}"
                )
            contacts = Base.metadata.tables["contact_log"]
            doubled = local.execute(
                select(contacts.c.summary)
                .where(contacts.c.summary.contains("[tok-"))
                .group_by(contacts.c.summary)
                .having(func.count() > 1)
                .limit(3)
            ).all()
            if doubled:
                problems.append(f"device {device.index}: contact logs twice: {doubled}")
        return problems

    def _check_outbox_ledger(self, device: Device) -> list[str]:
        """Every outbox entry, as the last local edit left it, was sent unchanged."""
        problems: list[str] = []
        for mutation_id, entry in device.entries.items():
            sent = device.sent.get(mutation_id)
            if sent is None:
                problems.append(
                    f"device {device.index}: {entry.table} {entry.op} {entry.row_id} "
                    f"(mutation {mutation_id}) left the outbox without being sent"
                )
            elif sent != entry:
                problems.append(
                    f"device {device.index}: mutation {mutation_id} was sent as {sent}, "
                    f"the outbox held {entry}"
                )
        device.entries.clear()
        device.sent.clear()
        return problems

    def _check_server_values(self) -> list[str]:
        problems: list[str] = []
        oracle = self.oracle
        with self.engine.connect() as conn:
            for table, names in TRACKED.items():
                t = SYNCED[table]
                rows = {
                    r.id: r._mapping
                    for r in conn.execute(select(t.c.id, t.c.deleted, *[t.c[n] for n in names]))
                }
                live = {i for i, r in rows.items() if not r["deleted"]}
                known = {row_id for (tab, row_id) in oracle.values if tab == table}
                if live != known:
                    problems.append(
                        f"{table}: the server holds {sorted(live - known)} that nobody "
                        f"created and lacks {sorted(known - live)}"
                    )
                append = APPEND_FIELDS.get(table, frozenset())
                for row_id in live & known:
                    expected = oracle.values[(table, row_id)]
                    for name in names:
                        value = rows[row_id][name]
                        if name in append:
                            for where, added in oracle.notes.get(row_id, []):
                                if added not in (value or ""):
                                    problems.append(
                                        f"{table} {row_id}.{name}: the note {added!r} of "
                                        f"{where} is not whole in {value!r}"
                                    )
                        elif value != expected[name]:
                            problems.append(
                                f"{table} {row_id}.{name} = {value!r}, expected "
                                f"{expected[name]!r} (the last write not in conflict)"
                            )
            for table, number in (
                ("contact_log", "contact_no"),
                ("visit", "visit_no"),
                ("need", "need_no"),
                ("opportunity", "opportunity_no"),
                ("customer", "customer_no"),
            ):
                t = SYNCED[table]
                total, distinct = conn.execute(
                    select(func.count(), func.count(t.c[number].distinct()))
                ).one()
                if total != distinct:
                    problems.append(f"{table}: {total - distinct} duplicate {number}")
            contacts = SYNCED["contact_log"]
            doubled = conn.execute(
                select(contacts.c.summary)
                .where(contacts.c.summary.contains("[tok-"))
                .group_by(contacts.c.summary)
                .having(func.count() > 1)
                .limit(3)
            ).all()
            if doubled:
                problems.append(f"contact logs stored twice: {doubled}")
        return problems

    def _check_conflicts(self) -> list[str]:
        """Each device holds exactly its RM's customers' unresolved conflicts, with who
        made each side; every conflict an acknowledged edit met ended resolved by an
        RM, or is still open and so held by the current owner's devices."""
        problems: list[str] = []
        customers = SYNCED["customer"]
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(sync_conflict)).scalar_one()
            self.result.conflicts = int(total)
            every = {
                c.id: c
                for c in conn.execute(
                    select(sync_conflict, customers.c.owner_rm_id, customers.c.deleted).outerjoin(
                        customers, customers.c.id == sync_conflict.c.customer_id
                    )
                )
            }
        open_conflicts = [c for c in every.values() if c.resolved_at is None]
        held: dict[str, set[str]] = {}
        for device in self.devices:
            listed = {c.conflict_id for c in device.client.conflicts().conflicts}
            expected = {
                c.id for c in open_conflicts if c.owner_rm_id == device.rm_id and not c.deleted
            }
            if listed != expected:
                problems.append(
                    f"device {device.index} ({device.username}) is shown conflicts "
                    f"{sorted(listed)}, its RM's customers have {sorted(expected)}"
                )
            with device.cache.engine.connect() as local:
                stored = {
                    r.conflict_id: r
                    for r in local.execute(
                        select(
                            LOCAL_CONFLICTS.c.conflict_id,
                            LOCAL_CONFLICTS.c.yours_by,
                            LOCAL_CONFLICTS.c.theirs_by,
                        )
                    )
                }
            held[device.device_id] = set(stored)
            if set(stored) != expected:
                problems.append(
                    f"device {device.index} ({device.username}) holds conflicts "
                    f"{sorted(stored)}, its RM's customers have {sorted(expected)}"
                )
            nameless = [i for i, r in stored.items() if not r.yours_by]
            if nameless:
                problems.append(f"device {device.index}: conflicts without authors {nameless}")
        for conflict_id, where in self.oracle.conflicted.items():
            end = every.get(conflict_id)
            seen: set[str] = set()
            while end is not None and end.resolution == "moved" and end.id not in seen:
                seen.add(end.id)
                end = every.get(end.replaced_by)
            if end is None:
                problems.append(f"the conflict of {where} is gone from the server")
            elif end.resolved_at is None and end.customer_id is not None and not end.deleted:
                owners = [d for d in self.devices if d.rm_id == end.owner_rm_id]
                missing = [d.index for d in owners if end.id not in held[d.device_id]]
                if missing:
                    problems.append(
                        f"the open conflict {end.id} of {where} is not shown on the current "
                        f"owner's devices {missing}"
                    )
        return problems

    def _check_rejected(self) -> list[str]:
        """Every refused edit is in its device's rejected-edits list, with the RM's
        values, until the RM settled it."""
        problems: list[str] = []
        by_device = {d.device_id: d for d in self.devices}
        kept: dict[str, dict[int, dict[str, Any]]] = {}
        for device in self.devices:
            with device.cache.engine.connect() as local:
                kept[device.device_id] = {
                    int(r.mutation_id): json.loads(r.fields)
                    for r in local.execute(select(REJECTED.c.mutation_id, REJECTED.c.fields))
                }
        self.result.rejected_edits = max(
            self.result.rejected_edits, sum(len(k) for k in kept.values())
        )
        for (sender, mutation_id), sent in self.oracle.refused.items():
            device = by_device.get(sender)
            if device is None:
                continue
            fields = kept[sender].get(mutation_id)
            where = f"{sent.table} {sent.op} {sent.row_id} (device {device.index}#{mutation_id})"
            if fields is None:
                problems.append(f"the refused edit {where} is not in the rejected-edits list")
                continue
            for name, change in fields.items():
                if sent.fields.get(name, {}).get("new") != change.get("new"):
                    problems.append(
                        f"the rejected-edits list holds {name}={change.get('new')!r} for "
                        f"{where}, the RM sent {sent.fields.get(name)}"
                    )
        return problems


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _brief(report: SyncReport) -> str:
    return (
        f"pushed {report.pushed} pulled {report.pulled} boot {report.bootstrapped_rows} "
        f"conflicts {len(report.conflicts)} evicted {len(report.evicted)} "
        f"handed {len(report.handed_over)} converged {report.converged}"
    )


def _as_dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _live(conn: Connection, table: str) -> list[str]:
    t = Base.metadata.tables[table]
    return list(
        conn.execute(select(t.c.id).where(t.c.deleted == false()).order_by(t.c.id)).scalars()
    )


def _unsent(conn: Connection) -> dict[int, dict[str, Any]]:
    """The outbox entries not sent yet: what a local edit may still change."""
    out: dict[int, dict[str, Any]] = {}
    for e in conn.execute(select(OUTBOX).where(OUTBOX.c.sent_at.is_(None))):
        out[e.mutation_id] = {
            "mutation_id": e.mutation_id,
            "idempotency_key": e.idempotency_key,
            "table": e.table_name,
            "row_id": e.row_id,
            "op": e.op,
            "fields": {
                k: {"new": v.get("new"), "base": v.get("base")}
                for k, v in json.loads(e.fields).items()
            },
        }
    return out


def run_rounds(
    service_url: str,
    engine: Engine,
    *,
    rounds: int,
    seed: int,
    devices: int = 3,
    workdir: Path,
    config: HarnessConfig | None = None,
    progress: Callable[[HarnessResult], None] | None = None,
    progress_every: int = 100,
) -> HarnessResult:
    """Seed an EMPTY central CRM (``service_url``: its root or API base on loopback,
    ``engine``: its database) and play ``rounds`` rounds; raises HarnessFailure with
    the seed and round when a guarantee breaks. ``progress`` is called every
    ``progress_every`` rounds."""
    harness = Harness(
        service_url,
        engine,
        seed=seed,
        devices=devices,
        workdir=workdir,
        config=config or HarnessConfig(),
    )
    started = time.perf_counter()
    try:
        harness.converge()  # every device bootstraps once, without faults
        harness.check()
        for number in range(rounds):
            try:
                harness.play(number)
            except HarnessFailure:
                raise
            except Exception as exc:
                harness.fail(f"unexpected {exc!r}")
            harness.result.seconds = time.perf_counter() - started
            if progress is not None and (number + 1) % progress_every == 0:
                progress(harness.result)
    finally:
        harness.result.seconds = time.perf_counter() - started
        harness.close()
    return harness.result
