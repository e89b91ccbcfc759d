"""Waiting for a forked child in a test, with a bound.

The crash tests fork children that kill themselves mid-write. pytest's process has
threads by then (servers on loopback, Qt's pools, the sync watchdog), and a fork of a
multi-threaded process can deadlock in the child on a lock another thread held at the
fork (Python warns about it). A child that does not end within its bound is killed
and the test fails saying so, instead of hanging the suite.
"""

from __future__ import annotations

import os
import signal
import time

CHILD_SECONDS = 120.0


class ChildHung(AssertionError):
    """A forked child ran past its bound (and was killed)."""


def wait_child(pid: int, seconds: float = CHILD_SECONDS) -> int:
    """``os.waitpid(pid, 0)``'s status, or :class:`ChildHung` after ``seconds``."""
    return wait_any({pid: time.monotonic()}, seconds, wait_for=pid)[1]


def wait_any(started: dict[int, float], seconds: float, wait_for: int = -1) -> tuple[int, int]:
    """``os.wait()`` for one of the children ``started`` (pid: monotonic start), or
    :class:`ChildHung` for the first that ran past ``seconds`` (killed)."""
    pause = 0.0005
    while True:
        pid, status = os.waitpid(wait_for, os.WNOHANG)
        if pid:
            return pid, status
        now = time.monotonic()
        for child, start in started.items():
            if now - start > seconds:
                kill_child(child)
                raise ChildHung(hung_message(child, seconds))
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def kill_child(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def hung_message(pid: int, seconds: float) -> str:
    return (
        f"forked child {pid} still running after {seconds:.0f} s (killed); a fork of"
        " a multi-threaded process can deadlock on a lock another thread held"
    )
