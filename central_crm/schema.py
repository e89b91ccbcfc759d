"""The central CRM's tables, on their own MetaData (``server_metadata``).

* Every synced table (:mod:`rm_contract.tables`) is copied from the contract, as the
  workbench's cache copies it, so both sides store exactly the same columns and
  types; ``encode_row`` and ``decode_row`` therefore work unchanged on the server.
* Customer-scoped tables (``customer``, the ``CUSTOMER_CHILD_TABLES`` and ``audit_log``)
  gain ``owner_rm_id``: the RM whose book the row is in now. It is denormalized onto
  every child so that a scope query (snapshot, pull, checksums) is one index range
  scan on ``(owner_rm_id, id)`` or ``(owner_rm_id, version)``, never a join. A
  reassignment rewrites it on the customer's whole subtree.
* Global tables (branch, relationship_manager, product) have no owner: every RM sees
  them. A ``customer_group`` is visible to an RM who owns one of its members
  (through ``group_membership.owner_rm_id``).
* Server-only tables: users, tokens, failed logins (throttle and lockout), devices,
  the idempotency record of pushes, stored conflicts, evictions, the assignment
  history, each device's audit chain and the audit-integrity alarms, the sequence
  counter and a small key/value state.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)

from rm_contract.policy import CUSTOMER_CHILD_TABLES, GLOBAL_TABLES, SYNCED_TABLES
from rm_contract.tables import NAMING_CONVENTION, TABLES
from rm_contract.types import UTCDateTime

server_metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Tables whose rows carry ``owner_rm_id`` (the customer's current RM).
OWNED_TABLES: tuple[str, ...] = ("customer", *CUSTOMER_CHILD_TABLES, "audit_log")
# Columns the server keeps on synced rows that never travel: the owner (scope) and
# who wrote each field (``written_by``: JSON ``{"*": creator, field: user id}`` of the
# pushes and conflict resolutions, so a conflict can say who made "theirs").
SERVER_ONLY_COLUMNS: frozenset[str] = frozenset({"owner_rm_id", "written_by"})

for _name in SYNCED_TABLES:
    _table = TABLES[_name].to_metadata(server_metadata)
    # The cache holds some numbers (contact_no, …) in unique indexes, which its
    # bootstrap builds after the last page; the service keeps them as the unique
    # constraints they always were here.
    for _index in [i for i in _table.indexes if i.unique]:
        _table.indexes.remove(_index)
        _table.append_constraint(UniqueConstraint(*_index.columns))
    _table.append_column(Column("written_by", Text, nullable=True))
    if _name in OWNED_TABLES:
        _table.append_column(Column("owner_rm_id", String(36), nullable=True))
        Index(f"ix_{_name}_owner_rm_id_version", _table.c.owner_rm_id, _table.c.version)
        Index(f"ix_{_name}_owner_rm_id_id", _table.c.owner_rm_id, _table.c.id)
    # Global tables and groups are pulled by version alone; an admin's pull and the
    # tombstone purge read every table by version too.
    Index(f"ix_{_name}_version", _table.c.version)

# The synced tables as the server stores them, in foreign-key order.
SYNCED: dict[str, Table] = {name: server_metadata.tables[name] for name in SYNCED_TABLES}
assert set(GLOBAL_TABLES) <= set(SYNCED)


app_user = Table(
    "app_user",
    server_metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(64), nullable=False),
    Column("role", String(8), nullable=False),  # "rm" | "admin"
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    # argon2id hash (argon2-cffi's encoded form, salt and parameters included).
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
)

auth_token = Table(
    "auth_token",
    server_metadata,
    # sha256 hex of the bearer token: a leaked table does not give usable tokens.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("app_user.id"), nullable=False, index=True),
    Column("device_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Failed logins, per user name (kind "user", whether or not such a user exists: an
# unknown name is throttled and locked exactly like a real one) and per client
# address (kind "addr"). See central_crm.throttle.
login_throttle = Table(
    "login_throttle",
    server_metadata,
    Column("kind", String(8), nullable=False),  # "user" | "addr"
    Column("subject", String(128), nullable=False),  # the user name or the address
    # Failures in a row (a user name: since its last success or unlock; an address:
    # since ``window_start``).
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_start", UTCDateTime, nullable=True),
    Column("last_failure_at", UTCDateTime, nullable=True),
    # No attempt is checked before this instant (429 with Retry-After).
    Column("blocked_until", UTCDateTime, nullable=True),
    # A user name locked after too many failures, until an administrator unlocks it.
    Column("locked_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("kind", "subject"),
)

device = Table(
    "device",
    server_metadata,
    Column("id", String(64), primary_key=True),  # the workbench's device_id
    Column("user_id", String(36), ForeignKey("app_user.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False, server_default=""),
    Column("last_seen_at", UTCDateTime, nullable=True),
    # The last cursor the device pulled from: garbage collection waits for it.
    Column("cursor", BigInteger, nullable=False, server_default="0"),
    # Highest mutation_id applied: an unknown id at or below it is a replay.
    Column("last_mutation_id", BigInteger, nullable=False, server_default="0"),
    # The sequence number when the device was registered (its first login): a device
    # registered after a reassignment cannot have queued edits from before it.
    Column("registered_seq", BigInteger, nullable=False, server_default="0"),
    # The highest cursor the device ever pulled from (never goes back, unlike
    # ``cursor``): a device that asked for changes after a sequence number has
    # applied everything up to it, reassignments included.
    Column("confirmed_seq", BigInteger, nullable=False, server_default="0"),
)

applied_mutation = Table(
    "applied_mutation",
    server_metadata,
    Column("device_id", String(64), nullable=False),
    Column("mutation_id", BigInteger, nullable=False),
    # Unique per device, not globally: another device's key is just a new key (it
    # must never return that device's answer).
    Column("idempotency_key", String(64), nullable=False),
    # The MutationResult first returned (JSON), returned again on every replay.
    Column("result", Text, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("device_id", "mutation_id"),
    UniqueConstraint("device_id", "idempotency_key"),
)

sync_conflict = Table(
    "sync_conflict",
    server_metadata,
    Column("id", String(36), primary_key=True),
    Column("table_name", String(32), nullable=False),
    Column("row_id", String(36), nullable=False, index=True),
    # The customer the row belongs to (None for a group): scope of who sees it.
    Column("customer_id", String(36), nullable=True, index=True),
    Column("field", String(64), nullable=False),
    # JSON-encoded wire values.
    Column("base", Text, nullable=True),
    Column("theirs", Text, nullable=True),
    Column("yours", Text, nullable=True),
    # Who made "yours" (the push that met the conflict) and from which device.
    Column("created_by", String(36), ForeignKey("app_user.id"), nullable=False),
    Column("device_id", String(64), nullable=True),
    # Who last wrote "theirs" (from the row's ``written_by``); None: the bank's
    # systems (core banking, an import) or a write before this was recorded.
    Column("theirs_by", String(36), nullable=True),
    Column("created_seq", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    # "mine" | "theirs" | "moved": a "keep mine" that found the server's value changed
    # since the RM was shown it; ``replaced_by`` is the new conflict made instead.
    Column("resolution", String(8), nullable=True),
    Column("resolved_by", String(36), nullable=True),
    Column("replaced_by", String(36), nullable=True),
)

eviction = Table(
    "eviction",
    server_metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("rm_id", String(36), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("new_rm_id", String(36), nullable=True),
    Column("message", Text, nullable=False),
    Index("ix_eviction_rm_id_seq", "rm_id", "seq"),
)

assignment = Table(
    "assignment",
    server_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(36), nullable=False),
    Column("rm_id", String(36), nullable=False),
    Column("from_seq", BigInteger, nullable=False),
    Column("to_seq", BigInteger, nullable=True),  # None: the current owner
    Index("ix_assignment_customer_id_rm_id", "customer_id", "rm_id"),
)

sync_counter = Table(
    "sync_counter",
    server_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("value", BigInteger, nullable=False),
)

# Per device, the last audit entry accepted in its chain (rm_contract.audit_chain):
# every push checks that the device's new entries continue it.
audit_chain = Table(
    "audit_chain",
    server_metadata,
    Column("device_id", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# What the bank's security staff are shown: each break of a device's audit chain (a
# missing, altered, reused or unchained entry), with who pushed it and when.
audit_alarm = Table(
    "audit_alarm",
    server_metadata,
    Column("id", String(36), primary_key=True),
    # "gap" | "altered" | "broken_link" | "reused_seq" | "unchained"
    Column("kind", String(16), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("username", String(64), nullable=False),
    Column("mutation_id", BigInteger, nullable=True),
    Column("row_id", String(36), nullable=True),
    Column("expected_seq", BigInteger, nullable=True),
    Column("received_seq", BigInteger, nullable=True),
    Column("message", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

server_state = Table(
    "server_state",
    server_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

__all__ = [
    "OWNED_TABLES",
    "SERVER_ONLY_COLUMNS",
    "SYNCED",
    "app_user",
    "applied_mutation",
    "assignment",
    "audit_alarm",
    "audit_chain",
    "auth_token",
    "device",
    "eviction",
    "login_throttle",
    "server_metadata",
    "server_state",
    "sync_conflict",
    "sync_counter",
]
