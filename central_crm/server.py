"""Running the service inside another program: a uvicorn server in a thread.

The workbench's ``--demo`` launch and the tests embed the central CRM on loopback
with :func:`run_in_thread`; ``central-crm serve`` runs it as its own process.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from rm_contract.wire import API_PREFIX


@dataclass
class RunningServer:
    """A server started by :func:`run_in_thread`; ``stop()`` ends it."""

    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def root(self) -> str:
        """``http://host:port`` (OpenAPI at ``/openapi.json``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The sync API's base: ``http://host:port/api/v1``."""
        return f"{self.root}{API_PREFIX}"

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=timeout)


def run_in_thread(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 20.0
) -> RunningServer:
    """Start ``app`` under uvicorn in a daemon thread and wait until it listens.

    ``port=0`` picks a free port (see :attr:`RunningServer.port`). Raises
    RuntimeError when the server does not come up within ``timeout`` seconds.
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="central-crm", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"the central CRM did not start on {host}:{port}")
        time.sleep(0.01)
    sock: socket.socket = server.servers[0].sockets[0]
    return RunningServer(server=server, thread=thread, host=host, port=int(sock.getsockname()[1]))
