"""Helpers shared by the sync benchmarks: the central CRM as a separate process.

* :class:`ServiceProcess` runs ``central-crm serve`` (``python -m central_crm.cli``) on a
  free loopback port and stops it by its PID;
* :func:`load_demo` fills a database with ``central-crm-demo load-demo`` (another process);
* :class:`PgSchema` is a PostgreSQL schema of the bench's own (127.0.0.1:5432, user
  postgres, database test, trust auth), created and dropped by the bench, reached
  through ``?options=-csearch_path%3D<schema>`` like the tests do.

Only loopback traffic; every process started here is stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from rm_contract.wire import API_PREFIX

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_BASE_URL = f"postgresql+psycopg://postgres@{PG_HOST}:5432/test"
PG_CONNINFO = f"host={PG_HOST} port=5432 user=postgres dbname=test"
DEMO_PASSWORD = "demo-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str) -> list[str]:
    """The ``central-crm`` command line, run by this interpreter (``load-demo``:
    ``central-crm-demo``'s)."""
    wrapper = os.environ.get("BENCH_SERVE_WRAPPER")  # experiments only
    if wrapper and args and args[0] == "serve":
        return [sys.executable, wrapper, *args]
    if args and args[0] == "load-demo":
        return [
            sys.executable,
            "-c",
            "import sys; from rm_demo.cli import central_main; "
            "sys.exit(central_main(sys.argv[1:]))",
            *args,
        ]
    return [sys.executable, "-m", "central_crm.cli", *args]


def load_demo(db_url: str, size: str, *, password: str = DEMO_PASSWORD) -> str:
    """``central-crm-demo load-demo`` into ``db_url`` (a separate process); returns its output."""
    done = subprocess.run(
        cli("load-demo", "--db", db_url, "--size", size, "--password", password),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return done.stdout


class ServiceProcess:
    """``central-crm serve`` in a process of its own, on 127.0.0.1."""

    def __init__(
        self,
        db_url: str,
        *,
        port: int | None = None,
        extra: Sequence[str] = (),
        log: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}{API_PREFIX}"
        self._log = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            cli(
                "serve",
                "--db",
                db_url,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                *extra,
            ),
            cwd=ROOT,
            stdout=self._log,
            stderr=self._log,
            env={**os.environ, **(env or {})},
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"central-crm serve exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"central-crm serve did not answer on {self.root}")

    def stop(self) -> None:
        """SIGTERM by PID (uvicorn shuts down gracefully), SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        if self._log is not subprocess.DEVNULL:
            self._log.close()  # type: ignore[union-attr]

    def __enter__(self) -> ServiceProcess:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class PgSchema:
    """A PostgreSQL schema created for one bench run and dropped at its end."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        self.name = name or f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.url = f"{PG_BASE_URL}?options=-csearch_path%3D{self.name}"

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(PG_CONNINFO, autocommit=True)

    def create(self) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{self.name}"')

    def __enter__(self) -> PgSchema:
        self.create()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.drop()

    def drop(self) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


def pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_CONNINFO, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means: no PostgreSQL to measure
        return f"PostgreSQL at {PG_HOST}:5432 unreachable: {exc}"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    if not values_ms:
        return {"n": 0}
    return {
        "n": len(values_ms),
        "p50_ms": round(statistics.median(values_ms), 3),
        "p95_ms": round(percentile(values_ms, 0.95), 3),
        "p99_ms": round(percentile(values_ms, 0.99), 3),
        "max_ms": round(max(values_ms), 3),
    }
