"""Shared fixtures: a real cache file migrated to head, a keyring of the tests' own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from rm_workbench.db.cache import open_cache
from rm_workbench.db.engine import Cache


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring: the headless test machine has no OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.db"


@pytest.fixture
def cache(cache_path: Path) -> Iterator[Cache]:
    """An empty cache: a real SQLite file migrated to head by Alembic."""
    opened = open_cache(cache_path)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture(autouse=True)
def _labels_in_chinese() -> Iterator[None]:
    """The bank's words in Chinese for every test: a test that runs the app in English
    (``language="en"``) sets rm_contract.labels' language for the whole process."""
    from rm_contract.labels import set_language

    yield
    set_language("zh_CN")


@pytest.fixture(autouse=True)
def _no_error_dialog_waits_for_a_click(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one error dialog (rm_workbench.ui.error_dialog) is modal: in a test nobody
    clicks it, and the run would wait until CI gives up. It fails the test with its
    message instead (pytest-qt reports an exception raised in a slot)."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(box: QMessageBox) -> int:
        raise AssertionError(f"an error dialog opened: {box.text()}\n{box.detailedText()[:3000]}")

    monkeypatch.setattr(QMessageBox, "exec", refuse)
