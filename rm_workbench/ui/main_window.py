"""The main window: the RM's day in tabs (Today, Customers, Visits) and one tab per
customer opened (Customer 360), with the sync corner in the status bar.

Every screen reads the local cache through services; nothing here waits for the
network. Sync runs on the writer lane through :class:`SyncController`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from rm_workbench.domain.reminders import week_of
from rm_workbench.errors import AuthRequired, OfflineError
from rm_workbench.services.changes import Change
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import on_writer_lane
from rm_workbench.ui.conflict_dialog import ConflictDialog
from rm_workbench.ui.customer360.view import Customer360View
from rm_workbench.ui.customer_list import CustomerListView
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.events import app_events
from rm_workbench.ui.login_dialog import LoginDialog
from rm_workbench.ui.operations import WriteOp
from rm_workbench.ui.printing import ask_export_path, show_status
from rm_workbench.ui.rejected_dialog import RejectedDialog
from rm_workbench.ui.settings import Settings
from rm_workbench.ui.status_bar import SyncStatusBar
from rm_workbench.ui.sync_controller import SyncController, SyncOutcome
from rm_workbench.ui.today_view import TodayView
from rm_workbench.ui.visits_view import VisitsView

log = logging.getLogger(__name__)

TODAY, CUSTOMERS, VISITS = range(3)  # the fixed tabs; customer tabs follow
# The duplicate flags are kept by the customer service (the list shows them).
DUPLICATES_FLAGGED = Change(
    kind="duplicates_flagged", customer_id=None, ids=("duplicates",), tables=frozenset({"customer"})
)
EXPORT_WEEKS = 8  # the visit schedule exported: this week and the seven after it


class MainWindow(QMainWindow):
    def __init__(
        self,
        workbench: Workbench,
        controller: SyncController | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        # Documents, exports and the sync wait elsewhere, their transactions take
        # their turn on the writer lane.
        workbench.use_writer(on_writer_lane)
        self.workbench = workbench
        self.settings = settings or Settings()
        self.controller = controller
        self.setWindowTitle(self.tr("RM Workbench — {bank}").format(bank=workbench.bank_name))
        self._first_size()

        self.today = TodayView(workbench, self)
        self.customers = CustomerListView(workbench, self)
        self.visits = VisitsView(workbench, self)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("main_tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.addTab(self.today, self.tr("Today"))
        self.tabs.addTab(self.customers, self.tr("Customers"))
        self.tabs.addTab(self.visits, self.tr("Visits"))
        for fixed in (TODAY, CUSTOMERS, VISITS):
            self.tabs.tabBar().setTabButton(
                fixed, self.tabs.tabBar().ButtonPosition.RightSide, None
            )
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.setCentralWidget(self.tabs)
        for view in (self.today, self.customers, self.visits):
            view.customer_activated.connect(self.open_customer)

        if workbench.warning:
            warning = QLabel("⚠ " + workbench.warning)
            warning.setObjectName("cache_warning")
            warning.setWordWrap(True)
            warning.setStyleSheet("color: #b45309;")
            self.statusBar().addWidget(warning, 1)
        self.sync_bar: SyncStatusBar | None = None
        if controller is not None:
            self.sync_bar = SyncStatusBar(controller, self)
            self.sync_bar.conflicts_clicked.connect(self.show_conflicts)
            self.sync_bar.rejected_clicked.connect(self.show_rejected)
            self.statusBar().addPermanentWidget(self.sync_bar)
            controller.finished.connect(self._sync_finished)
            controller.login_needed.connect(self.ask_login)
            controller.signed_out.connect(self._signed_out)
            app_events().changed.connect(lambda _change: controller.refresh_status())
            controller.refresh_status()
            controller.check_online()

        self._actions()
        self._restore_layout()
        if workbench.duplicates_pending:
            # After the first Today reading: both want the interpreter at start-up, and
            # the RM looks at Today first (the flags show in the list a moment later).
            self.today.loaded.connect(self._first_today_shown)

    def _first_today_shown(self) -> None:
        self.today.loaded.disconnect(self._first_today_shown)
        if self.workbench.duplicates_pending:
            self.refresh_duplicates()

    def refresh_duplicates(self) -> None:
        """Recompute the "possible duplicate" flags on the writer lane (at start-up and
        after a sync brought customers), then let the views show them."""
        self.workbench.duplicates_pending = False
        WriteOp(
            self, self.workbench.customers.refresh_duplicates, change=lambda _n: DUPLICATES_FLAGGED
        ).failure(
            lambda exc: log.warning("duplicate flags not refreshed: %s", exc)
        ).run_in_background()

    # --- actions and shortcuts ------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: object,
        name: str,
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _actions(self) -> None:
        menu = self.menuBar()
        go = menu.addMenu(self.tr("&Go"))
        go.addAction(self._action(self.tr("Today"), "Ctrl+1", lambda: self.go(TODAY), "go_today"))
        go.addAction(
            self._action(self.tr("Customers"), "Ctrl+2", lambda: self.go(CUSTOMERS), "go_customers")
        )
        go.addAction(
            self._action(self.tr("Visits"), "Ctrl+3", lambda: self.go(VISITS), "go_visits")
        )
        go.addAction(
            self._action(
                self.tr("Find a customer"),
                QKeySequence.StandardKey.Find,
                self.find_customer,
                "find",
            )
        )
        go.addAction(
            self._action(self.tr("Close customer tab"), "Ctrl+W", self.close_current, "close_tab")
        )
        work = menu.addMenu(self.tr("&Work"))
        work.addAction(
            self._action(self.tr("Plan a visit…"), "Ctrl+N", self.plan_visit, "plan_visit")
        )
        work.addAction(
            self._action(self.tr("Log a contact…"), "Ctrl+L", self.log_contact, "log_contact")
        )
        documents = menu.addMenu(self.tr("&Documents"))
        for text, keys, slot, name in (
            (self.tr("Print…"), QKeySequence.StandardKey.Print, self.print_current, "print"),
            (self.tr("Tomorrow's briefs…"), "Ctrl+Shift+B", self.print_tomorrow, "briefs"),
            (None, "", None, ""),
            (self.tr("Export visit schedule (iCalendar)…"), "", self.export_visits, "ical"),
            (self.tr("Export customer list (Excel)…"), "", self.export_customers, "xlsx"),
        ):
            if text is None:
                documents.addSeparator()
            else:
                documents.addAction(self._action(text, keys, slot, name))
        sync = menu.addMenu(self.tr("&Sync"))
        sync.addAction(self._action(self.tr("Sync now"), "F5", self.sync_now, "sync_now"))
        sync.addAction(
            self._action(self.tr("Conflicts…"), "Ctrl+Shift+K", self.show_conflicts, "conflicts")
        )
        sync.addAction(
            self._action(
                self.tr("Edits not accepted…"), "Ctrl+Shift+J", self.show_rejected, "rejected"
            )
        )
        sync.addAction(self._action(self.tr("Log in…"), "", lambda: self.ask_login(""), "login"))
        sync.addAction(self._action(self.tr("Sign out"), "", self.sign_out, "sign_out"))

    def go(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def find_customer(self) -> None:
        self.go(CUSTOMERS)
        self.customers.focus_search()

    def plan_visit(self) -> None:
        current = self.tabs.currentWidget()
        customer_id = current.customer_id if isinstance(current, Customer360View) else None
        self.go(VISITS)
        self.visits.plan_visit(customer_id)

    def log_contact(self) -> None:
        current = self.tabs.currentWidget()
        if isinstance(current, Customer360View):
            current.log_contact()
        else:
            QMessageBox.information(
                self,
                self.tr("Log a contact"),
                self.tr("Open a customer first (Ctrl+2, then Enter on a customer)."),
            )

    # --- documents ------------------------------------------------------------------

    def print_current(self) -> None:
        """Ctrl+P: a customer tab prints its brief; the Visits tab the selected visit's
        brief or report."""
        current = self.tabs.currentWidget()
        if isinstance(current, Customer360View):
            current.print_brief()
        elif current is self.visits and self.visits.selected_visit() is not None:
            self.visits.print_selected()
        else:
            QMessageBox.information(
                self,
                self.tr("Print"),
                self.tr(
                    "Open a customer to print a brief, or select a visit in Visits to print "
                    "its brief or report."
                ),
            )

    def print_tomorrow(self) -> None:
        self.visits.print_day_briefs(self.visits.today() + timedelta(days=1))

    def export_visits(self) -> None:
        """The visits from this week's Monday to eight weeks ahead, as an iCalendar file
        for Outlook."""
        first, _sunday = week_of(self.visits.today())
        last = first + timedelta(weeks=EXPORT_WEEKS) - timedelta(days=1)
        path = ask_export_path(
            self,
            self.tr("Export visit schedule"),
            f"拜访日程_{first.isoformat()}_{last.isoformat()}.ics",
            self.tr("iCalendar (*.ics)"),
        )
        if path is None:
            return
        exports = self.workbench.exports
        WriteOp(self, lambda: exports.visits_ical(path, first, last), lane="files").success(
            self._exported
        ).run_in_background()

    def export_customers(self) -> None:
        """The customer list as filtered on the Customers tab, masked, as a workbook."""
        query = self.customers.query()
        path = ask_export_path(
            self,
            self.tr("Export customer list"),
            f"客户名单_{self.visits.today().isoformat()}.xlsx",
            self.tr("Excel workbook (*.xlsx)"),
        )
        if path is None:
            return
        exports = self.workbench.exports
        WriteOp(self, lambda: exports.customers_xlsx(path, query), lane="files").success(
            self._exported
        ).run_in_background()

    def _exported(self, result: Any) -> None:
        show_status(
            self,
            self.tr("Exported {count} record(s) to {path}").format(
                count=result.count, path=result.path
            ),
        )

    # --- customer tabs --------------------------------------------------------------

    def open_customer(self, customer_id: str) -> None:
        for index in range(VISITS + 1, self.tabs.count()):
            page = self.tabs.widget(index)
            if isinstance(page, Customer360View) and page.customer_id == customer_id:
                self.tabs.setCurrentIndex(index)
                return
        view = Customer360View(self.workbench, customer_id, self)
        view.customer_activated.connect(self.open_customer)
        index = self.tabs.addTab(view, view.title())
        self.tabs.setCurrentIndex(index)

    def customer_tabs(self) -> list[Customer360View]:
        return [
            page
            for index in range(self.tabs.count())
            if isinstance(page := self.tabs.widget(index), Customer360View)
        ]

    def close_tab(self, index: int) -> None:
        if index > VISITS:
            page = self.tabs.widget(index)
            self.tabs.removeTab(index)
            if page is not None:
                page.deleteLater()

    def close_current(self) -> None:
        self.close_tab(self.tabs.currentIndex())

    # --- sync -----------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.controller is None:
            return
        if self.workbench.sync is not None and self.workbench.sync.configured_server() is None:
            self.ask_login("")
            return
        self.controller.sync_now()

    def ask_login(self, reason: str) -> bool:
        service = self.workbench.sync
        if service is None:
            return False
        status = self.controller.status if self.controller else None
        dialog = LoginDialog(
            service,
            self,
            reason=reason,
            server_url=(status.server_url if status else None) or service.configured_server() or "",
            username=(status.username if status else None) or "",
        )
        if dialog.exec() and self.controller is not None:
            self.controller.sync_now()
            return True
        return False

    def sign_out(self) -> None:
        """Revoke the login on the central CRM and forget it on this computer; the
        next sync asks for the password, unsent edits stay queued."""
        if self.controller is not None:
            self.controller.sign_out()

    def _signed_out(self, revoked: bool) -> None:
        if revoked:
            message = self.tr(
                "Signed out. Edits not yet synced stay on this computer; the next sync "
                "asks for your password."
            )
        else:
            message = self.tr(
                "Signed out on this computer, but the central CRM could not be reached: "
                "the old login stays valid there until it expires."
            )
        self.statusBar().showMessage(message, 15_000)

    def show_conflicts(self) -> None:
        if self.workbench.conflicts is None:
            return
        dialog = ConflictDialog(self.workbench.conflicts, self)
        dialog.exec()
        dialog.deleteLater()  # its buttons' slots keep it alive: it would stay hidden
        if self.controller is not None:
            self.controller.refresh_status()

    def show_rejected(self) -> None:
        RejectedDialog(self.workbench.rejected, self).exec()
        if self.controller is not None:
            self.controller.refresh_status()

    def _sync_finished(self, outcome: SyncOutcome) -> None:
        if outcome.ok and self.workbench.rm.rm_id is None:
            self.workbench.reload_rm()  # the first sync brought the RM's book
        if (
            outcome.ok
            and outcome.report
            and (outcome.report.pulled or outcome.report.bootstrapped_rows)
        ):
            self.refresh_duplicates()
        if outcome.ok and outcome.report is not None:
            report = outcome.report
            moved = bool(report.evicted or report.handed_over)
            if moved or report.rejected:
                lines = [
                    *(self.tr("Reassigned: {what}").format(what=m) for m in report.evicted),
                    *(self.tr("Handed over: {what}").format(what=m) for m in report.handed_over),
                    *(self.tr("Not accepted: {what}").format(what=m) for m in report.rejected),
                ]
                if report.rejected:
                    lines.append(
                        self.tr(
                            "Edits not accepted are kept with your values in Sync → Edits "
                            "not accepted (Ctrl+Shift+J): correct and send them again, or "
                            "discard them."
                        )
                    )
                if moved:
                    lines.append(
                        self.tr(
                            "Customers reassigned to another RM were removed from this "
                            "computer; your edits to them were sent to the central CRM "
                            "and handed to the new RM, none was lost."
                        )
                    )
                QMessageBox.information(self, self.tr("Sync"), "\n".join(lines))
            if report.conflicts:
                self.statusBar().showMessage(
                    self.tr("{n} conflicts need your choice").format(n=len(report.conflicts)),
                    10_000,
                )
            return
        exc = outcome.error
        if exc is None or isinstance(exc, OfflineError | AuthRequired):
            return  # the status bar shows offline; the login dialog asks for the password
        show_error(self, exc)

    # --- layout ---------------------------------------------------------------------

    def _first_size(self) -> None:
        """1280×800, or the screen's free area when it is smaller (a 1280×720 laptop
        screen, a taskbar): the status bar must be on screen on the first start."""
        width, height = 1280, 800
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:
            free = screen.availableGeometry()
            # The frame (title bar, borders) is not in the client size.
            width = min(width, free.width() - 16)
            height = min(height, free.height() - 48)
            self.resize(max(width, 640), max(height, 480))
            self.move(free.x() + (free.width() - self.width()) // 2, free.y())
            return
        self.resize(width, height)

    def _restore_layout(self) -> None:
        geometry = self.settings.layout("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.layout("main_window/state")
        if state is not None:
            self.restoreState(state)
        tab = self.settings.store.value("layout/main_window/tab", TODAY)
        try:
            self.go(min(int(tab), VISITS))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            self.go(TODAY)
        for view in (self.today, self.customers, self.visits):
            restorer = getattr(view, "restore_layout", None)
            if callable(restorer):
                restorer(self.settings)

    def save_layout(self) -> None:
        self.settings.save_layout("main_window/geometry", self.saveGeometry())
        self.settings.save_layout("main_window/state", self.saveState())
        self.settings.store.setValue(
            "layout/main_window/tab", min(self.tabs.currentIndex(), VISITS)
        )
        for view in (self.today, self.customers, self.visits):
            saver = getattr(view, "save_layout", None)
            if callable(saver):
                saver(self.settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        if self.controller is not None:
            self.controller.stop_timers()
        super().closeEvent(event)
