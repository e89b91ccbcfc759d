"""The dialog in which the RM changes a customer's contact details: mobile, other
phone, e-mail, address, occupation and notes (the rest of the profile is the core
system's).

Phones stay masked, as everywhere on screen: typing a number replaces the stored one,
"Remove" clears it. Save sends only what changed, with the values the dialog opened
with as ``seen`` (``Customer360Service.edit_contact_details``), so that a change a
sync brought while the dialog was open conflicts instead of being overwritten. It has
the activity dialogs' frame: the service's refusal is shown inside it, which stays
open with everything typed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QWidget

from rm_workbench.models import utcnow
from rm_workbench.services.customer360 import ContactDetails, Customer360Service
from rm_workbench.ui.activity_dialogs import ActivityDialog, Call, Clock

MINIMUM_WIDTH = 720


class ContactDetailsDialog(ActivityDialog):
    """Change the contact details of one customer."""

    def __init__(
        self,
        service: Customer360Service,
        details: ContactDetails,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.details = details
        self.setWindowTitle(self.tr("Contact details of {name}").format(name=details.name))
        self.mobile_edit, self.mobile_remove, mobile_row = self._phone(
            "mobile", details.masked_mobile_phone
        )
        self.other_phone_edit, self.other_phone_remove, other_row = self._phone(
            "other_phone", details.masked_other_phone
        )
        self.email_edit = self._line("email_edit", details.email, "zhang.san@example.com")
        self.address_edit = self._line("address_edit", details.address)
        self.occupation_edit = self._line("occupation_edit", details.occupation)
        self.notes_edit = self._text("notes_edit", details.notes, self.tr("Notes"))
        self.form.addRow(self.tr("Mobile"), mobile_row)
        self.form.addRow(self.tr("Other phone"), other_row)
        self.form.addRow(self.tr("Email"), self.email_edit)
        self.form.addRow(self.tr("Address"), self.address_edit)
        self.form.addRow(self.tr("Occupation"), self.occupation_edit)
        self.form.addRow(self.tr("Notes"), self.notes_edit)
        # Room for a whole address as the bank writes it (province to room number).
        self.setMinimumWidth(MINIMUM_WIDTH)
        self.mobile_edit.setFocus()

    def _line(self, name: str, text: str | None, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(text or "")
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _phone(self, name: str, masked: str) -> tuple[QLineEdit, QCheckBox, QWidget]:
        """A masked phone: an empty line to type a new number into, and "Remove"."""
        edit = QLineEdit()
        edit.setObjectName(f"{name}_edit")
        edit.setPlaceholderText(
            self.tr("{number} (type a new number to replace it)").format(number=masked)
            if masked
            else self.tr("not recorded")
        )
        remove = QCheckBox(self.tr("Remove"))
        remove.setObjectName(f"{name}_remove")
        remove.setVisible(bool(masked))
        remove.toggled.connect(lambda on: edit.setEnabled(not on))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(edit, 1)
        line.addWidget(remove)
        return edit, remove, row

    def build_call(self) -> Call:
        details = self.details
        edits: dict[str, Any] = {}
        for field, edit, remove in (
            ("mobile_phone", self.mobile_edit, self.mobile_remove),
            ("other_phone", self.other_phone_edit, self.other_phone_remove),
        ):
            if remove.isChecked():
                edits[field] = None
            elif edit.text().strip():
                edits[field] = edit.text()
        wanted = {
            "email": self.email_edit.text().strip() or None,
            "address": self.address_edit.text().strip() or None,
            "occupation": self.occupation_edit.text().strip() or None,
            "notes": self.notes_edit.toPlainText().strip() or None,
        }
        shown = {
            "email": details.email,
            "address": details.address,
            "occupation": details.occupation,
            "notes": details.notes,
        }
        edits.update({name: value for name, value in wanted.items() if shown[name] != value})
        if not edits:
            return None
        service, customer_id, seen = self.service, details.customer_id, details.seen
        return lambda: service.edit_contact_details(customer_id, seen=seen, **edits)
