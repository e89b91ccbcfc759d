"""Product-bundle proposals the RM puts together for a customer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rm_workbench.models.base import Base, Synced
from rm_workbench.models.enums import ProposalStatus, enum_column


class BundleProposal(Synced, Base):
    """A recorded bundle proposal (组合式金融服务套餐).

    ``items`` is JSON: ``[{"product_code": ..., "amount": "500000.00"}, ...]`` with
    amounts as decimal strings; ``reasons`` is the plain-Chinese list of why it fits.
    An accepted proposal becomes an opportunity (``opportunity_id``).
    """

    __tablename__ = "bundle_proposal"

    proposal_no: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customer.id"), index=True)
    rm_id: Mapped[str | None] = mapped_column(ForeignKey("relationship_manager.id"))
    template_code: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus), default=ProposalStatus.DRAFT
    )
    items: Mapped[str] = mapped_column(Text, default="[]")
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    valid_until: Mapped[date | None] = mapped_column(Date)
    opportunity_id: Mapped[str | None] = mapped_column(ForeignKey("opportunity.id"))
