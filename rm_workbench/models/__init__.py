"""Typed SQLAlchemy 2 models of the local cache (one module per area of the bank's data)."""

from rm_workbench.models.activity import ContactLog, Need, Opportunity, Visit
from rm_workbench.models.audit import AuditLog
from rm_workbench.models.base import Base, Synced, new_id, utcnow
from rm_workbench.models.catalog import Account, BundleTemplate, Product
from rm_workbench.models.customer import Customer, CustomerGroup, GroupMembership
from rm_workbench.models.local import LocalConflict, OutboxEntry, RejectedEdit, SyncState
from rm_workbench.models.organization import Branch, RelationshipManager
from rm_workbench.models.proposal import BundleProposal
from rm_workbench.models.search import CustomerSearchTerm as CustomerSearchTerm

__all__ = [
    "Account",
    "AuditLog",
    "Base",
    "Branch",
    "BundleProposal",
    "BundleTemplate",
    "ContactLog",
    "Customer",
    "CustomerGroup",
    "GroupMembership",
    "LocalConflict",
    "Need",
    "Opportunity",
    "OutboxEntry",
    "Product",
    "RejectedEdit",
    "RelationshipManager",
    "SyncState",
    "Synced",
    "Visit",
    "new_id",
    "utcnow",
]
