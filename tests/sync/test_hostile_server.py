"""A broken or hostile central CRM must not crash, hang or empty the workbench.

The real central service runs on loopback; a hostile proxy of the tests' own stands
between it and a real workbench (a cache file migrated to head, the real SyncService,
SyncClient and SyncEngine, real TCP). Every test first fills the cache by a real
bootstrap through the proxy, then lets the proxy misbehave in one way (a gzip bomb, a
runaway body, a server dripping a byte a second, a silent one, pages that never end,
a re-bootstrap whose download fails midway, absurd cursors, values of the wrong type,
a 100,000-deep error body, customers of another RM …) and checks what an RM would:

* the sync fails with a plain Chinese message (a WorkbenchError, no traceback), in
  bounded time (small limits configured here) and bounded memory (tracemalloc);
* the cache's data is unchanged (a digest of every synced table's rows) and usable;
* a later sync against the healthy server works (and proves convergence).

The limits are set as attributes after construction, so the same tests run against a
build without them (they failed there: see the commit that added them).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import socket
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, text

from central_crm.app import create_app
from central_crm.server import run_in_thread
from rm_contract.policy import SYNCED_TABLES
from rm_contract.wire import encode_row
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.db.search import search_customers
from rm_workbench.errors import WorkbenchError
from rm_workbench.models import Base
from rm_workbench.services.sync import SyncService
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport
from rm_workbench.sync.outbox import delete_row, insert_row, update_row
from tests.central.conftest import FAST_HASHER, PASSWORD, Book, Service, fetch, reset, seed

API = "/api/v1"
# Small limits for the hostile syncs (the defaults are minutes and 64 MiB).
REQUEST_TIMEOUT = 2.0
SYNC_TIMEOUT = 4.0
MAX_ANSWER = 2**20
# What a hostile sync may cost at most.
MEMORY_BOUND = 48 * 2**20
# A misbehaving server of these tests gives up after this long, so that a build
# without deadlines fails the time bound instead of hanging the suite.
GIVE_UP = 25.0
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the real service, and a hostile proxy in front of it -------------------------------


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile-central') / 'central.db'}"
    app = create_app(url, password_hasher=FAST_HASHER)
    running = run_in_thread(app)
    try:
        yield Service("sqlite", running.base_url, app.state.engine, running.root)
    finally:
        running.stop()
        app.state.engine.dispose()


class Exchange:
    """One request the proxy received: forward it, or answer it some other way."""

    def __init__(self, proxy: HostileProxy, handler: BaseHTTPRequestHandler, body: bytes):
        self.proxy = proxy
        self.handler = handler
        self.method = handler.command
        self.path = handler.path
        self.route = handler.path.split("?", 1)[0]
        self.body = body

    def forward(self) -> tuple[int, str, bytes]:
        headers = {
            k: v
            for k, v in self.handler.headers.items()
            if k.lower() in ("authorization", "content-type", "content-encoding")
        }
        headers["Accept-Encoding"] = "identity"
        answer = self.proxy.session.request(
            self.method,
            self.proxy.upstream + self.path,
            data=self.body or None,
            headers=headers,
            timeout=60,
        )
        return answer.status_code, answer.headers.get("Content-Type", ""), answer.content

    def answer(
        self,
        status: int,
        body: bytes,
        kind: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", kind)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def answer_json(self, value: Any, status: int = 200) -> None:
        self.answer(status, json.dumps(value, ensure_ascii=False).encode())

    def relay(self) -> None:
        status, kind, body = self.forward()
        self.answer(status, body, kind or "application/json")

    def forwarded_json(self) -> Any:
        status, _kind, body = self.forward()
        assert status == 200, body[:300]
        return json.loads(body)

    def raw(self, data: bytes) -> None:
        self.handler.wfile.write(data)
        self.handler.wfile.flush()


Rule = Callable[[Exchange], None]


class HostileProxy:
    """Relays every request to the real service, except those a rule takes over
    (``rules[route]``, route = the path without the query)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.session = requests.Session()
        self.rules: dict[str, Rule] = {}
        self.counts: Counter[str] = Counter()
        self.closed = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                exchange = Exchange(proxy, self, body)
                proxy.counts[exchange.route] += 1
                rule = proxy.rules.get(exchange.route)
                # The client may give up in the middle: what it should do.
                with contextlib.suppress(ConnectionError):
                    (rule or Exchange.relay)(exchange)
                self.close_connection = True

            do_GET = do_POST = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def heal(self) -> None:
        self.rules.clear()

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()
        self.session.close()


