"""The cache's integrity check, started before start-up's imports (db.integrity)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rm_workbench.db.cache import open_cache
from rm_workbench.db.integrity import start_integrity_check, take_integrity_check
from rm_workbench.errors import CacheCorruptError

KEY = "cd" * 32


def _filled_cache(path: Path) -> None:
    cache = open_cache(path)
    with cache.engine.begin() as conn:
        for i in range(300):
            conn.exec_driver_sql(
                "INSERT INTO sync_state (key, value) VALUES (?, ?)", (f"k{i:04d}", "x" * 200)
            )
    with cache.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.dispose()


def test_a_sound_file_is_checked_early_and_opens(cache_path: Path) -> None:
    _filled_cache(cache_path)
    assert start_integrity_check(cache_path)
    opened = open_cache(cache_path)  # takes the early answer
    opened.dispose()
    assert take_integrity_check(cache_path) is None, "an answer is taken once"


def test_a_damaged_file_found_early_is_refused_and_kept(cache_path: Path) -> None:
    _filled_cache(cache_path)
    data = bytearray(cache_path.read_bytes())
    for offset in range(4096 * 2, min(len(data), 4096 * 6)):
        data[offset] = 0xA5  # scribble over b-tree pages, keep the header
    cache_path.write_bytes(bytes(data))
    damaged = cache_path.read_bytes()
    assert start_integrity_check(cache_path)
    with pytest.raises(CacheCorruptError, match="已损坏"):
        open_cache(cache_path)
    assert cache_path.read_bytes() == damaged


def test_nothing_is_started_for_a_missing_or_encrypted_file(cache_path: Path) -> None:
    assert not start_integrity_check(cache_path)
    open_cache(cache_path, KEY).dispose()
    assert not start_integrity_check(cache_path)
    assert take_integrity_check(cache_path) is None
