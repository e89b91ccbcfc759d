"""the audit chain: audit rows gain the device's chain and the claimed time

``audit_log`` gains ``device_seq``, ``prev_hash`` and ``chain_hash`` (this device's
chain of audit entries, see ``rm_contract.audit_chain``) and ``client_time``
(the time the device claimed, which the central CRM keeps when it stamps ``at``).
Audit rows still queued and never sent are chained here, in queue order, so the
first push after the upgrade raises no alarm; rows already sent stay as they were
(a replay must carry exactly what was sent). The hash is chain v1, copied below so
this migration does not change when the application's code does.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import rm_contract.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable, no default): no table copy.
    op.add_column(
        "audit_log",
        sa.Column("client_time", rm_contract.types.UTCDateTime(length=32), nullable=True),
    )
    op.add_column("audit_log", sa.Column("device_seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("chain_hash", sa.String(length=64), nullable=True))
    _chain_queued_entries(op.get_bind())


# rm_contract.audit_chain, version 1.
_CHAINED = ("id", "at", "user_name", "action", "entity_type", "entity_id", "details")


def _genesis(device_id: str) -> str:
    return hashlib.sha256(f"rm-workbench audit chain v1\x00{device_id}".encode()).hexdigest()


def _entry_hash(prev_hash: str, device_seq: int, entry: dict[str, Any]) -> str:
    values = {name: entry.get(name) for name in _CHAINED}
    values["device_seq"] = device_seq
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{text}".encode()).hexdigest()


def _chain_queued_entries(conn: sa.Connection) -> None:
    queued = conn.execute(
        sa.text(
            "SELECT mutation_id, row_id, fields FROM outbox WHERE table_name = 'audit_log'"
            " AND op = 'insert' AND sent_at IS NULL ORDER BY mutation_id"
        )
    ).all()
    if not queued:
        return
    device_id = conn.execute(
        sa.text("SELECT value FROM sync_state WHERE key = 'device_id'")
    ).scalar()
    if device_id is None:
        device_id = str(uuid.uuid4())
        conn.execute(
            sa.text("INSERT INTO sync_state (key, value) VALUES ('device_id', :v)"),
            {"v": device_id},
        )
    prev = _genesis(str(device_id))
    for seq, (mutation_id, row_id, text) in enumerate(queued, 1):
        fields = json.loads(text)
        entry = {name: (fields.get(name) or {}).get("new") for name in _CHAINED}
        entry["id"] = row_id
        digest = _entry_hash(prev, seq, entry)
        fields.update(device_seq={"new": seq}, prev_hash={"new": prev}, chain_hash={"new": digest})
        conn.execute(
            sa.text("UPDATE outbox SET fields = :f WHERE mutation_id = :m"),
            {"f": json.dumps(fields, ensure_ascii=False), "m": mutation_id},
        )
        conn.execute(
            sa.text(
                "UPDATE audit_log SET device_seq = :s, prev_hash = :p, chain_hash = :h"
                " WHERE id = :id"
            ),
            {"s": seq, "p": prev, "h": digest, "id": row_id},
        )
        prev = digest
    head = json.dumps({"seq": len(queued), "hash": prev})
    conn.execute(
        sa.text("INSERT INTO sync_state (key, value) VALUES ('audit_chain_head', :v)"),
        {"v": head},
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("device_seq")
        batch_op.drop_column("client_time")
