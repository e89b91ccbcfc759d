"""Throttle and lockout of failed logins (table ``login_throttle``).

Two counters, both kept in the database (so every process of the service sees them):

* per user name, whether or not such a user exists (an unknown name is throttled
  and locked exactly like a real one: the answers never tell which names exist).
  Every attempt is counted BEFORE its password is checked and the count is cleared
  by a success, so parallel guesses cannot slip through together. After
  :attr:`LoginPolicy.free_failures` failures in a row each further attempt must
  wait (429 ``login_throttled`` with Retry-After), the wait doubling up to
  :attr:`LoginPolicy.max_delay`; after :attr:`LoginPolicy.lock_after` the name is
  locked (403 ``account_locked``) until an administrator unlocks it, whatever
  password comes next.
* per client address, counted on failures within :attr:`LoginPolicy.address_window`:
  past :attr:`LoginPolicy.address_free` of them the address waits the same way (a
  password spray over many names from one place). Addresses are never locked: a
  branch's computers may share one.

Refused attempts (throttled or locked) check no password and cost no argon2 work.
Lock order is always the user name's row before the address's (no deadlocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from central_crm.errors import ApiError
from central_crm.schema import login_throttle

USER = "user"
ADDRESS = "addr"


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failures are free, how long the waits are, when a name locks."""

    free_failures: int = 3
    lock_after: int = 10
    first_delay: float = 1.0  # seconds; doubles with every further failure
    max_delay: float = 300.0
    address_free: int = 20
    address_window: timedelta = timedelta(minutes=15)

    def delay(self, failures: int, free: int) -> float:
        """Seconds the next attempt waits after ``failures`` failures in a row."""
        if failures < free:
            return 0.0
        return min(self.first_delay * 2 ** min(failures - free, 30), self.max_delay)


DEFAULT_POLICY = LoginPolicy()


def _key(kind: str, subject: str) -> Any:
    return and_(login_throttle.c.kind == kind, login_throttle.c.subject == subject[:128])


def _row(conn: Connection, kind: str, subject: str) -> Any:
    """The counter of (kind, subject), created if missing, locked for this transaction
    (PostgreSQL: ``FOR UPDATE``; SQLite's write transaction holds the database)."""
    values = {"kind": kind, "subject": subject[:128], "failures": 0}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(login_throttle).values(**values).on_conflict_do_nothing())
    query = select(login_throttle).where(_key(kind, subject))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).one()


def _retry_after(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _throttled(seconds: int) -> ApiError:
    return ApiError(
        429,
        "login_throttled",
        f"登录尝试过于频繁，请在 {seconds} 秒后再试。 "
        f"/ Too many login attempts; try again in {seconds} s.",
        details={"retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


LOCKED = (
    "该账号因连续多次密码错误已被锁定，请联系管理员解锁。 "
    "/ This account is locked after too many wrong passwords; ask an administrator."
)


def admit(
    conn: Connection, policy: LoginPolicy, username: str, address: str, now: datetime
) -> None:
    """Let one attempt of ``username`` from ``address`` check its password, counting it
    as a failure until :func:`succeeded` says otherwise; or raise 403 ``account_locked``
    / 429 ``login_throttled`` (write transaction)."""
    user = _row(conn, USER, username)
    if user.locked_at is not None:
        raise ApiError(403, "account_locked", LOCKED)
    if user.blocked_until is not None and user.blocked_until > now:
        raise _throttled(_retry_after(user.blocked_until, now))
    # The address's row is only read here (not locked: every attempt from one place
    # would queue on it, each holding a request thread).
    place = conn.execute(select(login_throttle).where(_key(ADDRESS, address))).first()
    if place is not None and place.window_start is not None:
        in_window = now - place.window_start < policy.address_window
        if in_window and place.blocked_until is not None and place.blocked_until > now:
            raise _throttled(_retry_after(place.blocked_until, now))
    failures = user.failures + 1
    delay = policy.delay(failures, policy.free_failures)
    conn.execute(
        login_throttle.update()
        .where(_key(USER, username))
        .values(
            failures=failures,
            blocked_until=now + timedelta(seconds=delay) if delay else None,
        )
    )


def release(conn: Connection, username: str) -> None:
    """Take back the failure :func:`admit` counted for an attempt that checked no
    password (the service was too busy)."""
    conn.execute(
        login_throttle.update()
        .where(_key(USER, username), login_throttle.c.failures > 0)
        .values(failures=login_throttle.c.failures - 1)
    )


def failed(
    conn: Connection, policy: LoginPolicy, username: str, address: str, now: datetime
) -> None:
    """Record a wrong password (or unknown name): lock the name at ``lock_after``
    failures in a row, count the address's failure (write transaction)."""
    user = _row(conn, USER, username)
    failures = max(user.failures, 1)
    conn.execute(
        login_throttle.update()
        .where(_key(USER, username))
        .values(
            failures=failures,
            last_failure_at=now,
            locked_at=user.locked_at or (now if failures >= policy.lock_after else None),
        )
    )
    place = _row(conn, ADDRESS, address)
    in_window = place.window_start is not None and now - place.window_start < policy.address_window
    count = place.failures + 1 if in_window else 1
    delay = policy.delay(count, policy.address_free)
    conn.execute(
        login_throttle.update()
        .where(_key(ADDRESS, address))
        .values(
            failures=count,
            window_start=place.window_start if in_window else now,
            last_failure_at=now,
            blocked_until=now + timedelta(seconds=delay) if delay else None,
        )
    )


def succeeded(conn: Connection, username: str) -> None:
    """A right password: the name's failures are forgotten (write transaction)."""
    conn.execute(
        login_throttle.delete().where(_key(USER, username), login_throttle.c.locked_at.is_(None))
    )


def is_locked(conn: Connection, username: str) -> bool:
    found = conn.execute(select(login_throttle.c.locked_at).where(_key(USER, username))).first()
    return found is not None and found.locked_at is not None


def unlock(conn: Connection, username: str) -> bool:
    """Lift the lockout and the wait of ``username``; True if it was locked."""
    was_locked = is_locked(conn, username)
    conn.execute(login_throttle.delete().where(_key(USER, username)))
    return was_locked