# --- a workbench filled by a real bootstrap ---------------------------------------------


def digest(cache: Cache) -> str:
    """Every synced table's rows, as stored."""
    hashed = hashlib.sha256()
    with cache.engine.connect() as conn:
        for table in SYNCED_TABLES:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY id').all()
            hashed.update(f"{table}:{[tuple(r) for r in rows]!r}".encode())
    return hashed.hexdigest()


def counts(cache: Cache) -> dict[str, int]:
    with cache.engine.connect() as conn:
        return {
            t: conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar_one()
            for t in SYNCED_TABLES
        }


@dataclass
class World:
    central: Service
    book: Book
    proxy: HostileProxy
    cache: Cache
    service: SyncService
    rm_id: str
    before: str = ""

    def client(self) -> SyncClient:
        """A real client with small limits (set as attributes)."""
        client = SyncClient(
            self.proxy.url,
            token=self.service.token_for(self.proxy.url),
            timeout=(2.0, 3.0),
            retries=2,
            backoff=0.05,
        )
        client.request_timeout = REQUEST_TIMEOUT
        client.max_answer_bytes = MAX_ANSWER
        return client

    def engine(self, client: SyncClient, **kwargs: Any) -> SyncEngine:
        engine = SyncEngine(self.cache, client, verify_every=None, **kwargs)
        engine.rm_id = self.rm_id
        engine.sync_timeout = SYNC_TIMEOUT
        engine.SNAPSHOT_LIMIT = 2  # several pages even for the small book
        return engine

    def customer_row(self, key: str) -> dict[str, Any]:
        """A customer of the cache as the server would send it (wire form)."""
        table = Base.metadata.tables["customer"]
        with self.cache.engine.connect() as conn:
            row = conn.execute(
                select(table).where(table.c.id == self.book.customers[key])
            ).mappings()
            return encode_row("customer", dict(row.one()))

    def cursor(self) -> int:
        with self.cache.engine.connect() as conn:
            return int(
                conn.execute(text("SELECT value FROM sync_state WHERE key = 'cursor'")).scalar()
                or 0
            )


@pytest.fixture
def world(central: Service, tmp_path: Path, memory_keyring: Any) -> Iterator[World]:
    reset(central.engine)
    book = seed(central.engine)
    proxy = HostileProxy(central.root)
    cache = open_cache(tmp_path / "cache.db")
    service = SyncService(cache, "hostile")
    try:
        user = service.login(proxy.url, "alice", PASSWORD)
        assert user.rm_id == book.rms["a"]
        report = service.sync(verify=True)
        assert report.bootstrapped and report.converged is True
        made = World(central, book, proxy, cache, service, user.rm_id)
        made.before = digest(cache)
        proxy.counts.clear()
        yield made
    finally:
        proxy.close()
        cache.dispose()


@dataclass
class Outcome:
    error: BaseException | None
    seconds: float
    peak: int


def attempt(sync: Callable[[], Any]) -> Outcome:
    """Run one hostile sync, measuring time and the peak of Python allocations."""
    tracemalloc.start()
    started = time.monotonic()
    error: BaseException | None = None
    try:
        sync()
    except BaseException as exc:  # judged by the caller: anything but a WorkbenchError fails
        error = exc
    seconds = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Outcome(error, seconds, peak)


def assert_refused(
    world: World,
    outcome: Outcome,
    *,
    seconds: float,
    says: tuple[str, ...] = (),
) -> WorkbenchError:
    """The sync failed in time and memory with a plain Chinese message, the cache's data
    is unchanged and readable, and a sync with the healed server works."""
    error = outcome.error
    assert isinstance(error, WorkbenchError), f"not a WorkbenchError: {error!r:.2000}"
    message = error.user_message
    assert CJK.search(message) and "Traceback" not in message and "\n" not in message, message
    for part in says:
        assert part in message, message
    assert outcome.seconds < seconds, f"took {outcome.seconds:.1f} s: {message}"
    assert outcome.peak < MEMORY_BOUND, f"peak {outcome.peak / 2**20:.0f} MiB"
    assert digest(world.cache) == world.before, "the cache's data changed"
    with world.cache.engine.connect() as conn:
        assert [hit.name for hit in search_customers(conn, "zs")] == ["张三"]
    world.proxy.heal()
    report = world.service.sync(verify=True)
    assert report.converged is True, report.mismatched_tables
    return error


