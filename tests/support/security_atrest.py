"""Helpers of the at-rest tests (tests/security/test_atrest_*.py): a machine without a
keyring, the raw bytes of every file of a cache, a plain cache holding real-looking
personal data."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import keyring
from keyring.backends.fail import Keyring as FailKeyring
from sqlalchemy import text

from rm_workbench.db.engine import Cache

# Three customers with identifiers no other test data uses (valid check digits).
PEOPLE = [
    ("欧阳春晓", "110105194912310021", "13912345678"),
    ("司马长风", "11010519491231002X", "13987654321"),
    ("上官飞燕", "110101199003077777", "13711112222"),
]


@contextmanager
def no_keyring() -> Iterator[None]:
    """A headless machine: every keyring call fails as keyring's own fail backend does."""
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def add_people(cache: Cache, people: list[tuple[str, str, str]] = PEOPLE) -> None:
    now = datetime(2026, 11, 1, 9, 30, tzinfo=UTC).isoformat()
    with cache.engine.begin() as conn:
        for number, (name, id_number, phone) in enumerate(people):
            conn.execute(
                text(
                    "INSERT INTO customer (id, customer_no, category, name, id_number,"
                    " mobile_phone, lifecycle_status, aum, contribution, deleted, created_at,"
                    " updated_at) VALUES (:id, :no, 'individual', :name, :idn, :phone,"
                    " 'active', 100, 0, 0, :now, :now)"
                ),
                {
                    "id": f"p{number}",
                    "no": f"C90000000{number:02d}",
                    "name": name,
                    "idn": id_number,
                    "phone": phone,
                    "now": now,
                },
            )


def sibling_files(cache_path: Path) -> list[Path]:
    """The cache file and every file beside it named after it (-wal, -shm, backups,
    the key file)."""
    return sorted(p for p in cache_path.parent.iterdir() if p.name.startswith(cache_path.name))


def raw_bytes(files: list[Path]) -> bytes:
    return b"\n".join(p.read_bytes() for p in files if p.is_file())


def traces(files: list[Path], people: list[tuple[str, str, str]] = PEOPLE) -> list[str]:
    """Which names, ID numbers and phones of ``people`` are readable in ``files``
    (what ``strings`` or ``grep -a`` would find)."""
    raw = raw_bytes(files)
    found = []
    for person in people:
        for value in person:
            if value.encode() in raw:
                found.append(value)
    return found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
