"""The customer's bundle proposals (a page of the activity tabs): print one, or record
that the customer accepted or declined it."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

from rm_workbench.services.proposals import ProposalSummary
from rm_workbench.ui.customer360.tables import EmptyOr, fit, list_page, make_table
from rm_workbench.ui.proposal_dialog import ProposalsModel

SETTLEABLE = ("draft", "recorded")  # the statuses a proposal can be accepted or declined in


class ProposalsPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proposals_model = ProposalsModel(self)
        self.proposals_table = make_table("proposals_table", self.proposals_model)
        self.accept_proposal_button = QPushButton(self.tr("Accepted"))
        self.accept_proposal_button.setObjectName("accept_proposal_button")
        self.accept_proposal_button.setToolTip(
            self.tr("The customer accepted: record it and open an opportunity")
        )
        self.decline_proposal_button = QPushButton(self.tr("Declined"))
        self.decline_proposal_button.setObjectName("decline_proposal_button")
        self.print_proposal_button = QPushButton(self.tr("Print…"))
        self.print_proposal_button.setObjectName("print_proposal_button")
        self.add_proposal_button = QPushButton(self.tr("New proposal…"))
        self.empty = EmptyOr(self.proposals_table, self.tr("No proposal recorded yet."))
        list_page(
            self.empty,
            self.add_proposal_button,
            self.print_proposal_button,
            self.accept_proposal_button,
            self.decline_proposal_button,
            page=self,
        )

    def show_proposals(self, proposals: tuple[ProposalSummary, ...]) -> None:
        self.proposals_model.set_rows(proposals)

    def fit(self) -> None:
        fit(self.proposals_table)

    def selected_proposal(self) -> ProposalSummary | None:
        index = self.proposals_table.currentIndex()
        selected = self.proposals_table.selectionModel().hasSelection()
        return self.proposals_model.row_at(index.row()) if index.isValid() and selected else None

    def enable_actions(self) -> None:
        proposal = self.selected_proposal()
        open_proposal = proposal is not None and proposal.status in SETTLEABLE
        self.print_proposal_button.setEnabled(proposal is not None)
        self.accept_proposal_button.setEnabled(open_proposal)
        self.decline_proposal_button.setEnabled(open_proposal)
