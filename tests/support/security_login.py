"""Helpers of the login attacks (tests/security/test_login_*.py): raw login calls, a
second service over the test database with other argon2 costs, timings."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from argon2 import PasswordHasher
from sqlalchemy import Engine

from central_crm.app import create_app
from central_crm.server import run_in_thread
from rm_contract.wire import API_PREFIX

# argon2id as the service hashes by default, but cheaper (19 MiB, 2 passes: the
# OWASP minimum): still tens of milliseconds a check, so a login that skips it shows.
REAL_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def login(
    base: str,
    username: str,
    password: str,
    device_id: str = "device-attacker-1",
    timeout: float = 60,
    **kwargs: Any,
) -> requests.Response:
    """POST /auth/login; ``base`` is the API's base URL (``…/api/v1``)."""
    return requests.post(
        f"{base}/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
        timeout=timeout,
        **kwargs,
    )


def db_url(engine: Engine) -> str:
    """The URL of the test database for the ``central-crm`` command line."""
    return engine.url.render_as_string(hide_password=False)


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def end_waits(engine: Engine) -> None:
    """Let the throttle's waits pass now (as if the attacker waited Retry-After)."""
    from central_crm.schema import login_throttle

    with engine.begin() as conn:
        conn.execute(
            login_throttle.update().values(blocked_until=datetime.now(UTC) - timedelta(seconds=1))
        )


def clear_throttle(engine: Engine) -> None:
    """Forget every failed login (so a timing measures the password check)."""
    try:
        from central_crm.schema import login_throttle
    except ImportError:  # the service before issue 13 had no throttle to clear
        return
    with engine.begin() as conn:
        conn.execute(login_throttle.delete())


@contextmanager
def second_service(engine: Engine, hasher: PasswordHasher, **options: Any) -> Iterator[str]:
    """Another service process-alike over the same database (schema migrated already)
    with its own argon2 ``hasher`` and options; yields its API base URL."""
    app = create_app(engine=engine, migrate=False, password_hasher=hasher, **options)
    running = run_in_thread(app)
    try:
        yield f"{running.root}{API_PREFIX}"
    finally:
        running.stop()
