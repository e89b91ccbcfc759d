"""Opening the cache the way the workbench does at start-up.

A cache is never plain by default. Its key comes from the OS keyring; on a machine
without one (a headless Linux box) from the RM's password: a random key wrapped with a
key derived from the password (``cache.db.key``, :mod:`rm_workbench.db.protect`). When
the password is needed and not given, :class:`CachePasswordRequired` says so and the
caller (the window, ``rm-workbench sync``) asks for it and opens again. A plain cache
(made with ``--no-encrypt`` or by an older workbench) is encrypted the first time it
is opened with a key. Only ``encrypt=False`` (``--no-encrypt``) opens a cache plain,
with a warning the window and the command line show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from rm_workbench import keystore
from rm_workbench.db import protect
from rm_workbench.db.bulk import restore_indexes
from rm_workbench.db.engine import Cache, is_plain_sqlite, open_engine
from rm_workbench.db.migrate import upgrade_cache
from rm_workbench.errors import (
    CacheKeyError,
    CachePasswordRequired,
    CachePasswordWrong,
    SecretStoreUnavailable,
)

log = logging.getLogger(__name__)

NO_ENCRYPT_WARNING = (
    "本地缓存未加密（--no-encrypt）：客户的姓名、证件号码和手机号以明文保存在本机，"
    "仅可用于测试。/ The local cache is not encrypted (--no-encrypt)."
)
NO_KEYRING_PASSWORD = (
    "本机没有可用的系统密钥库，本地缓存将用您的登录密码加密保护。请输入您的登录密码。"
)
PASSWORD_NEEDED = "本地缓存由您的登录密码加密保护（本机没有系统密钥库）。请输入密码。"
PASSWORD_WRONG = (
    "密码不对，无法打开本地缓存。如果您最近在总行系统修改过密码，请输入修改前的密码；"
    "下次登录成功后，缓存即改由新密码保护。文件已原样保留，待上传的修改都在。"
)


def open_cache(path: Path, key: str | None = None) -> Cache:
    """Open the cache file with ``key`` (None: unencrypted) and migrate it to head.
    Once it is open at head, the backups a migration made are deleted."""
    cache = open_engine(Path(path), key)
    try:
        with cache.engine.begin() as conn:
            # Indexes a bootstrap deferred and could not build again (a crash):
            # before any migration, which expects the schema as it was.
            restore_indexes(conn, strict=False)
        upgrade_cache(cache)
        with cache.engine.connect() as conn:  # the new revision reads
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one()
    except BaseException:
        cache.dispose()
        raise
    protect.purge_backups(cache.path)
    return cache


@dataclass(frozen=True)
class OpenedCache:
    cache: Cache
    # A warning the UI must show (e.g. "cache not encrypted"), or None.
    warning: str | None


def _cache_key(path: Path, profile: str, password: str | None, *, create: bool) -> str | None:
    """The key of the cache at ``path``: unwrapped with ``password`` when the profile
    has a wrapped key, else from the keyring; without a keyring a new key is wrapped
    with ``password`` (``create``). Raises CachePasswordRequired / CachePasswordWrong."""
    record = protect.read_key_record(path)
    if record is not None:
        if password is None:
            raise CachePasswordRequired(PASSWORD_NEEDED, f"{protect.key_file(path)}: no password")
        key = protect.unwrap_key(record, password)
        if key is None:
            raise CachePasswordWrong(PASSWORD_WRONG, "the password does not unwrap the key")
        return key
    try:
        return keystore.cache_key(profile, create=create)
    except SecretStoreUnavailable as exc:
        if not create:
            raise CacheKeyError(
                "本地缓存已加密，但本机的系统密钥库不可用，无法取得密钥。文件已原样保留。",
                exc.details,
            ) from exc
        if password is None:
            raise CachePasswordRequired(NO_KEYRING_PASSWORD, exc.details) from exc
        return protect.new_wrapped_key(path, password)


def open_profile_cache(
    path: Path, profile: str, *, encrypt: bool = True, password: str | None = None
) -> OpenedCache:
    """Open a profile's cache, encrypted (see the module's docstring).

    ``password`` is the RM's login password, needed only where no keyring holds the
    key. With ``encrypt`` off a new or plain cache opens plain, with a warning; an
    encrypted one still needs its key. The profile's folder and files are made
    private (0700 / 0600) first.
    """
    path = Path(path)
    protect.tighten_tree(path.parent)
    exists = path.exists() and path.stat().st_size > 0
    plain = exists and is_plain_sqlite(path)
    if not encrypt and (plain or not exists):
        log.warning("cache %s opened unencrypted (--no-encrypt)", path)
        return OpenedCache(open_cache(path), NO_ENCRYPT_WARNING)
    key = _cache_key(path, profile, password, create=plain or not exists)
    if plain and key is not None:
        protect.encrypt_plain_cache(path, key)
    return OpenedCache(open_cache(path, key), None)
