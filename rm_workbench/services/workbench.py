"""The open workbench: the cache of one profile and the services over it.

The UI holds a :class:`Workbench` and calls its services; it never sees a session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from rm_workbench.config import bank_config
from rm_workbench.db.cache import open_profile_cache
from rm_workbench.db.engine import Cache, Writer, run_here
from rm_workbench.models import Customer, RelationshipManager, SyncState
from rm_workbench.paths import cache_path
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.conflicts import ConflictService
from rm_workbench.services.customer360 import Customer360Service
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.proposals import ProposalService
from rm_workbench.services.rejected import RejectedEditService
from rm_workbench.services.scope import ServiceScope
from rm_workbench.services.sync import USERNAME, SyncService
from rm_workbench.services.today import TodayService
from rm_workbench.services.visits import VisitService

if TYPE_CHECKING:
    from rm_workbench.services.documents import DocumentService
    from rm_workbench.services.exports import ExportService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedInRm:
    """Whose workbench this is: the RM (None: not known) and the login name."""

    rm_id: str | None
    user_name: str | None
    name: str | None
    # How it was found: "login", "book" (the cache holds one RM's book) or "unknown".
    source: str


def signed_in_rm(cache: Cache) -> SignedInRm:
    """The signed-in RM, by this rule:

    1. the login last used to sync (``sync_state.username``) is an RM's employee
       number: that RM;
    2. otherwise, when every customer in the cache has the same RM (the demo profile,
       or a profile synced by an admin login): that RM;
    3. otherwise unknown: the services then see every customer in the cache (which the
       sync's scope limits to the signed-in RM's book anyway) and a new visit or
       contact takes its customer's RM.
    """
    with cache.engine.connect() as conn:
        login = conn.execute(select(SyncState.value).where(SyncState.key == USERNAME)).scalar()
        if login:
            rm = conn.execute(
                select(RelationshipManager.id, RelationshipManager.name).where(
                    RelationshipManager.employee_no == login,
                    RelationshipManager.deleted.is_(False),
                )
            ).first()
            if rm is not None:
                return SignedInRm(rm.id, login, rm.name, "login")
        owners = conn.execute(
            select(Customer.rm_id, func.count())
            .where(Customer.deleted.is_(False))
            .group_by(Customer.rm_id)
            .limit(2)
        ).all()
        if len(owners) == 1 and owners[0].rm_id is not None:
            rm_id = owners[0].rm_id
            rm = conn.execute(
                select(RelationshipManager.name, RelationshipManager.employee_no).where(
                    RelationshipManager.id == rm_id
                )
            ).first()
            return SignedInRm(
                rm_id,
                login or (None if rm is None else rm.employee_no),
                None if rm is None else rm.name,
                "book",
            )
        return SignedInRm(None, login, None, "unknown")


@dataclass
class Workbench:
    profile: str
    cache: Cache
    customers: CustomerService
    bank_name: str
    # Shown in the status bar while it holds (e.g. "no keyring, cache not encrypted").
    warning: str | None = None
    # The signed-in RM and the services of the RM's day, built from the cache over
    # one shared scope (cache, RM, login name, bank configuration, writer).
    rm: SignedInRm = field(init=False)
    scope: ServiceScope = field(init=False)
    today: TodayService = field(init=False)
    visits: VisitService = field(init=False)
    activities: ActivityService = field(init=False)
    customer360: Customer360Service = field(init=False)
    proposals: ProposalService = field(init=False)
    # Made on first use (reportlab, openpyxl and icalendar stay out of the start-up).
    _documents: DocumentService | None = field(init=False, default=None)
    _exports: ExportService | None = field(init=False, default=None)
    sync: SyncService = field(init=False)
    conflicts: ConflictService = field(init=False)
    rejected: RejectedEditService = field(init=False)
    ca_bundle: str | None = None
    # How the services that wait between their transactions (documents, exports, the
    # sync) run each of them: here by default; the UI sets its writer lane
    # (:meth:`use_writer`).
    writer: Writer = run_here
    # Duplicate flags not computed yet (open_workbench(find_duplicates=False)): the
    # main window computes them on the writer lane once it is on screen.
    duplicates_pending: bool = False

    def __post_init__(self) -> None:
        self.sync = SyncService(
            self.cache, self.profile, ca_bundle=self.ca_bundle, writer=self.writer
        )
        self.conflicts = ConflictService(self.cache, self.sync)
        self.rejected = RejectedEditService(self.cache)
        self.reload_rm()

    def reload_rm(self) -> None:
        """Find the signed-in RM again (after a login or the first sync) and rebuild
        the services that depend on it."""
        self.rm = signed_in_rm(self.cache)
        self.scope = ServiceScope(
            self.cache, rm_id=self.rm.rm_id, user_name=self.rm.user_name, writer=self.writer
        )
        self.today = TodayService(self.scope)
        self.visits = VisitService(self.scope)
        self.activities = ActivityService(self.scope)
        self.customer360 = Customer360Service(self.scope)
        self.proposals = ProposalService(self.scope)
        self._documents = self._exports = None

    def use_writer(self, writer: Writer) -> None:
        """Run the transactions of documents, exports and the sync with ``writer``
        (the UI's writer lane) from now on."""
        self.writer = writer
        self.sync.writer = writer
        self.scope = replace(self.scope, writer=writer)
        for service in (self.today, self.visits, self.activities, self.customer360):
            service.scope = self.scope
        self.proposals.scope = self.scope
        self._documents = self._exports = None

    @property
    def documents(self) -> DocumentService:
        """Briefs, visit reports and proposals as PDF (first use imports reportlab:
        call it off the GUI thread)."""
        if self._documents is None:
            from rm_workbench.services.documents import DocumentService

            self._documents = DocumentService(self.scope)
        return self._documents

    @property
    def exports(self) -> ExportService:
        """The visit schedule as iCalendar, the customer list as a workbook."""
        if self._exports is None:
            from rm_workbench.services.exports import ExportService

            self._exports = ExportService(self.scope)
        return self._exports

    def close(self) -> None:
        self.cache.dispose()


def open_workbench(
    profile: str,
    *,
    fill: Callable[[Cache], object] | None = None,
    encrypt: bool = True,
    ca_bundle: str | None = None,
    find_duplicates: bool = True,
    password: str | None = None,
) -> Workbench:
    """Open (and migrate) the profile's cache. ``fill`` is called with the cache
    before anything reads it (``rm_demo.cache.fill_if_empty``: the demo RM's share,
    for screenshots and benchmarks; the demo launch instead syncs from the embedded
    central CRM). ``password``: the
    RM's, needed only where no keyring holds the cache's key (CachePasswordRequired
    says when)."""
    opened = open_profile_cache(cache_path(profile), profile, encrypt=encrypt, password=password)
    cache = opened.cache
    if fill is not None:
        fill(cache)
    customers = CustomerService(cache)
    if find_duplicates:
        customers.refresh_duplicates()
    return Workbench(
        profile=profile,
        cache=cache,
        customers=customers,
        bank_name=bank_config().bank.name,
        warning=opened.warning,
        ca_bundle=ca_bundle,
        duplicates_pending=not find_duplicates,
    )
