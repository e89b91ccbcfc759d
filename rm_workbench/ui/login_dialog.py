"""First run and expired logins: the central CRM's address, user name and password.

The login call runs in the background; the token goes to the OS keyring (through
SyncService), never to a settings file.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rm_contract.wire import UserInfo
from rm_workbench.errors import WorkbenchError
from rm_workbench.services.sync import SyncService, check_server_url
from rm_workbench.ui.background import run_in_background


class LoginDialog(QDialog):
    def __init__(
        self,
        service: SyncService,
        parent: QWidget | None = None,
        *,
        reason: str = "",
        server_url: str = "",
        username: str = "",
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user: UserInfo | None = None
        self.setWindowTitle(self.tr("Log in to the central CRM"))
        self.reason_label = QLabel(reason)
        self.reason_label.setWordWrap(True)
        self.reason_label.setVisible(bool(reason))
        self.server_edit = QLineEdit(server_url)
        self.server_edit.setObjectName("server_edit")
        self.server_edit.setPlaceholderText("https://crm.example-bank.cn")
        self.user_edit = QLineEdit(username)
        self.user_edit.setObjectName("user_edit")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password_edit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setObjectName("login_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b91c1c;")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow(self.tr("Central CRM address"), self.server_edit)
        form.addRow(self.tr("User name"), self.user_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Log in"))
        ok.setObjectName("login_button")
        self.buttons.accepted.connect(self.log_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason_label)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        (self.password_edit if server_url and username else self.server_edit).setFocus()

    def _problem(self) -> str | None:
        server = self.server_edit.text().strip()
        if not server.lower().startswith(("http://", "https://")):
            return self.tr("Enter the central CRM address, starting with https://")
        try:
            # Plain http to another machine is refused here, before the password
            # leaves the dialog (SyncService and SyncClient check again).
            check_server_url(server)
        except WorkbenchError as exc:
            return exc.user_message
        if not self.user_edit.text().strip():
            return self.tr("Enter your user name")
        if not self.password_edit.text():
            return self.tr("Enter your password")
        return None

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def log_in(self) -> None:
        problem = self._problem()
        if problem:
            self.show_error(problem)
            return
        server = self.server_edit.text().strip()
        user = self.user_edit.text().strip()
        password = self.password_edit.text()
        self.buttons.setEnabled(False)
        self.error_label.hide()
        run_in_background(
            lambda: self.service.login(server, user, password), self._logged_in, self._failed
        )

    def _logged_in(self, user: UserInfo) -> None:
        self.user = user
        self.password_edit.clear()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, WorkbenchError):
            self.show_error(exc.user_message)
        else:
            self.show_error(self.tr("Login failed: {error}").format(error=exc))


def ask_cache_password(message: str, parent: QWidget | None = None) -> str | None:
    """The RM's password for a cache whose key it wraps (no keyring on this machine);
    ``message`` says why (first use, or the previous password after a change). None:
    the RM cancelled, nothing is opened."""
    text, ok = QInputDialog.getText(
        parent,
        QApplication.translate("LoginDialog", "Unlock the local cache"),
        message,
        QLineEdit.EchoMode.Password,
    )
    return text if ok and text else None
