"""How often the checksum pass runs is a setting of the profile, and the command line
can force it or skip it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rm_workbench.cli import build_parser
from rm_workbench.db.engine import Cache
from rm_workbench.services.sync import VERIFY_EVERY_HOURS, SyncService
from rm_workbench.sync.engine import DEFAULT_VERIFY_EVERY


def test_the_interval_is_kept_per_profile(cache: Cache) -> None:
    service = SyncService(cache, "test")
    assert service.verify_every() == DEFAULT_VERIFY_EVERY
    service.set_verify_every(0)
    assert service.verify_every() == timedelta(0)
    service.set_verify_every(1.5)
    assert SyncService(cache, "test").verify_every() == timedelta(hours=1.5)
    with pytest.raises(ValueError):
        service.set_verify_every(-1)
    with pytest.raises(ValueError):
        service.set_verify_every(float("nan"))


def test_a_damaged_interval_falls_back_to_the_default(cache: Cache) -> None:
    service = SyncService(cache, "test")
    service._set_state(VERIFY_EVERY_HOURS, "often")
    assert service.verify_every() == DEFAULT_VERIFY_EVERY


def test_the_sync_command_forces_skips_or_leaves_the_checksum_pass() -> None:
    parser = build_parser()
    default = parser.parse_args(["sync"])
    assert not default.verify and not default.no_verify and default.verify_every is None
    assert parser.parse_args(["sync", "--verify"]).verify
    assert parser.parse_args(["sync", "--no-verify"]).no_verify
    assert parser.parse_args(["sync", "--verify-every", "0"]).verify_every == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["sync", "--verify", "--no-verify"])
