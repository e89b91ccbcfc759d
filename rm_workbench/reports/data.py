"""What the documents print: plain frozen data, filled by the documents service.

The reports never read the cache: everything a page shows is here, identifiers
already masked (or, when the RM chose to print them, clear), money already written
as text where the service has a rule for it. Dates stay dates; the layout writes them
with :mod:`rm_workbench.domain.formatting`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class Imprint:
    """Who prints, for which bank, and when: the header and footer of every page."""

    bank_name: str
    bank_short_name: str
    logo: Path | None  # a PNG/JPEG; None (or unreadable): no logo
    printed_by: str
    printed_at: datetime  # aware


@dataclass(frozen=True)
class CustomerIdentity:
    """The customer as every document names them. ``id_text`` and ``phone_text`` are
    masked unless ``identifiers_masked`` is False (the RM chose to print them)."""

    customer_id: str
    customer_no: str
    name: str
    id_label: str  # 居民身份证 / 统一社会信用代码 / 证件号码
    id_text: str  # "" when none is recorded
    phone_text: str
    tier: str | None
    identifiers_masked: bool = True


@dataclass(frozen=True)
class HoldingSlice:
    """Open holdings of one product type (a slice of the brief's chart)."""

    label: str
    count: int
    total_wan: Decimal  # plain number of 万元, for the chart
    total_text: str
    is_liability: bool


@dataclass(frozen=True)
class ContactLine:
    day: date
    title: str  # "电话：季度回访"
    detail: str | None


@dataclass(frozen=True)
class NeedLine:
    started_on: date
    category_label: str
    summary: str
    status_label: str


@dataclass(frozen=True)
class MaturityLine:
    matures_on: date
    product_name: str
    amount_text: str
    rate: Decimal | None


@dataclass(frozen=True)
class VisitLine:
    """The visit a brief is printed for (the batch of a day's briefs)."""

    start: datetime
    end: datetime | None
    category_label: str
    place: str | None
    purpose: str | None


@dataclass(frozen=True)
class BriefData:
    """The one-page client brief an RM takes to a visit."""

    customer: CustomerIdentity
    category_label: str
    gender_label: str | None
    age: int | None
    life_stage: str | None
    occupation: str | None
    lifecycle_label: str
    risk_tolerance: str | None
    risk_expires_on: date | None
    risk_expired: bool
    aum_text: str
    contribution_text: str
    customer_since: date | None
    rm_name: str | None
    branch_name: str | None
    relations: tuple[str, ...]  # "家庭 王氏之家（户主）"
    warnings: tuple[str, ...]  # data-quality warnings, plain Chinese
    holdings: tuple[HoldingSlice, ...]  # assets first, largest first
    assets_text: str
    liabilities_text: str
    contacts: tuple[ContactLine, ...]  # newest first
    contacts_total: int  # all the customer's contacts (the brief shows the latest)
    needs: tuple[NeedLine, ...]  # open needs, newest first
    maturities: tuple[MaturityLine, ...]  # soonest first
    maturity_window_days: int
    talking_points: tuple[str, ...]
    today: date
    visit: VisitLine | None = None


@dataclass(frozen=True)
class VisitReportData:
    """A visit's report: when, where, who, what was said and agreed."""

    customer: CustomerIdentity
    visit_no: str
    category_label: str
    status_label: str
    planned_start: datetime
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    place: str | None
    purpose: str | None
    attendees: str | None
    outcome: str | None
    report: str | None  # the notes; paragraphs separated by blank lines
    follow_up_due: date | None
    cost_text: str | None
    rm_name: str | None
    branch_name: str | None
    open_needs: tuple[NeedLine, ...]


@dataclass(frozen=True)
class ProposalLineData:
    """One product of a proposal, priced for the customer's tier."""

    product_code: str
    product_name: str
    product_type_label: str
    amount_text: str  # "50万元" or "—"
    rate: Decimal | None
    fee_rate: Decimal | None
    term_months: int | None
    risk_level: str | None  # R1..R5; None outside the suitability regime
    suitability: str  # "R2 ≤ C3 适合" / "非风险产品"
    disclosure: str | None


@dataclass(frozen=True)
class ProposalData:
    """A personalized product-bundle proposal, as handed to the customer."""

    customer: CustomerIdentity
    proposal_no: str
    title: str
    status_label: str
    template_name: str | None
    created_on: date
    valid_until: date | None
    risk_tolerance: str | None
    risk_expires_on: date | None
    reasons: tuple[str, ...]
    lines: tuple[ProposalLineData, ...]
    total_amount_text: str
    rm_name: str | None
    rm_phone: str | None
    rm_email: str | None
    branch_name: str | None


@dataclass(frozen=True)
class RenderedPdf:
    """A finished PDF in memory and its number of pages."""

    content: bytes
    pages: int
