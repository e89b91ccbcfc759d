"""The open workbench: the cache of one profile and the services over it.

The UI holds a :class:`Workbench` and calls its services; it never sees a session.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rm_workbench.config import bank_config
from rm_workbench.db.cache import open_profile_cache
from rm_workbench.db.engine import Cache
from rm_workbench.paths import cache_path
from rm_workbench.services.customers import CustomerService

log = logging.getLogger(__name__)


@dataclass
class Workbench:
    profile: str
    cache: Cache
    customers: CustomerService
    bank_name: str
    # Shown in the status bar while it holds (e.g. "no keyring, cache not encrypted").
    warning: str | None = None

    def close(self) -> None:
        self.cache.dispose()


def open_workbench(profile: str, *, demo: bool = False, encrypt: bool = True) -> Workbench:
    """Open (and migrate) the profile's cache; for the demo, fill it on first use."""
    opened = open_profile_cache(cache_path(profile), profile, encrypt=encrypt)
    cache = opened.cache
    if demo:
        from rm_workbench.services.demo import cache_is_empty, load_demo_book

        if cache_is_empty(cache):
            counts = load_demo_book(cache)
            log.info("demo book loaded: %s", counts)
    customers = CustomerService(cache)
    customers.refresh_duplicates()
    return Workbench(
        profile=profile,
        cache=cache,
        customers=customers,
        bank_name=bank_config().bank.name,
        warning=opened.warning,
    )
