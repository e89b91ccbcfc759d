"""The central CRM's HTTP service: the sync protocol of ``rm_workbench.sync.wire`` under
``/api/v1``, plus the administrators' endpoints.

``create_app(database_url)`` returns a FastAPI application; the wire models are its
request and response models, so ``/openapi.json`` is the contract a bank implements
if it replaces this service (``/docs`` shows it). The process keeps no state of its
own: everything is in the database, so several processes can serve one PostgreSQL.

Endpoints are plain functions (FastAPI runs them in its thread pool): SQLAlchemy is
synchronous, and a request's work is a few short transactions. The push is the one
``async`` endpoint, only to queue in the event loop for a push lane
(:data:`DEFAULT_PUSH_LANES`) before it takes a thread.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated, Any

from anyio import Semaphore
from anyio.lowlevel import RunVar
from anyio.to_thread import current_default_thread_limiter
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from central_crm import admin, audit, auth, db, sync
from central_crm.api_models import (
    AssignRequest,
    AssignResponse,
    AuditAlarmList,
    CatalogRequest,
    CoreFeedRequest,
    CreateUserRequest,
    DemoBookRequest,
    DemoBookResponse,
    GcRequest,
    GcResponse,
    OkResponse,
    UpsertResponse,
)
from central_crm.auth import Principal
from central_crm.errors import ApiError, GzipRequestMiddleware, install_error_handlers
from rm_workbench.sync.wire import (
    API_PREFIX,
    MAX_SEQ,
    ChecksumResponse,
    ColumnarSnapshotPage,
    ConflictDetailList,
    ConflictList,
    ErrorBody,
    HelloRequest,
    HelloResponse,
    LoginRequest,
    LoginResponse,
    PullResponse,
    PushRequest,
    PushResponse,
    ResolveRequest,
    ResolveResult,
    SnapshotPage,
    UserInfo,
)

log = logging.getLogger("central_crm")

DEFAULT_TOKEN_TTL = timedelta(hours=8)
JSON = "application/json"
# Threads running the (plain ``def``) endpoints, per process. A push holds the
# counter's lock for its whole transaction; with anyio's default of 40 threads the
# lock holder waits for the GIL behind dozens of request threads at each round trip
# and pushes pile up behind it (bench/bench_service_load.py, 2 processes at 50
# syncs/s: p95 over a second with 40 threads, under 100 ms with 8). More throughput
# comes from more processes, not more threads.
DEFAULT_THREADS = 8

_THREADS_SET: RunVar[bool] = RunVar("central_crm_threads_set", default=False)
# Pushes of one process running at once; the others wait in the event loop. Every
# push waits for the counter's lock (one writer at a time in the whole service), and
# a push waiting there holds a request thread and a connection: with the threads
# all waiting for it, this process's hellos and pulls waited too
# (bench/bench_service_load.py). Two: one may prepare while another holds the lock.
DEFAULT_PUSH_LANES = 2
_PUSH_GATE: RunVar[Semaphore] = RunVar("central_crm_push_gate")


def _push_gate(lanes: int) -> Semaphore:
    """The push lanes of the running event loop."""
    try:
        return _PUSH_GATE.get()
    except LookupError:
        gate = Semaphore(lanes)
        _PUSH_GATE.set(gate)
        return gate


class ThreadLimitMiddleware:
    """Sets how many threads of the event loop run the endpoints (anyio's default
    limiter, which FastAPI uses for plain ``def`` endpoints), once per event loop."""

    def __init__(self, app: ASGIApp, threads: int) -> None:
        self.app = app
        self.threads = threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _THREADS_SET.get():
            current_default_thread_limiter().total_tokens = self.threads
            _THREADS_SET.set(True)
        await self.app(scope, receive, send)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request (invalid JSON, bad gzip, …)"},
    401: {"model": ErrorBody, "description": "Missing, unknown, expired or revoked token"},
    403: {"model": ErrorBody, "description": "Not allowed"},
    422: {"model": ErrorBody, "description": "The request does not match the schema"},
    500: {"model": ErrorBody, "description": "Internal error (logged, no details)"},
}

_bearer = HTTPBearer(auto_error=False, description="The token of POST /auth/login")


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials is not None else None


def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of a request (401 ErrorBody when the token is missing or no good)."""
    with db.read_begin(_engine(request)) as conn:
        return auth.authenticate(conn, _token(credentials))


def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise ApiError(
            403,
            "admin_only",
            "只有管理员可以执行此操作。 / Only an administrator may do this.",
        )
    return principal


