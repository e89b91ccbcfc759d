"""Dialogs that record what happens with a customer: a contact, a need, an opportunity
(add and edit), closing a need or an opportunity.

Every dialog works the same way: Save sends one call of
:class:`~rm_workbench.services.activities.ActivityService` to the writer lane
(an edit with ``seen``, the values the dialog opened with, so that a change a sync
brought while it was open conflicts instead of being overwritten) through
:class:`~rm_workbench.ui.operations.DialogSave`, as the visit dialogs do. When the
service refuses the input, its message (Chinese, says what is wrong) is shown inside
the dialog, which stays open with everything typed; when it succeeds the
:class:`~rm_workbench.services.changes.Change` is announced (``events.changed``), and
the dialog emits :attr:`ActivityDialog.saved` and closes. Times are entered in
Beijing time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rm_contract.vocabulary import ContactChannel, NeedCategory, NeedStatus, Priority, SalesStage
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import SHANGHAI, format_wan
from rm_workbench.domain.reminders import local_today
from rm_workbench.errors import ValidationError, WorkbenchError
from rm_workbench.models import utcnow
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.changes import Change
from rm_workbench.services.needs import NeedItem
from rm_workbench.services.opportunities import OpportunityItem, ProductChoice
from rm_workbench.ui.operations import DialogSave

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# What Save sends to the writer lane; None: nothing to save (an edit that changed nothing).
Call = Callable[[], Change] | None
DATE_FORMAT = "yyyy-MM-dd"
MULTILINE_HEIGHT = 90


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(edit: QDateEdit) -> date:
    value: date = edit.date().toPython()  # type: ignore[assignment]
    return value


class ActivityDialog(QDialog):
    """The shared frame: the form, an inline error line, Save and Cancel, and the save
    on the writer lane. Subclasses build the form and say what Save calls."""

    saved = Signal(object)  # the Change, after it was announced

    def __init__(self, parent: QWidget | None = None, *, clock: Clock = utcnow) -> None:
        super().__init__(parent)
        self.clock = clock
        self.change: Change | None = None
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.error_label = QLabel()
        self.error_label.setObjectName("dialog_error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(
            "color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; padding: 6px;"
        )
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("save_button")
        self.save_button.setText(self.tr("Save"))
        self.save_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._saving = DialogSave(self, self.buttons, self.error_label)

    # --- subclasses -------------------------------------------------------------------

    def build_call(self) -> Call:
        """The service call Save makes, from what the form holds (may raise
        ValidationError for what the form itself can tell is wrong)."""
        raise NotImplementedError

    # --- saving -------------------------------------------------------------------------

    def today(self) -> date:
        return local_today(self.clock())

    def save(self) -> None:
        if self._saving.running:
            return
        try:
            call = self.build_call()
        except WorkbenchError as exc:
            self.show_problem(exc.user_message)
            return
        if call is None:
            self.accept()  # nothing changed, nothing to write
            return
        self._saving.start(call, self._saved)

    def is_saving(self) -> bool:
        return self._saving.running

    def show_problem(self, text: str) -> None:
        self._saving.show(text)

    def problem(self) -> str | None:
        """The message shown in the dialog, if any."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else None

    def _saved(self, change: Change) -> None:
        self.change = change
        self.saved.emit(change)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        """A reading of the dialog failed: said as a refused save is."""
        self._saving.failed(exc)

    def reject(self) -> None:
        if not self._saving.running:  # a save under way finishes first: its answer needs it
            super().reject()

    # --- form helpers -------------------------------------------------------------------

    def _combo(
        self, name: str, choices: Sequence[tuple[str, object]], current: object
    ) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for label, value in choices:
            combo.addItem(label, value)
        index = combo.findData(current)
        combo.setCurrentIndex(max(index, 0))
        return combo

    def _date_edit(self, name: str, day: date) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(DATE_FORMAT)
        return edit

    def _optional_date(
        self, name: str, day: date | None, label: str
    ) -> tuple[QCheckBox, QDateEdit, QWidget]:
        """A date that may be left out: a check box turns the date edit on."""
        box = QCheckBox(label)
        box.setObjectName(f"{name}_set")
        edit = self._date_edit(name, day or self.today())
        box.setChecked(day is not None)
        edit.setEnabled(day is not None)
        box.toggled.connect(edit.setEnabled)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(box)
        line.addWidget(edit, 1)
        return box, edit, row

    def _text(self, name: str, text: str | None, placeholder: str = "") -> QPlainTextEdit:
        edit = QPlainTextEdit(text or "")
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(MULTILINE_HEIGHT)
        return edit

    def _priorities(self) -> list[tuple[str, object]]:
        return [
            (self.tr("Low"), Priority.LOW),
            (self.tr("Normal"), Priority.NORMAL),
            (self.tr("High"), Priority.HIGH),
            (self.tr("Urgent"), Priority.URGENT),
        ]


