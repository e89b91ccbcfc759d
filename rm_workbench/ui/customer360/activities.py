"""What happened with the customer, as tabs: the timeline of visits, contacts, needs and
opportunities (newest first), the needs, the opportunities, and the proposals page.

The buttons only say what the RM asked for; the view connects them to its dialogs.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QTabWidget, QWidget

from rm_workbench.services.customer360 import TimelineEntry
from rm_workbench.services.needs import NeedItem
from rm_workbench.services.opportunities import OpportunityItem
from rm_workbench.services.proposals import ProposalSummary
from rm_workbench.ui.customer360.proposals import ProposalsPage
from rm_workbench.ui.customer360.tables import EmptyOr, fit, list_page, make_table
from rm_workbench.ui.customer360_model import NeedsModel, OpportunitiesModel, TimelineModel


class ActivityTabs(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("activity_tabs")

        self.timeline_model = TimelineModel(self)
        self.timeline_table = make_table("timeline_table", self.timeline_model)
        timeline = EmptyOr(
            self.timeline_table, self.tr("No visit, contact, need or opportunity recorded yet.")
        )
        self.addTab(timeline, self.tr("Timeline"))

        self.needs_model = NeedsModel(self)
        self.needs_table = make_table("needs_table", self.needs_model)
        self.edit_need_button = QPushButton(self.tr("Edit need…"))
        self.edit_need_button.setObjectName("edit_need_button")
        self.close_need_button = QPushButton(self.tr("Close need…"))
        self.close_need_button.setObjectName("close_need_button")
        self.add_need_button = QPushButton(self.tr("New need…"))
        needs = EmptyOr(self.needs_table, self.tr("No need recorded yet."))
        self.addTab(
            list_page(needs, self.add_need_button, self.edit_need_button, self.close_need_button),
            self.tr("Needs"),
        )

        self.opportunities_model = OpportunitiesModel(self)
        self.opportunities_table = make_table("opportunities_table", self.opportunities_model)
        self.edit_opportunity_button = QPushButton(self.tr("Edit opportunity…"))
        self.edit_opportunity_button.setObjectName("edit_opportunity_button")
        self.close_opportunity_button = QPushButton(self.tr("Won / lost…"))
        self.close_opportunity_button.setObjectName("close_opportunity_button")
        self.add_opportunity_button = QPushButton(self.tr("New opportunity…"))
        opportunities = EmptyOr(self.opportunities_table, self.tr("No opportunity recorded yet."))
        self.addTab(
            list_page(
                opportunities,
                self.add_opportunity_button,
                self.edit_opportunity_button,
                self.close_opportunity_button,
            ),
            self.tr("Opportunities"),
        )

        self.proposals = ProposalsPage()
        self.addTab(self.proposals, self.tr("Proposals"))
        self.empty_lists = (timeline, needs, opportunities, self.proposals.empty)

    def show_activities(
        self,
        timeline: tuple[TimelineEntry, ...],
        needs: tuple[NeedItem, ...],
        opportunities: tuple[OpportunityItem, ...],
        proposals: tuple[ProposalSummary, ...],
        *,
        open_needs: int,
        open_opportunities: int,
    ) -> None:
        self.timeline_model.set_rows(timeline)
        self.needs_model.set_rows(needs)
        self.opportunities_model.set_rows(opportunities)
        self.proposals.show_proposals(proposals)
        self.setTabText(0, self.tr("Timeline ({n})").format(n=len(timeline)))
        self.setTabText(1, self.tr("Needs ({open} open)").format(open=open_needs))
        self.setTabText(2, self.tr("Opportunities ({open} open)").format(open=open_opportunities))
        self.setTabText(3, self.tr("Proposals ({n})").format(n=len(proposals)))

    def fit(self) -> None:
        for table in (self.timeline_table, self.needs_table, self.opportunities_table):
            fit(table)
        self.proposals.fit()

    def show_empty_lists(self) -> None:
        for stack in self.empty_lists:
            stack.show_empty()

    def selected_need(self) -> NeedItem | None:
        index = self.needs_table.currentIndex()
        selected = self.needs_table.selectionModel().hasSelection()
        return self.needs_model.row_at(index.row()) if index.isValid() and selected else None

    def selected_opportunity(self) -> OpportunityItem | None:
        index = self.opportunities_table.currentIndex()
        selected = self.opportunities_table.selectionModel().hasSelection()
        return (
            self.opportunities_model.row_at(index.row()) if index.isValid() and selected else None
        )

    def enable_actions(self) -> None:
        need = self.selected_need()
        self.edit_need_button.setEnabled(need is not None)
        self.close_need_button.setEnabled(need is not None and need.is_open)
        opportunity = self.selected_opportunity()
        self.edit_opportunity_button.setEnabled(opportunity is not None)
        self.close_opportunity_button.setEnabled(opportunity is not None and opportunity.is_open)
        self.proposals.enable_actions()