Caller = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(admin_principal)]
# The sync endpoints every device calls at every sync take the bearer credentials and
# find the caller in their own first statement: a ``def`` dependency would be one more
# hop through the thread pool, and a transaction of its own three more round trips to
# the database, per request (bench/bench_service_load.py).
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def create_app(
    database_url: str = db.DEFAULT_URL,
    *,
    token_ttl: timedelta = DEFAULT_TOKEN_TTL,
    password_hasher: PasswordHasher | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
    gzip_level: int = 1,
    threads: int = DEFAULT_THREADS,
    push_lanes: int = DEFAULT_PUSH_LANES,
) -> FastAPI:
    """The service over ``database_url`` (or an existing ``engine``).

    ``migrate`` upgrades the schema first (idempotent; ``serve`` relies on it).
    ``password_hasher`` defaults to argon2id with argon2-cffi's parameters; tests may
    pass cheaper ones. ``gzip_level`` (0-9, 0: off) trades CPU for bytes on large
    answers. ``threads``: how many requests of this process run at once (see
    DEFAULT_THREADS); the others wait in the event loop. ``push_lanes``: how many of
    them may be pushes (see DEFAULT_PUSH_LANES; at most ``threads``).
    """
    engine = engine if engine is not None else db.make_engine(database_url)
    if migrate:
        db.migrate(engine)
    hasher = password_hasher or PasswordHasher()

    app = FastAPI(
        title="示范银行 central CRM",
        version="1.0",
        summary="Sync API of the RM workbench (protocol 1) and administration.",
        description=(sync.__doc__ or "").split("\n\n")[0],
    )
    app.state.engine = engine
    app.state.hasher = hasher
    install_error_handlers(app)
    # Outermost last: responses are gzipped; request bodies are inflated before routing.
    app.add_middleware(GzipRequestMiddleware)
    if gzip_level > 0:
        # Level 1 compresses JSON ~5x at a third of level 6's CPU: the service's CPU is
        # what limits a bootstrap, the bytes rarely are. 0 turns it off (loopback).
        app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=gzip_level)
    app.add_middleware(ThreadLimitMiddleware, threads=threads)

    def json_response(body: bytes) -> Response:
        return Response(content=body, media_type=JSON)

    # --- health and auth ----------------------------------------------------------

    @app.get(f"{API_PREFIX}/health", tags=["service"], summary="Liveness and sequence")
    def health() -> dict[str, Any]:
        with db.read_begin(engine) as conn:
            return {"ok": True, "server_seq": db.current_seq(conn)}

    @app.post(
        f"{API_PREFIX}/auth/login",
        response_model=LoginResponse,
        tags=["auth"],
        responses={**_ERRORS, 409: {"model": ErrorBody}},
    )
    def login(body: LoginRequest) -> LoginResponse:
        with db.write_begin(engine) as conn:
            return auth.login(conn, hasher, body, token_ttl)

    @app.post(
        f"{API_PREFIX}/auth/logout", response_model=OkResponse, tags=["auth"], responses=_ERRORS
    )
    def logout(principal: Caller) -> OkResponse:
        with db.write_begin(engine) as conn:
            auth.logout(conn, principal)
        return OkResponse()

    # --- sync ---------------------------------------------------------------------

    @app.post(
        f"{API_PREFIX}/sync/hello",
        response_model=HelloResponse,
        tags=["sync"],
        responses={**_ERRORS, 426: {"model": ErrorBody, "description": "Upgrade the workbench"}},
    )
    def hello(body: HelloRequest, credentials: Bearer) -> Response:
        # Serialized here: FastAPI would validate the answer again (every sync, twice).
        answer = sync.hello(engine, _token(credentials), body)
        return json_response(answer.model_dump_json().encode())

    @app.get(
        f"{API_PREFIX}/sync/snapshot",
        response_model=SnapshotPage | ColumnarSnapshotPage,
        tags=["sync"],
        responses=_ERRORS,
    )
    def snapshot(
        request: Request,
        credentials: Bearer,
        table: Annotated[str, Query(max_length=64)],
        after_id: Annotated[str | None, Query(max_length=36)] = None,
        limit: Annotated[
            int, Query(ge=1, le=sync.SNAPSHOT_MAX_LIMIT)
        ] = sync.SNAPSHOT_DEFAULT_LIMIT,
        protocol: Annotated[int, Query(ge=1, le=sync.PROTOCOL_MAX)] = 1,
    ) -> Response:
        """Protocol 2 clients ask with ``protocol=2`` for columnar pages."""
        principal = current_principal(request, credentials)
        body = sync.snapshot_body(engine, principal, table, after_id, limit, protocol)
        return json_response(body)

    @app.post(
        f"{API_PREFIX}/sync/push", response_model=PushResponse, tags=["sync"], responses=_ERRORS
    )
    async def push(body: PushRequest, credentials: Bearer) -> Response:
        def run() -> bytes:
            return sync.push(engine, _token(credentials), body).model_dump_json().encode()

        async with _push_gate(max(1, min(push_lanes, threads))):
            return json_response(await run_in_threadpool(run))

    @app.get(
        f"{API_PREFIX}/sync/pull", response_model=PullResponse, tags=["sync"], responses=_ERRORS
    )
    def pull(
        credentials: Bearer,
        cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)],
        limit: Annotated[int, Query(ge=1, le=sync.PULL_MAX_LIMIT)] = sync.PULL_DEFAULT_LIMIT,
    ) -> Response:
        return json_response(sync.pull_body(engine, _token(credentials), cursor, limit))

    @app.get(
        f"{API_PREFIX}/sync/checksums",
        response_model=ChecksumResponse,
        tags=["sync"],
        responses=_ERRORS,
    )
    def checksums(
        principal: Caller, protocol: Annotated[int, Query(ge=1, le=sync.PROTOCOL_MAX)] = 1
    ) -> ChecksumResponse:
        """Protocol 2 clients ask with ``protocol=2`` for the version digest."""
        return sync.checksums(engine, principal, protocol)

    @app.get(
        f"{API_PREFIX}/sync/conflicts",
        response_model=ConflictDetailList | ConflictList,
        tags=["sync"],
        responses=_ERRORS,
    )
    def conflicts(
        principal: Caller, protocol: Annotated[int, Query(ge=1, le=sync.PROTOCOL_MAX)] = 1
    ) -> ConflictList | ConflictDetailList:
        """The unresolved conflicts of the caller's customers; with ``protocol=3``,
        whose customer and who made each side."""
        return sync.list_conflicts(engine, principal, protocol)

    @app.post(
        f"{API_PREFIX}/sync/conflicts/{{conflict_id}}/resolve",
        response_model=ResolveResult,
        tags=["sync"],
        responses={
            **_ERRORS,
            404: {"model": ErrorBody},
            409: {"model": ErrorBody},
            422: {"model": ErrorBody},
        },
    )
    def resolve(
        conflict_id: Annotated[str, Path(max_length=36)],
        body: ResolveRequest,
        principal: Caller,
    ) -> ResolveResult:
        return sync.resolve_conflict(engine, principal, conflict_id, body.choice, body.seen)

    # --- admin --------------------------------------------------------------------

    admin_errors = {**_ERRORS, 409: {"model": ErrorBody}}

    @app.post(
        f"{API_PREFIX}/admin/users",
        response_model=UserInfo,
        tags=["admin"],
        responses=admin_errors,
    )
    def create_user(body: CreateUserRequest, _admin: Admin) -> UserInfo:
        with db.write_begin(engine) as conn:
            return auth.create_user(
                conn,
                hasher,
                username=body.username,
                password=body.password,
                display_name=body.display_name,
                role=body.role,
                rm_id=body.rm_id,
            )

    @app.post(
        f"{API_PREFIX}/admin/assign",
        response_model=AssignResponse,
        tags=["admin"],
        responses=admin_errors,
    )
    def assign(body: AssignRequest, _admin: Admin) -> AssignResponse:
        with db.write_begin(engine) as conn:
            return admin.assign(conn, body.customer_ids, body.rm_id)

    @app.post(
        f"{API_PREFIX}/admin/demo-book",
        response_model=DemoBookResponse,
        tags=["admin"],
        responses=admin_errors,
    )
    def demo_book(body: DemoBookRequest, _admin: Admin) -> DemoBookResponse:
        return admin.load_demo_book(engine, hasher, body)

    @app.post(
        f"{API_PREFIX}/admin/catalog",
        response_model=UpsertResponse,
        tags=["admin"],
        responses=admin_errors,
    )
    def catalog(body: CatalogRequest, _admin: Admin) -> UpsertResponse:
        with db.write_begin(engine) as conn:
            return admin.upsert_catalog(conn, body.products, body.bundles)

    @app.post(
        f"{API_PREFIX}/admin/core-feed",
        response_model=UpsertResponse,
        tags=["admin"],
        responses=admin_errors,
    )
    def core_feed(body: CoreFeedRequest, _admin: Admin) -> UpsertResponse:
        with db.write_begin(engine) as conn:
            return admin.core_feed(conn, body)

    @app.post(
        f"{API_PREFIX}/admin/gc", response_model=GcResponse, tags=["admin"], responses=admin_errors
    )
    def gc(body: GcRequest, _admin: Admin) -> GcResponse:
        with db.write_begin(engine) as conn:
            return admin.gc(conn, body.before_seq)

    @app.get(
        f"{API_PREFIX}/admin/audit-alarms",
        response_model=AuditAlarmList,
        tags=["admin"],
        responses=admin_errors,
    )
    def audit_alarms(
        _admin: Admin, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000
    ) -> AuditAlarmList:
        """Breaks of the devices' audit chains (missing, altered, reused or unchained
        audit entries), the newest ``limit``, oldest first."""
        return AuditAlarmList.model_validate({"alarms": audit.list_alarms(engine, limit=limit)})

    return app
