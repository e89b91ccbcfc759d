"""Proposals, printing and exports from the screens, over the demo book in a real cache.

The RM puts a proposal together in the dialog (a bundle chosen, a product left out,
an amount typed), records it, and marks it accepted: an opportunity appears. Briefs,
visit reports and the day's briefs are printed and saved: the flow really makes the
PDF, really paints it page by page onto a QPrinter (printing to a PDF file: the
machine has no printer, the one fake here besides the file dialogs), and the audit
log has a row for each. The exports write files that icalendar and openpyxl read.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import icalendar
import openpyxl
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLineEdit, QMessageBox
from sqlalchemy import select, text

from rm_demo.book import DEFAULT_TODAY
from rm_workbench.domain.reminders import day_start
from rm_workbench.models import AuditLog, BundleProposal, Opportunity
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import printing
from rm_workbench.ui.customer360.view import Customer360View
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.printing import PrintOptionsDialog, pdf_page_count
from rm_workbench.ui.proposal_dialog import ItemColumn, ProposalDialog, ProposalsModel
from rm_workbench.ui.settings import Settings
from rm_workbench.ui.visits_view import VisitsView

NOW = day_start(DEFAULT_TODAY) + timedelta(hours=10)
WAIT_MS = 20_000
LEFT = Qt.MouseButton.LeftButton


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def audit_actions(workbench: Workbench) -> list[str]:
    with workbench.cache.session() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.at)))


def customer_with_bundles(workbench: Workbench) -> str:
    """A customer of the book for whom at least one bundle of two or more products fits,
    one of them with an amount to change."""
    with workbench.cache.engine.connect() as conn:
        ids = conn.execute(
            text(
                "select id from customer where category = 'individual' "
                "and risk_expires_on >= :today order by aum desc, customer_no"
            ),
            {"today": DEFAULT_TODAY.isoformat()},
        ).scalars()
        for customer_id in ids:
            found = workbench.proposals.recommend(customer_id, today=DEFAULT_TODAY)
            if any(
                len(b.items) >= 2 and any(i.amount is not None for i in b.items)
                for b in found.bundles
            ):
                return str(customer_id)
    raise AssertionError("no customer of the demo book gets a bundle")


def open_360(qtbot: Any, workbench: Workbench, customer_id: str) -> Customer360View:
    view = Customer360View(workbench, customer_id, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: view.data is not None and not view.is_loading(), timeout=WAIT_MS)
    return view


class FakePrinterChoice:
    """What the print dialog would do: choose a printer (here: a PDF file)."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.asked = 0

    def __call__(self, printer: QPrinter, _parent: object) -> bool:
        self.asked += 1
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(self.target))
        return True


# --- the proposal ---------------------------------------------------------------------


