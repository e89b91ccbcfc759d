"""The one error dialog: a plain message, and the details behind a "copy" button."""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from rm_workbench.errors import WorkbenchError


def error_text(exc: BaseException) -> tuple[str, str]:
    """(message for the RM, details for support) of any exception."""
    details = "".join(traceback.format_exception(exc))
    if isinstance(exc, WorkbenchError):
        return exc.user_message, f"{exc.details}\n\n{details}".strip()
    message = QApplication.translate("ErrorDialog", "Something unexpected went wrong: {error}")
    return message.format(error=exc), details


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    message, details = error_text(exc)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QApplication.translate("ErrorDialog", "RM Workbench"))
    box.setText(message)
    box.setDetailedText(details)
    copy = box.addButton(
        QApplication.translate("ErrorDialog", "Copy details"), QMessageBox.ButtonRole.ActionRole
    )
    box.addButton(QMessageBox.StandardButton.Close)
    copy.clicked.disconnect()  # keep the dialog open after copying
    copy.clicked.connect(lambda: QApplication.clipboard().setText(f"{message}\n\n{details}"))
    box.exec()
