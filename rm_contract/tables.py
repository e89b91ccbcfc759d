"""The synced tables, as SQLAlchemy Core definitions: the rows both programs store.

Every table here travels between the workbench's cache and the central CRM, and both
build their schema from these definitions: the workbench maps its ORM classes onto
copies of them (:mod:`rm_workbench.models`), the service copies them onto its own
metadata and adds what only it keeps (:mod:`central_crm.schema`: owners, who wrote
each field, server-only tables). A bank replacing the reference service stores the
same columns; the OpenAPI document names each of them (:mod:`rm_contract.rows`).

Every row carries the sync columns (:func:`synced_columns`): ``id`` (a UUID the
creating side chooses, so a row made offline never collides), ``version`` (the
server's sequence number of its last change; None: created in a cache and not yet
acknowledged), ``deleted`` (the tombstone), ``created_at`` and ``updated_at``.

Some numbers (``visit_no``, ``contact_no``, ``account_no``) are unique *indexes*, not
table constraints: a cache's bootstrap builds them after its pages
(``rm_workbench.db.bulk.defer_indexes``) instead of checking row by row; the service
turns them into the unique constraints they always were there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    true,
)

from rm_contract.types import JSONList, Money, Rate, UTCDateTime
from rm_contract.vocabulary import (
    AccountStatus,
    ContactChannel,
    CustomerCategory,
    Education,
    Gender,
    GroupKind,
    GroupRole,
    IdType,
    LifecycleStatus,
    MaritalStatus,
    NeedCategory,
    NeedStatus,
    Priority,
    ProductType,
    ProposalStatus,
    RiskLevel,
    RiskTolerance,
    SalesStage,
    VisitCategory,
    VisitStatus,
    enum_column,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The contract's tables, and only them (each program copies them onto its own).
metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_id() -> str:
    """A client-generated row key (UUID4 text), so a row made offline never collides."""
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


# The columns the sync protocol needs on every row (see the module's docstring).
SYNC_COLUMN_NAMES: tuple[str, ...] = ("id", "version", "deleted", "created_at", "updated_at")


def synced_columns() -> list[Column[Any]]:
    """A fresh set of the sync columns, last in every synced table."""
    return [
        Column("id", String(36), primary_key=True, default=new_id),
        Column("version", BigInteger, nullable=True),
        Column("deleted", Boolean, nullable=False, default=False, server_default=false()),
        Column("created_at", UTCDateTime, nullable=False, default=utcnow),
        Column("updated_at", UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow),
    ]


# One audited action. Append-only: rows are added, never changed or deleted.
#
# Each device chains its entries (:mod:`rm_contract.audit_chain`): ``device_seq``
# numbers them 1, 2, 3 … per device, ``chain_hash`` is the sha256 of the entry and
# ``prev_hash`` (the previous entry's ``chain_hash``), so the central CRM sees a
# missing, reordered or altered entry. The server stamps ``user_name`` (from the token)
# and ``at`` (its clock); the device's claimed time is kept in ``client_time``.
audit_log = Table(
    "audit_log",
    metadata,
    Column("at", UTCDateTime, nullable=False),
    Column("user_name", String(32), nullable=False),
    # e.g. "reveal_id_number", "print_brief", "export_customers"
    Column("action", String(32), nullable=False),
    Column("entity_type", String(32), nullable=True),
    Column("entity_id", String(36), nullable=True),
    Column("details", Text, nullable=True),
    # The time the device claimed (set by the server when it stamps ``at``).
    Column("client_time", UTCDateTime, nullable=True),
    Column("device_seq", BigInteger, nullable=True),
    Column("prev_hash", String(64), nullable=True),
    Column("chain_hash", String(64), nullable=True),
    *synced_columns(),
    Index("ix_audit_log_at", "at"),
)

# A branch (网点 / 支行); customers and RMs belong to one.
branch = Table(
    "branch",
    metadata,
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("city", String(32), nullable=True),
    *synced_columns(),
)

# A product bundle (组合式金融服务套餐) the bank publishes with its catalog.
#
# The workbench ranks templates for a customer (``rm_workbench.domain.recommend``);
# nothing about bundles is in code. ``product_codes`` lists the components in the order
# a proposal shows them; ``need_categories`` the needs (``NeedCategory`` values) the
# bundle answers; ``target_life_stages`` / ``target_tiers`` hold names from the bank
# configuration, like the products'. ``min_aum``: only customers with at least these
# assets (a wealth-transfer bundle). ``tier_pricing`` is a JSON object by tier name:
# ``{"顶级": {"rate_bonus": "0.0020", "fee_discount": "0.5"}}`` — a rate bonus added to
# deposit and wealth rates, a factor on fees. ``valid_days``: how long a proposal made
# from it stays valid.
bundle_template = Table(
    "bundle_template",
    metadata,
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=True),
    Column("target_life_stages", JSONList, nullable=False, default=list),
    Column("target_tiers", JSONList, nullable=False, default=list),
    Column("need_categories", JSONList, nullable=False, default=list),
    Column("product_codes", JSONList, nullable=False, default=list),
    Column("min_aum", Money, nullable=True),
    Column("tier_pricing", Text, nullable=False, default="{}", server_default="{}"),
    Column("valid_days", Integer, nullable=False, default=30, server_default="30"),
    Column("on_sale", Boolean, nullable=False, default=True, server_default=true()),
    *synced_columns(),
)

# A product of the catalog, published by the central CRM.
#
# ``risk_level`` is None for products outside the suitability regime (deposits, loans,
# cards); a wealth product, fund or insurance-linked investment has R1-R5.
# ``target_life_stages`` and ``target_tiers`` hold names from the bank configuration.
product = Table(
    "product",
    metadata,
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("product_type", enum_column(ProductType, 20), nullable=False),
    Column("risk_level", enum_column(RiskLevel, 2), nullable=True),
    Column("min_amount", Money, nullable=True),
    Column("term_months", Integer, nullable=True),
    # Annual rate (deposits, loans, expected yield) or fee ratio, as a fraction: 0.0215.
    Column("rate", Rate, nullable=True),
    Column("fee_rate", Rate, nullable=True),
    Column("currency", String(3), nullable=False, default="CNY"),
    Column("target_life_stages", JSONList, nullable=False, default=list),
    Column("target_tiers", JSONList, nullable=False, default=list),
    Column("description", Text, nullable=True),
    Column("disclosure", Text, nullable=True),
    Column("on_sale", Boolean, nullable=False, default=True, server_default=true()),
    *synced_columns(),
)

# A relationship manager (客户经理): owner of a book of customers.
relationship_manager = Table(
    "relationship_manager",
    metadata,
    Column("employee_no", String(16), nullable=False, unique=True),
    Column("name", String(32), nullable=False),
    Column("branch_id", String(36), ForeignKey("branch.id"), nullable=True),
    Column("phone", String(20), nullable=True),
    Column("email", String(64), nullable=True),
    Column("title", String(32), nullable=True),
    *synced_columns(),
)

# An individual or corporate customer of the bank.
#
# Core-banking fields (``aum``, ``contribution``, ``tier``) are owned by the central CRM
# and read-only here; profile fields the RM fills in during visits (occupation, income,
# education, contact details) are editable and synced back. ``id_number`` is kept
# exactly as the source system had it, even when invalid: the data-quality rules flag it
# rather than silently "fixing" it.
customer = Table(
    "customer",
    metadata,
    Column("customer_no", String(20), nullable=False, unique=True),
    Column("category", enum_column(CustomerCategory), nullable=False),
    Column("name", String(100), nullable=False),
    Column("id_type", enum_column(IdType, 20), nullable=True),
    Column("id_number", String(32), nullable=True),
    # Corporate customers: 统一社会信用代码 (18 characters, GB 32100).
    Column("credit_code", String(32), nullable=True),
    Column("birth_date", Date, nullable=True),
    Column("gender", enum_column(Gender), nullable=True),
    Column("mobile_phone", String(20), nullable=True),
    Column("other_phone", String(20), nullable=True),
    Column("email", String(100), nullable=True),
    Column("address", String(200), nullable=True),
    Column("occupation", String(64), nullable=True),
    Column("employer", String(100), nullable=True),
    # Income band label from the bank's configuration, e.g. "10-30万".
    Column("income_band", String(16), nullable=True),
    Column("education", enum_column(Education), nullable=True),
    Column("marital_status", enum_column(MaritalStatus), nullable=True),
    Column("children_count", Integer, nullable=True),
    Column("risk_tolerance", enum_column(RiskTolerance, 2), nullable=True),
    Column("risk_assessed_on", Date, nullable=True),
    Column("risk_expires_on", Date, nullable=True),
    # Tier is a name from the bank's configuration (顶级 / 黄金 / 一般 / 淘汰 …).
    Column("tier", String(16), nullable=True, index=True),
    Column(
        "lifecycle_status",
        enum_column(LifecycleStatus),
        nullable=False,
        default=LifecycleStatus.POTENTIAL,
    ),
    # Assets under management and yearly contribution (profit to the bank), from core.
    Column("aum", Money, nullable=False, default=Decimal(0)),
    Column("contribution", Money, nullable=False, default=Decimal(0)),
    Column("customer_since", Date, nullable=True),
    Column("last_transaction_on", Date, nullable=True),
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    Column("branch_id", String(36), ForeignKey("branch.id"), nullable=True),
    Column("notes", Text, nullable=True),
    *synced_columns(),
    Index("ix_customer_id_number", "id_number"),
    Index("ix_customer_rm_id_name", "rm_id", "name"),
)

# A household (家庭) or corporate group (集团客户).
customer_group = Table(
    "customer_group",
    metadata,
    Column("group_no", String(20), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("kind", enum_column(GroupKind), nullable=False),
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    *synced_columns(),
)

# A holding at the bank: deposit, time deposit, wealth product, fund, loan, card.
#
# Read-only in the workbench: balances and maturities come from the central CRM.
# ``balance`` of a loan is the outstanding principal.
account = Table(
    "account",
    metadata,
    Column("account_no", String(32), nullable=False, unique=True, index=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False, index=True),
    Column("product_id", String(36), ForeignKey("product.id"), nullable=True),
    Column("account_type", enum_column(ProductType, 20), nullable=False),
    Column("product_name", String(100), nullable=True),
    Column("balance", Money, nullable=False, default=Decimal(0)),
    Column("currency", String(3), nullable=False, default="CNY"),
    Column("opened_on", Date, nullable=True),
    Column("matures_on", Date, nullable=True),
    Column("rate", Rate, nullable=True),
    Column("status", enum_column(AccountStatus), nullable=False, default=AccountStatus.OPEN),
    *synced_columns(),
    Index("ix_account_matures_on", "matures_on"),
)

# One touch with the customer (联系): a call, a WeChat message, a branch chat.
#
# Append-only: a contact is recorded once and never edited away.
contact_log = Table(
    "contact_log",
    metadata,
    Column("contact_no", String(24), nullable=False, unique=True, index=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False),
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("channel", enum_column(ContactChannel), nullable=False),
    Column("call_made", Boolean, nullable=False, default=False, server_default=false()),
    Column("summary", String(200), nullable=False),
    Column("content", Text, nullable=True),
    Column("user_name", String(32), nullable=True),
    *synced_columns(),
    Index("ix_contact_log_customer_id_started_at", "customer_id", "started_at"),
)

# A customer's membership of a group over a span of time (Group_Customer_Time).
#
# ``valid_to`` is None while the membership lasts; a customer who leaves a household
# keeps the old row with its end date, so history is never rewritten.
group_membership = Table(
    "group_membership",
    metadata,
    Column("group_id", String(36), ForeignKey("customer_group.id"), nullable=False, index=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False, index=True),
    Column("role", enum_column(GroupRole), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    *synced_columns(),
)

# A customer need (客户需求) the RM discovered: education, housing, retirement …
need = Table(
    "need",
    metadata,
    Column("need_no", String(24), nullable=False, unique=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False, index=True),
    Column("category", enum_column(NeedCategory), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("summary", String(200), nullable=False),
    Column("content", Text, nullable=True),
    Column("status", enum_column(NeedStatus), nullable=False, default=NeedStatus.OPEN),
    Column("sub_status", String(32), nullable=True),
    Column("severity", enum_column(Priority), nullable=False, default=Priority.NORMAL),
    Column("urgency", enum_column(Priority), nullable=False, default=Priority.NORMAL),
    *synced_columns(),
)

# A visit or other service activity (活动), planned and then run.
#
# ``report`` is the visit note: append-only in sync terms (never overwritten by a pull);
# the other fields merge field by field.
visit = Table(
    "visit",
    metadata,
    Column("visit_no", String(24), nullable=False, unique=True, index=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False),
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    Column("planned_start", UTCDateTime, nullable=False),
    Column("planned_end", UTCDateTime, nullable=True),
    Column("actual_start", UTCDateTime, nullable=True),
    Column("actual_end", UTCDateTime, nullable=True),
    Column("place", String(200), nullable=True),
    Column("purpose", String(200), nullable=True),
    Column("category", enum_column(VisitCategory), nullable=False),
    Column("status", enum_column(VisitStatus), nullable=False, default=VisitStatus.PLANNED),
    Column("priority", enum_column(Priority), nullable=False, default=Priority.NORMAL),
    Column("cost", Money, nullable=True),
    Column("attendees", String(200), nullable=True),
    Column("outcome", String(200), nullable=True),
    Column("report", Text, nullable=True),
    Column("follow_up_due", Date, nullable=True, index=True),
    *synced_columns(),
    Index("ix_visit_customer_id_planned_start", "customer_id", "planned_start"),
    Index("ix_visit_rm_id_planned_start", "rm_id", "planned_start"),
)

# A sales opportunity (机会) with stage, probability and expected value.
opportunity = Table(
    "opportunity",
    metadata,
    Column("opportunity_no", String(24), nullable=False, unique=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False, index=True),
    Column("product_id", String(36), ForeignKey("product.id"), nullable=True),
    Column("need_id", String(36), ForeignKey("need.id"), nullable=True),
    Column("started_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("probability", Integer, nullable=False, default=10),  # percent, 0-100
    Column("sales_method", String(32), nullable=True),
    Column("sales_stage", enum_column(SalesStage), nullable=False, default=SalesStage.LEAD),
    Column("summary", String(200), nullable=False),
    Column("content", Text, nullable=True),
    Column("expected_value", Money, nullable=True),
    *synced_columns(),
)

# A recorded bundle proposal (组合式金融服务套餐).
#
# ``items`` is JSON: ``[{"product_code": ..., "amount": "500000.00"}, ...]`` with
# amounts as decimal strings; ``reasons`` is the plain-Chinese list of why it fits. An
# accepted proposal becomes an opportunity (``opportunity_id``).
bundle_proposal = Table(
    "bundle_proposal",
    metadata,
    Column("proposal_no", String(24), nullable=False, unique=True),
    Column("customer_id", String(36), ForeignKey("customer.id"), nullable=False, index=True),
    Column("rm_id", String(36), ForeignKey("relationship_manager.id"), nullable=True),
    Column("template_code", String(32), nullable=True),
    Column("title", String(100), nullable=False),
    Column("status", enum_column(ProposalStatus), nullable=False, default=ProposalStatus.DRAFT),
    Column("items", Text, nullable=False, default="[]"),
    Column("reasons", Text, nullable=False, default="[]"),
    Column("valid_until", Date, nullable=True),
    Column("opportunity_id", String(36), ForeignKey("opportunity.id"), nullable=True),
    *synced_columns(),
)

# Every synced table, in foreign-key order (parents first).
TABLES: dict[str, Table] = {t.name: t for t in metadata.sorted_tables}