def _changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The fields whose wanted value differs from the record's."""
    return {name: value for name, value in wanted.items() if current.get(name) != value}


# --- contacts --------------------------------------------------------------------------


class ContactDialog(ActivityDialog):
    """Log one contact with the customer (contacts cannot be edited afterwards)."""

    def __init__(
        self,
        service: ActivityService,
        customer_id: str,
        customer_name: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.customer_id = customer_id
        self.setWindowTitle(self.tr("Log a contact with {name}").format(name=customer_name))
        self.channel_combo = self._combo(
            "channel_combo",
            [
                (self.tr("Phone"), ContactChannel.PHONE),
                (self.tr("WeChat"), ContactChannel.WECHAT),
                (self.tr("Text message"), ContactChannel.SMS),
                (self.tr("Email"), ContactChannel.EMAIL),
                (self.tr("At the branch"), ContactChannel.BRANCH),
                (self.tr("Visit"), ContactChannel.VISIT),
            ],
            ContactChannel.PHONE,
        )
        local = self.clock().astimezone(SHANGHAI)
        self.started_edit = QDateTimeEdit(
            QDateTime(_qdate(local.date()), QTime(local.hour, local.minute))
        )
        self.started_edit.setObjectName("started_edit")
        self.started_edit.setCalendarPopup(True)
        self.started_edit.setDisplayFormat(f"{DATE_FORMAT} HH:mm")
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setObjectName("minutes_spin")
        self.minutes_spin.setRange(0, 600)
        self.minutes_spin.setSuffix(self.tr(" min"))
        self.minutes_spin.setSpecialValueText(self.tr("not recorded"))
        self.call_box = QCheckBox(self.tr("A call was made"))
        self.call_box.setObjectName("call_box")
        self.call_box.setChecked(True)
        self.channel_combo.currentIndexChanged.connect(
            lambda _i: self.call_box.setChecked(
                self.channel_combo.currentData() == ContactChannel.PHONE
            )
        )
        self.summary_edit = QLineEdit()
        self.summary_edit.setObjectName("summary_edit")
        self.summary_edit.setPlaceholderText(self.tr("e.g. Called about the maturing deposit"))
        self.content_edit = self._text(
            "content_edit", None, self.tr("What was said, what the customer wants, what is next")
        )
        self.form.addRow(self.tr("Channel"), self.channel_combo)
        self.form.addRow(self.tr("When (Beijing time)"), self.started_edit)
        self.form.addRow(self.tr("Duration"), self.minutes_spin)
        self.form.addRow("", self.call_box)
        self.form.addRow(self.tr("Summary"), self.summary_edit)
        self.form.addRow(self.tr("Content"), self.content_edit)
        self.summary_edit.setFocus()

    def started_at(self) -> datetime:
        value = self.started_edit.dateTime()
        day: date = value.date().toPython()  # type: ignore[assignment]
        clock = value.time()
        return datetime(day.year, day.month, day.day, clock.hour(), clock.minute(), tzinfo=SHANGHAI)

    def build_call(self) -> Call:
        start = self.started_at()
        minutes = self.minutes_spin.value()
        values = {
            "summary": self.summary_edit.text(),
            "channel": self.channel_combo.currentData(),
            "started_at": start,
            "ended_at": start + timedelta(minutes=minutes) if minutes else None,
            "content": self.content_edit.toPlainText(),
            "call_made": self.call_box.isChecked(),
        }
        service, customer_id = self.service, self.customer_id
        return lambda: service.add_contact(customer_id, **values)


# --- needs -----------------------------------------------------------------------------


class NeedDialog(ActivityDialog):
    """Record a new need (``need`` None) or edit one, status included."""

    def __init__(
        self,
        service: ActivityService,
        customer_id: str,
        need: NeedItem | None = None,
        parent: QWidget | None = None,
        *,
        customer_name: str = "",
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.customer_id = customer_id
        self.need = need
        if need is None:
            self.setWindowTitle(self.tr("New need of {name}").format(name=customer_name))
        else:
            self.setWindowTitle(self.tr("Edit need {number}").format(number=need.need_no))
        self.category_combo = self._combo(
            "category_combo",
            [
                (self.tr("Children's education"), NeedCategory.EDUCATION),
                (self.tr("Housing"), NeedCategory.HOUSING),
                (self.tr("Car"), NeedCategory.CAR),
                (self.tr("Retirement planning"), NeedCategory.RETIREMENT),
                (self.tr("Insurance cover"), NeedCategory.INSURANCE),
                (self.tr("Investment"), NeedCategory.INVESTMENT),
                (self.tr("Wealth transfer"), NeedCategory.WEALTH_TRANSFER),
                (self.tr("Financing"), NeedCategory.FINANCING),
                (self.tr("Settlement"), NeedCategory.SETTLEMENT),
                (self.tr("Other"), NeedCategory.OTHER),
            ],
            NeedCategory.INVESTMENT if need is None else need.category,
        )
        self.summary_edit = QLineEdit("" if need is None else need.summary)
        self.summary_edit.setObjectName("summary_edit")
        self.summary_edit.setPlaceholderText(self.tr("e.g. Funds for a child's study abroad"))
        self.content_edit = self._text(
            "content_edit", None if need is None else need.content, self.tr("Details")
        )
        self.started_edit = self._date_edit(
            "started_edit", self.today() if need is None else need.started_on
        )
        self.ends_box, self.ends_edit, ends_row = self._optional_date(
            "ends_edit", None if need is None else need.ends_on, self.tr("Resolve by")
        )
        self.severity_combo = self._combo(
            "severity_combo", self._priorities(), Priority.NORMAL if need is None else need.severity
        )
        self.urgency_combo = self._combo(
            "urgency_combo", self._priorities(), Priority.NORMAL if need is None else need.urgency
        )
        self.form.addRow(self.tr("Category"), self.category_combo)
        self.form.addRow(self.tr("Summary"), self.summary_edit)
        self.form.addRow(self.tr("Content"), self.content_edit)
        self.form.addRow(self.tr("Since"), self.started_edit)
        self.form.addRow(self.tr("Due date"), ends_row)
        self.form.addRow(self.tr("Severity"), self.severity_combo)
        self.form.addRow(self.tr("Urgency"), self.urgency_combo)
        self.status_combo: QComboBox | None = None
        self.sub_status_edit: QLineEdit | None = None
        if need is not None:
            self.status_combo = self._combo(
                "status_combo",
                [
                    (self.tr("To follow up"), NeedStatus.OPEN),
                    (self.tr("In progress"), NeedStatus.IN_PROGRESS),
                    (self.tr("Met"), NeedStatus.MET),
                    (self.tr("Closed"), NeedStatus.CLOSED),
                ],
                need.status,
            )
            self.sub_status_edit = QLineEdit(need.sub_status or "")
            self.sub_status_edit.setObjectName("sub_status_edit")
            self.form.addRow(self.tr("Status"), self.status_combo)
            self.form.addRow(self.tr("Status note"), self.sub_status_edit)
        self.summary_edit.setFocus()

    def build_call(self) -> Call:
        wanted: dict[str, Any] = {
            "category": self.category_combo.currentData(),
            "summary": self.summary_edit.text(),
            "content": self.content_edit.toPlainText(),
            "started_on": _pydate(self.started_edit),
            "ends_on": _pydate(self.ends_edit) if self.ends_box.isChecked() else None,
            "severity": self.severity_combo.currentData(),
            "urgency": self.urgency_combo.currentData(),
        }
        service = self.service
        need = self.need
        if need is None:
            customer_id = self.customer_id
            return lambda: service.add_need(customer_id, **wanted)
        assert self.status_combo is not None and self.sub_status_edit is not None
        wanted["status"] = self.status_combo.currentData()
        wanted["sub_status"] = self.sub_status_edit.text().strip() or None
        wanted["content"] = wanted["content"].strip() or None
        current = {
            "category": need.category,
            "summary": need.summary,
            "content": need.content,
            "started_on": need.started_on,
            "ends_on": need.ends_on,
            "severity": need.severity,
            "urgency": need.urgency,
            "status": need.status,
            "sub_status": need.sub_status,
        }
        edits = _changes(current, wanted)
        if not edits:
            return None
        return lambda: service.edit_need(need.id, seen=current, **edits)


class CloseNeedDialog(ActivityDialog):
    """Close an open need: met, or dropped, with a short note."""

    def __init__(
        self,
        service: ActivityService,
        need: NeedItem,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.need = need
        self.setWindowTitle(self.tr("Close need: {summary}").format(summary=need.summary))
        self.met_radio = QRadioButton(self.tr("Met: the customer's need was served"))
        self.met_radio.setObjectName("met_radio")
        self.met_radio.setChecked(True)
        self.dropped_radio = QRadioButton(self.tr("Closed: no longer pursued"))
        self.dropped_radio.setObjectName("dropped_radio")
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("note_edit")
        self.note_edit.setPlaceholderText(self.tr("e.g. Bought the education savings plan"))
        self.form.addRow(self.tr("Outcome"), self.met_radio)
        self.form.addRow("", self.dropped_radio)
        self.form.addRow(self.tr("Note (up to 32 characters)"), self.note_edit)

    def build_call(self) -> Call:
        service, need = self.service, self.need
        met = self.met_radio.isChecked()
        note = self.note_edit.text()
        seen = {"status": need.status, "sub_status": need.sub_status, "ends_on": need.ends_on}
        return lambda: service.close_need(need.id, met=met, note=note, seen=seen)


# --- opportunities -----------------------------------------------------------------------


class OpportunityDialog(ActivityDialog):
    """Record a new opportunity (``opportunity`` None) or edit one: stage, probability,
    expected value in yuan, linked need and product."""

    def __init__(
        self,
        service: ActivityService,
        customer_id: str,
        opportunity: OpportunityItem | None = None,
        parent: QWidget | None = None,
        *,
        needs: Sequence[NeedItem] = (),
        products: Sequence[ProductChoice] = (),
        customer_name: str = "",
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.customer_id = customer_id
        self.opportunity = opportunity
        item = opportunity
        if item is None:
            self.setWindowTitle(self.tr("New opportunity with {name}").format(name=customer_name))
        else:
            self.setWindowTitle(
                self.tr("Edit opportunity {number}").format(number=item.opportunity_no)
            )
        self.summary_edit = QLineEdit("" if item is None else item.summary)
        self.summary_edit.setObjectName("summary_edit")
        self.summary_edit.setPlaceholderText(self.tr("e.g. Re-invest the maturing deposit"))
        self.content_edit = self._text(
            "content_edit", None if item is None else item.content, self.tr("Details")
        )
        self.stage_combo = self._combo(
            "stage_combo",
            [
                (self.tr("Lead"), SalesStage.LEAD),
                (self.tr("Qualified"), SalesStage.QUALIFIED),
                (self.tr("Proposal"), SalesStage.PROPOSAL),
                (self.tr("Negotiation"), SalesStage.NEGOTIATION),
                (self.tr("Won"), SalesStage.WON),
                (self.tr("Lost"), SalesStage.LOST),
            ],
            SalesStage.LEAD if item is None else item.sales_stage,
        )
        self.probability_spin = QSpinBox()
        self.probability_spin.setObjectName("probability_spin")
        self.probability_spin.setRange(0, 100)
        self.probability_spin.setSuffix("%")
        self.probability_spin.setValue(10 if item is None else item.probability)
        self.value_edit = QLineEdit(
            "" if item is None or item.expected_value is None else f"{item.expected_value:,.2f}"
        )
        self.value_edit.setObjectName("value_edit")
        self.value_edit.setPlaceholderText(self.tr("in yuan, e.g. 500000"))
        self.value_hint = QLabel()
        self.value_hint.setObjectName("value_hint")
        self.value_hint.setStyleSheet("color: #6b7280;")
        self.value_hint.setMinimumWidth(110)
        value_row = QWidget()
        value_line = QHBoxLayout(value_row)
        value_line.setContentsMargins(0, 0, 0, 0)
        value_line.addWidget(self.value_edit, 1)
        value_line.addWidget(self.value_hint)
        self.method_edit = QLineEdit("" if item is None else (item.sales_method or ""))
        self.method_edit.setObjectName("method_edit")
        self.method_edit.setPlaceholderText(self.tr("e.g. cross-selling, renewal at maturity"))
        self.started_edit = self._date_edit(
            "started_edit", self.today() if item is None else item.started_on
        )
        self.ends_box, self.ends_edit, ends_row = self._optional_date(
            "ends_edit", None if item is None else item.ends_on, self.tr("Expected by")
        )
        linked_need = None if item is None else item.need_id
        self.need_combo = self._combo(
            "need_combo",
            [(self.tr("(none)"), None)]
            + [
                (f"{n.category_label}：{n.summary}", n.id)
                for n in needs
                if n.is_open or n.id == linked_need
            ],
            linked_need,
        )
        linked_product = None if item is None else item.product_id
        self.product_combo = self._combo(
            "product_combo",
            [(self.tr("(none)"), None)]
            + [(p.name + (f"（{p.risk_level}）" if p.risk_level else ""), p.id) for p in products],
            linked_product,
        )
        if linked_product is not None and self.product_combo.findData(linked_product) < 0:
            # Off sale since: still shown, so saving does not unlink it by accident.
            self.product_combo.addItem(item.product_name or linked_product, linked_product)  # type: ignore[union-attr]
            self.product_combo.setCurrentIndex(self.product_combo.count() - 1)
        self.form.addRow(self.tr("Summary"), self.summary_edit)
        self.form.addRow(self.tr("Content"), self.content_edit)
        self.form.addRow(self.tr("Stage"), self.stage_combo)
        self.form.addRow(self.tr("Probability"), self.probability_spin)
        self.form.addRow(self.tr("Expected value (yuan)"), value_row)
        self.form.addRow(self.tr("Sales method"), self.method_edit)
        self.form.addRow(self.tr("Since"), self.started_edit)
        self.form.addRow(self.tr("Expected close"), ends_row)
        self.form.addRow(self.tr("Linked need"), self.need_combo)
        self.form.addRow(self.tr("Linked product"), self.product_combo)
        self.stage_combo.currentIndexChanged.connect(lambda _i: self._stage_changed())
        self.value_edit.textChanged.connect(lambda _t: self._show_value_hint())
        self._stage_changed(initial=True)
        self._show_value_hint()
        self.summary_edit.setFocus()

    def _stage_changed(self, initial: bool = False) -> None:
        """Won means 100%, lost 0%: the probability follows and is locked."""
        implied = {SalesStage.WON: 100, SalesStage.LOST: 0}.get(self.stage_combo.currentData())
        if implied is not None:
            self.probability_spin.setValue(implied)
        elif not initial and self.probability_spin.value() in (0, 100):
            # Reopened: start again from the lead's default rather than a won 100%.
            self.probability_spin.setValue(10)
        self.probability_spin.setEnabled(implied is None)

    def _show_value_hint(self) -> None:
        try:
            amount = check.yuan(self.value_edit.text(), "")
        except ValidationError:
            amount = None
        self.value_hint.setText("" if amount is None else f"= {format_wan(amount)}")

    def build_call(self) -> Call:
        wanted: dict[str, Any] = {
            "summary": self.summary_edit.text(),
            "content": self.content_edit.toPlainText(),
            "sales_stage": self.stage_combo.currentData(),
            "probability": self.probability_spin.value(),
            "expected_value": self.value_edit.text(),
            "sales_method": self.method_edit.text(),
            "started_on": _pydate(self.started_edit),
            "ends_on": _pydate(self.ends_edit) if self.ends_box.isChecked() else None,
            "need_id": self.need_combo.currentData(),
            "product_id": self.product_combo.currentData(),
        }
        service = self.service
        item = self.opportunity
        if item is None:
            customer_id = self.customer_id
            return lambda: service.add_opportunity(customer_id, **wanted)
        wanted["content"] = wanted["content"].strip() or None
        wanted["sales_method"] = wanted["sales_method"].strip() or None
        current = {
            "summary": item.summary,
            "content": item.content,
            "sales_stage": item.sales_stage,
            "probability": item.probability,
            "expected_value": "" if item.expected_value is None else f"{item.expected_value:,.2f}",
            "sales_method": item.sales_method,
            "started_on": item.started_on,
            "ends_on": item.ends_on,
            "need_id": item.need_id,
            "product_id": item.product_id,
        }
        edits = _changes(current, wanted)
        if not edits:
            return None
        seen = {**current, "expected_value": item.expected_value}  # the amount, not its text
        return lambda: service.edit_opportunity(item.id, seen=seen, **edits)


class CloseOpportunityDialog(ActivityDialog):
    """End an open opportunity: won or lost."""

    def __init__(
        self,
        service: ActivityService,
        opportunity: OpportunityItem,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.service = service
        self.opportunity = opportunity
        self.setWindowTitle(
            self.tr("Close opportunity: {summary}").format(summary=opportunity.summary)
        )
        self.won_radio = QRadioButton(self.tr("Won: the customer bought"))
        self.won_radio.setObjectName("won_radio")
        self.won_radio.setChecked(True)
        self.lost_radio = QRadioButton(self.tr("Lost: the customer declined"))
        self.lost_radio.setObjectName("lost_radio")
        self.form.addRow(self.tr("Outcome"), self.won_radio)
        self.form.addRow("", self.lost_radio)

    def build_call(self) -> Call:
        service, item = self.service, self.opportunity
        stage = SalesStage.WON if self.won_radio.isChecked() else SalesStage.LOST
        seen = {"sales_stage": item.sales_stage, "probability": item.probability}
        return lambda: service.edit_opportunity(item.id, sales_stage=stage, seen=seen)
