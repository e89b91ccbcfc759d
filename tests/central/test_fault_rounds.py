"""The sync's guarantees through seeded rounds of faults (see tests/support/harness.py):
devices of two RMs edit, the bank changes data, reassigns customers and purges
tombstones, connections break at random points of requests and responses and clients
are killed mid-apply; after every round all replicas converge, no acknowledged edit is
lost and nothing is duplicated.

CI plays 200 rounds on SQLite and 60 on PostgreSQL with a fixed seed. Replay or vary
with ``FAULT_ROUNDS_SEED=N`` (and ``FAULT_ROUNDS=R`` for R rounds on every back end);
a failure names its seed and round. ``bench/soak_sync.py`` plays 10,000.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.central.conftest import Service
from tests.support.harness import run_rounds

SEED = int(os.environ.get("FAULT_ROUNDS_SEED", "20261122"))
ROUNDS = {"sqlite": 200, "postgresql": 60}


@pytest.mark.slow
def test_sync_guarantees_hold_through_rounds_of_faults(svc: Service, tmp_path: Path) -> None:
    rounds = int(os.environ.get("FAULT_ROUNDS", ROUNDS[svc.backend]))
    result = run_rounds(svc.root, svc.engine, rounds=rounds, seed=SEED, workdir=tmp_path)
    print(result.summary())
    where = f"seed {SEED} on {svc.backend}: {result.summary()}"
    assert result.rounds == rounds, where
    # The rounds must have exercised what they claim to: faults of every kind, killed
    # clients, conflicts and reassignments (otherwise the harness tests nothing).
    if rounds >= 100:
        for kind in ("refuse", "cut_request", "drop_response", "cut_response"):
            assert result.faults[kind] > 0, f"no {kind} injected: {where}"
        assert result.kills and result.restarts, where
        assert result.conflicts and result.reassignments and result.evictions, where
        assert result.forced_gcs and result.bootstraps > 3, where