def hostile_sync(world: World, **kwargs: Any) -> Outcome:
    client = world.client()
    try:
        return attempt(lambda: world.engine(client, **kwargs).run())
    finally:
        client.close()


# --- answers that would exhaust memory ----------------------------------------------------

BOMB = gzip.compress(b"\0" * (256 * 2**20), compresslevel=9)  # 256 MiB in ~250 KiB


def test_a_gzip_bomb_is_refused_after_reading_the_limit(world: World) -> None:
    assert len(BOMB) < MAX_ANSWER

    def bomb(exchange: Exchange) -> None:
        exchange.answer(200, BOMB, headers={"Content-Encoding": "gzip"})

    world.proxy.rules[f"{API}/sync/pull"] = bomb
    outcome = hostile_sync(world)
    assert world.proxy.counts[f"{API}/sync/pull"] == 1  # not retried
    assert_refused(world, outcome, seconds=10, says=("超过了允许的大小",))


CHUNK = b" " * 2**20


@pytest.mark.parametrize("declared", [True, False], ids=["with-length", "without-length"])
def test_a_200_mb_body_is_refused(world: World, declared: bool) -> None:
    size = 200 * 2**20

    def runaway(exchange: Exchange) -> None:
        h = exchange.handler
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if declared:
            h.send_header("Content-Length", str(size))
        h.end_headers()
        exchange.raw(b'{"items": [')
        for _ in range(size // len(CHUNK)):
            if world.proxy.closed.is_set():
                return
            h.wfile.write(CHUNK)

    world.proxy.rules[f"{API}/sync/pull"] = runaway
    outcome = hostile_sync(world)
    assert_refused(world, outcome, seconds=10, says=("超过了允许的大小",))


# --- answers that would hold a sync -----------------------------------------------------


def _drip(exchange: Exchange, data: bytes) -> None:
    """Send ``data`` a byte a second, giving up after GIVE_UP seconds."""
    started = time.monotonic()
    for byte in data:
        if world_closed(exchange) or time.monotonic() - started > GIVE_UP:
            return
        exchange.raw(bytes([byte]))
        time.sleep(1.0)


def world_closed(exchange: Exchange) -> bool:
    return exchange.proxy.closed.is_set()


def test_a_server_dripping_its_headers_a_byte_a_second_is_cut_off(world: World) -> None:
    page = b'{"items": [], "next_cursor": 1, "has_more": false}'
    head = (
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(page)}\r\n\r\n".encode()
    )
    world.proxy.rules[f"{API}/sync/pull"] = lambda exchange: _drip(exchange, head + page)
    outcome = hostile_sync(world)
    assert_refused(world, outcome, seconds=REQUEST_TIMEOUT + 3, says=("超时",))


def test_a_server_dripping_its_body_a_byte_a_second_is_cut_off(world: World) -> None:
    page = b'{"items": [], "next_cursor": 1, "has_more": false}' + b" " * 100

    def slow_body(exchange: Exchange) -> None:
        h = exchange.handler
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(page)))
        h.end_headers()
        h.wfile.flush()
        _drip(exchange, page)

    world.proxy.rules[f"{API}/sync/pull"] = slow_body
    outcome = hostile_sync(world)
    assert_refused(world, outcome, seconds=REQUEST_TIMEOUT + 3, says=("超时",))


def test_a_silent_server_fails_within_the_request_deadline(world: World) -> None:
    def silent(exchange: Exchange) -> None:
        world.proxy.closed.wait(GIVE_UP)

    world.proxy.rules[f"{API}/sync/pull"] = silent
    outcome = hostile_sync(world)
    # Three attempts of a 3 s read timeout would be 9 s: the call's deadline is 2 s.
    assert_refused(world, outcome, seconds=REQUEST_TIMEOUT + 3, says=("超时",))


