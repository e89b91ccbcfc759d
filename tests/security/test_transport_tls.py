"""Issue 13, transport: TLS, served directly or by the documented nginx in front.

* ``central-crm serve --tls-cert/--tls-key`` (a subprocess, certificates made by trustme):
  the real workbench logs in and syncs over HTTPS trusting the test CA (``--ca-bundle``
  style), refuses the server without it, and the answers carry HSTS.
* ``serve`` refuses plain HTTP on a non-loopback address unless told it sits behind a
  TLS proxy whose address it is given; X-Forwarded-Proto is believed from that proxy
  only.
* nginx, configured by docs/deploy/nginx-central-crm.conf as documented (only ports,
  certificate and host name replaced), in front of the service on loopback: a real
  bootstrap, edit, push and checksum proof through it; HSTS exactly once; its plain
  HTTP port only redirects, and the workbench does not follow; a body without a token
  is refused at once through it (bodies are streamed, not buffered).
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from central_crm import db
from central_crm.security import HSTS
from rm_contract.wire import API_PREFIX, LoginRequest
from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache
from rm_workbench.errors import RedirectRefused, SyncError
from rm_workbench.models import Base
from rm_workbench.sync.client import SyncClient
from rm_workbench.sync.engine import SyncEngine, SyncReport, device_id
from rm_workbench.sync.outbox import update_row
from tests.central.conftest import PASSWORD, Book, Service, fetch, seed
from tests.support.security_transport import (
    REPO,
    Certificates,
    find_nginx,
    free_port,
    make_certificates,
    raw_request,
    render_nginx_conf,
    running_nginx,
    start_serve,
    stop,
    wait_until_answers,
)


@pytest.fixture(autouse=True)
def system_ca_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on many machines: requests let this variable override a session's CA bundle,
    and the workbench's --ca-bundle was silently ignored."""
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


class Workbench:
    """A workbench cache syncing with a central CRM through the real client."""

    def __init__(self, folder: Path, base_url: str, ca_bundle: str | None) -> None:
        self.cache: Cache = open_cache(folder / f"rm-{len(list(folder.iterdir()))}.db")
        self.client = SyncClient(base_url, ca_bundle=ca_bundle, backoff=0.01, retries=1)

    def login(self, username: str = "alice") -> None:
        self.client.login(
            LoginRequest(username=username, password=PASSWORD, device_id=device_id(self.cache))
        )

    def sync(self) -> SyncReport:
        return SyncEngine(self.cache, self.client).run(verify=True)

    def has(self, table: str, row_id: str) -> bool:
        target = Base.metadata.tables[table]
        with self.cache.engine.connect() as conn:
            return (
                conn.execute(select(target.c.id).where(target.c.id == row_id)).first() is not None
            )

    def close(self) -> None:
        self.client.close()
        self.cache.dispose()


def _sync_round(folder: Path, base_url: str, ca: str, engine: object, book: Book) -> None:
    """Log in, bootstrap, edit, push and prove convergence through ``base_url``."""
    workbench = Workbench(folder, base_url, ca)
    try:
        workbench.login()
        workbench.sync()
        a1, b1 = book.customers["a1"], book.customers["b1"]
        assert workbench.has("customer", a1) and not workbench.has("customer", b1)
        with workbench.cache.engine.begin() as conn:
            update_row(conn, "customer", a1, {"email": "tls@example.com"})
        report = workbench.sync()
        assert report.pushed == 1, report
        assert fetch(engine, "customer", a1)["email"] == "tls@example.com"  # type: ignore[arg-type,index]
    finally:
        workbench.close()


# --- serve --tls-cert/--tls-key -------------------------------------------------------------


@pytest.fixture
def seeded_db(tmp_path: Path) -> Iterator[tuple[str, Book, object]]:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    book = seed(engine)
    yield url, book, engine
    engine.dispose()


def test_serve_over_tls_and_the_workbench_syncs(
    tmp_path: Path, certs: Certificates, seeded_db: tuple[str, Book, object]
) -> None:
    url, book, engine = seeded_db
    port = free_port()
    process = start_serve(
        [
            "--db",
            url,
            "--port",
            str(port),
            "--tls-cert",
            str(certs.cert),
            "--tls-key",
            str(certs.key),
        ]
    )
    base = f"https://localhost:{port}"
    try:
        wait_until_answers(f"{base}{API_PREFIX}/health", process, str(certs.ca))
        answer = requests.get(f"{base}{API_PREFIX}/health", verify=str(certs.ca), timeout=10)
        assert answer.headers["strict-transport-security"] == HSTS
        assert answer.headers["x-content-type-options"] == "nosniff"
        # Plain HTTP on the TLS port gets nothing usable.
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}{API_PREFIX}/health", timeout=5).json()
        # Without the bank's CA the workbench refuses the server: no login is sent.
        untrusting = Workbench(tmp_path, base, None)
        try:
            with pytest.raises(SyncError):
                untrusting.login()
        finally:
            untrusting.close()
        _sync_round(tmp_path, base, str(certs.ca), engine, book)
    finally:
        stop(process)


