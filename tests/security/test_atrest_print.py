"""Issue 13, part D: a customer's name never goes into a print job's name (the print
server logs it) nor into a PDF's metadata (title, subject, author, keywords): the
document kind and the customer number masked instead."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from rm_workbench.models import AuditLog, Customer
from rm_workbench.reports import brief_pdf, proposal_pdf, visit_report_pdf
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui import printing
from rm_workbench.ui.printing import PrintOptionsDialog, print_document
from tests.reports import samples
from tests.ui.conftest import demo_template, workbench  # noqa: F401 (fixtures)

WAIT_MS = 30_000


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return dict(
        (m.group(1), m.group(2).strip())
        for m in re.finditer(r"^([A-Za-z]+):\s*(.*)$", out.stdout, re.MULTILINE)
    )


def assert_neutral(info: dict[str, str], name: str, number: str) -> None:
    metadata = " ".join(info.get(k, "") for k in ("Title", "Subject", "Author", "Keywords"))
    assert name not in metadata, info
    assert number not in metadata, info  # masked, not in full


@pytest.mark.parametrize(
    ("make", "data", "kind"),
    [
        (brief_pdf, samples.brief, "客户简报"),
        (visit_report_pdf, samples.visit_report, "拜访报告"),
        (proposal_pdf, samples.proposal, "方案建议书"),
    ],
)
def test_pdf_metadata_names_the_kind_and_the_masked_number(
    tmp_path: Path, make: Any, data: Any, kind: str
) -> None:
    """Before: the title was "客户简报 · 欧阳婉清"."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(make(data(), samples.imprint()).content)
    info = pdf_info(path)
    who = samples.identity()
    assert_neutral(info, who.name, who.customer_no)
    assert kind in info["Title"]
    assert "C0" in info["Title"] and "*" in info["Title"]


def test_the_print_job_and_the_saved_pdf_do_not_name_the_customer(
    qtbot: Any,
    workbench: Workbench,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: the print job was called "客户简报_<name>.pdf" (the print server's log)."""
    with workbench.cache.session() as session:
        customer = session.scalars(select(Customer).order_by(Customer.customer_no)).first()
        assert customer is not None
        customer_id, name, number = customer.id, customer.name, customer.customer_no
    parent = QWidget()
    qtbot.addWidget(parent)
    jobs: list[str] = []
    printed = tmp_path / "printer.pdf"

    def choose(printer: QPrinter, _parent: object) -> bool:
        jobs.append(printer.docName())
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    monkeypatch.setattr(printing, "ask_options", lambda *_: (PrintOptionsDialog.PRINT, False))
    monkeypatch.setattr(printing, "ask_printer", choose)
    print_document(
        parent, workbench, "brief", customer_id, f"客户简报：{name}", f"客户简报_{name}.pdf"
    )

    def audited() -> bool:
        with workbench.cache.session() as session:
            return "print_brief" in session.scalars(select(AuditLog.action)).all()

    qtbot.waitUntil(audited, timeout=WAIT_MS)
    assert len(jobs) == 1
    assert name not in jobs[0] and number not in jobs[0], jobs
    assert "客户简报" in jobs[0]
    assert_neutral(pdf_info(printed), name, number)  # Qt titles the PDF after the job

    saved = tmp_path / "saved.pdf"
    result = workbench.documents.brief(customer_id, saved)
    assert_neutral(pdf_info(saved), name, number)
    assert name not in result.job_name and "客户简报" in result.job_name
