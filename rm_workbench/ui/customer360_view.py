"""Customer 360: everything the RM knows about one customer, on one tab.

The profile with the ID number and phones masked (showing one is a deliberate,
confirmed and audited action: :meth:`Customer360View.reveal`), data-quality warnings
with their reasons, holdings by product type with totals in 万元 and a donut of the
portfolio, household and group members (Enter or a double click opens one), and the
timeline of visits, contacts, needs and opportunities, newest first. The RM logs a
contact (Ctrl+L), records a need (Ctrl+Shift+N) or an opportunity (Ctrl+Shift+O),
edits or closes the selected need or opportunity, changes the customer's contact
details (phones, e-mail, address, occupation, notes), prints the one-page brief (Ctrl+P),
puts a bundle proposal together (Ctrl+Shift+P), and accepts, declines or prints a
recorded proposal.

Everything is read in the background; the tab reads again after a write to this
customer's records or a sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import shiboken6
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_date
from rm_workbench.errors import WorkbenchError
from rm_workbench.models import utcnow
from rm_workbench.services.changes import Change
from rm_workbench.services.customer360 import (
    ContactDetails,
    Customer360,
    Profile,
    Revealed,
    RevealField,
)
from rm_workbench.services.needs import NeedItem
from rm_workbench.services.opportunities import OpportunityItem, ProductChoice
from rm_workbench.services.proposals import ProposalSummary
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.activity_dialogs import (
    ActivityDialog,
    CloseNeedDialog,
    CloseOpportunityDialog,
    ContactDialog,
    NeedDialog,
    OpportunityDialog,
)
from rm_workbench.ui.background import Task, run_in_background
from rm_workbench.ui.contact_dialog import ContactDetailsDialog
from rm_workbench.ui.customer360_model import (
    HoldingColumn,
    HoldingsModel,
    MembersModel,
    NeedsModel,
    OpportunitiesModel,
    TimelineModel,
)
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import app_events
from rm_workbench.ui.operations import WriteOp
from rm_workbench.ui.portfolio_chart import PortfolioChart
from rm_workbench.ui.printing import print_document
from rm_workbench.ui.proposal_dialog import ProposalDialog, ProposalsModel
from rm_workbench.ui.rows_model import RowsModel

log = logging.getLogger(__name__)

# What the tab shows: a write to one of these for this customer means read again.
# The tables the view reads: a Change that touches one of them, for this customer,
# refreshes it (tests/ui/test_view_tables.py checks the list against what it reads).
TABLES = (
    "customer",
    "account",
    "visit",
    "contact_log",
    "need",
    "opportunity",
    "group_membership",
    "customer_group",
    "bundle_proposal",
    "product",
    "branch",
    "relationship_manager",
)
LOG_CONTACT = "Ctrl+L"
NEW_NEED = "Ctrl+Shift+N"
NEW_OPPORTUNITY = "Ctrl+Shift+O"
PRINT_BRIEF = "Ctrl+P"
NEW_PROPOSAL = "Ctrl+Shift+P"
WARNING_COLORS = {
    "identity": "#b91c1c",
    "duplicate": "#c2410c",
    "contact": "#b45309",
    "risk": "#7c3aed",
}
LOADING, FAILED, READY = range(3)


def _cancel(tasks: list[Task]) -> None:
    """Drop the answers of readings still under way (the view is gone)."""
    for task in tasks:
        task.cancel()


@dataclass(frozen=True)
class Loaded:
    """One reading of the tab: the 360 and the lists its dialogs need."""

    customer: Customer360
    needs: tuple[NeedItem, ...]
    opportunities: tuple[OpportunityItem, ...]
    products: tuple[ProductChoice, ...]
    proposals: tuple[ProposalSummary, ...]


def _table(name: str, model: RowsModel[Any]) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().lineSpacing() + 10)
    header = table.horizontalHeader()
    header.setMinimumSectionSize(56)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return table


def _fit(table: QTableView, widest: int = 320) -> None:
    """Columns as wide as their contents, within reason."""
    table.resizeColumnsToContents()
    for column in range(table.model().columnCount() - 1):
        table.setColumnWidth(column, min(table.columnWidth(column), widest))


class Customer360View(QWidget):
    """One customer's 360 for the open :class:`~rm_workbench.services.workbench.Workbench`."""

    customer_activated = Signal(str)  # a household or group member to open
    loaded = Signal()  # a new reading is on screen
    identifier_revealed = Signal(str, str)  # field, clear value

    def __init__(
        self,
        workbench: Workbench,
        customer_id: str,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.customer_id = customer_id
        self.clock = clock
        self.data: Loaded | None = None
        self.dialog: QDialog | None = None  # the last dialog opened from this tab
        self._revealed: dict[str, str] = {}
        self._loading = False
        self._again = False
        tasks: list[Task] = []
        self._tasks = tasks
        self.destroyed.connect(lambda *_: _cancel(tasks))
        # The tab needs its title at once; one name by primary key is quick enough for
        # the GUI thread (everything else is read in the background).
        try:
            self._name = workbench.customer360.customer_name(customer_id)
        except WorkbenchError:
            self._name = ""  # the reading below says why

        self._build()
        self._shortcuts()
        app_events().changed.connect(self._changed)
        self.refresh()

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.name_label = QLabel(self._name)
        self.name_label.setObjectName("customer_name")
        font = self.name_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.name_label.setFont(font)
        self.badges_label = QLabel()
        self.badges_label.setObjectName("customer_badges")
        self.contact_button = self._button(
            "log_contact_button", self.tr("Log contact"), LOG_CONTACT, self.log_contact
        )
        self.new_need_button = self._button(
            "new_need_button", self.tr("New need"), NEW_NEED, self.new_need
        )
        self.new_opportunity_button = self._button(
            "new_opportunity_button",
            self.tr("New opportunity"),
            NEW_OPPORTUNITY,
            self.new_opportunity,
        )
        self.brief_button = self._button(
            "brief_button", self.tr("Brief…"), PRINT_BRIEF, self.print_brief
        )
        self.proposal_button = self._button(
            "proposal_button", self.tr("Proposal…"), NEW_PROPOSAL, self.new_proposal
        )
        top = QHBoxLayout()
        top.addWidget(self.name_label)
        top.addSpacing(12)
        top.addWidget(self.badges_label)
        top.addStretch(1)
        for button in self._top_buttons():
            top.addWidget(button)

        self.message_label = QLabel()
        self.message_label.setObjectName("customer_message")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("Try again"))
        self.retry_button.clicked.connect(self.refresh)
        message_page = QWidget()
        message_layout = QVBoxLayout(message_page)
        message_layout.addStretch(1)
        message_layout.addWidget(self.message_label)
        message_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignCenter)
        message_layout.addStretch(1)

        self.stack = QStackedWidget()
        self.stack.addWidget(message_page)
        self.stack.addWidget(self._content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def _top_buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.contact_button,
            self.new_need_button,
            self.new_opportunity_button,
            self.proposal_button,
            self.brief_button,
        )

    def _button(self, name: str, text: str, keys: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        shortcut = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        button.setToolTip(f"{text} ({shortcut})")
        button.clicked.connect(slot)
        return button

    def _content(self) -> QWidget:
        # Left: who the customer is. Right: what they hold and what happened.
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self._profile_box())
        left_layout.addWidget(self._warnings_box())
        left_layout.addWidget(self._members_box(), 1)
        left_layout.addStretch(0)
        self.left_layout = left_layout
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(left)
        self.left_scroll = scroll
        self.left_content = left

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self._holdings_box())
        right.addWidget(self._activity_tabs())
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([380, 900])
        return self.splitter

    def _profile_box(self) -> QGroupBox:
        """The profile's rows, made once; each reading sets their text and hides the
        rows that do not apply (a company has no birth date)."""
        box = QGroupBox(self.tr("Profile"))
        self.profile_form = QFormLayout(box)
        self.profile_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.value_labels: dict[str, QLabel] = {}
        self.reveal_buttons: dict[str, QPushButton] = {}
        self.id_kind_label = QLabel(self.tr("ID number"))
        self.id_label = self._identifier_row("id_number", self.id_kind_label)
        self.value_labels["credit_code"] = self.id_label
        self.reveal_buttons["credit_code"] = self.reveal_buttons["id_number"]
        self.mobile_label = self._identifier_row("mobile_phone", QLabel(self.tr("Mobile")))
        self.other_phone_label = self._identifier_row("other_phone", QLabel(self.tr("Other phone")))
        self.reveal_id_button = self.reveal_buttons["id_number"]
        self.reveal_mobile_button = self.reveal_buttons["mobile_phone"]
        self.reveal_other_button = self.reveal_buttons["other_phone"]
        rows = {
            "gender_age": self.tr("Gender, age"),
            "birth_date": self.tr("Birth date"),
            "life_stage": self.tr("Life stage"),
            "marital": self.tr("Marital status"),
            "children": self.tr("Children"),
            "education": self.tr("Education"),
            "occupation": self.tr("Occupation"),
            "employer": self.tr("Employer"),
            "income": self.tr("Income"),
            "risk": self.tr("Risk tolerance"),
            "address": self.tr("Address"),
            "email": self.tr("Email"),
            "aum": self.tr("AUM"),
            "contribution": self.tr("Contribution"),
            "since": self.tr("Customer since"),
            "last_transaction": self.tr("Last transaction"),
            "rm": self.tr("Relationship manager"),
            "branch": self.tr("Branch"),
            "notes": self.tr("Notes"),
        }
        self.profile_labels: dict[str, QLabel] = {}
        for key, title in rows.items():
            field = QLabel()
            field.setObjectName(f"profile_{key}")
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.profile_form.addRow(title, field)
            self.profile_labels[key] = field
        self.edit_contact_button = QPushButton(self.tr("Edit contact details…"))
        self.edit_contact_button.setObjectName("edit_contact_button")
        self.edit_contact_button.clicked.connect(self.edit_contact_details)
        self.profile_form.addRow(self.edit_contact_button)
        return box

    def _identifier_row(self, field: str, title: QLabel) -> QLabel:
        """A masked identifier with its "show" button; returns the value's label."""
        value = QLabel()
        value.setObjectName(f"{field}_value")
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = self._reveal_button(f"reveal_{field}")
        button.clicked.connect(
            lambda: self.reveal(self._id_field() if field == "id_number" else field)
        )
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(value)
        line.addWidget(button)
        line.addStretch(1)
        self.profile_form.addRow(title, row)
        self.value_labels[field] = value
        self.reveal_buttons[field] = button
        return value

    def _reveal_button(self, name: str) -> QPushButton:
        button = QPushButton(self.tr("Show"))
        button.setObjectName(name)
        button.setToolTip(self.tr("Show the full value (recorded in the audit log)"))
        button.setFlat(True)
        button.setStyleSheet("color: #1d4ed8; text-decoration: underline; padding: 0 4px;")
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def _warnings_box(self) -> QGroupBox:
        self.warnings_box = QGroupBox(self.tr("Data quality"))
        self.warnings_layout = QVBoxLayout(self.warnings_box)
        self.warning_labels: list[QLabel] = []
        return self.warnings_box

    def _members_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Household and group members"))
        self.members_model = MembersModel(self)
        self.members_table = _table("members_table", self.members_model)
        self.members_table.activated.connect(self._member_activated)
        self.members_empty = QLabel(self.tr("Not in any household or group."))
        self.members_empty.setStyleSheet("color: #6b7280;")
        layout = QVBoxLayout(box)
        layout.addWidget(self.members_table)
        layout.addWidget(self.members_empty)
        self.members_table.setMinimumHeight(120)
        return box

    def _holdings_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Holdings"))
        self.totals_label = QLabel()
        self.totals_label.setObjectName("holdings_totals")
        font = self.totals_label.font()
        font.setBold(True)
        self.totals_label.setFont(font)
        self.holdings_model = HoldingsModel(self)
        self.holdings_table = _table("holdings_table", self.holdings_model)
        self.chart = PortfolioChart()
        row = QSplitter(Qt.Orientation.Horizontal)
        row.addWidget(self.holdings_table)
        row.addWidget(self.chart)
        row.setStretchFactor(0, 3)
        row.setStretchFactor(1, 2)
        row.setSizes([500, 400])
        layout = QVBoxLayout(box)
        layout.addWidget(self.totals_label)
        layout.addWidget(row, 1)
        return box

    def _activity_tabs(self) -> QTabWidget:
        self.activity_tabs = QTabWidget()
        self.activity_tabs.setObjectName("activity_tabs")

        self.timeline_model = TimelineModel(self)
        self.timeline_table = _table("timeline_table", self.timeline_model)
        self.timeline_table.activated.connect(self._timeline_activated)
        self.empty_lists: dict[QTableView, QStackedWidget] = {}
        self.activity_tabs.addTab(
            self._or_empty(
                self.timeline_table,
                self.tr("No visit, contact, need or opportunity recorded yet."),
            ),
            self.tr("Timeline"),
        )

        self.needs_model = NeedsModel(self)
        self.needs_table = _table("needs_table", self.needs_model)
        self.needs_table.activated.connect(lambda _index: self.edit_need())
        self.edit_need_button = QPushButton(self.tr("Edit need…"))
        self.edit_need_button.setObjectName("edit_need_button")
        self.edit_need_button.clicked.connect(self.edit_need)
        self.close_need_button = QPushButton(self.tr("Close need…"))
        self.close_need_button.setObjectName("close_need_button")
        self.close_need_button.clicked.connect(self.close_need)
        add_need = QPushButton(self.tr("New need…"))
        add_need.clicked.connect(self.new_need)
        self._or_empty(self.needs_table, self.tr("No need recorded yet."))
        self.activity_tabs.addTab(
            self._list_page(
                self.needs_table, add_need, self.edit_need_button, self.close_need_button
            ),
            self.tr("Needs"),
        )

        self.opportunities_model = OpportunitiesModel(self)
        self.opportunities_table = _table("opportunities_table", self.opportunities_model)
        self.opportunities_table.activated.connect(lambda _index: self.edit_opportunity())
        self.edit_opportunity_button = QPushButton(self.tr("Edit opportunity…"))
        self.edit_opportunity_button.setObjectName("edit_opportunity_button")
        self.edit_opportunity_button.clicked.connect(self.edit_opportunity)
        self.close_opportunity_button = QPushButton(self.tr("Won / lost…"))
        self.close_opportunity_button.setObjectName("close_opportunity_button")
        self.close_opportunity_button.clicked.connect(self.close_opportunity)
        add_opportunity = QPushButton(self.tr("New opportunity…"))
        add_opportunity.clicked.connect(self.new_opportunity)
        self._or_empty(self.opportunities_table, self.tr("No opportunity recorded yet."))
        self.activity_tabs.addTab(
            self._list_page(
                self.opportunities_table,
                add_opportunity,
                self.edit_opportunity_button,
                self.close_opportunity_button,
            ),
            self.tr("Opportunities"),
        )
        self.proposals_model = ProposalsModel(self)
        self.proposals_table = _table("proposals_table", self.proposals_model)
        self.accept_proposal_button = QPushButton(self.tr("Accepted"))
        self.accept_proposal_button.setObjectName("accept_proposal_button")
        self.accept_proposal_button.setToolTip(
            self.tr("The customer accepted: record it and open an opportunity")
        )
        self.accept_proposal_button.clicked.connect(self.accept_proposal)
        self.decline_proposal_button = QPushButton(self.tr("Declined"))
        self.decline_proposal_button.setObjectName("decline_proposal_button")
        self.decline_proposal_button.clicked.connect(self.decline_proposal)
        self.print_proposal_button = QPushButton(self.tr("Print…"))
        self.print_proposal_button.setObjectName("print_proposal_button")
        self.print_proposal_button.clicked.connect(self.print_proposal)
        add_proposal = QPushButton(self.tr("New proposal…"))
        add_proposal.clicked.connect(self.new_proposal)
        self._or_empty(self.proposals_table, self.tr("No proposal recorded yet."))
        self.activity_tabs.addTab(
            self._list_page(
                self.proposals_table,
                add_proposal,
                self.print_proposal_button,
                self.accept_proposal_button,
                self.decline_proposal_button,
            ),
            self.tr("Proposals"),
        )
        for table in (self.needs_table, self.opportunities_table, self.proposals_table):
            table.selectionModel().selectionChanged.connect(lambda *_: self._enable_actions())
        return self.activity_tabs

    def _or_empty(self, table: QTableView, message: str) -> QStackedWidget:
        """The table, or a line saying the list is empty (not a blank white box)."""
        label = QLabel(message)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: #6b7280;")
        stack = QStackedWidget()
        stack.addWidget(table)
        stack.addWidget(label)
        self.empty_lists[table] = stack
        return stack

    def _show_empty_lists(self) -> None:
        for table, stack in self.empty_lists.items():
            stack.setCurrentIndex(0 if table.model().rowCount() else 1)

    def _list_page(self, table: QTableView, *buttons: QPushButton) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.empty_lists.get(table, table), 1)
        return page

    def _shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        # Ctrl+L is also the main window's (it calls log_contact on the current tab):
        # the tab's own is only for a window without it, or the key is ambiguous.
        self.log_contact_shortcut = QShortcut(QKeySequence(LOG_CONTACT), self, self.log_contact)
        self.new_need_shortcut = QShortcut(QKeySequence(NEW_NEED), self, self.new_need)
        self.new_opportunity_shortcut = QShortcut(
            QKeySequence(NEW_OPPORTUNITY), self, self.new_opportunity
        )
        self.print_brief_shortcut = QShortcut(QKeySequence(PRINT_BRIEF), self, self.print_brief)
        self.new_proposal_shortcut = QShortcut(QKeySequence(NEW_PROPOSAL), self, self.new_proposal)
        for shortcut in (
            self.log_contact_shortcut,
            self.new_need_shortcut,
            self.new_opportunity_shortcut,
            self.print_brief_shortcut,
            self.new_proposal_shortcut,
        ):
            shortcut.setContext(context)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.log_contact_shortcut.setEnabled(not self._window_has(LOG_CONTACT))
        self.print_brief_shortcut.setEnabled(not self._window_has(PRINT_BRIEF))

    def _window_has(self, keys: str) -> bool:
        """Whether the window this tab sits in has an action of its own for ``keys``."""
        sequence = QKeySequence(keys)
        window = self.window()
        return window is not self and any(
            action.shortcut() == sequence
            and action.shortcutContext()
            in (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)
            for action in window.actions()
        )

    # --- reading ----------------------------------------------------------------------

    def title(self) -> str:
        """The tab's title: the customer's name."""
        return self._name or self.tr("Customer")

    def is_loading(self) -> bool:
        return self._loading

    def refresh(self) -> None:
        """Read the customer again in the background (once more after a reading under
        way, so a change announced meanwhile is never missed)."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._again = False
        if self.data is None:
            self._show_page(LOADING, self.tr("Loading…"))
        workbench, customer_id, now = self.workbench, self.customer_id, self.clock()
        c360, activities = workbench.customer360, workbench.activities
        proposals = workbench.proposals

        def read() -> Loaded:
            return Loaded(
                customer=c360.load(customer_id, now=now),
                needs=tuple(activities.needs(customer_id)),
                opportunities=tuple(activities.opportunities(customer_id)),
                products=tuple(activities.products()),
                proposals=proposals.list_for(customer_id),
            )

        task = run_in_background(read, self._show, self._failed)
        self._tasks[:] = [t for t in self._tasks if t.running]
        self._tasks.append(task)

    def _show_page(self, page: int, message: str = "") -> None:
        self.message_label.setText(message)
        self.retry_button.setVisible(page == FAILED)
        self.stack.setCurrentIndex(1 if page == READY else 0)
        for button in self._top_buttons():
            button.setEnabled(page == READY)

    def _show(self, data: Loaded) -> None:
        self._loading = False
        first = self.data is None
        self.data = data
        c = data.customer
        self._show_profile(c.profile)
        self._show_warnings(c)
        self.members_model.set_groups(c.groups)
        self.members_table.setVisible(bool(c.groups))
        self.members_empty.setVisible(not c.groups)
        # An empty members box stays small; the space goes below it.
        self.left_layout.setStretch(2, 1 if c.groups else 0)
        self.left_layout.setStretch(3, 0 if c.groups else 1)
        self.holdings_model.set_holdings(c.holdings)
        self.chart.set_holdings(c.holdings)
        self.totals_label.setText(
            self.tr("Assets {assets} · Liabilities {liabilities}").format(
                assets=c.holdings.assets_text, liabilities=c.holdings.liabilities_text
            )
        )
        self.timeline_model.set_rows(c.timeline)
        self.needs_model.set_rows(data.needs)
        self.opportunities_model.set_rows(data.opportunities)
        self.proposals_model.set_rows(data.proposals)
        self.activity_tabs.setTabText(0, self.tr("Timeline ({n})").format(n=len(c.timeline)))
        self.activity_tabs.setTabText(1, self.tr("Needs ({open} open)").format(open=c.open_needs))
        self.activity_tabs.setTabText(
            2, self.tr("Opportunities ({open} open)").format(open=c.open_opportunities)
        )
        self.activity_tabs.setTabText(3, self.tr("Proposals ({n})").format(n=len(data.proposals)))
        if first:
            for table in (
                self.members_table,
                self.holdings_table,
                self.timeline_table,
                self.needs_table,
                self.opportunities_table,
                self.proposals_table,
            ):
                _fit(table)
            self.holdings_table.setColumnWidth(
                HoldingColumn.PRODUCT, max(self.holdings_table.columnWidth(0), 160)
            )
        self._show_empty_lists()
        self._enable_actions()
        self._show_page(READY)
        # The profile column never scrolls sideways: it is as wide as its rows need.
        scrollbar = self.left_scroll.verticalScrollBar().sizeHint().width()
        self.left_scroll.setMinimumWidth(self.left_content.minimumSizeHint().width() + scrollbar)
        if c.profile.name != self._name:
            self._name = c.profile.name
            self._retitle()
        self.loaded.emit()
        if self._again:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, WorkbenchError):
            # Typically: the customer was handed to another RM by the last sync.
            self.data = None
            self._show_page(FAILED, exc.user_message)
        else:
            log.error("reading customer %s failed", self.customer_id, exc_info=exc)
            if self.data is None:
                self._show_page(FAILED, self.tr("This customer could not be read."))
            show_error(self, exc)
        if self._again:
            self.refresh()

    def _changed(self, change: Change) -> None:
        if change.concerns(self.customer_id) and change.touches(*TABLES):
            self.refresh()

    def _retitle(self) -> None:
        self.name_label.setText(self._name)
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QTabWidget):
            parent = parent.parentWidget()
        if isinstance(parent, QTabWidget):
            index = parent.indexOf(self)
            if index >= 0:
                parent.setTabText(index, self.title())

    # --- profile and warnings ---------------------------------------------------------

    def _id_field(self) -> str:
        profile = self.data.customer.profile if self.data else None
        if profile is not None and profile.category == "corporate" and profile.masked_credit_code:
            return "credit_code"
        return "id_number"

    def _show_profile(self, p: Profile) -> None:
        badges = [p.customer_no, p.category_label]
        badges += [b for b in (p.tier, p.lifecycle_label, p.life_stage) if b]
        self.badges_label.setText("  ·  ".join(badges))
        self.id_kind_label.setText(p.id_type_label or self.tr("ID number"))
        masked = {
            "id_number": p.masked_id_number or p.masked_credit_code,
            "mobile_phone": p.masked_mobile_phone,
            "other_phone": p.masked_other_phone,
        }
        for field, value in masked.items():
            shown = self._revealed.get(self._id_field() if field == "id_number" else field)
            self.value_labels[field].setText(shown or value or self.tr("not recorded"))
            button = self.reveal_buttons[field]
            button.setVisible(bool(value))
            button.setEnabled(shown is None)
            button.setText(self.tr("Shown") if shown else self.tr("Show"))
        self._row_visible(self.other_phone_label, bool(p.masked_other_phone))

        risk = p.risk_tolerance
        if risk and p.risk_expires_on is not None:
            risk = (
                self.tr("{level} (expired {date})")
                if p.risk_expired
                else self.tr("{level} (valid until {date})")
            ).format(level=risk, date=format_date(p.risk_expires_on))
        age = None if p.age is None else self.tr("{age} years").format(age=p.age)
        individual = p.category == "individual"
        values: dict[str, object] = {
            "gender_age": " ".join(t for t in (p.gender_label, age) if t),
            "birth_date": None if p.birth_date is None else format_date(p.birth_date),
            "life_stage": p.life_stage,
            "marital": p.marital_label,
            "children": p.children_count,
            "education": p.education_label,
            "occupation": p.occupation,
            "employer": p.employer,
            "income": p.income_band,
            "risk": risk,
            "address": p.address,
            "email": p.email,
            "aum": p.aum_text,
            "contribution": p.contribution_text,
            "since": None if p.customer_since is None else format_date(p.customer_since),
            "last_transaction": None
            if p.last_transaction_on is None
            else format_date(p.last_transaction_on),
            "rm": p.rm_name,
            "branch": p.branch_name,
            "notes": p.notes,
        }
        personal = {
            "gender_age",
            "birth_date",
            "life_stage",
            "marital",
            "children",
            "education",
            "occupation",
            "employer",
            "income",
            "risk",
        }
        for key, shown_value in values.items():
            label = self.profile_labels[key]
            empty = shown_value is None or shown_value == ""
            label.setText(self.tr("—") if empty else str(shown_value))
            self._row_visible(
                label, (individual or key not in personal) and (key != "notes" or bool(p.notes))
            )

    def _row_visible(self, field: QWidget, visible: bool) -> None:
        # The identifier labels sit in a row widget; the form row is the holder's.
        holder = field if self.profile_form.indexOf(field) >= 0 else field.parentWidget()
        if holder is not None:
            self.profile_form.setRowVisible(holder, visible)

    def _show_warnings(self, c: Customer360) -> None:
        for label in self.warning_labels:
            label.deleteLater()
        self.warning_labels = []
        if not c.warnings:
            label = QLabel(self.tr("No problem found in this record."))
            label.setStyleSheet("color: #047857;")
            self.warning_labels.append(label)
        for warning in c.warnings:
            label = QLabel("⚠ " + warning.message)
            label.setObjectName(f"warning_{warning.kind}")
            label.setWordWrap(True)
            label.setStyleSheet(f"color: {WARNING_COLORS.get(warning.kind, '#b91c1c')};")
            self.warning_labels.append(label)
        for label in self.warning_labels:
            self.warnings_layout.addWidget(label)

    def warnings(self) -> list[str]:
        """The warnings shown (for tests and the status bar)."""
        return [label.text() for label in self.warning_labels]

    # --- revealing an identifier ------------------------------------------------------

    def reveal(self, field: str) -> None:
        """Show one identifier in clear, after the RM confirms; the service writes the
        audit row (on the writer lane) in the same transaction as it reads the value."""
        if self.data is None or field in self._revealed:
            return
        labels = {
            "id_number": self.tr("the full ID number"),
            "credit_code": self.tr("the full credit code"),
            "mobile_phone": self.tr("the full mobile number"),
            "other_phone": self.tr("the full phone number"),
        }
        answer = QMessageBox.question(
            self,
            self.tr("Show a customer's identifier"),
            self.tr(
                "Show {what} of {name}? Your login, the time and the customer are recorded "
                "in the audit log and sent to the central CRM."
            ).format(what=labels[field], name=self._name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        button = self.reveal_buttons[field]
        button.setEnabled(False)
        service, customer_id = self.workbench.customer360, self.customer_id
        user = self.workbench.rm.user_name or ""

        def failed(exc: BaseException) -> None:
            button.setEnabled(True)
            show_error(self, exc)

        which = cast(RevealField, field)  # one of the buttons' names (checked by the service)
        WriteOp(self, lambda: service.reveal(customer_id, which, user_name=user)).success(
            self._revealed_value
        ).failure(failed).run_in_background()

    def _revealed_value(self, revealed: Revealed) -> None:
        self._revealed[revealed.field] = revealed.value
        self.value_labels[revealed.field].setText(revealed.value)
        button = self.reveal_buttons[revealed.field]
        button.setEnabled(False)
        button.setText(self.tr("Shown"))
        self.identifier_revealed.emit(revealed.field, revealed.value)

    # --- dialogs ----------------------------------------------------------------------

    def _open(self, dialog: ActivityDialog) -> ActivityDialog:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()
        return dialog

    def log_contact(self) -> None:
        """Open the contact dialog for this customer (Ctrl+L)."""
        if self.data is None:
            return
        self._open(
            ContactDialog(
                self.workbench.activities, self.customer_id, self._name, self, clock=self.clock
            )
        )

    def new_need(self) -> None:
        if self.data is None:
            return
        self._open(
            NeedDialog(
                self.workbench.activities,
                self.customer_id,
                None,
                self,
                customer_name=self._name,
                clock=self.clock,
            )
        )

    def new_opportunity(self) -> None:
        if self.data is None:
            return
        self._open(
            OpportunityDialog(
                self.workbench.activities,
                self.customer_id,
                None,
                self,
                needs=self.data.needs,
                products=self.data.products,
                customer_name=self._name,
                clock=self.clock,
            )
        )

    def edit_contact_details(self) -> None:
        """Open the contact details dialog, with the values read now (in the background)."""
        if self.data is None:
            return
        service, customer_id, view = self.workbench.customer360, self.customer_id, self

        def opened(details: ContactDetails) -> None:
            if shiboken6.isValid(view):
                view._open(ContactDetailsDialog(service, details, view, clock=view.clock))

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(view):
                show_error(view, exc)

        task = run_in_background(lambda: service.contact_details(customer_id), opened, failed)
        self._tasks.append(task)

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

    def edit_need(self, need: NeedItem | None = None) -> None:
        need = need or self.selected_need()
        if need is None or self.data is None:
            return
        self._open(
            NeedDialog(self.workbench.activities, self.customer_id, need, self, clock=self.clock)
        )

    def close_need(self) -> None:
        need = self.selected_need()
        if need is None or not need.is_open:
            return
        self._open(CloseNeedDialog(self.workbench.activities, need, self, clock=self.clock))

    def edit_opportunity(self, opportunity: OpportunityItem | None = None) -> None:
        opportunity = opportunity or self.selected_opportunity()
        if opportunity is None or self.data is None:
            return
        self._open(
            OpportunityDialog(
                self.workbench.activities,
                self.customer_id,
                opportunity,
                self,
                needs=self.data.needs,
                products=self.data.products,
                clock=self.clock,
            )
        )

    def close_opportunity(self) -> None:
        opportunity = self.selected_opportunity()
        if opportunity is None or not opportunity.is_open:
            return
        self._open(
            CloseOpportunityDialog(self.workbench.activities, opportunity, self, clock=self.clock)
        )

    def _enable_actions(self) -> None:
        need = self.selected_need()
        self.edit_need_button.setEnabled(need is not None)
        self.close_need_button.setEnabled(need is not None and need.is_open)
        opportunity = self.selected_opportunity()
        self.edit_opportunity_button.setEnabled(opportunity is not None)
        self.close_opportunity_button.setEnabled(opportunity is not None and opportunity.is_open)
        proposal = self.selected_proposal()
        open_proposal = proposal is not None and proposal.status in ("draft", "recorded")
        self.print_proposal_button.setEnabled(proposal is not None)
        self.accept_proposal_button.setEnabled(open_proposal)
        self.decline_proposal_button.setEnabled(open_proposal)

    # --- documents and proposals ---------------------------------------------------------

    def print_brief(self) -> None:
        """Print or save the one-page brief of this customer (Ctrl+P)."""
        if self.data is None:
            return
        print_document(
            self,
            self.workbench,
            "brief",
            self.customer_id,
            self.tr("Client brief: {name}").format(name=self._name),
            f"客户简报_{self._name}.pdf",
        )

    def new_proposal(self) -> None:
        """Put a bundle proposal together for this customer (Ctrl+Shift+P)."""
        if self.data is None:
            return
        self._open(
            ProposalDialog(
                self.workbench.proposals, self.customer_id, self._name, self, clock=self.clock
            )
        )

    def selected_proposal(self) -> ProposalSummary | None:
        index = self.proposals_table.currentIndex()
        selected = self.proposals_table.selectionModel().hasSelection()
        return self.proposals_model.row_at(index.row()) if index.isValid() and selected else None

    def print_proposal(self) -> None:
        proposal = self.selected_proposal()
        if proposal is None:
            return
        print_document(
            self,
            self.workbench,
            "proposal",
            proposal.id,
            self.tr("Proposal: {title}").format(title=proposal.title),
            f"产品方案_{self._name}_{proposal.proposal_no}.pdf",
        )

    def accept_proposal(self) -> None:
        self._settle_proposal(accept=True)

    def decline_proposal(self) -> None:
        self._settle_proposal(accept=False)

    def _settle_proposal(self, *, accept: bool) -> None:
        proposal = self.selected_proposal()
        if proposal is None or proposal.status not in ("draft", "recorded"):
            return
        question = (
            self.tr("Record that the customer accepted “{title}”? An opportunity is opened.")
            if accept
            else self.tr("Record that the customer declined “{title}”?")
        ).format(title=proposal.title)
        answer = QMessageBox.question(self, self.tr("Proposal"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        service = self.workbench.proposals
        call = service.accept if accept else service.decline
        WriteOp(self, lambda: call(proposal.id)).run_in_background()

    # --- opening related records --------------------------------------------------------

    def _member_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        _group, member = self.members_model.row_at(index.row())
        if not member.is_self:
            self.customer_activated.emit(member.customer_id)

    def _timeline_activated(self, index: QModelIndex) -> None:
        """Enter on a need or an opportunity of the timeline edits it."""
        if not index.isValid() or self.data is None:
            return
        entry = self.timeline_model.row_at(index.row())
        if entry.kind == "need":
            need = next((n for n in self.data.needs if n.id == entry.id), None)
            if need is not None:
                self.edit_need(need)
        elif entry.kind == "opportunity":
            item = next((o for o in self.data.opportunities if o.id == entry.id), None)
            if item is not None:
                self.edit_opportunity(item)
