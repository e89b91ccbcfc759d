"""The working-day soak (bench/bench_working_day.py) in small: 200 actions of its mix on
the real main window over the --demo launch, in a child process as the bench runs
them, so the bench keeps working as the screens change (about 30 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_working_day import ACTIONS, run_child

ACTIONS_PLAYED = 200


@pytest.mark.slow
def test_two_hundred_actions_of_a_working_day(tmp_path: Path) -> None:
    result = run_child(ACTIONS_PLAYED, seed=12, workdir=tmp_path, stuck_seconds=120, echo=False)
    ended = result["ended"]
    assert result["survived"], (ended, result.get("failure_lines"), ended["log_tail"][-3000:])
    assert not result["failures"], result["failure_lines"]
    assert result["actions_done"] >= ACTIONS_PLAYED
    assert len(result["kinds"]) >= len(ACTIONS) - 3, "most kinds of action were played"
    assert result["syncs"]["ok"] >= 1
    assert result["stall_ms"]["longest"] > 0
    assert all(result["pdf_text_checks"].values())
