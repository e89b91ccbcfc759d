"""What another package may plug into a launch of the workbench.

The workbench never imports the demo (``rm_demo``, which imports both programs);
the demo's launcher (``rm-workbench-demo``) hands the workbench a :class:`Demo`
instead: how to start the embedded central CRM and the password of the demo's
cache key. :func:`rm_workbench.cli.main` and :func:`rm_workbench.ui.app.run` take it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class EmbeddedCentral(Protocol):
    """A central CRM running beside the workbench, and the RM login to use on it."""

    @property
    def server_url(self) -> str: ...

    @property
    def username(self) -> str: ...

    @property
    def password(self) -> str: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Demo:
    """A demo launch: ``start_central(folder)`` starts the embedded central CRM (its
    data in the profile's folder); ``password`` wraps the cache's key where there is
    no keyring (the demo RM's password, so the first launch asks nothing)."""

    start_central: Callable[[Path], EmbeddedCentral]
    password: str
    profile: str = "demo"
