"""What every service of one workbench works within: the cache, the signed-in RM, the
login name that is recorded, the bank's configuration, and how a transaction is run.

One :class:`ServiceScope` is built by the :class:`~rm_workbench.services.workbench.
Workbench` and shared by its services (:class:`ScopedService`), instead of each service
taking and keeping the same four arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from rm_workbench.config import BankConfig, bank_config
from rm_workbench.db.engine import Cache, Writer, run_here


@dataclass(frozen=True)
class ServiceScope:
    """``rm_id``: whose book (None: every customer in the cache); ``user_name``: who is
    recorded as acting (None: the OS user); ``config``: the bank's configuration
    (None: the one in force); ``writer``: how work that waits between transactions
    (documents, exports) runs each of them (the UI: its writer lane)."""

    cache: Cache
    rm_id: str | None = None
    user_name: str | None = None
    config: BankConfig | None = None
    writer: Writer = run_here

    @property
    def bank(self) -> BankConfig:
        return self.config or bank_config()


class ScopedService:
    """A service over one :class:`ServiceScope`; built from a scope, or (scripts,
    tests) from a cache and the scope's fields."""

    def __init__(
        self,
        cache: Cache | ServiceScope,
        *,
        rm_id: str | None = None,
        user_name: str | None = None,
        config: BankConfig | None = None,
    ) -> None:
        if isinstance(cache, ServiceScope):
            self.scope = cache
        else:
            self.scope = ServiceScope(cache, rm_id=rm_id, user_name=user_name, config=config)

    @property
    def _cache(self) -> Cache:
        return self.scope.cache

    @property
    def _rm_id(self) -> str | None:
        return self.scope.rm_id

    @property
    def _user_name(self) -> str | None:
        return self.scope.user_name

    @property
    def _config(self) -> BankConfig | None:
        return self.scope.config

    @property
    def _writer(self) -> Writer:
        return self.scope.writer
