"""The garbage collector after start-up: full passes on a timer, not on allocation."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from rm_workbench.ui import background
from rm_workbench.ui.background import FULL_COLLECTION_EVERY_MS, freeze_startup_objects


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def collector_state() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
        gc.enable()


def test_full_passes_run_on_the_timer_and_free_old_cycles(
    qtbot: Any, collector_state: None
) -> None:
    collections = freeze_startup_objects()
    assert gc.isenabled()
    young, _middle, old = gc.get_threshold()
    assert young > 0 and old >= 10**9  # young generations still collected automatically
    assert collections.timer.isActive()
    assert collections.timer.interval() == FULL_COLLECTION_EVERY_MS
    assert freeze_startup_objects() is collections is background._full_collections

    node = Node()
    gone = weakref.ref(node)
    gc.collect(1)  # survives two young passes: now in the old generation
    gc.collect(1)
    del node
    for _ in range(50):  # plenty of young collections: none of them is a full one
        gc.collect(1)
    assert gone() is not None
    assert collections.collect() >= 1
    assert gone() is None
