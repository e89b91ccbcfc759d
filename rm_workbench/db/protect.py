"""Personal data at rest: private file modes, a cache key wrapped with the RM's
password where no keyring holds it, a plain cache turned into an encrypted one, and
deletion that overwrites first.

* Modes: every file of a profile is 0600 and every folder 0700, whatever the umask;
  looser ones are tightened when the cache opens (:func:`tighten_tree`).
* Password-wrapped key (a machine without an OS keyring): the cache's key is random
  (256 bits); ``cache.db.key`` beside the cache holds it XOR-ed with a key derived from
  the RM's password by scrypt (memory-hard: 32 MiB, ~0.1 s), a random salt and an
  HMAC that tells a wrong password from a damaged file. The file is not secret. A
  successful login with another password (changed on the central CRM) re-wraps the
  same key (:func:`rewrap_key`): the cache, its queued edits included, is kept.
* Deletion (:func:`secure_unlink`) overwrites a file with zeros and syncs before
  unlinking: best effort (a copy-on-write file system or an SSD may keep old blocks),
  which is why the cache itself is encrypted.

Nothing here imports Qt; the UI and the command line ask for the password and call
:func:`rm_workbench.db.cache.open_profile_cache` again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import stat
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

# scrypt: N=2^15, r=8 → 32 MiB of memory per guess, ~0.1 s on a laptop.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_KEY_FILE_VERSION = 1


# --- modes ---------------------------------------------------------------------------


def _chmod(path: Path, wanted: int) -> None:
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            return
        if stat.S_IMODE(st.st_mode) != wanted:
            path.chmod(wanted)
    except FileNotFoundError:
        pass
    except OSError as exc:  # not ours (another account's file): say so, go on
        log.warning("could not restrict %s to %o: %s", path, wanted, exc)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed and make it 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist, else make it 0600.
    SQLite gives its -wal and -shm files the mode of the database file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        _chmod(path, PRIVATE_FILE)
    else:
        os.close(fd)
        _chmod(path, PRIVATE_FILE)  # the umask cannot loosen 0600, but be explicit


def tighten_siblings(path: Path) -> None:
    """Make the file and every file named after it (-wal, -shm, backups) 0600."""
    for sibling in path.parent.glob(f"{path.name}*"):
        if sibling.is_file():
            _chmod(sibling, PRIVATE_FILE)


def tighten_tree(folder: Path) -> None:
    """Make ``folder`` and every folder under it 0700, every file 0600."""
    private_dir(folder)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            _chmod(Path(root, name), PRIVATE_DIR)
        for name in files:
            _chmod(Path(root, name), PRIVATE_FILE)


# --- deletion ------------------------------------------------------------------------


def _overwrite(handle: Any, size: int) -> None:
    handle.seek(0)
    chunk = b"\0" * (1 << 20)
    left = size
    while left > 0:
        step = min(left, len(chunk))
        handle.write(chunk[:step])
        left -= step
    handle.flush()
    os.fsync(handle.fileno())


def secure_unlink(path: Path) -> bool:
    """Overwrite ``path`` with zeros, sync, then remove it (best effort: the file is
    removed even when the overwrite fails). Returns whether it existed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    try:
        with path.open("r+b") as handle:
            _overwrite(handle, size)
    except OSError as exc:
        log.warning("could not overwrite %s before removing it: %s", path, exc)
    path.unlink(missing_ok=True)
    return True


def backups_of(path: Path) -> list[Path]:
    """The migration backups of the cache at ``path`` (``cache.db.bak-*``)."""
    return sorted(p for p in path.parent.glob(f"{path.name}.bak-*") if p.is_file())


def purge_backups(path: Path) -> list[Path]:
    """Securely delete every migration backup of the cache at ``path``; returns them."""
    removed = [b for b in backups_of(path) if secure_unlink(b)]
    if removed:
        log.info("removed %d cache backup(s): %s", len(removed), [b.name for b in removed])
    return removed


# --- a key wrapped with the RM's password ----------------------------------------------


