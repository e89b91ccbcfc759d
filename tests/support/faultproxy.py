"""A loopback TCP proxy that breaks connections on purpose, reproducibly.

Sits between the sync client and the central service. For each connection it draws
(from a seeded RNG) what to do: pass it through, refuse it, cut the request part-way,
let the request through but drop the whole response (the server acted, the client
never heard: the case idempotent pushes exist for), or cut the response part-way.
Byte offsets are drawn too, so cuts land in headers, in gzip bodies, anywhere.
"""

from __future__ import annotations

import contextlib
import random
import select
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

ACTIONS = ("pass", "refuse", "cut_request", "drop_response", "cut_response")


@dataclass
class FaultPlan:
    """Probabilities of each action (the rest passes)."""

    refuse: float = 0.05
    cut_request: float = 0.05
    drop_response: float = 0.08
    cut_response: float = 0.08

    def draw(self, rng: random.Random) -> str:
        roll = rng.random()
        for action in ("refuse", "cut_request", "drop_response", "cut_response"):
            roll -= getattr(self, action)
            if roll < 0:
                return action
        return "pass"


@dataclass
class FaultProxy:
    upstream_port: int
    seed: int = 0
    plan: FaultPlan = field(default_factory=FaultPlan)
    enabled: bool = True
    stats: Counter[str] = field(default_factory=Counter)
    # Actions for the first connections, in order, before the random plan takes over.
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def reseed(self, seed: int) -> None:
        """Restart the random plan from ``seed`` (one seed per round of a harness, so a
        round's faults do not depend on how many connections earlier rounds made)."""
        with self._lock:
            self._rng = random.Random(seed)

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _draw(self) -> tuple[str, int]:
        with self._lock:
            if self.script:
                action = self.script.pop(0)
            else:
                action = self.plan.draw(self._rng) if self.enabled else "pass"
            offset = self._rng.randint(0, 600)
            self.stats[action] += 1
        return action, offset

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        action, offset = self._draw()
        if action == "refuse":
            _abort(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            _abort(client)
            return
        try:
            self._pump(client, upstream, action, offset)
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()

    def _pump(
        self, client: socket.socket, upstream: socket.socket, action: str, offset: int
    ) -> None:
        sent_up = 0
        sent_down = 0
        while True:
            try:
                readable, _, _ = select.select([client, upstream], [], [], 30)
            except (OSError, ValueError):
                return
            if not readable:
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if sock is client:
                    if action == "cut_request" and sent_up + len(data) > offset:
                        upstream.sendall(data[: max(offset - sent_up, 0)])
                        _abort(client)
                        return
                    upstream.sendall(data)
                    sent_up += len(data)
                else:
                    if action == "drop_response":
                        _abort(client)  # the request reached the server; the answer never comes
                        return
                    if action == "cut_response" and sent_down + len(data) > offset:
                        client.sendall(data[: max(offset - sent_down, 0)])
                        _abort(client)
                        return
                    client.sendall(data)
                    sent_down += len(data)


def _abort(sock: socket.socket) -> None:
    """Close with a reset, as a dropped connection looks to the peer."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
