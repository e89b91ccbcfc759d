"""Users, passwords and bearer tokens.

* Passwords are stored as argon2id hashes (argon2-cffi); a hash made with older
  parameters is upgraded on the next successful login.
* A login returns a random token (256 bits); only its sha256 is stored, so the token
  table is useless to whoever reads it. Tokens expire (``token_ttl``) and can be
  revoked (logout, an administrator). Each token is bound to the device it was
  issued to, and a device holds one live token: a new login revokes its earlier ones.
* A login checks the password outside any transaction: :func:`login_admit` (the
  throttle of :mod:`central_crm.throttle`, the user), then :func:`check_password`,
  then :func:`login_finish` or :func:`login_failed`. An unknown user name is checked
  against a dummy hash of the same cost, so it answers as slowly as a real one.
* Every new password passes :func:`central_crm.passwords.check_password`.
* A device id belongs to one user: the device's cursor and its mutation numbers are
  per device, so sharing one between two users would mix their books.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, Connection, Select, bindparam, select

from central_crm import passwords, throttle
from central_crm.api_models import AccountResponse
from central_crm.errors import ApiError
from central_crm.schema import SYNCED, app_user, auth_token, device, sync_counter
from central_crm.throttle import LoginPolicy
from rm_contract.wire import LoginRequest, LoginResponse, UserInfo

ROLES = ("rm", "admin")
_WWW = {"WWW-Authenticate": "Bearer"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request."""

    user_id: str
    username: str
    display_name: str
    role: str
    rm_id: str | None
    device_id: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def info(self) -> UserInfo:
        return UserInfo(
            username=self.username,
            display_name=self.display_name,
            role="admin" if self.is_admin else "rm",
            rm_id=self.rm_id,
        )


def create_user(
    conn: Connection,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    display_name: str,
    role: str,
    rm_id: str | None,
    password_hash: str | None = None,
) -> UserInfo:
    """Add a login; raises ApiError for a password the rule refuses, a taken username
    or an unknown RM. ``password_hash``: ``password`` hashed already, outside the
    transaction (:func:`new_password_hash`)."""
    passwords.check_password(password, username)
    if role not in ROLES:
        raise ApiError(
            422,
            "invalid_role",
            f"角色只能是 rm 或 admin。 / Role must be rm or admin, not {role!r}.",
        )
    if role == "rm" and not rm_id:
        raise ApiError(
            422,
            "rm_required",
            "客户经理账号必须关联一名客户经理（rm_id）。 / An rm login needs an rm_id.",
        )
    if rm_id is not None:
        managers = SYNCED["relationship_manager"]
        if conn.execute(select(managers.c.id).where(managers.c.id == rm_id)).first() is None:
            raise ApiError(
                422,
                "unknown_rm",
                f"客户经理 {rm_id} 不存在。 / No relationship manager {rm_id}.",
            )
    taken = conn.execute(select(app_user.c.id).where(app_user.c.username == username)).first()
    if taken is not None:
        raise ApiError(
            409,
            "username_taken",
            f"用户名 {username} 已被使用。 / The username {username} is taken.",
        )
    conn.execute(
        app_user.insert().values(
            id=str(uuid.uuid4()),
            username=username,
            display_name=display_name,
            role=role,
            rm_id=rm_id,
            password_hash=password_hash or hasher.hash(password),
            active=True,
            created_at=utcnow(),
        )
    )
    return UserInfo(username=username, display_name=display_name, role=role, rm_id=rm_id)  # type: ignore[arg-type]


def check_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``stored`` (CPU-bound, slow on
    purpose: call it outside any transaction)."""
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_BAD_CREDENTIALS = "用户名或密码不正确。 / Wrong username or password."


def bad_credentials() -> ApiError:
    # Same answer for an unknown user and a wrong password: no username probing.
    return ApiError(401, "bad_credentials", _BAD_CREDENTIALS, headers=_WWW)


@dataclass(frozen=True, slots=True)
class LoginCandidate:
    """What :func:`login_admit` read: the user (None: no such name) and the hash to
    check the password against (a dummy one of the same cost for an unknown name)."""

    user_id: str | None
    stored_hash: str


def login_admit(
    conn: Connection,
    request: LoginRequest,
    address: str,
    policy: LoginPolicy,
    dummy_hash: str,
) -> LoginCandidate:
    """First step of a login (short write transaction): the throttle lets the attempt
    through (or raises 403 ``account_locked`` / 429 ``login_throttled``) and the user
    is read. The password is checked afterwards, outside any transaction."""
    throttle.admit(conn, policy, request.username, address, utcnow())
    user = conn.execute(
        select(app_user.c.id, app_user.c.password_hash).where(
            app_user.c.username == request.username
        )
    ).first()
    if user is None:
        return LoginCandidate(None, dummy_hash)
    return LoginCandidate(user.id, user.password_hash)


def login_release(conn: Connection, request: LoginRequest) -> None:
    """Undo :func:`login_admit`'s count when no password was checked (service busy)."""
    throttle.release(conn, request.username)


