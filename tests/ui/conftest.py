"""Fixtures of the screen tests: the demo RM's book in a real migrated cache, loaded
once for the whole run; each test works on its own copy of the file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rm_demo.cache import load_demo_book
from rm_workbench.db.cache import open_cache
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import wait_for_background


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui_demo") / "template.db"
    cache = open_cache(path)
    load_demo_book(cache)
    cache.dispose()
    return path


@pytest.fixture
def workbench(demo_template: Path, tmp_path: Path) -> Iterator[Workbench]:
    """A workbench over a fresh copy of the demo book (the signed-in RM: the book's)."""
    path = tmp_path / "cache.db"
    for suffix in ("", "-wal"):
        source = Path(f"{demo_template}{suffix}")
        if source.exists():
            shutil.copy(source, f"{path}{suffix}")
    cache = open_cache(path)
    try:
        yield Workbench("test", cache, CustomerService(cache), "示范商业银行")
    finally:
        wait_for_background()  # nothing may still read or write when the cache closes
        cache.dispose()