def key_file(path: Path) -> Path:
    """Where the password-wrapped key of the cache at ``path`` lives."""
    return path.with_name(f"{path.name}.key")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    derived = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=64
    )
    return derived[:32], derived[32:]


def wrap_key(key_hex: str, password: str) -> dict[str, Any]:
    """The record that keeps ``key_hex`` (64 hex characters) under ``password``."""
    key = bytes.fromhex(key_hex)
    salt = secrets.token_bytes(16)
    pad, mac_key = _derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    wrapped = bytes(a ^ b for a, b in zip(key, pad, strict=True))
    return {
        "version": _KEY_FILE_VERSION,
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        "wrapped": wrapped.hex(),
        "mac": hmac.new(mac_key, salt + wrapped, hashlib.sha256).hexdigest(),
    }


def unwrap_key(record: dict[str, Any], password: str) -> str | None:
    """The key in ``record``, or None when ``password`` is not the one it was wrapped
    with."""
    salt = bytes.fromhex(record["salt"])
    wrapped = bytes.fromhex(record["wrapped"])
    pad, mac_key = _derive(password, salt, int(record["n"]), int(record["r"]), int(record["p"]))
    expected = hmac.new(mac_key, salt + wrapped, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(record["mac"])):
        return None
    return bytes(a ^ b for a, b in zip(wrapped, pad, strict=True)).hex()


def read_key_record(path: Path) -> dict[str, Any] | None:
    """The wrapped-key record of the cache at ``path``, or None (the keyring holds its
    key, or it has none yet)."""
    try:
        text = key_file(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    record = json.loads(text)
    if not isinstance(record, dict) or record.get("kdf") != "scrypt":
        raise ValueError(f"{key_file(path)}: not a wrapped cache key")
    return record


def write_key_record(path: Path, record: dict[str, Any]) -> None:
    """Replace the wrapped-key file atomically (a crash leaves the old or the new)."""
    target = key_file(path)
    temporary = target.with_name(f"{target.name}.new")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def new_wrapped_key(path: Path, password: str) -> str:
    """A new random cache key for the cache at ``path``, kept under ``password``."""
    key = secrets.token_hex(32)
    write_key_record(path, wrap_key(key, password))
    log.info("created a new password-wrapped cache key for %s", path)
    return key


def rewrap_key(path: Path, key_hex: str, password: str) -> bool:
    """After a successful login: wrap the cache's key with this password if it is not
    the one it is wrapped with (changed on the central CRM). Returns whether it did."""
    record = read_key_record(path)
    if record is None:
        return False
    if unwrap_key(record, password) == key_hex:
        return False
    write_key_record(path, wrap_key(key_hex, password))
    log.info("cache key of %s wrapped with the new password", path)
    return True


# --- a plain cache made encrypted --------------------------------------------------------


def encrypt_plain_cache(path: Path, key_hex: str) -> None:
    """Turn the plain SQLite cache at ``path`` into a SQLCipher one with ``key_hex``:
    export into a new file, replace atomically, then overwrite the old file's pages,
    its WAL and its (plain) backups. A crash leaves the plain or the encrypted file,
    never neither."""
    import sqlcipher3

    plain = sqlite3.connect(path)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        user_version = plain.execute("PRAGMA user_version").fetchone()[0]
    finally:
        plain.close()
    target = path.with_name(f"{path.name}.encrypting")
    for leftover in (target, *(Path(f"{target}{s}") for s in ("-wal", "-shm", "-journal"))):
        secure_unlink(leftover)
    private_file(target)
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(target), f"x'{key_hex}'"))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute(f"PRAGMA encrypted.user_version = {int(user_version)}")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    with path.open("r+b") as old:
        size = os.fstat(old.fileno()).st_size
        os.replace(target, path)
        _overwrite(old, size)  # the old inode, no longer named
    for suffix in ("-wal", "-shm", "-journal"):
        secure_unlink(Path(f"{path}{suffix}"))
    purge_backups(path)
    log.warning("plain cache %s encrypted", path)
