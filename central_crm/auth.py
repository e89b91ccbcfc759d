"""Users, passwords and bearer tokens.

* Passwords are stored as argon2id hashes (argon2-cffi); a hash made with older
  parameters is upgraded on the next successful login.
* A login returns a random token (256 bits); only its sha256 is stored, so the token
  table is useless to whoever reads it. Tokens expire (``token_ttl``) and can be
  revoked (logout). Each token is bound to the device it was issued to.
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

from central_crm.errors import ApiError
from central_crm.schema import SYNCED, app_user, auth_token, device
from rm_workbench.sync.wire import LoginRequest, LoginResponse, UserInfo

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
) -> UserInfo:
    """Add a login; raises ApiError for a taken username or an unknown RM."""
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
            password_hash=hasher.hash(password),
            active=True,
            created_at=utcnow(),
        )
    )
    return UserInfo(username=username, display_name=display_name, role=role, rm_id=rm_id)  # type: ignore[arg-type]


def _check_password(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(
    conn: Connection, hasher: PasswordHasher, request: LoginRequest, token_ttl: timedelta
) -> LoginResponse:
    """Check the password, register the device and issue a token (write transaction)."""
    user = conn.execute(select(app_user).where(app_user.c.username == request.username)).first()
    if user is None or not _check_password(hasher, user.password_hash, request.password):
        # Same answer for an unknown user and a wrong password: no username probing.
        raise ApiError(
            401,
            "bad_credentials",
            "用户名或密码不正确。 / Wrong username or password.",
            headers=_WWW,
        )
    if not user.active:
        raise ApiError(
            403,
            "account_disabled",
            "该账号已停用，请联系管理员。 / This account is disabled.",
        )
    if hasher.check_needs_rehash(user.password_hash):
        conn.execute(
            app_user.update()
            .where(app_user.c.id == user.id)
            .values(password_hash=hasher.hash(request.password))
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
            )
        )
    elif known.user_id != user.id:
        raise ApiError(
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