def test_more_pages_that_never_move_are_refused_at_once(world: World) -> None:
    started = time.monotonic()

    def stuck(exchange: Exchange) -> None:
        cursor = int(exchange.path.split("cursor=")[1].split("&")[0])
        more = time.monotonic() - started < GIVE_UP
        exchange.answer_json({"items": [], "next_cursor": cursor, "has_more": more})

    world.proxy.rules[f"{API}/sync/pull"] = stuck
    outcome = hostile_sync(world)
    assert world.proxy.counts[f"{API}/sync/pull"] == 1
    assert_refused(world, outcome, seconds=5, says=("没有前进",))


def test_more_pages_forever_stop_at_the_sync_deadline(world: World) -> None:
    """Each page moves the cursor by one (progress, of a kind): the sync's deadline
    ends it."""
    started = time.monotonic()

    def endless(exchange: Exchange) -> None:
        cursor = int(exchange.path.split("cursor=")[1].split("&")[0])
        more = time.monotonic() - started < GIVE_UP
        exchange.answer_json({"items": [], "next_cursor": cursor + 1, "has_more": more})

    world.proxy.rules[f"{API}/sync/pull"] = endless
    outcome = hostile_sync(world)
    assert_refused(world, outcome, seconds=SYNC_TIMEOUT + 3, says=("规定时间",))


# --- a re-bootstrap whose download fails midway ---------------------------------------


def _must_bootstrap(tables: list[str] | None = None) -> Rule:
    """The hello of a server that tells the device to download everything again."""

    def hello(exchange: Exchange) -> None:
        answer = exchange.forwarded_json()
        answer.update(
            must_bootstrap=True,
            bootstrap_reason="总行数据已重建",
            snapshot_seq=answer["server_seq"],
        )
        if tables is not None:
            answer["tables"] = tables
        exchange.answer_json(answer)

    return hello


