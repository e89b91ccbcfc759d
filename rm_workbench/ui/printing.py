"""Printing and saving the workbench's PDF documents.

A document (brief, visit report, proposal, the day's briefs) is always made by the
documents service as a PDF first; printing paints exactly that PDF onto the printer
chosen in Qt's print dialog, page by page (rasterized with PDFium at the printer's
resolution, up to 300 dpi), so paper and file never differ. The service records
every save and every print in the audit log; this module only asks and paints.

:func:`print_or_save` is the one flow every screen uses: options (show full
identifiers? — off by default, and audited when on), then print or save as PDF, with
the document made on the files lane (its audit row alone takes a turn on the writer
lane: a day's 100 briefs never queue an RM's save) and printed on a pool thread.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QRect, QStandardPaths
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.errors import WorkbenchError
from rm_workbench.services.changes import Change
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.background import run_in_background
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.operations import Lane, WriteOp, alive

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

log = logging.getLogger(__name__)

MAX_PRINT_DPI = 300


class PrintError(WorkbenchError):
    """The printer could not be used."""


# (path, reveal, purpose) -> the documents service's DocumentResult for that file
Maker = Callable[[Path, bool, str], Any]
# (result, printer name) -> the audit Change of the print
PrintRecorder = Callable[[Any, str], Change]


def print_pdf(path: Path, printer: QPrinter) -> int:
    """Paint the PDF at ``path`` onto ``printer``, each page fitted to the printable
    area; returns the number of pages painted. Honours the dialog's page range. May
    run on a pool thread (Qt allows painting on a printer outside the GUI thread)."""
    import pypdfium2  # printing only: PDFium stays out of the start-up

    document = pypdfium2.PdfDocument(str(path))
    try:
        count = len(document)
        first, last = printer.fromPage(), printer.toPage()
        pages = range(count) if first == 0 else range(first - 1, min(last, count))
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError(
                "无法使用打印机，请检查打印机是否连接、是否有权限。",
                f"QPainter.begin failed on {printer.printerName()!r}",
            )
        painted = 0
        try:
            for number in pages:
                if painted:
                    printer.newPage()
                bitmap = document[number].render(scale=dpi / 72, rev_byteorder=True)
                image = QImage(
                    bitmap.buffer,
                    bitmap.width,
                    bitmap.height,
                    bitmap.stride,
                    QImage.Format.Format_RGB888
                    if bitmap.n_channels == 3
                    else QImage.Format.Format_RGBA8888,
                ).copy()  # own the pixels: the bitmap's buffer goes away
                painter.drawImage(_fitted(image, painter.viewport()), image)
                painted += 1
        finally:
            painter.end()
        return painted
    finally:
        document.close()


def _fitted(image: QImage, area: QRect) -> QRect:
    """The largest rectangle of the image's shape inside ``area``, centred on top."""
    scale = min(area.width() / image.width(), area.height() / image.height())
    width, height = int(image.width() * scale), int(image.height() * scale)
    return QRect(area.x() + (area.width() - width) // 2, area.y(), width, height)


def pdf_page_count(path: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


class PrintOptionsDialog(QDialog):
    """Print or save a document; identifiers masked unless the RM ticks the box."""

    PRINT, SAVE = 1, 2

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("print_options")
        self.setWindowTitle(title)
        self.choice = 0
        self.reveal_box = QCheckBox(self.tr("Show full ID numbers and phone numbers"))
        self.reveal_box.setObjectName("reveal_identifiers")
        note = QLabel(
            self.tr(
                "Identifiers are masked on paper. Showing them in full is recorded in "
                "the audit log, like every print and every saved PDF."
            )
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.print_button = buttons.addButton(
            self.tr("Print…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.print_button.setObjectName("print_button")
        self.save_button = buttons.addButton(
            self.tr("Save as PDF…"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setObjectName("save_pdf_button")
        self.print_button.clicked.connect(lambda: self._choose(self.PRINT))
        self.save_button.clicked.connect(lambda: self._choose(self.SAVE))
        buttons.rejected.connect(self.reject)
        self.print_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reveal_box)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


# Seams for the tests (the machine has no printer and no one to click a native file
# dialog); the flow itself is the real one.
def ask_printer(printer: QPrinter, parent: QWidget | None) -> bool:
    from PySide6.QtPrintSupport import QPrintDialog

    dialog = QPrintDialog(printer, parent)
    dialog.setOption(QPrintDialog.PrintDialogOption.PrintToFile, True)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()  # else a hidden child of the screen, one more per print


def ask_export_path(
    parent: QWidget | None, title: str, suggested_name: str, file_filter: str
) -> Path | None:
    """Where to write a file (the Documents folder first); the suggested name's
    extension is added when the RM typed a name without it."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, title, str(Path(folder) / suggested_name), file_filter
    )
    if not chosen:
        return None
    path, suffix = Path(chosen), Path(suggested_name).suffix
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def ask_save_path(parent: QWidget | None, title: str, suggested_name: str) -> Path | None:
    return ask_export_path(parent, title, suggested_name, "PDF (*.pdf)")


def ask_options(title: str, parent: QWidget | None) -> tuple[int, bool]:
    dialog = PrintOptionsDialog(title, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return 0, False
        return dialog.choice, dialog.reveal_box.isChecked()
    finally:
        dialog.deleteLater()  # its buttons' slots keep it alive: it would stay hidden


class DocumentFlow:
    """One document's way to paper or to a file, started by :func:`print_or_save`.

    ``done`` is called on the GUI thread with a short message when the document was
    printed or saved (the screens show it in the status bar); errors go to the one
    error dialog."""

    def __init__(
        self,
        parent: QWidget,
        title: str,
        suggested_name: str,
        make: Maker,
        record_print: PrintRecorder,
        done: Callable[[str], None] | None = None,
    ) -> None:
        self.parent = parent
        self.title = title
        self.suggested_name = suggested_name
        self.make = make
        self.record_print = record_print
        self.done = done or (lambda _message: None)
        self.printer: QPrinter | None = None
        self._folder: Path | None = None

    def start(self, choice: int | None = None, reveal: bool = False) -> None:
        if choice is None:
            choice, reveal = ask_options(self.title, self.parent)
        if choice == PrintOptionsDialog.SAVE:
            self.save(reveal)
        elif choice == PrintOptionsDialog.PRINT:
            self.print(reveal)
        else:
            self._cleanup()

    def save(self, reveal: bool) -> None:
        path = ask_save_path(self.parent, self.title, self.suggested_name)
        if path is None:
            self._cleanup()
            return
        make = self.make
        self._op(lambda: make(path, reveal, "save"), self._saved, lane="files")

    def _op(self, fn: Callable[[], Any], then: Callable[[Any], None], lane: Lane) -> None:
        # Not parented: the flow cleans up (and drops what the screen would show) even
        # when its screen was closed meanwhile.
        WriteOp(None, fn, lane=lane).success(then).failure(self._failed).run_in_background()

    def _saved(self, result: Any) -> None:
        self._cleanup()
        if not alive(self.parent):
            return
        self.done(
            QApplication.translate("DocumentFlow", "Saved {pages} page(s) to {path}").format(
                pages=result.pages, path=result.path
            )
        )

    def print(self, reveal: bool) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="rm-workbench-print-"))
        # Not the suggested name: it names the customer, and a spooler may log it.
        path = self._folder / "document.pdf"
        make = self.make
        self._op(lambda: make(path, reveal, "print"), self._made_for_print, lane="files")

    def _made_for_print(self, result: Any) -> None:
        from PySide6.QtPrintSupport import QPrinter

        if not alive(self.parent):
            self._cleanup()
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        # The print server logs the job's name: the kind and the masked customer
        # number (DocumentResult.job_name), never the customer's name.
        printer.setDocName(getattr(result, "job_name", "") or "RM Workbench")
        printer.setFromTo(1, result.pages)
        if not ask_printer(printer, self.parent):
            self._cleanup()
            return
        self.printer = printer

        def paint() -> int:
            return print_pdf(result.path, printer)

        run_in_background(paint, lambda pages: self._printed(result, printer, pages), self._failed)

    def _printed(self, result: Any, printer: QPrinter, pages: int) -> None:
        name = printer.printerName() or printer.outputFileName() or "PDF"
        recorder = self.record_print
        self._op(
            lambda: recorder(result, name),
            lambda _change: self._recorded(name, pages),
            lane="write",
        )

    def _recorded(self, printer_name: str, pages: int) -> None:
        self._cleanup()
        if not alive(self.parent):
            return
        self.done(
            QApplication.translate("DocumentFlow", "Sent {pages} page(s) to {printer}").format(
                pages=pages, printer=printer_name
            )
        )

    def _failed(self, exc: BaseException) -> None:
        self._cleanup()
        log.warning("document not printed or saved: %s", exc)
        if alive(self.parent):
            show_error(self.parent, exc)

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        if self in _flows:
            _flows.remove(self)


def show_status(widget: QWidget, message: str, timeout_ms: int = 8000) -> None:
    """A short message in the status bar of the widget's main window."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(message, timeout_ms)


def print_or_save(
    parent: QWidget,
    title: str,
    suggested_name: str,
    make: Maker,
    record_print: PrintRecorder,
    done: Callable[[str], None] | None = None,
) -> DocumentFlow:
    """Ask how (print / save, masked or not), then make the document and print or save
    it; returns the flow (tests drive it further)."""
    flow = DocumentFlow(parent, title, suggested_name, make, record_print, done)
    _flows.append(flow)
    flow.start()
    return flow


DocumentKind = Literal["brief", "visit_report", "proposal", "briefs_for_day"]


def print_document(
    parent: QWidget,
    workbench: Workbench,
    kind: DocumentKind,
    subject: Any,
    title: str,
    file_name: str,
) -> DocumentFlow:
    """Print or save one document of the workbench's documents service: ``kind`` is the
    service's method, ``subject`` what it is about (a customer, visit or proposal id, a
    day). The service is reached on the writer lane only (its first use imports
    reportlab); the outcome goes to the status bar."""

    def make(path: Path, reveal: bool, purpose: str) -> Any:
        method = getattr(workbench.documents, kind)
        return method(subject, path, reveal=reveal, purpose=purpose)

    return print_or_save(
        parent,
        title,
        file_name,
        make,
        lambda result, printer: workbench.documents.record_print(result, printer),
        lambda message: show_status(parent, message),
    )


_flows: list[DocumentFlow] = []  # the flows keep their printer alive while it paints
