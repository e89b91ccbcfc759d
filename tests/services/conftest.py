"""Fixtures of the service tests: a hand-made book in a real migrated cache."""

from __future__ import annotations

import pytest

from rm_workbench.db.engine import Cache
from tests.services.helpers import Book


@pytest.fixture
def book(cache: Cache) -> Book:
    return Book(cache)