def test_serve_with_an_encrypted_key(tmp_path: Path, certs: Certificates) -> None:
    """The key's password comes from the environment variable named, never argv."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(certs.key.read_bytes(), password=None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-password-1"),
        )
    )
    port = free_port()
    process = start_serve(
        [
            "--db", f"sqlite:///{tmp_path / 'c.db'}", "--port", str(port),
            "--tls-cert", str(certs.cert), "--tls-key", str(locked),
            "--tls-key-password-env", "CRM_TLS_KEY_PASSWORD",
        ],
        env={"CRM_TLS_KEY_PASSWORD": "key-password-1"},
    )  # fmt: skip
    try:
        health = f"https://localhost:{port}{API_PREFIX}/health"
        wait_until_answers(health, process, str(certs.ca))
        assert requests.get(health, verify=str(certs.ca), timeout=10).json()["ok"] is True
    finally:
        stop(process)


def _serve_refuses(args: list[str]) -> str:
    """``serve ARGS`` exits at once with status 2; returns what it printed. (A serve
    that starts instead runs until the timeout and the test fails.)"""
    result = subprocess.run(
        [sys.executable, "-m", "central_crm.cli", "serve", *args],
        capture_output=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert result.returncode == 2, result
    return result.stderr.decode()


def test_serve_refuses_plain_http_on_a_non_loopback_address(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    err = _serve_refuses(["--db", db_url, "--host", "0.0.0.0", "--port", str(free_port())])
    assert "明文" in err and "--tls-cert" in err and "--behind-proxy" in err
    err = _serve_refuses(
        ["--db", db_url, "--host", "0.0.0.0", "--port", str(free_port()), "--behind-proxy"]
    )
    assert "--forwarded-allow-ips" in err
    assert not (tmp_path / "c.db").exists(), "refused before the database is touched"


def test_serve_tls_options_checked(tmp_path: Path, certs: Certificates) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    assert "--tls-key" in _serve_refuses(["--db", db_url, "--tls-cert", str(certs.cert)])
    missing = str(tmp_path / "nope.pem")
    assert "nope.pem" in _serve_refuses(
        ["--db", db_url, "--tls-cert", missing, "--tls-key", str(certs.key)]
    )


def test_behind_proxy_believes_only_the_named_proxy(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    says_https = {"X-Forwarded-Proto": "https"}
    port = free_port()
    # Listening on every address behind a proxy at 10.9.9.9: loopback is not that proxy.
    process = start_serve(
        [
            "--db",
            db_url,
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--behind-proxy",
            "--forwarded-allow-ips",
            "10.9.9.9",
        ]
    )
    health = f"http://127.0.0.1:{port}{API_PREFIX}/health"
    try:
        wait_until_answers(health, process, True)
        answer = requests.get(health, headers=says_https, timeout=10)
        assert "strict-transport-security" not in answer.headers
    finally:
        stop(process)
    port = free_port()
    process = start_serve(["--db", db_url, "--port", str(port)])  # loopback: trusts 127.0.0.1
    health = f"http://127.0.0.1:{port}{API_PREFIX}/health"
    try:
        wait_until_answers(health, process, True)
        answer = requests.get(health, headers=says_https, timeout=10)
        assert answer.headers["strict-transport-security"] == HSTS
    finally:
        stop(process)


# --- nginx in front (docs/deploy/nginx-central-crm.conf) -------------------------------------


@pytest.mark.parametrize("service", ["sqlite"], indirect=True)
def test_workbench_syncs_through_the_documented_nginx(
    svc: Service, book: Book, tmp_path: Path, certs: Certificates
) -> None:
    nginx = find_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed (scripts/setup.sh test installs nginx-light)")
    https_port, http_port = free_port(), free_port()
    folder = tmp_path / "nginx"
    folder.mkdir()
    conf = render_nginx_conf(
        folder,
        certs,
        https_port=https_port,
        http_port=http_port,
        upstream_port=urlsplit(svc.root).port or 0,
    )
    base = f"https://localhost:{https_port}"
    with running_nginx(nginx, conf) as process:
        wait_until_answers(f"{base}{API_PREFIX}/health", process, str(certs.ca))
        _sync_round(tmp_path, base, str(certs.ca), svc.engine, book)

        answer = requests.get(f"{base}{API_PREFIX}/health", verify=str(certs.ca), timeout=10)
        assert answer.status_code == 200
        # Set by the service from nginx's X-Forwarded-Proto, once (not by both).
        assert answer.headers["strict-transport-security"] == HSTS
        assert answer.headers["x-frame-options"] == "DENY"
        assert "server" not in answer.headers or "/" not in answer.headers["server"]

        # The plain HTTP port only redirects, and the workbench does not follow.
        plain = SyncClient(f"http://127.0.0.1:{http_port}", backoff=0.01)
        try:
            with pytest.raises(RedirectRefused):
                plain.login(LoginRequest(username="alice", password=PASSWORD, device_id="d" * 12))
        finally:
            plain.close()

        # Streamed, not buffered: a body without a token is refused at once.
        context = ssl.create_default_context(cafile=str(certs.ca))
        refused = raw_request(
            "127.0.0.1",
            https_port,
            "POST",
            f"{API_PREFIX}/sync/push",
            {"Content-Type": "application/json"},
            declared=None,
            timeout=20,
            tls=context,
            server_name="localhost",
        )
        assert refused.status == 401
