"""The sync policy: which tables travel, who may change what, and how edits merge.

Both programs apply it: the workbench to refuse an edit before it is queued, the
central service to refuse or merge a push. A table added to :mod:`rm_contract.tables`
is synced; the lists below say how (tests/contract/test_policy.py checks that each
names only real tables and columns, and that every synced table is placed).
"""

from __future__ import annotations

from rm_contract.tables import TABLES

# Tables that travel, in foreign-key order (parents first): the contract's tables. The
# cache's own bookkeeping (search index, outbox, sync state) stays local.
SYNCED_TABLES: tuple[str, ...] = tuple(TABLES)

# Tables whose rows belong to one customer through ``customer_id``.
CUSTOMER_CHILD_TABLES: tuple[str, ...] = (
    "account",
    "visit",
    "contact_log",
    "need",
    "opportunity",
    "bundle_proposal",
    "group_membership",
)

# Reference data every RM receives (no customer in it).
GLOBAL_TABLES: tuple[str, ...] = ("branch", "relationship_manager", "product", "bundle_template")

# Fields only the central CRM may change (core banking, catalog); a push that
# touches them has those fields rejected, the rest of the mutation still applies.
SERVER_OWNED_FIELDS: dict[str, frozenset[str]] = {
    "customer": frozenset(
        {
            "customer_no",
            "category",
            "aum",
            "contribution",
            "tier",
            "lifecycle_status",
            "customer_since",
            "last_transaction_on",
            "rm_id",
            "branch_id",
            "name",
            "id_type",
            "id_number",
            "credit_code",
            "birth_date",
            "gender",
        }
    ),
    "customer_group": frozenset({"group_no", "kind", "rm_id"}),
}
# Whole tables the RM reads but never writes.
READ_ONLY_TABLES: frozenset[str] = frozenset(
    {"account", "product", "bundle_template", "branch", "relationship_manager"}
)
# Insert-only tables: records of what happened, never edited, never in conflict.
APPEND_ONLY_TABLES: frozenset[str] = frozenset({"contact_log", "audit_log"})
# Free-text fields where two edits are both kept (theirs, then yours) instead of
# conflicting: a visit's notes are never lost.
APPEND_FIELDS: dict[str, frozenset[str]] = {"visit": frozenset({"report"})}
# Columns the sync itself manages; never sent as edits.
SYNC_COLUMNS: frozenset[str] = frozenset({"id", "version", "created_at", "updated_at"})