def login_failed(
    conn: Connection, request: LoginRequest, address: str, policy: LoginPolicy
) -> None:
    """Last step of a failed login (short write transaction): count the failure."""
    throttle.failed(conn, policy, request.username, address, utcnow())


def login_finish(
    conn: Connection,
    request: LoginRequest,
    user_id: str,
    new_hash: str | None,
    token_ttl: timedelta,
) -> LoginResponse | ApiError:
    """Last step of a login whose password was right (short write transaction):
    clear the failures, register the device, revoke the device's earlier tokens and
    issue a new one. A refusal is returned, not raised, so the transaction commits."""
    if throttle.is_locked(conn, request.username):
        # Locked by failures that finished while this attempt was being checked.
        return ApiError(403, "account_locked", throttle.LOCKED)
    throttle.succeeded(conn, request.username)
    user = conn.execute(select(app_user).where(app_user.c.id == user_id)).first()
    if user is None:  # deleted meanwhile
        return bad_credentials()
    if not user.active:
        return ApiError(
            403,
            "account_disabled",
            "该账号已停用，请联系管理员。 / This account is disabled.",
        )
    if new_hash is not None:
        conn.execute(
            app_user.update().where(app_user.c.id == user.id).values(password_hash=new_hash)
        )
    now = utcnow()
    known = conn.execute(select(device).where(device.c.id == request.device_id)).first()
    if known is None:
        conn.execute(
            device.insert().values(
                id=request.device_id,
                user_id=user.id,
                name=request.device_name,
                last_seen_at=now,
                cursor=0,
                last_mutation_id=0,
                # When it came to be: it cannot have queued edits from before then.
                registered_seq=select(sync_counter.c.value)
                .where(sync_counter.c.id == 1)
                .scalar_subquery(),
            )
        )
    elif known.user_id != user.id:
        return ApiError(
            409,
            "device_in_use",
            "这台设备的本地数据属于另一位用户，不能用此账号登录。请在工作台中新建用户配置。 "
            "/ This device id belongs to another user; use a new workbench profile.",
        )
    else:
        conn.execute(
            device.update()
            .where(device.c.id == request.device_id)
            .values(name=request.device_name or known.name, last_seen_at=now)
        )
    # One live token per device: a new login revokes the device's earlier ones.
    revoke_tokens(conn, user.id, device_id=request.device_id)
    token = secrets.token_urlsafe(32)
    expires = now + token_ttl
    conn.execute(
        auth_token.insert().values(
            token_hash=token_hash(token),
            user_id=user.id,
            device_id=request.device_id,
            created_at=now,
            expires_at=expires,
            revoked_at=None,
        )
    )
    return LoginResponse(
        token=token,
        expires_at=expires,
        user=UserInfo(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            rm_id=user.rm_id,
        ),
    )


def revoke_tokens(conn: Connection, user_id: str, *, device_id: str | None = None) -> int:
    """Revoke the live tokens of a user (of one of its devices); returns how many."""
    query = auth_token.update().where(
        auth_token.c.user_id == user_id, auth_token.c.revoked_at.is_(None)
    )
    if device_id is not None:
        query = query.where(auth_token.c.device_id == device_id)
    return int(conn.execute(query.values(revoked_at=utcnow())).rowcount or 0)


# --- administrators' account actions -------------------------------------------------


def find_user(conn: Connection, username: str) -> Any:
    """The ``app_user`` row of ``username``, or ApiError 404 ``unknown_user``."""
    user = conn.execute(select(app_user).where(app_user.c.username == username)).first()
    if user is None:
        raise ApiError(404, "unknown_user", f"用户 {username} 不存在。 / No user {username}.")
    return user


def account(conn: Connection, username: str, revoked: int = 0) -> AccountResponse:
    user = find_user(conn, username)
    return AccountResponse(
        username=user.username,
        active=bool(user.active),
        locked=throttle.is_locked(conn, username),
        revoked_tokens=revoked,
    )


