"""The RM's preferences, declared once with their defaults, over QSettings.

Window layout (geometry, splitters, header states) is kept apart from preferences,
under ``layout/``: resetting one never loses the other (Picard's split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings


@dataclass(frozen=True)
class Option:
    key: str
    default: Any
    title: str


LANGUAGE = Option("prefs/language", "zh_CN", "Language")
AUTO_SYNC_MINUTES = Option("prefs/auto_sync_minutes", 5, "Sync automatically every N minutes")
ONLINE_PROBE_SECONDS = Option("prefs/online_probe_seconds", 30, "Check the network every N s")
OPTIONS = (LANGUAGE, AUTO_SYNC_MINUTES, ONLINE_PROBE_SECONDS)


class Settings:
    """Typed access to the declared options and to the saved window layout."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store or QSettings()

    def get(self, option: Option) -> Any:
        value: Any = self.store.value(option.key, option.default)
        if isinstance(option.default, bool):
            return value in (True, "true", "1", 1)
        if isinstance(option.default, int):
            try:
                return int(value)
            except (TypeError, ValueError):
                return option.default
        return value

    def set(self, option: Option, value: Any) -> None:
        self.store.setValue(option.key, value)

    @property
    def language(self) -> str:
        return str(self.get(LANGUAGE))

    @property
    def auto_sync_minutes(self) -> int:
        return max(0, int(self.get(AUTO_SYNC_MINUTES)))

    @property
    def online_probe_seconds(self) -> int:
        return max(5, int(self.get(ONLINE_PROBE_SECONDS)))

    # --- window layout ------------------------------------------------------------

    def layout(self, name: str) -> QByteArray | None:
        value = self.store.value(f"layout/{name}")
        return value if isinstance(value, QByteArray) else None

    def save_layout(self, name: str, state: QByteArray) -> None:
        self.store.setValue(f"layout/{name}", state)