def _html(exchange: Exchange) -> None:
    exchange.answer(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")


def _bad_page(exchange: Exchange) -> None:
    exchange.answer_json({"table": "customer", "rows": "nope"})


def _bomb(exchange: Exchange) -> None:
    exchange.answer(200, BOMB, headers={"Content-Encoding": "gzip"})


def _drop(exchange: Exchange) -> None:
    h = exchange.handler
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    exchange.raw(b'{"table": "customer", "snapshot_seq": 5, "columns": ["id"], "rows": [')
    h.connection.shutdown(socket.SHUT_RDWR)


FAILURES: dict[str, tuple[Rule, str]] = {
    "html": (_html, "无法识别的应答"),
    "bad-page": (_bad_page, "格式不正确"),
    "bomb": (_bomb, "超过了允许的大小"),
    "drop": (_drop, "不完整"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_rebootstrap_that_fails_midway_keeps_the_data_and_a_healthy_one_swaps_in(
    world: World, failure: str
) -> None:
    rule, says = FAILURES[failure]
    pages = 0
    broken: list[str] = []

    def snapshot(exchange: Exchange) -> None:
        nonlocal pages
        pages += 1
        if pages <= 4:  # branch, managers, products … then the download breaks
            exchange.relay()
        else:
            broken.append(exchange.path)
            rule(exchange)

    world.proxy.rules[f"{API}/sync/hello"] = _must_bootstrap()
    world.proxy.rules[f"{API}/sync/snapshot"] = snapshot
    outcome = hostile_sync(world)
    assert pages > 4, "the download did not get to the broken page"
    # While it is broken, every sync says so and the cache keeps everything.
    error = outcome.error
    assert isinstance(error, WorkbenchError), repr(error)
    assert says in error.user_message, error.user_message
    assert CJK.search(error.user_message) and outcome.seconds < 10
    assert outcome.peak < MEMORY_BOUND
    assert digest(world.cache) == world.before
    status = world.service.status()
    assert status.pending_edits == 0 and status.server_url == world.proxy.url
    # The bank changes a customer meanwhile: the healthy re-bootstrap brings it, in
    # full, and the cache converges.
    with world.central.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE customer SET occupation = '律师', version = version + 1000 WHERE id = ?",
            (world.book.customers["a1"],),
        )
        conn.exec_driver_sql("UPDATE sync_counter SET value = value + 1000")
    # The hello still asks for a bootstrap; the download goes on where it stopped.
    resumed: list[str] = []

    def healthy(exchange: Exchange) -> None:
        resumed.append(exchange.path)
        exchange.relay()

    world.proxy.rules[f"{API}/sync/snapshot"] = healthy
    report = world.engine(world.client()).run(verify=True)
    assert report.bootstrapped and report.converged is True, report.mismatched_tables
    assert resumed[0] == broken[0], "not resumed at the page that failed"
    assert counts(world.cache)["customer"] == 2
    with world.cache.engine.connect() as conn:
        occupation = conn.exec_driver_sql(
            "SELECT occupation FROM customer WHERE id = ?", (world.book.customers["a1"],)
        ).scalar()
        assert occupation == "律师"
        assert [hit.name for hit in search_customers(conn, "zs")] == ["张三"]
    world.proxy.heal()
    assert world.service.sync(verify=True).converged is True


def test_edits_made_during_a_rebootstrap_survive_the_swap(world: World) -> None:
    """Edits the RM makes while the staging copy downloads (still queued at the swap)
    are kept exactly as a pull keeps them: a field edit, an insert and a delete."""
    book = world.book
    a1, a2 = book.customers["a1"], book.customers["a2"]
    made: dict[str, str] = {}

    def edit(stage: str, done: int, _total: int | None) -> None:
        if stage != "bootstrap" or made:
            return
        with world.cache.engine.begin() as conn:
            update_row(conn, "customer", a1, {"occupation": "医生"})
            made["need"] = insert_row(
                conn,
                "need",
                {
                    "need_no": "N-LOCAL-1",
                    "customer_id": a1,
                    "category": "retirement",
                    "started_on": date(2026, 11, 20),
                    "summary": "本机新增的需求",
                    "status": "open",
                    "severity": "normal",
                    "urgency": "high",
                },
            )
            delete_row(conn, "visit", book.rows["a2"]["visit"])

    with world.cache.engine.begin() as conn:  # a print recorded (and pushed) before
        conn.exec_driver_sql(
            "INSERT INTO audit_log (id, at, user_name, action, version, deleted, created_at,"
            " updated_at) VALUES ('audit-local-1', ?, 'alice', 'print', 3, 0, ?, ?)",
            ("2026-11-22T01:00:00.000000+00:00",) * 3,
        )
    world.proxy.rules[f"{API}/sync/hello"] = _must_bootstrap()
    client = world.client()
    report: SyncReport = world.engine(client, progress=edit).run()
    assert report.bootstrapped and made
    assert not world.cache.path.with_name(world.cache.path.name + ".staging").exists()
    with world.cache.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT occupation FROM customer WHERE id = ?", (a1,)).scalar()
        assert row == "医生"
        assert (
            conn.exec_driver_sql("SELECT summary FROM need WHERE id = ?", (made["need"],)).scalar()
            == "本机新增的需求"
        )
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM visit WHERE id = ?", (book.rows["a2"]["visit"],)
            ).scalar()
            == 0
        )
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar() == 3
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE id = 'audit-local-1'"
        ).scalar()
        assert conn.exec_driver_sql("SELECT count(*) FROM customer WHERE id = ?", (a2,)).scalar()
    world.proxy.heal()
    after = world.service.sync(verify=True)
    assert after.pushed == 3 and after.converged is True


# --- values and positions that must not be stored --------------------------------------


def _pull_answer(world: World, items: list[dict[str, Any]], next_cursor: int) -> Rule:
    def answer(exchange: Exchange) -> None:
        exchange.answer_json({"items": items, "next_cursor": next_cursor, "has_more": False})

    return answer


@pytest.mark.parametrize("cursor", [10**30, -5], ids=["huge", "negative"])
def test_an_absurd_cursor_is_refused_and_later_syncs_work(world: World, cursor: int) -> None:
    kept = world.cursor()
    world.proxy.rules[f"{API}/sync/pull"] = _pull_answer(world, [], cursor)
    outcome = attempt(lambda: world.service.sync())
    assert world.cursor() == kept
    assert_refused(world, outcome, seconds=10, says=("格式不正确",))