def revoke_user_tokens(conn: Connection, username: str) -> AccountResponse:
    """Sign a user out everywhere: every live token is revoked."""
    user = find_user(conn, username)
    return account(conn, username, revoke_tokens(conn, user.id))


def set_active(conn: Connection, username: str, active: bool) -> AccountResponse:
    """Enable or disable a login; disabling also revokes its tokens."""
    user = find_user(conn, username)
    conn.execute(app_user.update().where(app_user.c.id == user.id).values(active=active))
    revoked = 0 if active else revoke_tokens(conn, user.id)
    return account(conn, username, revoked)


def set_password(conn: Connection, username: str, password_hash: str) -> AccountResponse:
    """Store a new password hash (checked with :func:`new_password_hash` before the
    transaction) and revoke every token of the user."""
    user = find_user(conn, username)
    conn.execute(
        app_user.update().where(app_user.c.id == user.id).values(password_hash=password_hash)
    )
    return account(conn, username, revoke_tokens(conn, user.id))


def new_password_hash(hasher: PasswordHasher, username: str, password: str) -> str:
    """The hash of a new password after the password rule let it through (slow:
    call it outside any transaction)."""
    passwords.check_password(password, username)
    return hasher.hash(password)


def unlock(conn: Connection, username: str) -> AccountResponse:
    """Lift the lockout (and the throttle's wait) of a user name."""
    throttle.unlock(conn, username)
    return account(conn, username)


# The caller of a token: one indexed lookup of its sha256 (built once: every request).
_PRINCIPAL = (
    select(
        auth_token.c.device_id,
        auth_token.c.expires_at,
        auth_token.c.revoked_at,
        app_user.c.id,
        app_user.c.username,
        app_user.c.display_name,
        app_user.c.role,
        app_user.c.rm_id,
        app_user.c.active,
    )
    .join(app_user, app_user.c.id == auth_token.c.user_id)
    .where(auth_token.c.token_hash == bindparam("digest"))
)


def principal_statement(*extra: ColumnElement[Any]) -> Select[Any]:
    """The token lookup of :func:`authenticate` with ``extra`` columns after the
    caller's (scalar subqueries may use ``auth_token.c.device_id``): a request reads
    what it needs in the same statement as its caller, one round trip instead of two
    or three per request (bench/bench_service_load.py). Build it once."""
    return _PRINCIPAL.add_columns(*extra)


def no_token() -> ApiError:
    """The 401 of a request without a bearer token."""
    return ApiError(
        401,
        "not_authenticated",
        "请先登录总行系统（缺少访问令牌）。 / Not authenticated: no bearer token.",
        headers=_WWW,
    )


def authenticate(conn: Connection, token: str | None) -> Principal:
    """The caller of a bearer token, or ApiError 401 saying why not."""
    return authenticate_with(conn, token, _PRINCIPAL)[0]


def authenticate_with(
    conn: Connection,
    token: str | None,
    statement: Select[Any],
    params: dict[str, Any] | None = None,
) -> tuple[Principal, Any]:
    """:func:`authenticate` by a :func:`principal_statement` (with ``params`` besides
    the token's); returns the caller and the row (the extra columns at the end)."""
    if not token:
        raise no_token()
    digest = token_hash(token)
    values = {"digest": digest} if params is None else {**params, "digest": digest}
    row: Any = conn.execute(statement, values).first()
    if row is None:
        raise ApiError(
            401,
            "not_authenticated",
            "访问令牌无效，请重新登录。 / Unknown token; please log in again.",
            headers=_WWW,
        )
    if row.revoked_at is not None:
        raise ApiError(
            401,
            "token_revoked",
            "您已退出登录（令牌已注销），请重新登录。 / The token was revoked; please log in.",
            headers=_WWW,
        )
    if row.expires_at <= utcnow():
        raise ApiError(
            401,
            "token_expired",
            "登录已过期，请重新输入密码。 / The token has expired; please log in again.",
            headers=_WWW,
        )
    if not row.active:
        raise ApiError(
            401,
            "not_authenticated",
            "该账号已停用，请联系管理员。 / This account is disabled.",
            headers=_WWW,
        )
    principal = Principal(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        rm_id=row.rm_id,
        device_id=row.device_id,
        token_hash=digest,
    )
    return principal, row


def logout(conn: Connection, principal: Principal) -> None:
    conn.execute(
        auth_token.update()
        .where(auth_token.c.token_hash == principal.token_hash)
        .values(revoked_at=utcnow())
    )
