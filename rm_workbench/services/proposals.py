"""Bundle proposals: what to propose to a customer, recording it, accepting it.

CONTRACT (written first so that documents and UI can be built side by side): the
dataclasses and method signatures below are fixed; the bodies are filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from rm_workbench.domain.recommend import Recommendation
from rm_workbench.services.changes import Change


@dataclass(frozen=True)
class ProposalItem:
    """What the RM puts in a proposal: a product of the catalog and an amount (yuan)."""

    product_code: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class ProposalLine:
    """One product of a recorded proposal, ready to show or print."""

    product_code: str
    product_name: str
    product_type_label: str  # 定期存款 / 理财 / 保险 …
    amount: Decimal | None
    amount_text: str  # "50.00万元" or "—"
    rate: Decimal | None  # priced for the customer's tier
    fee_rate: Decimal | None
    term_months: int | None
    risk_level: str | None  # R1..R5, None outside the suitability regime
    suitability: str  # "R2 ≤ C3 适合" / "非风险产品"
    disclosure: str | None


@dataclass(frozen=True)
class ProposalSummary:
    id: str
    proposal_no: str
    title: str
    status: str  # ProposalStatus value
    status_label: str
    created_on: date
    valid_until: date | None
    total_amount: Decimal
    opportunity_id: str | None


@dataclass(frozen=True)
class ProposalView:
    """A recorded proposal with everything a printed proposal shows. Identifiers are
    masked; the documents service asks for clear values separately (audited)."""

    id: str
    proposal_no: str
    status: str
    status_label: str
    title: str
    template_code: str | None
    template_name: str | None
    customer_id: str
    customer_no: str
    customer_name: str
    masked_id_number: str
    masked_mobile_phone: str
    tier: str | None
    risk_tolerance: str | None
    risk_expires_on: date | None
    reasons: tuple[str, ...]
    lines: tuple[ProposalLine, ...]
    total_amount: Decimal
    created_at: datetime
    valid_until: date | None
    rm_name: str | None
    rm_phone: str | None
    rm_email: str | None
    branch_name: str | None
    opportunity_id: str | None


class ProposalService:
    """Recommendations and recorded proposals for the customers of the RM's book."""

    def recommend(self, customer_id: str, *, today: date | None = None) -> Recommendation:
        raise NotImplementedError

    def record(
        self,
        customer_id: str,
        *,
        title: str,
        items: Sequence[ProposalItem],
        reasons: Sequence[str],
        template_code: str | None = None,
        valid_until: date | None = None,
    ) -> Change:
        """Record a proposal (status ``recorded``) through the outbox; it syncs. Refuses
        (ValidationError, nothing written) an unsuitable or unknown product, an item
        already held, an amount below the product's minimum, an empty proposal."""
        raise NotImplementedError

    def accept(self, proposal_id: str) -> Change:
        """The customer accepted: status ``accepted`` and a new opportunity linked."""
        raise NotImplementedError

    def decline(self, proposal_id: str) -> Change:
        raise NotImplementedError

    def list_for(self, customer_id: str) -> tuple[ProposalSummary, ...]:
        raise NotImplementedError

    def view(self, proposal_id: str) -> ProposalView:
        raise NotImplementedError