def test_put_a_proposal_together_record_it_and_accept_it(
    qtbot: Any, qtmodeltester: Any, workbench: Workbench, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = customer_with_bundles(workbench)
    view = open_360(qtbot, workbench, customer_id)
    qtbot.mouseClick(view.proposal_button, LEFT)
    dialog = view.dialog
    assert isinstance(dialog, ProposalDialog)
    qtbot.waitUntil(lambda: dialog.recommendation is not None, timeout=WAIT_MS)
    assert dialog.bundles_model.rowCount() >= 1
    qtmodeltester.check(dialog.bundles_model)
    qtmodeltester.check(dialog.items_model)
    # Choose the first bundle with an amount to change (the best one is preselected).
    row = next(
        r
        for r, b in enumerate(dialog.bundles_model.rows())
        if len(b.items) >= 2 and any(i.amount is not None for i in b.items)
    )
    dialog.bundles_table.selectRow(row)
    bundle = dialog.bundles_model.row_at(row)
    assert dialog.title_edit.text() == bundle.name
    assert dialog.why_label.text().count("•") == len(bundle.reasons)
    # Nothing unsuitable is offered: every excluded product is named with its reason.
    offered = {r.suggestion.product_code for r in dialog.items_model.rows()}
    excluded = {e.product_code for e in dialog.recommendation.excluded}  # type: ignore[union-attr]
    assert not offered & excluded

    # Type a new amount into the first product that has one: 12 (万元).
    items = dialog.items_model.rows()
    amount_row = next(i for i, r in enumerate(items) if r.amount is not None)
    index = dialog.items_model.index(amount_row, ItemColumn.AMOUNT)
    dialog.items_table.setCurrentIndex(index)
    dialog.items_table.edit(index)
    editor = dialog.items_table.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "12")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the view commits on its next turn
    qtbot.waitUntil(
        lambda: dialog.items_model.rows()[amount_row].amount == Decimal("120000.00"),
        timeout=WAIT_MS,
    )
    # Leave another product out: its tick, with the space bar.
    left_out = next(i for i in range(len(items)) if i != amount_row)
    dialog.items_table.setCurrentIndex(dialog.items_model.index(left_out, ItemColumn.PRODUCT))
    dialog.items_table.setFocus()
    qtbot.keyClick(dialog.items_table, Qt.Key.Key_Space)
    assert not dialog.items_model.rows()[left_out].included
    kept = [r.suggestion.product_code for r in dialog.items_model.rows() if r.included]

    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.proposals.proposals_model.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(view.proposals.proposals_model)
    assert isinstance(view.proposals.proposals_model, ProposalsModel)
    summary = view.proposals.proposals_model.row_at(0)
    assert summary.status == "recorded" and summary.title == bundle.name
    shown = workbench.proposals.view(summary.id)
    assert [line.product_code for line in shown.lines] == kept
    amounts = {line.product_code: line.amount for line in shown.lines}
    assert amounts[items[amount_row].suggestion.product_code] == Decimal("120000.00")

    # The customer accepted: an opportunity is opened, linked to the proposal.
    view.activity_tabs.setCurrentIndex(3)
    view.proposals.proposals_table.selectRow(0)
    assert view.proposals.accept_proposal_button.isEnabled()
    monkeypatch.setattr(
        QMessageBox, "question", lambda *_args, **_kw: QMessageBox.StandardButton.Yes
    )
    opportunities_before = view.activity_tabs.opportunities_model.rowCount()
    qtbot.mouseClick(view.proposals.accept_proposal_button, LEFT)
    qtbot.waitUntil(
        lambda: (
            view.proposals.proposals_model.rowCount() == 1
            and view.proposals.proposals_model.row_at(0).status == "accepted"
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(
        lambda: view.activity_tabs.opportunities_model.rowCount() == opportunities_before + 1,
        timeout=WAIT_MS,
    )
    with workbench.cache.session() as session:
        proposal = session.scalars(select(BundleProposal)).one()
        assert proposal.opportunity_id is not None
        assert session.get(Opportunity, proposal.opportunity_id) is not None
    assert not view.proposals.accept_proposal_button.isEnabled()


def test_the_options_dialog_says_print_or_save_and_whether_to_show_identifiers(
    qtbot: Any,
) -> None:
    dialog = PrintOptionsDialog("客户简报")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.reveal_box.isChecked()  # masked unless the RM chooses otherwise
    qtbot.mouseClick(dialog.reveal_box, LEFT)
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert (dialog.choice, dialog.reveal_box.isChecked()) == (PrintOptionsDialog.SAVE, True)


# --- printing and saving ----------------------------------------------------------------


def test_print_the_brief_of_a_customer_with_ctrl_p(
    qtbot: Any, workbench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = customer_with_bundles(workbench)
    window = MainWindow(workbench, settings=Settings(_settings(tmp_path)))
    qtbot.addWidget(window)
    window.show()
    window.open_customer(customer_id)
    view = window.tabs.currentWidget()
    assert isinstance(view, Customer360View)
    qtbot.waitUntil(lambda: view.data is not None and not view.is_loading(), timeout=WAIT_MS)
    printed = tmp_path / "printer.pdf"
    choice = FakePrinterChoice(printed)
    monkeypatch.setattr(printing, "ask_options", lambda *_: (PrintOptionsDialog.PRINT, False))
    monkeypatch.setattr(printing, "ask_printer", choice)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    # The audit row is written on the writer lane; the status message comes after it,
    # once the answer is delivered on the GUI thread (later on a loaded machine).
    qtbot.waitUntil(
        lambda: "Sent 1 page(s)" in window.statusBar().currentMessage(), timeout=WAIT_MS
    )
    assert choice.asked == 1
    assert printed.exists() and pdf_page_count(printed) == 1  # a one-page brief, on paper
    assert audit_actions(workbench) == ["print_brief"]  # made for printing: no "save" row
    assert not list(Path(printing.tempfile.gettempdir()).glob("rm-workbench-print-*"))


def test_save_a_visit_report_and_the_briefs_of_a_day(
    qtbot: Any, workbench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = VisitsView(workbench, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: view.week is not None and not view.is_loading(), timeout=WAIT_MS)
    assert view.week is not None
    visits = [v for d in view.week.days for v in d.visits]
    done = next(v for v in visits if v.status == "done")
    assert view.select_visit(done.id)
    assert view.print_button.isEnabled()
    saved = tmp_path / "report.pdf"
    monkeypatch.setattr(printing, "ask_options", lambda *_: (PrintOptionsDialog.SAVE, False))
    monkeypatch.setattr(printing, "ask_save_path", lambda *_: saved)
    qtbot.mouseClick(view.print_button, LEFT)
    qtbot.waitUntil(lambda: "save_visit_report" in audit_actions(workbench), timeout=WAIT_MS)
    assert done.customer_name in pdf_text(saved)

    day = next(d for d in view.week.days if [v for v in d.visits if v.status != "cancelled"])
    planned = [v for v in day.visits if v.status != "cancelled"]
    briefs = tmp_path / "briefs.pdf"
    monkeypatch.setattr(printing, "ask_save_path", lambda *_: briefs)
    view.print_day_briefs(day.day)
    qtbot.waitUntil(lambda: "save_briefs" in audit_actions(workbench), timeout=WAIT_MS)
    assert pdf_page_count(briefs) == len(planned)
    content = pdf_text(briefs)
    assert all(v.customer_name in content for v in planned)


# --- exports ----------------------------------------------------------------------------


def test_export_the_visit_schedule_and_the_customer_list_from_the_menu(
    qtbot: Any, workbench: Workbench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(workbench, settings=Settings(_settings(tmp_path)))
    # The export covers eight weeks from this week's Monday: the demo book's weeks, not
    # the weeks of the day the tests run (no visits then: the export says so).
    window.visits.clock = lambda: NOW
    qtbot.addWidget(window)
    window.show()
    targets = iter([tmp_path / "visits.ics", tmp_path / "customers.xlsx"])
    monkeypatch.setattr("rm_workbench.ui.main_window.ask_export_path", lambda *_: next(targets))
    window.findChild(QAction, "ical").trigger()
    qtbot.waitUntil(lambda: "export_visits" in audit_actions(workbench), timeout=WAIT_MS)
    calendar = icalendar.Calendar.from_ical((tmp_path / "visits.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert events and all("拜访" in str(e["SUMMARY"]) for e in events)
    window.findChild(QAction, "xlsx").trigger()
    qtbot.waitUntil(lambda: "export_customers" in audit_actions(workbench), timeout=WAIT_MS)
    book = openpyxl.load_workbook(tmp_path / "customers.xlsx")
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert len(rows) == workbench.customers.count(window.customers.query())
    # Said once the answer is delivered on the GUI thread, after the audit row.
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage(), timeout=WAIT_MS)


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