def test_a_cursor_going_back_is_refused(world: World) -> None:
    kept = world.cursor()
    world.proxy.rules[f"{API}/sync/pull"] = _pull_answer(world, [], kept - 1)
    outcome = attempt(lambda: world.service.sync())
    assert world.cursor() == kept
    assert_refused(world, outcome, seconds=10, says=("倒退",))


def _changed(world: World, key: str, **values: Any) -> list[dict[str, Any]]:
    row = world.customer_row(key)
    row.update(version=row["version"] + 1000, **values)
    return [{"seq": world.cursor() + 1, "kind": "row", "table": "customer", "row": row}]


def test_deleted_as_a_string_is_refused_not_a_deletion(world: World) -> None:
    items = _changed(world, "a1", deleted="false")
    world.proxy.rules[f"{API}/sync/pull"] = _pull_answer(world, items, world.cursor() + 1)
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("客户", "deleted"))


@pytest.mark.parametrize("amount", ["1E+30", "abc"])
def test_an_absurd_amount_in_a_pulled_row_is_refused(world: World, amount: str) -> None:
    items = _changed(world, "a1", aum=amount)
    world.proxy.rules[f"{API}/sync/pull"] = _pull_answer(world, items, world.cursor() + 1)
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("客户", "aum"))


def _tampered_snapshot(change: Callable[[dict[str, Any]], None]) -> Rule:
    """Snapshot pages as the service sends them, the customer pages changed."""

    def snapshot(exchange: Exchange) -> None:
        page = exchange.forwarded_json()
        if page["table"] == "customer" and page["rows"]:
            change(page)
        exchange.answer_json(page)

    return snapshot


@pytest.mark.parametrize("amount", ["1E+30", "abc"])
def test_an_absurd_amount_in_a_snapshot_page_is_refused(world: World, amount: str) -> None:
    def spoil(page: dict[str, Any]) -> None:
        page["rows"][0][page["columns"].index("aum")] = amount

    world.proxy.rules[f"{API}/sync/hello"] = _must_bootstrap()
    world.proxy.rules[f"{API}/sync/snapshot"] = _tampered_snapshot(spoil)
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("客户", "aum"))


@pytest.mark.parametrize("status", [500, 400])
def test_a_100000_deep_error_body_is_no_crash(world: World, status: int) -> None:
    deep = b'{"code": "x", "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    def answer(exchange: Exchange) -> None:
        exchange.answer(status, deep)

    world.proxy.rules[f"{API}/sync/pull"] = answer
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=15)


def test_no_tables_to_download_is_refused_before_anything_is_written(world: World) -> None:
    world.proxy.rules[f"{API}/sync/hello"] = _must_bootstrap(tables=[])
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("数据表清单有误",))


@pytest.mark.parametrize("owner", ["none", "other"])
def test_a_pulled_customer_of_no_rm_or_another_rm_is_refused(world: World, owner: str) -> None:
    rm_id = None if owner == "none" else world.book.rms["b"]
    items = _changed(world, "a1", rm_id=rm_id, name="别人的客户")
    world.proxy.rules[f"{API}/sync/pull"] = _pull_answer(world, items, world.cursor() + 1)
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("不在您的客户名单中",))


@pytest.mark.parametrize("owner", ["none", "other"])
def test_a_snapshot_customer_of_no_rm_or_another_rm_is_refused(world: World, owner: str) -> None:
    rm_id = None if owner == "none" else world.book.rms["b"]

    def spoil(page: dict[str, Any]) -> None:
        page["rows"][-1][page["columns"].index("rm_id")] = rm_id

    world.proxy.rules[f"{API}/sync/hello"] = _must_bootstrap()
    world.proxy.rules[f"{API}/sync/snapshot"] = _tampered_snapshot(spoil)
    outcome = attempt(lambda: world.service.sync())
    assert_refused(world, outcome, seconds=10, says=("不在您的客户名单中",))


def test_a_damaged_stored_cursor_heals_with_a_bootstrap(world: World) -> None:
    """A cursor an earlier build stored from a hostile server (10**30): the next sync
    asks for a bootstrap instead of failing for ever."""
    with world.cache.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sync_state SET value = ? WHERE key = 'cursor'", (str(10**30),))
    report = world.service.sync(verify=True)
    assert report.bootstrapped and report.converged is True
    assert digest(world.cache) == world.before
    assert 0 < world.cursor() < 10**6


