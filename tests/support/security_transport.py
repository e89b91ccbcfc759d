"""Helpers of the transport attack tests (tests/security/test_transport_*.py): a
recording loopback server, a raw HTTP sender that can keep a body coming forever, test
certificates (trustme), the ``central-crm serve`` CLI in a subprocess, and nginx."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
NGINX_CONF = REPO / "docs" / "deploy" / "nginx-central-crm.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a loopback server that records what reaches it ------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """A loopback HTTP server recording every request; ``answer`` decides the reply
    (default: 200 with an empty JSON object)."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, Received], None] | None = None):
        self.received: list[Received] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                got = Received(self.command, self.path, dict(self.headers), body)
                outer.received.append(got)
                if answer is not None:
                    answer(self, got)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def redirecting_to(
    target: str, status: int = 307
) -> Callable[[BaseHTTPRequestHandler, Received], None]:
    """An answer that sends every request on to ``target`` + its path."""

    def answer(handler: BaseHTTPRequestHandler, got: Received) -> None:
        handler.send_response(status)
        handler.send_header("Location", target + got.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


# --- a raw HTTP request whose body may never end ----------------------------------------


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    # Body bytes sent when the answer's head arrived, and the body's declared size.
    sent: int
    declared: int | None
    sender_stopped: bool = False
    notes: list[str] = field(default_factory=list)


def raw_request(
    host: str,
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    declared: int | None,
    endless: bool = True,
    body: bytes | None = None,
    timeout: float = 20.0,
    tls: ssl.SSLContext | None = None,
    server_name: str | None = None,
) -> RawAnswer:
    """Send a request and read its answer while the body keeps coming.

    ``declared``: the Content-Length to announce (None: ``Transfer-Encoding: chunked``).
    With ``endless`` a thread sends 64 KiB pieces of filler until the answer arrives
    (or, with a Content-Length, until the declared size: never reached for a huge one);
    else ``body`` is sent whole. The answer must arrive within ``timeout`` seconds
    (socket.timeout otherwise: a server that waits for the whole body fails here)."""
    raw = socket.create_connection((host, port), timeout=timeout)
    sock: socket.socket = tls.wrap_socket(raw, server_hostname=server_name or host) if tls else raw
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server_name or host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(
        f"Content-Length: {declared}" if declared is not None else "Transfer-Encoding: chunked"
    )
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    sent = 0
    stop = threading.Event()
    piece = b'{"filler": "' + b"x" * 65536

    def pump() -> None:
        nonlocal sent
        try:
            while not stop.is_set():
                if declared is not None and sent + len(piece) > declared:
                    return
                data = piece if declared is not None else b"%x\r\n%s\r\n" % (len(piece), piece)
                sock.sendall(data)
                sent += len(piece)
        except OSError:
            return  # the server closed the connection: it will not read more

    started = time.monotonic()
    pumper = None
    if endless:
        pumper = threading.Thread(target=pump, daemon=True)
        pumper.start()
    elif body is not None:
        if declared is None:
            sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        else:
            sock.sendall(body)
        sent = len(body)
    try:
        reader = sock.makefile("rb")
        status_line = reader.readline()
        when_answered = sent
        seconds = time.monotonic() - started
        parts = status_line.decode("latin-1").split(" ", 2)
        status = int(parts[1])
        got: dict[str, str] = {}
        while True:
            line = reader.readline().decode("latin-1").strip()
            if not line:
                break
            key, _, value = line.partition(":")
            got[key.strip().lower()] = value.strip()
        length = int(got.get("content-length", "0"))
        content = reader.read(length) if length else b""
    finally:
        stop.set()
        with contextlib.suppress(OSError):
            sock.close()
        if pumper is not None:
            pumper.join(timeout=10)
    return RawAnswer(status, got, content, seconds, when_answered, declared)


# --- certificates -----------------------------------------------------------------------


@dataclass
class Certificates:
    """A test CA and a server certificate for localhost / 127.0.0.1, as PEM files."""

    ca: Path
    cert: Path
    key: Path


def make_certificates(folder: Path) -> Certificates:
    import trustme

    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1", "::1")
    folder.mkdir(parents=True, exist_ok=True)
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca.cert_pem.write_to_path(str(paths.ca))
    server.private_key_pem.write_to_path(str(paths.key))
    server.cert_chain_pems[0].write_to_path(str(paths.cert))
    for extra in server.cert_chain_pems[1:]:
        with paths.cert.open("ab") as handle:
            handle.write(extra.bytes())
    return paths


# --- the CLI's serve and nginx, as processes --------------------------------------------


def wait_until_answers(url: str, process: subprocess.Popen[bytes], verify: str | bool) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=2, verify=verify, allow_redirects=False)
            return
        except requests.RequestException:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"exited with {process.returncode}: {output[-3000:]}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within 60 s") from None
            time.sleep(0.1)


def start_serve(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``central-crm serve ARGS`` from this worktree's code."""
    environment = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "central_crm.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=REPO,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_nginx_conf(
    folder: Path, certs: Certificates, *, https_port: int, http_port: int, upstream_port: int
) -> Path:
    """The documented server blocks (docs/deploy/nginx-central-crm.conf) with this test's
    ports and certificate, inside a minimal main configuration of the test's own."""
    site = NGINX_CONF.read_text(encoding="utf-8")
    replacements = {
        "listen 443 ssl": f"listen 127.0.0.1:{https_port} ssl",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/certs/crm.example-bank.cn.pem": str(certs.cert),
        "/etc/ssl/private/crm.example-bank.cn.key": str(certs.key),
        "127.0.0.1:8700": f"127.0.0.1:{upstream_port}",
        "crm.example-bank.cn": "localhost",
    }
    for old, new in replacements.items():
        assert old in site, f"the documented nginx configuration no longer has {old!r}"
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody, who may not enter pytest's folders.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}worker_processes 1;\n"
        f"pid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"  access_log {folder / 'access.log'};\n"
        f"  client_body_temp_path {temp / 'body'};\n"
        f"  proxy_temp_path {temp / 'proxy'};\n"
        f"  fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"  uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"  scgi_temp_path {temp / 'scgi'};\n"
        f"  include {folder / 'site.conf'};\n"
        "}\n"
    )
    conf = folder / "nginx.conf"
    conf.write_text(main, encoding="utf-8")
    return conf


@contextlib.contextmanager
def running_nginx(nginx: str, conf: Path) -> Iterator[subprocess.Popen[bytes]]:
    check = subprocess.run(
        [nginx, "-t", "-c", str(conf), "-p", str(conf.parent)], capture_output=True, timeout=30
    )
    assert check.returncode == 0, check.stderr.decode(errors="replace")
    process = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(conf.parent), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        stop(process)
