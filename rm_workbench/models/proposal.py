"""Product-bundle proposals the RM puts together for a customer."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Mapped

from rm_contract.vocabulary import ProposalStatus
from rm_workbench.models.base import Base, Synced, synced_table


class BundleProposal(Synced, Base):
    """A recorded bundle proposal (组合式金融服务套餐); the columns are explained in
    :data:`rm_contract.tables.bundle_proposal`."""

    __table__ = synced_table("bundle_proposal")

    proposal_no: Mapped[str]
    customer_id: Mapped[str]
    rm_id: Mapped[str | None]
    template_code: Mapped[str | None]
    title: Mapped[str]
    status: Mapped[ProposalStatus]
    items: Mapped[str]
    reasons: Mapped[str]
    valid_until: Mapped[date | None]
    opportunity_id: Mapped[str | None]
