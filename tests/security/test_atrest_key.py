"""Issue 13, part D: a cache is never plain by default. Without a keyring its key is
derived from the RM's password (scrypt, a random salt beside the cache, wrapping a
random cache key); a plain cache is re-encrypted as soon as a key is available;
``--no-encrypt`` warns."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from rm_workbench.cli import main
from rm_workbench.db.cache import open_cache, open_profile_cache
from rm_workbench.db.engine import is_plain_sqlite
from rm_workbench.errors import CacheKeyError
from tests.central.conftest import PASSWORD, Book, Service
from tests.support.security_atrest import (
    PEOPLE,
    add_people,
    no_keyring,
    raw_bytes,
    sibling_files,
    traces,
)


def test_without_a_keyring_a_cache_is_not_opened_plain(tmp_path: Path) -> None:
    """Before: created unencrypted with a warning (265 ID numbers readable by anyone)."""
    path = tmp_path / "cache.db"
    with no_keyring(), pytest.raises(CacheKeyError, match="密码") as info:
        open_profile_cache(path, "rm001")
    assert "密钥库" in info.value.user_message
    assert not path.exists() or not is_plain_sqlite(path)


def test_without_a_keyring_the_key_derives_from_the_password(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    with no_keyring():
        opened = open_profile_cache(path, "rm001", password="s3cret-pass")
        assert opened.cache.encrypted
        add_people(opened.cache)
        opened.cache.dispose()
        assert not is_plain_sqlite(path)
        assert traces(sibling_files(path)) == []
        # The salt file is not secret, but it holds no key in clear either.
        record = json.loads((tmp_path / "cache.db.key").read_text())
        assert record["kdf"] == "scrypt" and record["n"] >= 2**14
        assert opened.cache.key is not None
        assert opened.cache.key.encode() not in raw_bytes(sibling_files(path))

        again = open_profile_cache(path, "rm001", password="s3cret-pass")
        assert again.cache.encrypted
        again.cache.dispose()
        before = path.read_bytes()
        with pytest.raises(CacheKeyError, match="密码不对"):
            open_profile_cache(path, "rm001", password="wrong-pass")
        with pytest.raises(CacheKeyError, match="输入密码"):
            open_profile_cache(path, "rm001")
        assert path.read_bytes() == before


def test_a_login_with_a_changed_password_rewraps_the_cache_key(
    svc: Service, book: Book, tmp_path: Path
) -> None:
    """The password changed on the server: the cache is opened once with the old one,
    and the next login with the new one re-wraps the key (no data, no queued edit
    lost)."""
    from rm_workbench.services.sync import SyncService

    path = tmp_path / "cache.db"
    with no_keyring():
        opened = open_profile_cache(path, "alice", password="the-old-password")
        SyncService(opened.cache, "alice").login(svc.root, "alice", PASSWORD)
        opened.cache.dispose()
        with pytest.raises(CacheKeyError, match="密码不对"):
            open_profile_cache(path, "alice", password="the-old-password")
        again = open_profile_cache(path, "alice", password=PASSWORD)
        again.cache.dispose()


def _plain_cache_with_people(path: Path) -> None:
    cache = open_cache(path)
    add_people(cache)
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    # Leave one person's row in the WAL too, and a plain migration backup beside it.
    path.with_name("cache.db.bak-0006-20260101T000000").write_bytes(path.read_bytes())
    with cache.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE customer SET notes = '复核' WHERE id = 'p0'")
    cache.engine.dispose()
    assert traces(sibling_files(path)), "the test needs readable data to start from"


@pytest.mark.parametrize("keyring_kind", ["keyring", "password"])
def test_a_plain_cache_is_reencrypted_once_a_key_is_available(
    tmp_path: Path, keyring_kind: str, request: Any
) -> None:
    path = tmp_path / "cache.db"
    _plain_cache_with_people(path)
    if keyring_kind == "keyring":
        request.getfixturevalue("memory_keyring")
        opened = open_profile_cache(path, "rm001")
    else:
        with no_keyring():
            opened = open_profile_cache(path, "rm001", password="s3cret-pass")
    try:
        assert opened.cache.encrypted
        with opened.cache.engine.connect() as conn:
            names = conn.exec_driver_sql("SELECT name FROM customer ORDER BY id").scalars()
            assert list(names) == [p[0] for p in PEOPLE]
            notes = conn.exec_driver_sql("SELECT notes FROM customer WHERE id = 'p0'").scalar()
            assert notes == "复核"
    finally:
        opened.cache.dispose()
    assert not is_plain_sqlite(path)
    files = sibling_files(path)
    assert traces(files) == [], f"readable in {[p.name for p in files]}"


def test_no_encrypt_warns_on_stderr_and_in_the_status_bar(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: Any,
) -> None:
    from rm_workbench.services.workbench import open_workbench

    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--profile", "plain", "--no-encrypt", "sync"]) == 2  # no server yet
    assert "未加密" in capsys.readouterr().err
    workbench = open_workbench("plain", encrypt=False, find_duplicates=False)
    try:
        assert not workbench.cache.encrypted
        assert workbench.warning is not None and "未加密" in workbench.warning
    finally:
        workbench.close()


def test_the_demo_launch_encrypts_without_a_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: Any
) -> None:
    """The README's first command on a headless machine: the demo knows its password."""
    from rm_demo.central import DEMO_PASSWORD, start_demo_central
    from rm_workbench.launch import Demo
    from rm_workbench.ui import app

    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    opened: list[Any] = []
    demo = Demo(start_central=start_demo_central, password=DEMO_PASSWORD)

    def window(_app: Any, workbench: Any, _settings: Any, *, demo: Demo | None) -> int:
        opened.append((workbench.cache.encrypted, workbench.warning, demo))
        workbench.close()
        return 0

    monkeypatch.setattr(app, "run_window", window)
    with no_keyring():
        assert app.run("demo", demo=demo, encrypt=True, language="en") == 0
    assert opened == [(True, None, demo)]
    assert not is_plain_sqlite(tmp_path / "demo" / "cache.db")
