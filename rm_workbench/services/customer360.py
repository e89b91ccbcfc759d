"""Customer 360: everything the RM knows about one customer, on one screen.

The profile comes masked (ID number, phones); showing a clear value is a separate,
deliberate call, :meth:`Customer360Service.reveal`, which writes an audit row (PIPL)
through the outbox in the same transaction that reads the value, so the central CRM
learns who looked at what.

The RM may change the customer's contact details (phones, e-mail, address,
occupation, notes: :data:`CONTACT_FIELDS`; the rest of the profile is the core
system's, ``SERVER_OWNED_FIELDS``) with :meth:`Customer360Service.edit_contact_details`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal, get_args

from sqlalchemy import Connection, and_, func, or_, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import (
    AccountStatus,
    CustomerCategory,
    Education,
    Gender,
    GroupKind,
    GroupRole,
    IdType,
    LifecycleStatus,
    MaritalStatus,
    ProductType,
    VisitCategory,
    VisitStatus,
)
from rm_workbench.config import BankConfig, bank_config
from rm_workbench.domain import validation as check
from rm_workbench.domain.duplicates import CustomerKey, find_duplicates
from rm_workbench.domain.formatting import format_date, format_wan
from rm_workbench.domain.identity import check_resident_id, clean_id_number
from rm_workbench.domain.masking import mask
from rm_workbench.domain.quality import record_warnings
from rm_workbench.domain.reminders import day_start, local_date, local_today
from rm_workbench.domain.segmentation import age_on, life_stage
from rm_workbench.errors import ValidationError
from rm_workbench.models import (
    Account,
    Branch,
    ContactLog,
    Customer,
    CustomerGroup,
    GroupMembership,
    Need,
    Opportunity,
    RelationshipManager,
    Visit,
)
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.contacts import CHANNEL_LABELS
from rm_workbench.services.needs import NEED_CATEGORY_LABELS, NEED_STATUS_LABELS, OPEN_NEED_STATUSES
from rm_workbench.services.opportunities import OPEN_SALES_STAGES, SALES_STAGE_LABELS
from rm_workbench.services.records import UNSET, _Unset, in_book, now_or
from rm_workbench.services.scope import ScopedService
from rm_workbench.sync.outbox import insert_row, update_row

PRODUCT_TYPE_LABELS: Final = EnumLabels(ProductType)
# Balances that the customer owes the bank (loan principal, card debt).
LIABILITY_TYPES: Final = frozenset(
    {
        ProductType.MORTGAGE,
        ProductType.CONSUMER_LOAN,
        ProductType.EDUCATION_LOAN,
        ProductType.BUSINESS_LOAN,
        ProductType.CREDIT_CARD,
    }
)
_CATEGORY_LABELS: Final = EnumLabels(CustomerCategory)
_GENDER_LABELS: Final = EnumLabels(Gender)
_ID_TYPE_LABELS: Final = EnumLabels(IdType)
_EDUCATION_LABELS: Final = EnumLabels(Education)
_MARITAL_LABELS: Final = EnumLabels(MaritalStatus)
LIFECYCLE_LABELS: Final = EnumLabels(LifecycleStatus)
_GROUP_KIND_LABELS: Final = EnumLabels(GroupKind)
_ROLE_LABELS: Final = EnumLabels(GroupRole)
_ACCOUNT_STATUS_LABELS: Final = EnumLabels(AccountStatus)
_VISIT_STATUS_LABELS: Final = EnumLabels(VisitStatus)
_VISIT_CATEGORY_LABELS: Final = EnumLabels(VisitCategory)
_WAN = Decimal(10_000)
_CENT = Decimal("0.01")

RevealField = Literal["id_number", "credit_code", "mobile_phone", "other_phone"]
_REVEAL_LABELS: Final[dict[str, str]] = {
    "id_number": "证件号码",
    "credit_code": "统一社会信用代码",
    "mobile_phone": "手机号码",
    "other_phone": "其他电话",
}


def wan(amount: Decimal) -> Decimal:
    """An amount in yuan as a plain number of 万元 (two decimals), for charts."""
    return (amount / _WAN).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Profile:
    """Who the customer is. Identifiers come masked; see :meth:`Customer360Service.reveal`."""

    id: str
    customer_no: str
    name: str
    category: str
    category_label: str
    gender_label: str | None
    birth_date: date | None
    age: int | None
    life_stage: str | None
    id_type_label: str | None
    masked_id_number: str
    masked_credit_code: str
    masked_mobile_phone: str
    masked_other_phone: str
    email: str | None
    address: str | None
    occupation: str | None
    employer: str | None
    income_band: str | None
    education_label: str | None
    marital_label: str | None
    children_count: int | None
    risk_tolerance: str | None
    risk_expires_on: date | None
    risk_expired: bool
    tier: str | None
    lifecycle_status: str
    lifecycle_label: str
    aum: Decimal
    aum_text: str
    contribution: Decimal
    contribution_text: str
    customer_since: date | None
    last_transaction_on: date | None
    rm_name: str | None
    branch_name: str | None
    notes: str | None


@dataclass(frozen=True)
class DataWarning:
    """Something wrong or missing in the record, and why (Chinese).

    ``kind``: ``"identity"`` (ID number / credit code), ``"duplicate"`` (possibly the
    same person as another customer number), ``"contact"`` (no phone or address),
    ``"risk"`` (risk assessment missing or expired).
    """

    kind: str
    message: str


@dataclass(frozen=True)
class Holding:
    id: str
    account_no: str
    product_name: str | None
    account_type: str
    balance: Decimal
    balance_text: str
    currency: str
    opened_on: date | None
    matures_on: date | None
    rate: Decimal | None
    status_label: str


@dataclass(frozen=True)
class HoldingGroup:
    """The holdings of one product type; ``total_wan`` is a plain number for a chart."""

    product_type: str
    label: str
    is_liability: bool
    count: int
    total: Decimal
    total_wan: Decimal
    total_text: str
    holdings: tuple[Holding, ...]


@dataclass(frozen=True)
class Holdings:
    """Open holdings by product type (assets first, largest first), with totals.

    Totals add CNY balances only; a holding in another currency is listed but not
    added in.
    """

    groups: tuple[HoldingGroup, ...]
    assets_total: Decimal
    assets_total_wan: Decimal
    assets_text: str
    liabilities_total: Decimal
    liabilities_total_wan: Decimal
    liabilities_text: str


@dataclass(frozen=True)
class GroupMember:
    customer_id: str
    customer_no: str
    name: str
    role: str
    role_label: str
    tier: str | None
    is_self: bool


@dataclass(frozen=True)
class GroupView:
    """A household or corporate group the customer belongs to now, with its members
    (those in this cache: members served by another RM are not)."""

    id: str
    group_no: str
    name: str
    kind: str
    kind_label: str
    role_label: str
    since: date
    members: tuple[GroupMember, ...]


@dataclass(frozen=True)
class TimelineEntry:
    """One event of the relationship: a visit, contact, need or opportunity."""

    kind: Literal["visit", "contact", "need", "opportunity"]
    id: str
    at: datetime
    day: date
    title: str
    detail: str | None
    status_label: str | None


@dataclass(frozen=True)
class Customer360:
    profile: Profile
    warnings: tuple[DataWarning, ...]
    holdings: Holdings
    groups: tuple[GroupView, ...]
    timeline: tuple[TimelineEntry, ...]
    open_needs: int
    open_opportunities: int


# The customer fields an RM may change (the others are the core system's).
CONTACT_FIELDS: Final = ("mobile_phone", "other_phone", "email", "address", "occupation", "notes")
NOTES_MAX_LENGTH: Final = 2000


@dataclass(frozen=True)
class ContactDetails:
    """The customer's contact details as the edit dialog opens with them.

    Phones come masked, as everywhere (showing one in clear is an audited reveal);
    ``seen`` holds the stored values of :data:`CONTACT_FIELDS` the form was built
    from (phones in clear, for the edit's base, never for display): the dialog hands
    them back to :meth:`Customer360Service.edit_contact_details` as ``seen``.
    """

    customer_id: str
    name: str
    masked_mobile_phone: str
    masked_other_phone: str
    email: str | None
    address: str | None
    occupation: str | None
    notes: str | None
    seen: Mapping[str, Any]


@dataclass(frozen=True)
class Revealed:
    """A clear identifier the RM asked to see, and the audit row it cost."""

    field: str
    value: str
    change: Change


class Customer360Service(ScopedService):
    """Customer 360 views of the customers in the RM's book (``rm_id``; None: the
    whole cache). Reads are plain reads; :meth:`reveal` writes an audit row."""

    def load(
        self, customer_id: str, *, now: datetime | None = None, timeline_limit: int = 200
    ) -> Customer360:
        """Everything about one customer, in one read transaction."""
        today = local_today(now_or(now))
        with self._cache.engine.connect() as conn:
            row = self._customer(conn, customer_id)
            timeline = self._timeline(conn, customer_id, timeline_limit)
            return Customer360(
                profile=self._profile(row, today),
                warnings=tuple(self._warnings(conn, row, today)),
                holdings=self._holdings(conn, customer_id),
                groups=tuple(self._groups(conn, customer_id, today)),
                timeline=tuple(timeline),
                open_needs=self._count(
                    conn, Need, Need.customer_id == customer_id, Need.status.in_(OPEN_NEED_STATUSES)
                ),
                open_opportunities=self._count(
                    conn,
                    Opportunity,
                    Opportunity.customer_id == customer_id,
                    Opportunity.sales_stage.in_(OPEN_SALES_STAGES),
                ),
            )

    def customer_name(self, customer_id: str) -> str:
        """The customer's name alone (a tab's title, before :meth:`load` is done)."""
        with self._cache.engine.connect() as conn:
            return str(self._customer(conn, customer_id).name)

    def timeline(self, customer_id: str, *, limit: int = 200) -> list[TimelineEntry]:
        """The customer's visits, contacts, needs and opportunities, newest first."""
        with self._cache.engine.connect() as conn:
            self._customer(conn, customer_id)
            return self._timeline(conn, customer_id, limit)

    def reveal(
        self,
        customer_id: str,
        field: RevealField,
        user_name: str,
        *,
        now: datetime | None = None,
    ) -> Revealed:
        """The clear value of an identifier, and an audit row saying who saw it.

        The value is read and the audit row (with its outbox entry) written in one
        transaction: there is no way to get the value without the record. The audit
        row names the field and the customer, never the value itself.
        """
        if field not in get_args(RevealField):
            raise ValueError(f"not a revealable field: {field!r}")
        user = check.required_text(user_name, "操作人", 32)
        label = _REVEAL_LABELS[field]
        moment = now_or(now)
        with write_transaction(self._cache) as conn:
            row = self._customer(conn, customer_id)
            value = getattr(row, field)
            if not value:
                raise ValidationError(
                    f"客户 {row.name} 没有登记{label}，没有可显示的内容。",
                    f"customer {customer_id} {field} empty",
                )
            audit_id = insert_row(
                conn,
                "audit_log",
                {
                    "at": moment,
                    "user_name": user,
                    "action": f"reveal_{field}",
                    "entity_type": "customer",
                    "entity_id": customer_id,
                    "details": f"查看客户 {row.customer_no}（{row.name}）的完整{label}",
                },
            )
        return Revealed(
            field=field,
            value=str(value),
            change=Change(
                "identifier_revealed", customer_id, (audit_id,), frozenset({"audit_log"})
            ),
        )

    # --- contact details -----------------------------------------------------------

    def contact_details(self, customer_id: str) -> ContactDetails:
        """The contact details to edit (phones masked; see :class:`ContactDetails`)."""
        with self._cache.engine.connect() as conn:
            row = self._customer(conn, customer_id)
        return ContactDetails(
            customer_id=row.id,
            name=row.name,
            masked_mobile_phone=mask("phone", row.mobile_phone),
            masked_other_phone=mask("phone", row.other_phone),
            email=row.email,
            address=row.address,
            occupation=row.occupation,
            notes=row.notes,
            seen={field: getattr(row, field) for field in CONTACT_FIELDS},
        )

    def edit_contact_details(
        self,
        customer_id: str,
        *,
        mobile_phone: str | _Unset | None = UNSET,
        other_phone: str | _Unset | None = UNSET,
        email: str | _Unset | None = UNSET,
        address: str | _Unset | None = UNSET,
        occupation: str | _Unset | None = UNSET,
        notes: str | _Unset | None = UNSET,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Change the customer's contact details; arguments left out stay as they are,
        None (or blank text) removes a value.

        Phones are checked with ``phonenumbers`` (the mobile must be a mobile number)
        and stored the bank's way (:func:`rm_workbench.domain.validation.phone`); the
        e-mail must look like one. ``seen``: the values the RM saw when the form opened
        (model types, per field; :attr:`ContactDetails.seen`), the base of each edit,
        so that a change a sync brought meanwhile conflicts on the server instead of
        being overwritten (:func:`~rm_workbench.sync.outbox.update_row`).
        """
        changes: dict[str, Any] = {}
        if not isinstance(mobile_phone, _Unset):
            changes["mobile_phone"] = check.phone(mobile_phone, "手机号码", mobile=True)
        if not isinstance(other_phone, _Unset):
            changes["other_phone"] = check.phone(other_phone, "其他电话")
        if not isinstance(email, _Unset):
            changes["email"] = check.email(email)
        if not isinstance(address, _Unset):
            changes["address"] = check.optional_text(address, "联系地址", 200)
        if not isinstance(occupation, _Unset):
            changes["occupation"] = check.optional_text(occupation, "职业", 64)
        if not isinstance(notes, _Unset):
            changes["notes"] = check.optional_text(notes, "备注", NOTES_MAX_LENGTH)
        with write_transaction(self._cache) as conn:
            self._customer(conn, customer_id)
            update_row(conn, "customer", customer_id, changes, seen)
        return Change(
            "contact_details_edited", customer_id, (customer_id,), frozenset({"customer"})
        )

    # --- parts ------------------------------------------------------------------

    @property
    def _bank(self) -> BankConfig:
        return self._config or bank_config()

    def _customer(self, conn: Connection, customer_id: str) -> Any:
        query = (
            select(
                Customer,
                RelationshipManager.name.label("rm_name"),
                Branch.name.label("branch_name"),
            )
            .outerjoin(RelationshipManager, RelationshipManager.id == Customer.rm_id)
            .outerjoin(Branch, Branch.id == Customer.branch_id)
            .where(Customer.id == customer_id)
        )
        return in_book(conn.execute(query).first(), customer_id, self._rm_id)

    def _profile(self, row: Any, today: date) -> Profile:
        individual = row.category == CustomerCategory.INDIVIDUAL
        stage = life_stage(
            birth_date=row.birth_date,
            marital_status=row.marital_status,
            children_count=row.children_count,
            today=today,
            config=self._bank,
        )
        return Profile(
            id=row.id,
            customer_no=row.customer_no,
            name=row.name,
            category=str(row.category),
            category_label=_CATEGORY_LABELS.get(row.category, str(row.category)),
            gender_label=None if row.gender is None else _GENDER_LABELS.get(row.gender),
            birth_date=row.birth_date,
            age=None if row.birth_date is None else age_on(row.birth_date, today),
            life_stage=stage.name if individual and stage is not None else None,
            id_type_label=None if row.id_type is None else _ID_TYPE_LABELS.get(row.id_type),
            masked_id_number=mask("id_number", row.id_number),
            masked_credit_code=mask("credit_code", row.credit_code),
            masked_mobile_phone=mask("phone", row.mobile_phone),
            masked_other_phone=mask("phone", row.other_phone),
            email=row.email,
            address=row.address,
            occupation=row.occupation,
            employer=row.employer,
            income_band=row.income_band,
            education_label=None if row.education is None else _EDUCATION_LABELS.get(row.education),
            marital_label=None
            if row.marital_status is None
            else _MARITAL_LABELS.get(row.marital_status),
            children_count=row.children_count,
            risk_tolerance=None if row.risk_tolerance is None else str(row.risk_tolerance),
            risk_expires_on=row.risk_expires_on,
            risk_expired=row.risk_expires_on is not None and row.risk_expires_on < today,
            tier=row.tier,
            lifecycle_status=str(row.lifecycle_status),
            lifecycle_label=LIFECYCLE_LABELS.get(row.lifecycle_status, str(row.lifecycle_status)),
            aum=row.aum,
            aum_text=format_wan(row.aum),
            contribution=row.contribution,
            contribution_text=format_wan(row.contribution),
            customer_since=row.customer_since,
            last_transaction_on=row.last_transaction_on,
            rm_name=row.rm_name,
            branch_name=row.branch_name,
            notes=row.notes,
        )

    def _warnings(self, conn: Connection, row: Any, today: date) -> list[DataWarning]:
        warnings = [
            DataWarning("contact" if message == "缺少联系电话" else "identity", message)
            for message in record_warnings(
                category=str(row.category),
                id_type=None if row.id_type is None else str(row.id_type),
                id_number=row.id_number,
                credit_code=row.credit_code,
                mobile_phone=row.mobile_phone,
                other_phone=row.other_phone,
            )
        ]
        warnings += [DataWarning("duplicate", m) for m in self._duplicates(conn, row)]
        if not (row.address or "").strip():
            warnings.append(DataWarning("contact", "缺少联系地址"))
        if row.category == CustomerCategory.INDIVIDUAL:
            if row.risk_tolerance is None:
                warnings.append(
                    DataWarning("risk", "尚未做风险承受能力评估，不能向其推荐理财、基金等产品")
                )
            elif row.risk_expires_on is not None and row.risk_expires_on < today:
                warnings.append(
                    DataWarning(
                        "risk",
                        f"风险承受能力评估已于{format_date(row.risk_expires_on)}过期，"
                        "推荐理财产品前需重新评估",
                    )
                )
        return warnings

    def _duplicates(self, conn: Connection, row: Any) -> list[str]:
        """ "Possible duplicate" warnings against the whole cache, as the customer list
        shows them: only this customer's likely twins are fetched (same ID number in
        either form, same name, or same mobile) and the duplicate rules run on them."""
        id_forms = _id_number_forms(row.id_number)
        wanted = [Customer.name == row.name]
        if id_forms:
            wanted.append(Customer.id_number.in_(id_forms))
        if row.mobile_phone:
            wanted.append(Customer.mobile_phone == row.mobile_phone)
        query = select(
            Customer.id,
            Customer.customer_no,
            Customer.name,
            Customer.id_number,
            Customer.mobile_phone,
            Customer.birth_date,
        ).where(Customer.deleted.is_(False), or_(Customer.id == row.id, *wanted))
        keys = [CustomerKey(*candidate) for candidate in conn.execute(query)]
        if len(keys) < 2:
            return []
        number = {key.customer_id: key.customer_no for key in keys}
        messages = []
        for flag in find_duplicates(keys):
            if row.id in flag.customer_ids:
                other = next(c for c in flag.customer_ids if c != row.id)
                messages.append(f"可能重复：与客户 {number[other]} {flag.reason}")
        return messages

    def _holdings(self, conn: Connection, customer_id: str) -> Holdings:
        query = (
            select(Account)
            .where(
                Account.customer_id == customer_id,
                Account.deleted.is_(False),
                Account.status.in_((AccountStatus.OPEN, AccountStatus.FROZEN)),
            )
            .order_by(Account.balance.desc(), Account.account_no)
        )
        by_type: dict[str, list[Holding]] = {}
        for account in conn.execute(query):
            by_type.setdefault(str(account.account_type), []).append(
                Holding(
                    id=account.id,
                    account_no=account.account_no,
                    product_name=account.product_name,
                    account_type=str(account.account_type),
                    balance=account.balance,
                    balance_text=format_wan(account.balance),
                    currency=account.currency,
                    opened_on=account.opened_on,
                    matures_on=account.matures_on,
                    rate=account.rate,
                    status_label=_ACCOUNT_STATUS_LABELS.get(account.status, str(account.status)),
                )
            )
        groups = []
        for kind, holdings in by_type.items():
            total = sum((h.balance for h in holdings if h.currency == "CNY"), Decimal(0))
            groups.append(
                HoldingGroup(
                    product_type=kind,
                    label=PRODUCT_TYPE_LABELS.get(kind, kind),
                    is_liability=kind in LIABILITY_TYPES,
                    count=len(holdings),
                    total=total,
                    total_wan=wan(total),
                    total_text=format_wan(total),
                    holdings=tuple(holdings),
                )
            )
        groups.sort(key=lambda g: (g.is_liability, -g.total, g.product_type))
        assets = sum((g.total for g in groups if not g.is_liability), Decimal(0))
        debts = sum((g.total for g in groups if g.is_liability), Decimal(0))
        return Holdings(
            groups=tuple(groups),
            assets_total=assets,
            assets_total_wan=wan(assets),
            assets_text=format_wan(assets),
            liabilities_total=debts,
            liabilities_total_wan=wan(debts),
            liabilities_text=format_wan(debts),
        )

    def _groups(self, conn: Connection, customer_id: str, today: date) -> list[GroupView]:
        current = and_(
            GroupMembership.deleted.is_(False),
            GroupMembership.valid_from <= today,
            or_(GroupMembership.valid_to.is_(None), GroupMembership.valid_to >= today),
        )
        mine = conn.execute(
            select(
                CustomerGroup.id,
                CustomerGroup.group_no,
                CustomerGroup.name,
                CustomerGroup.kind,
                GroupMembership.role,
                GroupMembership.valid_from,
            )
            .join(CustomerGroup, CustomerGroup.id == GroupMembership.group_id)
            .where(
                GroupMembership.customer_id == customer_id,
                CustomerGroup.deleted.is_(False),
                current,
            )
            .order_by(CustomerGroup.kind.desc(), CustomerGroup.name)
        ).all()
        if not mine:
            return []
        members: dict[str, list[GroupMember]] = {}
        for m in conn.execute(
            select(
                GroupMembership.group_id,
                GroupMembership.role,
                Customer.id,
                Customer.customer_no,
                Customer.name,
                Customer.tier,
            )
            .join(Customer, Customer.id == GroupMembership.customer_id)
            .where(
                GroupMembership.group_id.in_([g.id for g in mine]),
                Customer.deleted.is_(False),
                current,
            )
            .order_by(GroupMembership.role, Customer.name)
        ):
            members.setdefault(m.group_id, []).append(
                GroupMember(
                    customer_id=m.id,
                    customer_no=m.customer_no,
                    name=m.name,
                    role=str(m.role),
                    role_label=_ROLE_LABELS.get(m.role, str(m.role)),
                    tier=m.tier,
                    is_self=m.id == customer_id,
                )
            )
        return [
            GroupView(
                id=g.id,
                group_no=g.group_no,
                name=g.name,
                kind=str(g.kind),
                kind_label=_GROUP_KIND_LABELS.get(g.kind, str(g.kind)),
                role_label=_ROLE_LABELS.get(g.role, str(g.role)),
                since=g.valid_from,
                members=tuple(_head_first(members.get(g.id, []))),
            )
            for g in mine
        ]

    def _timeline(self, conn: Connection, customer_id: str, limit: int) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        visit_at = Visit.planned_start
        for v in conn.execute(
            select(Visit)
            .where(Visit.customer_id == customer_id, Visit.deleted.is_(False))
            .order_by(visit_at.desc())
            .limit(limit)
        ):
            at = v.actual_start or v.planned_start
            entries.append(
                TimelineEntry(
                    kind="visit",
                    id=v.id,
                    at=at,
                    day=local_date(at),
                    title=f"{_VISIT_CATEGORY_LABELS.get(v.category, v.category)}："
                    f"{v.purpose or '拜访'}",
                    detail=v.outcome or _excerpt(v.report),
                    status_label=_VISIT_STATUS_LABELS.get(v.status, str(v.status)),
                )
            )
        for c in conn.execute(
            select(ContactLog)
            .where(ContactLog.customer_id == customer_id, ContactLog.deleted.is_(False))
            .order_by(ContactLog.started_at.desc())
            .limit(limit)
        ):
            entries.append(
                TimelineEntry(
                    kind="contact",
                    id=c.id,
                    at=c.started_at,
                    day=local_date(c.started_at),
                    title=f"{CHANNEL_LABELS.get(c.channel, c.channel)}：{c.summary}",
                    detail=_excerpt(c.content),
                    status_label=None,
                )
            )
        for n in conn.execute(
            select(Need)
            .where(Need.customer_id == customer_id, Need.deleted.is_(False))
            .order_by(Need.started_on.desc())
            .limit(limit)
        ):
            label = NEED_CATEGORY_LABELS.get(n.category, str(n.category))
            entries.append(
                TimelineEntry(
                    kind="need",
                    id=n.id,
                    at=day_start(n.started_on),
                    day=n.started_on,
                    title=f"客户需求（{label}）：{n.summary}",
                    detail=_excerpt(n.content),
                    status_label=NEED_STATUS_LABELS.get(n.status, str(n.status)),
                )
            )
        for o in conn.execute(
            select(Opportunity)
            .where(Opportunity.customer_id == customer_id, Opportunity.deleted.is_(False))
            .order_by(Opportunity.started_on.desc())
            .limit(limit)
        ):
            value = "" if o.expected_value is None else f"，预期{format_wan(o.expected_value)}"
            entries.append(
                TimelineEntry(
                    kind="opportunity",
                    id=o.id,
                    at=day_start(o.started_on),
                    day=o.started_on,
                    title=f"商机：{o.summary}",
                    detail=f"成功概率{o.probability}%{value}",
                    status_label=SALES_STAGE_LABELS.get(o.sales_stage, str(o.sales_stage)),
                )
            )
        entries.sort(key=lambda e: (e.at, e.kind, e.id), reverse=True)
        return entries[:limit]

    @staticmethod
    def _count(conn: Connection, model: Any, *where: Any) -> int:
        query = select(func.count()).select_from(model).where(model.deleted.is_(False), *where)
        return int(conn.execute(query).scalar_one())


def _id_number_forms(raw: str | None) -> list[str]:
    """The ID number as stored, cleaned, and in its other (15 / 18 digit) form."""
    cleaned = clean_id_number(raw)
    if not cleaned:
        return []
    forms = {raw or "", cleaned}
    checked = check_resident_id(cleaned)
    if checked.valid and checked.normalized is not None:
        forms.add(checked.normalized)
        # The old 15-digit form drops the century and the check digit.
        forms.add(checked.normalized[:6] + checked.normalized[8:17])
    return sorted(f for f in forms if f)


def _head_first(members: Iterable[GroupMember]) -> list[GroupMember]:
    return sorted(members, key=lambda m: (m.role != GroupRole.HEAD, not m.is_self, m.name))


def _excerpt(text: str | None, length: int = 80) -> str | None:
    if not text:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
