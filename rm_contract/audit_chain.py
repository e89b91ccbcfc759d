"""The audit chain: how a device links its audit entries so the central CRM sees a
missing, reordered or altered one. Part of the sync contract (both sides compute it).

Each device numbers its audit entries 1, 2, 3 … (``device_seq``) and gives each a
``chain_hash``: sha256 of the previous entry's hash (``prev_hash``; the first entry's
is the device's :func:`genesis`) and the entry's canonical encoding
(:func:`canonical`): its sequence number and the wire values of :data:`CHAINED`, as
JSON with sorted keys. The central CRM keeps, per device, the last accepted
``(device_seq, chain_hash)`` and checks that every new entry continues it.

What it proves: an entry the server has seen cannot be changed or taken back without
the next entry saying so, and an entry left out or changed before it was sent shows
as a gap or a hash that does not match, unless whoever did it rewrote every later
unsent entry consistently (someone holding the cache key can: the chain holds no
secret). Who and when do not rest on it: the server stamps them from the token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# The audit_log columns an entry's hash covers (wire values), besides its number.
CHAINED: tuple[str, ...] = (
    "id",
    "at",
    "user_name",
    "action",
    "entity_type",
    "entity_id",
    "details",
)
# The chain's own columns: set by the device when the entry is written.
CHAIN_COLUMNS: tuple[str, ...] = ("device_seq", "prev_hash", "chain_hash")
_GENESIS_TAG = "rm-workbench audit chain v1"


def genesis(device_id: str) -> str:
    """The ``prev_hash`` of a device's first entry: one chain per device."""
    return hashlib.sha256(f"{_GENESIS_TAG}\x00{device_id}".encode()).hexdigest()


def canonical(device_seq: int, entry: Mapping[str, Any]) -> str:
    """The text an entry's hash covers: ``entry`` holds wire values (absent: None)."""
    values = {name: entry.get(name) for name in CHAINED}
    values["device_seq"] = device_seq
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(prev_hash: str, device_seq: int, entry: Mapping[str, Any]) -> str:
    """The ``chain_hash`` of an entry following ``prev_hash``."""
    text = f"{prev_hash}\n{canonical(device_seq, entry)}"
    return hashlib.sha256(text.encode()).hexdigest()