def test_the_staging_copy_of_an_encrypted_cache_is_encrypted(
    central: Service, tmp_path: Path, memory_keyring: Any
) -> None:
    """SQLCipher: the staging copy of a re-bootstrap is ATTACHed with the cache's key,
    so what lies on disk while a download is unfinished is encrypted too."""
    reset(central.engine)
    seed(central.engine)
    proxy = HostileProxy(central.root)
    path = tmp_path / "encrypted.db"
    cache = open_cache(path, "ab" * 32)
    try:
        service = SyncService(cache, "hostile-encrypted")
        service.login(proxy.url, "alice", PASSWORD)
        assert service.sync(verify=True).converged is True
        before = digest(cache)
        pages = 0

        def snapshot(exchange: Exchange) -> None:
            nonlocal pages
            pages += 1
            if pages <= 6:
                exchange.relay()
            else:
                _html(exchange)

        proxy.rules[f"{API}/sync/hello"] = _must_bootstrap()
        proxy.rules[f"{API}/sync/snapshot"] = snapshot
        with pytest.raises(WorkbenchError):
            service.sync()
        staging = Path(f"{path}.staging")
        assert staging.exists() and staging.stat().st_size > 0
        with staging.open("rb") as handle:
            assert handle.read(16) != b"SQLite format 3\x00"
        assert digest(cache) == before
        proxy.heal()
        report = service.sync(verify=True)
        assert report.bootstrapped and report.converged is True
        assert not staging.exists()
    finally:
        proxy.close()
        cache.dispose()


# --- conflicts: the list and the push's answers are checked like every pulled value ------


def _spoiled_conflict(world: World, **values: Any) -> dict[str, Any]:
    conflict = {
        "conflict_id": "c0ffee00-0000-4000-8000-000000000001",
        "table": "customer",
        "row_id": world.book.customers["a1"],
        "field": "occupation",
        "base": "教师",
        "theirs": "医生",
        "yours": "律师",
    }
    conflict.update(values)
    return conflict


@pytest.mark.parametrize(
    "spoil",
    [{"field": "aum", "theirs": "1E+30"}, {"field": "no_such_field"}, {"table": "app_user"}],
    ids=["absurd-amount", "unknown-field", "unknown-table"],
)
def test_a_conflict_list_that_does_not_fit_is_refused(world: World, spoil: dict[str, Any]) -> None:
    conflict = _spoiled_conflict(world, **spoil)

    def listing(exchange: Exchange) -> None:
        exchange.answer_json({"conflicts": [conflict]})

    world.proxy.rules[f"{API}/sync/conflicts"] = listing
    outcome = attempt(lambda: world.service.sync())
    with world.cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM local_conflict").scalar_one() == 0
    assert_refused(world, outcome, seconds=10, says=("冲突记录格式有误",))


def test_a_push_answered_with_a_conflict_that_does_not_fit_keeps_the_edit(world: World) -> None:
    a1 = world.book.customers["a1"]
    with world.cache.engine.begin() as conn:
        update_row(conn, "customer", a1, {"occupation": "建筑师"})
    world.before = digest(world.cache)
    conflict = _spoiled_conflict(world, field="aum", theirs="1E+30")

    def push(exchange: Exchange) -> None:
        body = json.loads(
            gzip.decompress(exchange.body) if exchange.body[:2] == b"\x1f\x8b" else exchange.body
        )
        results = [
            {"mutation_id": m["mutation_id"], "status": "conflict", "conflicts": [conflict]}
            for m in body["mutations"]
        ]
        exchange.answer_json({"results": results})

    world.proxy.rules[f"{API}/sync/push"] = push
    outcome = attempt(lambda: world.service.sync())
    with world.cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar_one() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM local_conflict").scalar_one() == 0
    assert_refused(world, outcome, seconds=10, says=("冲突记录格式有误",))
    with world.cache.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar_one() == 0
    # The edit went through once the server was healthy.
    assert fetch(world.central.engine, "customer", a1)["occupation"] == "建筑师"  # type: ignore[index]
