"""Where the workbench keeps its files: one folder per profile under the user's data dir.

``RM_WORKBENCH_HOME`` overrides the base folder (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

HOME_ENV = "RM_WORKBENCH_HOME"


def data_home() -> Path:
    override = os.environ.get(HOME_ENV)
    return Path(override) if override else Path(user_data_dir("rm-workbench", "rm-workbench"))


def profile_dir(profile: str) -> Path:
    """The profile's folder, created 0700 (and the home folder above it)."""
    home = data_home()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = home / profile
    folder.mkdir(mode=0o700, exist_ok=True)
    for path in (home, folder):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    return folder


def cache_path(profile: str) -> Path:
    return profile_dir(profile) / "cache.db"
