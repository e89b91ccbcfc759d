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
    folder = data_home() / profile
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_path(profile: str) -> Path:
    return profile_dir(profile) / "cache.db"
