"""The cache file's integrity check at start-up, run while the program is importing.

``open_engine`` refuses a damaged file with ``PRAGMA quick_check``, which reads every
page: about 0.15 s for a 5,000-customer book (150 MB), ten times that at ten times
the book. Start-up (``rm_workbench.cli``) therefore begins that same check on a
thread of its own in its first lines, before the imports of Qt, SQLAlchemy and the
workbench (0.8 s that need no file); sqlite3 lets go of the GIL while it reads, so the
two run side by side. ``open_engine`` then takes the answer, waiting if it is not in
yet, before anything else reads or writes the file; a check that was not started or
could not run is run there as before. Only plain files are checked early: an
encrypted one needs its key from the keyring first.

Only the standard library is imported here: this module is loaded before the rest.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

_SQLITE_MAGIC = b"SQLite format 3\x00"


class IntegrityCheck:
    """``PRAGMA quick_check`` of one file on a daemon thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._status: str | None = None
        self._thread = threading.Thread(target=self._run, name="cache-check", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            try:
                row = conn.execute("PRAGMA quick_check").fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return  # the caller runs the check itself and reports the error properly
        self._status = None if row is None else str(row[0])

    def status(self) -> str | None:
        """quick_check's first line ("ok" for a sound file), waiting for it; None when
        the check could not run."""
        self._thread.join()
        return self._status


_started: dict[Path, IntegrityCheck] = {}
_lock = threading.Lock()


def _key(path: Path) -> Path:
    return Path(path).resolve()


def start_integrity_check(path: Path) -> bool:
    """Begin checking the plain cache file at ``path`` in the background; False (and
    nothing started) for a missing, empty or encrypted file."""
    try:
        with Path(path).open("rb") as handle:
            if handle.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                return False
    except OSError:
        return False
    with _lock:
        key = _key(path)
        if key not in _started:
            _started[key] = IntegrityCheck(key)
    return True


def take_integrity_check(path: Path) -> str | None:
    """The result of the check started for ``path`` (waiting for it), once: None when
    none was started or it could not run."""
    with _lock:
        check = _started.pop(_key(path), None)
    return None if check is None else check.status()
