"""Secrets, only through the OS keyring: the cache key now, the sync token later.

Nothing secret is ever written to SQLite, a settings file or a log. When the machine
has no keyring (a headless Linux box), :class:`SecretStoreUnavailable` says so in
plain words and the caller decides how to go on (the cache then stays unencrypted,
with a visible warning).
"""

from __future__ import annotations

import logging
import secrets
from types import ModuleType

from rm_workbench.errors import SecretStoreUnavailable

log = logging.getLogger(__name__)

SERVICE = "rm-workbench"

NO_KEYRING_MESSAGE = (
    "本机没有可用的系统密钥库（Windows 凭据管理器、macOS 钥匙串或 Secret Service），"
    "本地缓存将不加密保存，登录令牌也无法保存。请联系技术支持开启系统密钥库。"
)


def _keyring() -> ModuleType:
    """The keyring package, imported on first use: a plain (unencrypted) cache opens
    without it, and importing it costs ~40 ms of every start."""
    import keyring
    import keyring.errors

    return keyring


def _get(name: str) -> str | None:
    keyring = _keyring()
    try:
        return keyring.get_password(SERVICE, name)
    except keyring.errors.NoKeyringError as exc:
        raise SecretStoreUnavailable(NO_KEYRING_MESSAGE, str(exc)) from exc
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable("读取系统密钥库失败。", repr(exc)) from exc


def _set(name: str, value: str) -> None:
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, name, value)
    except keyring.errors.NoKeyringError as exc:
        raise SecretStoreUnavailable(NO_KEYRING_MESSAGE, str(exc)) from exc
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable("写入系统密钥库失败。", repr(exc)) from exc


def keyring_available() -> bool:
    try:
        _get("probe")
    except SecretStoreUnavailable:
        return False
    return True


def cache_key(profile: str, *, create: bool) -> str | None:
    """The 256-bit key (64 hex characters) of a profile's encrypted cache.

    With ``create`` a new random key is stored on first use; without it a missing
    key gives None (the cache then cannot be opened, and the caller says so).
    """
    name = f"cache-key:{profile}"
    key = _get(name)
    if key is None and create:
        key = secrets.token_hex(32)
        _set(name, key)
        log.info("created a new cache key for profile %s in the OS keyring", profile)
    return key


def _token_name(profile: str, server_url: str) -> str:
    return f"token:{profile}@{server_url.rstrip('/')}"


def sync_token(profile: str, server_url: str) -> str | None:
    """The login token for this profile and central CRM, or None (log in again)."""
    return _get(_token_name(profile, server_url))


def store_sync_token(profile: str, server_url: str, token: str) -> None:
    _set(_token_name(profile, server_url), token)


def forget_sync_token(profile: str, server_url: str) -> None:
    keyring = _keyring()
    try:
        keyring.delete_password(SERVICE, _token_name(profile, server_url))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.NoKeyringError as exc:
        raise SecretStoreUnavailable(NO_KEYRING_MESSAGE, str(exc)) from exc
