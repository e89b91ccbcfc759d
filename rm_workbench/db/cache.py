"""Opening the cache the way the workbench does at start-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rm_workbench import keystore
from rm_workbench.db.bulk import restore_indexes
from rm_workbench.db.engine import Cache, is_plain_sqlite, open_engine
from rm_workbench.db.migrate import upgrade_cache
from rm_workbench.errors import CacheKeyError, SecretStoreUnavailable

log = logging.getLogger(__name__)


def open_cache(path: Path, key: str | None = None) -> Cache:
    """Open the cache file with ``key`` (None: unencrypted) and migrate it to head."""
    cache = open_engine(Path(path), key)
    try:
        with cache.engine.begin() as conn:
            # Indexes a bootstrap deferred and could not build again (a crash):
            # before any migration, which expects the schema as it was.
            restore_indexes(conn, strict=False)
        upgrade_cache(cache)
    except BaseException:
        cache.dispose()
        raise
    return cache


@dataclass(frozen=True)
class OpenedCache:
    cache: Cache
    # A warning the UI must show (e.g. "no keyring, cache not encrypted"), or None.
    warning: str | None


def open_profile_cache(path: Path, profile: str, *, encrypt: bool = True) -> OpenedCache:
    """Open a profile's cache with its key from the OS keyring.

    An existing file decides: an encrypted file needs its key (a missing key or
    keyring is a CacheKeyError, the file untouched); a plain file stays plain. A new
    file is encrypted when ``encrypt`` is set and a keyring is available; without a
    keyring it is created unencrypted and the warning says so.
    """
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if exists and is_plain_sqlite(path):
        return OpenedCache(open_cache(path), None)
    if exists:
        try:
            key = keystore.cache_key(profile, create=False)
        except SecretStoreUnavailable as exc:
            raise CacheKeyError(
                "本地缓存已加密，但本机的系统密钥库不可用，无法取得密钥。文件已原样保留。",
                exc.details,
            ) from exc
        return OpenedCache(open_cache(path, key), None)
    if not encrypt:
        return OpenedCache(open_cache(path), None)
    try:
        key = keystore.cache_key(profile, create=True)
    except SecretStoreUnavailable as exc:
        log.warning("no keyring: cache %s created unencrypted", path)
        return OpenedCache(open_cache(path), exc.user_message)
    return OpenedCache(open_cache(path, key), None)
