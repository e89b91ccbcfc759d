"""The central CRM's HTTP service: the sync protocol of ``rm_contract.wire`` under
``/api/v1``, plus the administrators' endpoints.

``create_app(database_url)`` returns a FastAPI application; the wire models are its
request and response models, so ``/openapi.json`` is the contract a bank implements
if it replaces this service (``/docs`` shows it). The process keeps no state of its
own: everything is in the database, so several processes can serve one PostgreSQL.

Endpoints are plain functions (FastAPI runs them in its thread pool): SQLAlchemy is
synchronous, and a request's work is a few short transactions. The push and the
login are the ``async`` endpoints, only to queue in the event loop for a push lane
(:data:`DEFAULT_PUSH_LANES`) or a password check's lane (:data:`DEFAULT_LOGIN_LANES`)
before they take a thread.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any

from anyio import Semaphore, move_on_after
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
    AccountResponse,
    AssignRequest,
    AssignResponse,
    AuditAlarmList,
    CatalogRequest,
    CoreFeedRequest,
    CreateUserRequest,
    GcRequest,
    GcResponse,
    OkResponse,
    SetPasswordRequest,
    UpsertResponse,
)
from central_crm.auth import Principal
from central_crm.errors import ApiError, GzipRequestMiddleware, install_error_handlers
from central_crm.security import BodyLimits, RequestGuardMiddleware, SecurityHeadersMiddleware
from central_crm.sync import conflicts as sync_conflicts
from central_crm.sync import push as sync_push
from central_crm.sync import read as sync_read
from central_crm.throttle import DEFAULT_POLICY, LoginPolicy
from rm_contract.rows import describe_rows
from rm_contract.wire import (
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


# Password checks of one process running at once (argon2 is CPU- and memory-bound on
# purpose: 96 at once starved every other request). The others wait in the event
# loop, holding no thread, at most ``login_wait`` seconds, then get 503 with
# Retry-After.
DEFAULT_LOGIN_LANES = 2
DEFAULT_LOGIN_WAIT = 5.0
BUSY_RETRY_AFTER = 2
_LOGIN_GATE: RunVar[Semaphore] = RunVar("central_crm_login_gate")


def _login_gate(lanes: int) -> Semaphore:
    """The login lanes of the running event loop."""
    try:
        return _LOGIN_GATE.get()
    except LookupError:
        gate = Semaphore(lanes)
        _LOGIN_GATE.set(gate)
        return gate


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


class CentralApp(FastAPI):
    """The FastAPI application with the security headers outside everything else, so
    that even the answers of Starlette's own error middleware (500) carry them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())

    def openapi(self) -> dict[str, Any]:
        """The document, with a typed model of every synced table's row (the wire
        models carry rows as objects: rm_contract.rows)."""
        if self.openapi_schema is None:
            self.openapi_schema = describe_rows(super().openapi())
        return self.openapi_schema


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request (invalid JSON, bad gzip, …)"},
    401: {"model": ErrorBody, "description": "Missing, unknown, expired or revoked token"},
    403: {"model": ErrorBody, "description": "Not allowed"},
    413: {"model": ErrorBody, "description": "The request body is too large"},
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
    """The caller of a request (401 ErrorBody when the token is missing or no good);
    found already when the request carried a body (security.RequestGuardMiddleware
    checks the token before reading it)."""
    checked = getattr(request.state, "principal", None)
    if isinstance(checked, Principal):
        return checked
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
# The login an administrator acts on (``/admin/users/{username}/…``).
UserName = Annotated[str, Path(min_length=1, max_length=64)]


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
    login_policy: LoginPolicy = DEFAULT_POLICY,
    login_lanes: int = DEFAULT_LOGIN_LANES,
    login_wait: float = DEFAULT_LOGIN_WAIT,
    body_limits: BodyLimits | None = None,
) -> FastAPI:
    """The service over ``database_url`` (or an existing ``engine``).

    ``migrate`` upgrades the schema first (idempotent; ``serve`` relies on it).
    ``password_hasher`` defaults to argon2id with argon2-cffi's parameters; tests may
    pass cheaper ones. ``gzip_level`` (0-9, 0: off) trades CPU for bytes on large
    answers. ``threads``: how many requests of this process run at once (see
    DEFAULT_THREADS); the others wait in the event loop. ``push_lanes``: how many of
    them may be pushes (see DEFAULT_PUSH_LANES; at most ``threads``).
    ``login_policy``: the throttle and lockout of failed logins
    (:mod:`central_crm.throttle`); ``login_lanes``: password checks at once, and
    ``login_wait``: how long a login waits for a lane before 503 (see
    DEFAULT_LOGIN_LANES). ``body_limits``: the largest request body per endpoint
    (see central_crm.security.BodyLimits).
    """
    engine = engine if engine is not None else db.make_engine(database_url)
    if migrate:
        db.migrate(engine)
    hasher = password_hasher or PasswordHasher()
    # What an unknown user name's password is checked against: the same argon2 work
    # as a real user's, so the answer time does not tell which names exist.
    dummy_hash = hasher.hash(secrets.token_urlsafe(16))
    login_lanes = max(1, min(login_lanes, threads - 1)) if threads > 1 else 1

    app = CentralApp(
        title="示范银行 central CRM",
        version="1.0",
        summary="Sync API of the RM workbench (protocol 1) and administration.",
        description=(sync.__doc__ or "").split("\n\n")[0],
    )
    app.state.engine = engine
    app.state.hasher = hasher
    install_error_handlers(app)
    # Outermost last: responses are gzipped; a request's token is checked before its
    # body is read, the body capped, then inflated before routing.
    app.add_middleware(GzipRequestMiddleware)
    app.add_middleware(RequestGuardMiddleware, engine=engine, limits=body_limits)
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
        responses={
            **_ERRORS,
            403: {"model": ErrorBody, "description": "Account locked or disabled"},
            409: {"model": ErrorBody},
            429: {"model": ErrorBody, "description": "Too many failed logins (Retry-After)"},
            503: {"model": ErrorBody, "description": "Too many logins at once (Retry-After)"},
        },
    )
    async def login(body: LoginRequest, request: Request) -> LoginResponse:
        """Three short steps, the password checked outside any transaction: the
        throttle admits the attempt (or answers 429/403), the argon2 check runs in one
        of the process's login lanes (or 503 after a short wait), then the token is
        issued or the failure counted. An unknown user name costs the same."""
        address = request.client.host if request.client else "unknown"

        def admit() -> auth.LoginCandidate:
            with db.write_begin(engine) as conn:
                return auth.login_admit(conn, body, address, login_policy, dummy_hash)

        candidate = await run_in_threadpool(admit)
        checked: tuple[bool, str | None] | None = None
        with move_on_after(login_wait):
            async with _login_gate(login_lanes):
                checked = await run_in_threadpool(verify, candidate.stored_hash, body.password)
        if checked is None:
            await run_in_threadpool(_release, body)
            raise ApiError(
                503,
                "login_busy",
                f"登录请求过多，请在 {BUSY_RETRY_AFTER} 秒后再试。 "
                f"/ Too many logins at once; try again in {BUSY_RETRY_AFTER} s.",
                headers={"Retry-After": str(BUSY_RETRY_AFTER)},
            )
        right, new_hash = checked
        user_id = candidate.user_id
        if not right or user_id is None:

            def fail() -> None:
                with db.write_begin(engine) as conn:
                    auth.login_failed(conn, body, address, login_policy)

            await run_in_threadpool(fail)
            raise auth.bad_credentials()

        def finish() -> LoginResponse | ApiError:
            with db.write_begin(engine) as conn:
                return auth.login_finish(conn, body, user_id, new_hash, token_ttl)

        answer = await run_in_threadpool(finish)
        if isinstance(answer, ApiError):
            raise answer
        return answer

    def verify(stored: str, password: str) -> tuple[bool, str | None]:
        """The argon2 check (argon2-cffi releases the GIL), and the new hash of a
        right password whose hash has older parameters."""
        if not auth.check_password(hasher, stored, password):
            return False, None
        return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None

    def _release(body: LoginRequest) -> None:
        with db.write_begin(engine) as conn:
            auth.login_release(conn, body)

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
        answer = sync_read.hello(engine, _token(credentials), body)
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
            int, Query(ge=1, le=sync_read.SNAPSHOT_MAX_LIMIT)
        ] = sync_read.SNAPSHOT_DEFAULT_LIMIT,
        protocol: Annotated[int, Query(ge=1, le=sync_read.PROTOCOL_MAX)] = 1,
    ) -> Response:
        """Protocol 2 clients ask with ``protocol=2`` for columnar pages."""
        principal = current_principal(request, credentials)
        body = sync_read.snapshot_body(engine, principal, table, after_id, limit, protocol)
        return json_response(body)

    @app.post(
        f"{API_PREFIX}/sync/push", response_model=PushResponse, tags=["sync"], responses=_ERRORS
    )
    async def push(body: PushRequest, credentials: Bearer) -> Response:
        def run() -> bytes:
            return sync_push.push(engine, _token(credentials), body).model_dump_json().encode()

        async with _push_gate(max(1, min(push_lanes, threads))):
            return json_response(await run_in_threadpool(run))

    @app.get(
        f"{API_PREFIX}/sync/pull", response_model=PullResponse, tags=["sync"], responses=_ERRORS
    )
    def pull(
        credentials: Bearer,
        cursor: Annotated[int, Query(ge=0, le=MAX_SEQ)],
        limit: Annotated[
            int, Query(ge=1, le=sync_read.PULL_MAX_LIMIT)
        ] = sync_read.PULL_DEFAULT_LIMIT,
    ) -> Response:
        return json_response(sync_read.pull_body(engine, _token(credentials), cursor, limit))

    @app.get(
        f"{API_PREFIX}/sync/checksums",
        response_model=ChecksumResponse,
        tags=["sync"],
        responses=_ERRORS,
    )
    def checksums(
        principal: Caller, protocol: Annotated[int, Query(ge=1, le=sync_read.PROTOCOL_MAX)] = 1
    ) -> ChecksumResponse:
        """Protocol 2 clients ask with ``protocol=2`` for the version digest."""
        return sync_read.checksums(engine, principal, protocol)

    @app.get(
        f"{API_PREFIX}/sync/conflicts",
        response_model=ConflictDetailList | ConflictList,
        tags=["sync"],
        responses=_ERRORS,
    )
    def conflicts(
        principal: Caller, protocol: Annotated[int, Query(ge=1, le=sync_read.PROTOCOL_MAX)] = 1
    ) -> ConflictList | ConflictDetailList:
        """The unresolved conflicts of the caller's customers; with ``protocol=3``,
        whose customer and who made each side."""
        return sync_conflicts.list_conflicts(engine, principal, protocol)

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
        return sync_conflicts.resolve_conflict(
            engine, principal, conflict_id, body.choice, body.seen
        )

    # --- admin --------------------------------------------------------------------

    admin_errors = {**_ERRORS, 409: {"model": ErrorBody}}

    @app.post(
        f"{API_PREFIX}/admin/users",
        response_model=UserInfo,
        tags=["admin"],
        responses=admin_errors,
    )
    def create_user(body: CreateUserRequest, _admin: Admin) -> UserInfo:
        # Hashed before the write transaction: argon2 is slow on purpose.
        password_hash = auth.new_password_hash(hasher, body.username, body.password)
        with db.write_begin(engine) as conn:
            return auth.create_user(
                conn,
                hasher,
                username=body.username,
                password=body.password,
                display_name=body.display_name,
                role=body.role,
                rm_id=body.rm_id,
                password_hash=password_hash,
            )

    account_errors = {**admin_errors, 404: {"model": ErrorBody}}

    @app.post(
        f"{API_PREFIX}/admin/users/{{username}}/revoke-tokens",
        response_model=AccountResponse,
        tags=["admin"],
        responses=account_errors,
    )
    def revoke_tokens(username: UserName, _admin: Admin) -> AccountResponse:
        """Sign the user out on every device (every live token is revoked)."""
        with db.write_begin(engine) as conn:
            return auth.revoke_user_tokens(conn, username)

    @app.post(
        f"{API_PREFIX}/admin/users/{{username}}/disable",
        response_model=AccountResponse,
        tags=["admin"],
        responses=account_errors,
    )
    def disable_user(username: UserName, _admin: Admin) -> AccountResponse:
        """Stop the login (its tokens are revoked) until it is enabled again."""
        with db.write_begin(engine) as conn:
            return auth.set_active(conn, username, False)

    @app.post(
        f"{API_PREFIX}/admin/users/{{username}}/enable",
        response_model=AccountResponse,
        tags=["admin"],
        responses=account_errors,
    )
    def enable_user(username: UserName, _admin: Admin) -> AccountResponse:
        with db.write_begin(engine) as conn:
            return auth.set_active(conn, username, True)

    @app.post(
        f"{API_PREFIX}/admin/users/{{username}}/password",
        response_model=AccountResponse,
        tags=["admin"],
        responses=account_errors,
    )
    def set_password(
        username: UserName, body: SetPasswordRequest, _admin: Admin
    ) -> AccountResponse:
        """Set a new password (the password rule applies); every token is revoked."""
        password_hash = auth.new_password_hash(hasher, username, body.password)
        with db.write_begin(engine) as conn:
            return auth.set_password(conn, username, password_hash)

    @app.post(
        f"{API_PREFIX}/admin/users/{{username}}/unlock",
        response_model=AccountResponse,
        tags=["admin"],
        responses=account_errors,
    )
    def unlock(username: UserName, _admin: Admin) -> AccountResponse:
        """Lift the lockout of a login locked after too many wrong passwords."""
        with db.write_begin(engine) as conn:
            return auth.unlock(conn, username)

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
