"""Who the customer is: the profile with its masked identifiers, and the data-quality
warnings with their reasons.

An identifier is shown masked; its "Show" button only asks
(:attr:`ProfilePanel.reveal_requested`): the view confirms, audits and hands the clear
value back (:meth:`ProfilePanel.show_revealed`).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_date
from rm_workbench.services.customer360 import DataWarning, Profile

WARNING_COLORS = {
    "identity": "#b91c1c",
    "duplicate": "#c2410c",
    "contact": "#b45309",
    "risk": "#7c3aed",
}
# The rows a company has no use for.
PERSONAL = {
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


class ProfilePanel(QGroupBox):
    """The profile's rows, made once; each reading sets their text and hides the rows
    that do not apply (a company has no birth date)."""

    # "id_number" (the ID number or the credit code), "mobile_phone" or "other_phone"
    reveal_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Profile"))
        self.profile_form = QFormLayout(self)
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
        self.profile_form.addRow(self.edit_contact_button)

    def _identifier_row(self, field: str, title: QLabel) -> QLabel:
        """A masked identifier with its "show" button; returns the value's label."""
        value = QLabel()
        value.setObjectName(f"{field}_value")
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = self._reveal_button(f"reveal_{field}")
        button.clicked.connect(lambda: self.reveal_requested.emit(field))
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

    def show_profile(self, p: Profile, revealed: Mapping[str, str], id_field: str) -> None:
        """Show ``p``; ``revealed`` holds the identifiers already shown in clear, and
        ``id_field`` says whether the ID row holds the ID number or the credit code."""
        self.id_kind_label.setText(p.id_type_label or self.tr("ID number"))
        masked = {
            "id_number": p.masked_id_number or p.masked_credit_code,
            "mobile_phone": p.masked_mobile_phone,
            "other_phone": p.masked_other_phone,
        }
        for field, value in masked.items():
            shown = revealed.get(id_field if field == "id_number" else field)
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
        for key, shown_value in values.items():
            label = self.profile_labels[key]
            empty = shown_value is None or shown_value == ""
            label.setText(self.tr("—") if empty else str(shown_value))
            self._row_visible(
                label, (individual or key not in PERSONAL) and (key != "notes" or bool(p.notes))
            )

    def show_revealed(self, field: str, value: str) -> None:
        self.value_labels[field].setText(value)
        button = self.reveal_buttons[field]
        button.setEnabled(False)
        button.setText(self.tr("Shown"))

    def _row_visible(self, field: QWidget, visible: bool) -> None:
        # The identifier labels sit in a row widget; the form row is the holder's.
        holder = field if self.profile_form.indexOf(field) >= 0 else field.parentWidget()
        if holder is not None:
            self.profile_form.setRowVisible(holder, visible)


class WarningsPanel(QGroupBox):
    """The data-quality warnings, or a line saying there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Data quality"))
        self.warnings_layout = QVBoxLayout(self)
        self.warning_labels: list[QLabel] = []

    def show_warnings(self, warnings: tuple[DataWarning, ...]) -> None:
        for label in self.warning_labels:
            label.deleteLater()
        self.warning_labels = []
        if not warnings:
            label = QLabel(self.tr("No problem found in this record."))
            label.setStyleSheet("color: #047857;")
            self.warning_labels.append(label)
        for warning in warnings:
            label = QLabel("⚠ " + warning.message)
            label.setObjectName(f"warning_{warning.kind}")
            label.setWordWrap(True)
            label.setStyleSheet(f"color: {WARNING_COLORS.get(warning.kind, '#b91c1c')};")
            self.warning_labels.append(label)
        for label in self.warning_labels:
            self.warnings_layout.addWidget(label)

    def warnings(self) -> list[str]:
        return [label.text() for label in self.warning_labels]
