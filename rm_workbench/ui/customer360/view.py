"""Customer 360: everything the RM knows about one customer, on one tab.

The tab puts the panels together (profile and data quality, household and group members
on the left; holdings and the activity tabs on the right), reads the customer in the
background and reads again after a write to this customer's records or a sync. It runs
what the RM asks for: log a contact (Ctrl+L), record a need (Ctrl+Shift+N) or an
opportunity (Ctrl+Shift+O), edit or close the selected need or opportunity, change the
contact details, show an identifier in clear (a deliberate, confirmed and audited action:
:meth:`Customer360View.reveal`), print the one-page brief (Ctrl+P), put a bundle proposal
together (Ctrl+Shift+P), and accept, decline or print a recorded proposal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import shiboken6
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

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
from rm_workbench.ui.customer360.activities import ActivityTabs
from rm_workbench.ui.customer360.holdings import HoldingsPanel
from rm_workbench.ui.customer360.members import MembersPanel
from rm_workbench.ui.customer360.profile import ProfilePanel, WarningsPanel
from rm_workbench.ui.customer360.proposals import SETTLEABLE
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import app_events
from rm_workbench.ui.operations import WriteOp
from rm_workbench.ui.printing import print_document
from rm_workbench.ui.proposal_dialog import ProposalDialog

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
        self._connect()
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
        self.profile = ProfilePanel()
        self.data_quality = WarningsPanel()
        self.members = MembersPanel()
        self.holdings = HoldingsPanel()
        self.activity_tabs = ActivityTabs()
        self.proposals = self.activity_tabs.proposals

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.profile)
        left_layout.addWidget(self.data_quality)
        left_layout.addWidget(self.members, 1)
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
        right.addWidget(self.holdings)
        right.addWidget(self.activity_tabs)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([380, 900])
        return self.splitter

    def _connect(self) -> None:
        """What the panels' buttons and lists ask for, to the actions below."""
        self.profile.reveal_requested.connect(self._reveal_requested)
        self.profile.edit_contact_button.clicked.connect(self.edit_contact_details)
        self.members.member_activated.connect(self.customer_activated)
        tabs = self.activity_tabs
        tabs.timeline_table.activated.connect(self._timeline_activated)
        tabs.needs_table.activated.connect(lambda _index: self.edit_need())
        tabs.edit_need_button.clicked.connect(self.edit_need)
        tabs.close_need_button.clicked.connect(self.close_need)
        tabs.add_need_button.clicked.connect(self.new_need)
        tabs.opportunities_table.activated.connect(lambda _index: self.edit_opportunity())
        tabs.edit_opportunity_button.clicked.connect(self.edit_opportunity)
        tabs.close_opportunity_button.clicked.connect(self.close_opportunity)
        tabs.add_opportunity_button.clicked.connect(self.new_opportunity)
        self.proposals.accept_proposal_button.clicked.connect(self.accept_proposal)
        self.proposals.decline_proposal_button.clicked.connect(self.decline_proposal)
        self.proposals.print_proposal_button.clicked.connect(self.print_proposal)
        self.proposals.add_proposal_button.clicked.connect(self.new_proposal)
        for table in (tabs.needs_table, tabs.opportunities_table, self.proposals.proposals_table):
            table.selectionModel().selectionChanged.connect(lambda *_: self._enable_actions())

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
        self._show_badges(c.profile)
        self.profile.show_profile(c.profile, self._revealed, self._id_field())
        self.data_quality.show_warnings(c.warnings)
        self.members.show_groups(c.groups)
        # An empty members box stays small; the space goes below it.
        self.left_layout.setStretch(2, 1 if c.groups else 0)
        self.left_layout.setStretch(3, 0 if c.groups else 1)
        self.holdings.show_holdings(c.holdings)
        self.activity_tabs.show_activities(
            c.timeline,
            data.needs,
            data.opportunities,
            data.proposals,
            open_needs=c.open_needs,
            open_opportunities=c.open_opportunities,
        )
        if first:
            self.members.fit()
            self.holdings.fit()
            self.activity_tabs.fit()
        self.activity_tabs.show_empty_lists()
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

    def _show_badges(self, p: Profile) -> None:
        badges = [p.customer_no, p.category_label]
        badges += [b for b in (p.tier, p.lifecycle_label, p.life_stage) if b]
        self.badges_label.setText("  ·  ".join(badges))

    def warnings(self) -> list[str]:
        """The warnings shown (for tests and the status bar)."""
        return self.data_quality.warnings()

    # --- revealing an identifier ------------------------------------------------------

    def _id_field(self) -> str:
        profile = self.data.customer.profile if self.data else None
        if profile is not None and profile.category == "corporate" and profile.masked_credit_code:
            return "credit_code"
        return "id_number"

    def _reveal_requested(self, field: str) -> None:
        self.reveal(self._id_field() if field == "id_number" else field)

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
        button = self.profile.reveal_buttons[field]
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
        self.profile.show_revealed(revealed.field, revealed.value)
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
        return self.activity_tabs.selected_need()

    def selected_opportunity(self) -> OpportunityItem | None:
        return self.activity_tabs.selected_opportunity()

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
        self.activity_tabs.enable_actions()

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
        return self.proposals.selected_proposal()

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
        if proposal is None or proposal.status not in SETTLEABLE:
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

    def _timeline_activated(self, index: QModelIndex) -> None:
        """Enter on a need or an opportunity of the timeline edits it."""
        if not index.isValid() or self.data is None:
            return
        entry = self.activity_tabs.timeline_model.row_at(index.row())
        if entry.kind == "need":
            need = next((n for n in self.data.needs if n.id == entry.id), None)
            if need is not None:
                self.edit_need(need)
        elif entry.kind == "opportunity":
            item = next((o for o in self.data.opportunities if o.id == entry.id), None)
            if item is not None:
                self.edit_opportunity(item)
