"""Opening the local cache: a SQLite file in WAL mode with foreign keys on,
optionally encrypted at rest with SQLCipher.

Everything that can go wrong when opening or writing the file is turned into a
:class:`~rm_workbench.errors.CacheError` with a plain message; the file itself is
never deleted or rewritten on an error, so nothing the RM typed is lost.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from rm_workbench.db import protect
from rm_workbench.db.integrity import take_integrity_check
from rm_workbench.errors import CacheCorruptError, CacheError, CacheKeyError, DiskFullError

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"


def is_plain_sqlite(path: Path) -> bool:
    """True when the file starts with SQLite's header (i.e. it is not encrypted)."""
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (an evicted customer) are overwritten with zeros, not left in
        # free pages; set explicitly, whatever the SQLite build's default.
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


def translate_error(exc: BaseException, path: Path) -> CacheError | None:
    """Map a driver error to a clear CacheError, or None when it is not about the file."""
    message = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in message or "disk full" in message:
        return DiskFullError(
            "磁盘已满，刚才的修改没有保存。请清理磁盘空间后重试，已保存的数据不受影响。",
            f"{path}: {exc}",
        )
    if "file is not a database" in message or "malformed" in message:
        return CacheCorruptError(
            f"本地缓存文件已损坏，无法读取：{path}。文件已原样保留，请联系技术支持；"
            "也可以改用新的缓存文件，从总行系统重新同步。",
            str(exc),
        )
    if "unable to open" in message or "readonly" in message or "read-only" in message:
        return CacheError(f"无法打开或写入本地缓存文件：{path}", str(exc))
    return None


@dataclass
class Cache:
    """An open local cache: the engine and a session factory over it.

    Sessions are short-lived and used from one thread at a time; the workbench
    serializes writes on one background lane (see ``services``).
    """

    path: Path
    engine: Engine
    encrypted: bool
    sessions: sessionmaker[Session]
    # The SQLCipher key (64 hex characters), kept to re-wrap it when the RM's password
    # changes (rm_workbench.db.protect); None for a plain cache.
    key: str | None = field(default=None, repr=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error,
        with driver errors (full disk, corruption) turned into clear CacheErrors."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except (OperationalError, DatabaseError) as exc:
            session.rollback()
            translated = translate_error(exc, self.path)
            if translated is not None:
                raise translated from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(path: Path, key: str | None = None) -> Engine:
    """An engine over ``path``; with ``key`` (64 hex characters) through SQLCipher.

    The key is passed as a raw key (``x'…'``), so SQLCipher skips its slow key
    derivation on every new connection.
    """
    if key is None:
        url = URL.create("sqlite", database=str(path))
        engine = create_engine(url)
    else:
        url = URL.create("sqlite+pysqlcipher", password=f"x'{key}'", database=str(path))
        # The same pool as plain SQLite files get: SQLAlchemy's default for SQLCipher
        # (SingletonThreadPool) keeps one connection per thread and closes the
        # connections of other threads, still in use, once more than five threads
        # (GUI, reader pool, writer lane) have used it. A QueuePool lends each
        # connection to one thread at a time.
        engine = create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _set_pragmas)
    return engine


def open_engine(path: Path, key: str | None = None) -> Cache:
    """Open (or create) the cache file and prove it is readable with this key.

    Raises CacheKeyError for an encrypted file without the right key (or a key for
    a plain file), CacheCorruptError for a damaged file. Never modifies the file on
    failure.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists() and path.stat().st_size > 0
    # 0600 before SQLite opens it: its -wal and -shm files take the file's mode.
    protect.private_file(path)
    if existed:
        plain = is_plain_sqlite(path)
        if plain and key is not None:
            raise CacheKeyError(
                f"本地缓存文件 {path} 没有加密，但设置要求加密。"
                "请先同步后删除该文件，由系统重新建立加密缓存。",
                "plain SQLite header found while a key was given",
            )
        if not plain and key is None:
            raise CacheKeyError(
                f"本地缓存文件 {path} 不是普通的数据库文件：它已加密，但在系统密钥库中"
                "找不到它的密钥（或文件已损坏）。文件已原样保留；请在原来的电脑账户下打开，"
                "或联系技术支持。",
                "no SQLite header and no key",
            )
    engine = make_engine(path, key)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            if existed:
                # Checked already while start-up was importing (db.integrity), or now.
                early = take_integrity_check(path) if key is None else None
                status = early or conn.execute(text("PRAGMA quick_check")).scalar_one()
                if status != "ok":
                    raise CacheCorruptError(
                        f"本地缓存文件已损坏：{path}。文件已原样保留，请联系技术支持；"
                        "也可以改用新的缓存文件，从总行系统重新同步。",
                        f"quick_check: {status}",
                    )
            mode = conn.execute(text("PRAGMA journal_mode = WAL")).scalar_one()
            if str(mode).lower() != "wal":
                log.warning("cache %s could not switch to WAL (mode %s)", path, mode)
            conn.commit()
        protect.tighten_siblings(path)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        if key is not None and "file is not a database" in str(exc).lower():
            raise CacheKeyError(
                f"无法用当前密钥打开加密的本地缓存 {path}：密钥不对，或文件已损坏。"
                "文件已原样保留，未做任何修改。",
                str(exc),
            ) from exc
        translated = translate_error(exc, path)
        if translated is not None:
            raise translated from exc
        raise CacheError(f"无法打开本地缓存文件：{path}", str(exc)) from exc
    except CacheError:
        engine.dispose()
        raise
    return Cache(
        path=path,
        engine=engine,
        encrypted=key is not None,
        sessions=sessionmaker(engine, expire_on_commit=False),
        key=key,
    )


# How work that waits between its transactions (the sync's network calls, a batch of
# documents) runs each transaction: ``writer(fn)`` runs ``fn`` (one transaction) and
# returns its result. The UI passes ``rm_workbench.ui.background.on_writer_lane``, so
# the transaction takes its turn on the one writer lane while the waiting happens
# elsewhere; scripts and tests run it where they are (:func:`run_here`).
Writer = Callable[[Callable[[], Any]], Any]


def run_here(fn: Callable[[], Any]) -> Any:
    """The writer of a script: the transaction runs on the calling thread."""
    return fn()
