"""Putting a bundle proposal together for one customer, and the list of proposals.

The dialog reads the recommendation in the background (bundles ranked for this
customer, each with its reasons; products that cannot be proposed, with the reason),
lets the RM pick a bundle, leave products out, change amounts or add another
suitable product, and records the proposal through the writer lane. Suitability is
the service's hard rule: an unsuitable product is never offered here, and the
service refuses one anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.domain.formatting import format_date, format_rate, format_wan
from rm_workbench.domain.recommend import BundleSuggestion, ProductSuggestion, Recommendation
from rm_workbench.errors import ValidationError
from rm_workbench.models import utcnow
from rm_workbench.services.proposals import ProposalItem, ProposalService, ProposalSummary
from rm_workbench.ui.activity_dialogs import ActivityDialog, Call, Clock
from rm_workbench.ui.background import run_in_background
from rm_workbench.ui.customer360_model import GRAY, RIGHT
from rm_workbench.ui.rows_model import ModelIndex, RowsModel

WAN = Decimal(10_000)


class BundleColumn(IntEnum):
    NAME = 0
    PRODUCTS = 1
    WHY = 2


class BundlesModel(RowsModel[BundleSuggestion]):
    """The bundles recommended for the customer, best first."""

    columns = BundleColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            BundleColumn.NAME: self.tr("Bundle"),
            BundleColumn.PRODUCTS: self.tr("Products"),
            BundleColumn.WHY: self.tr("Why"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def cell(self, bundle: BundleSuggestion, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                BundleColumn.NAME: bundle.name,
                BundleColumn.PRODUCTS: str(len(bundle.items)),
                BundleColumn.WHY: "；".join(bundle.reasons),
            }[BundleColumn(column)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join((bundle.description or "", *bundle.reasons)).strip()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == BundleColumn.PRODUCTS:
            return RIGHT
        return None


class ItemColumn(IntEnum):
    PRODUCT = 0
    RISK = 1
    TERMS = 2
    AMOUNT = 3
    WHY = 4


@dataclass(frozen=True)
class ItemRow:
    """A product in the proposal being put together; ``included`` is its tick."""

    suggestion: ProductSuggestion
    amount: Decimal | None
    included: bool = True


def terms_text(item: ProductSuggestion) -> str:
    parts = []
    if item.rate is not None:
        parts.append(f"{format_rate(item.rate)}")
    if item.fee_rate is not None:
        parts.append(f"费率 {format_rate(item.fee_rate)}")
    if item.term_months:
        parts.append(f"{item.term_months}个月")
    return " · ".join(parts)


class ProposalItemsModel(RowsModel[ItemRow]):
    """The products of the proposal: a tick to keep each, and an editable amount in
    万元 (products without an amount, such as a credit card, have none)."""

    columns = ItemColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            ItemColumn.PRODUCT: self.tr("Product"),
            ItemColumn.RISK: self.tr("Risk"),
            ItemColumn.TERMS: self.tr("Rate / fee"),
            ItemColumn.AMOUNT: self.tr("Amount (10k yuan)"),
            ItemColumn.WHY: self.tr("Why"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def set_items(self, items: Sequence[ProductSuggestion]) -> None:
        self.set_rows([ItemRow(item, item.amount) for item in items])

    def add(self, item: ProductSuggestion) -> bool:
        """Add a product (False: it is in the proposal already)."""
        if any(r.suggestion.product_code == item.product_code for r in self._rows):
            return False
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(ItemRow(item, item.amount))
        self.endInsertRows()
        return True

    def chosen(self) -> list[ProposalItem]:
        return [ProposalItem(r.suggestion.product_code, r.amount) for r in self._rows if r.included]

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == ItemColumn.PRODUCT:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        row = self._rows[index.row()]
        if index.column() == ItemColumn.AMOUNT and row.amount is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def cell(self, row: ItemRow, column: int, role: int) -> Any:
        item = row.suggestion
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                ItemColumn.PRODUCT: item.product_name,
                ItemColumn.RISK: item.risk_level or self.tr("none"),
                ItemColumn.TERMS: terms_text(item),
                ItemColumn.AMOUNT: "—" if row.amount is None else format_wan(row.amount),
                ItemColumn.WHY: "；".join(item.reasons),
            }[ItemColumn(column)]
        if role == Qt.ItemDataRole.EditRole and column == ItemColumn.AMOUNT:
            return "" if row.amount is None else str((row.amount / WAN).normalize())
        if role == Qt.ItemDataRole.CheckStateRole and column == ItemColumn.PRODUCT:
            return Qt.CheckState.Checked if row.included else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ForegroundRole and not row.included:
            return QBrush(GRAY)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ItemColumn.AMOUNT:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join((*item.reasons, item.disclosure or "")).strip()
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == ItemColumn.PRODUCT:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked
            self._rows[index.row()] = replace(row, included=checked)
        elif role == Qt.ItemDataRole.EditRole and index.column() == ItemColumn.AMOUNT:
            if row.amount is None:
                return False
            try:
                wan = Decimal(str(value).strip().replace(",", ""))
            except InvalidOperation:
                return False
            if not wan.is_finite() or wan <= 0:
                return False
            self._rows[index.row()] = replace(row, amount=(wan * WAN).quantize(Decimal("0.01")))
        else:
            return False
        left, right = self.index(index.row(), 0), self.index(index.row(), len(ItemColumn) - 1)
        self.dataChanged.emit(left, right)
        return True


class ProposalDialog(ActivityDialog):
    """Put a proposal together for one customer and record it (Save)."""

    def __init__(
        self,
        proposals: ProposalService,
        customer_id: str,
        customer_name: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__(parent, clock=clock)
        self.setObjectName("proposal_dialog")
        self.proposals = proposals
        self.customer_id = customer_id
        self.recommendation: Recommendation | None = None
        self.setWindowTitle(self.tr("Proposal for {name}").format(name=customer_name))
        self.save_button.setText(self.tr("Record proposal"))
        self.setMinimumSize(900, 640)

        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("proposal_title")
        self.title_edit.setMaxLength(100)
        self.form.addRow(self.tr("Title"), self.title_edit)

        self.status_label = QLabel(self.tr("Reading what fits this customer…"))
        self.status_label.setObjectName("proposal_status")
        self.status_label.setWordWrap(True)
        self.bundles_model = BundlesModel(self)
        self.bundles_table = _table("bundles_table", self.bundles_model)
        self.bundles_table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.choose_bundle(current.row())
        )
        self.why_label = QLabel()
        self.why_label.setObjectName("bundle_why")
        self.why_label.setWordWrap(True)
        self.items_model = ProposalItemsModel(self)
        self.items_table = _table("items_table", self.items_model)
        self.items_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.add_combo = QComboBox()
        self.add_combo.setObjectName("add_product_combo")
        self.add_button = QPushButton(self.tr("Add product"))
        self.add_button.setObjectName("add_product_button")
        self.add_button.clicked.connect(self.add_selected_product)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_combo, 1)
        add_row.addWidget(self.add_button)
        self.excluded_label = QLabel()
        self.excluded_label.setObjectName("excluded_products")
        self.excluded_label.setWordWrap(True)
        self.excluded_label.setStyleSheet("color: #6b7280;")

        body = QVBoxLayout()
        body.addWidget(self.status_label)
        body.addWidget(QLabel(self.tr("Bundles that fit (best first)")))
        body.addWidget(self.bundles_table, 2)
        body.addWidget(self.why_label)
        body.addWidget(
            QLabel(
                self.tr("Products in this proposal (untick to leave one out; amounts in 10k yuan)")
            )
        )
        body.addWidget(self.items_table, 3)
        body.addLayout(add_row)
        body.addWidget(self.excluded_label)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertLayout(1, body, 1)
        self.save_button.setEnabled(False)

        service, customer = proposals, customer_id
        run_in_background(
            lambda: service.recommend(customer, today=self.today()), self._show, self._failed
        )

    def _show(self, recommendation: Recommendation) -> None:
        self.recommendation = recommendation
        self.bundles_model.set_rows(recommendation.bundles)
        others: dict[str, ProductSuggestion] = {}
        for item in recommendation.products:
            others.setdefault(item.product_code, item)
        for bundle in recommendation.bundles:
            for item in bundle.items:
                others.setdefault(item.product_code, item)
        self.add_combo.clear()
        for item in others.values():
            self.add_combo.addItem(f"{item.product_name}（{terms_text(item)}）", item)
        self.add_button.setEnabled(bool(others))
        excluded = [f"{e.product_name}：{e.reason}" for e in recommendation.excluded]
        self.excluded_label.setText(
            self.tr("Not proposed: {list}").format(list="；".join(excluded)) if excluded else ""
        )
        self.bundles_table.resizeColumnToContents(BundleColumn.NAME)
        if recommendation.bundles:
            self.status_label.setText(
                self.tr("{n} bundle(s) fit this customer.").format(n=len(recommendation.bundles))
            )
            self.bundles_table.selectRow(0)
        else:
            self.status_label.setText(
                self.tr("No bundle fits this customer; add single products below.")
            )
        self.save_button.setEnabled(True)

    def choose_bundle(self, row: int) -> None:
        if not 0 <= row < self.bundles_model.rowCount():
            return
        bundle = self.bundles_model.row_at(row)
        self.title_edit.setText(bundle.name)
        self.items_model.set_items(bundle.items)
        self.why_label.setText("\n".join(f"• {reason}" for reason in bundle.reasons))
        self.items_table.resizeColumnsToContents()

    def selected_bundle(self) -> BundleSuggestion | None:
        index = self.bundles_table.currentIndex()
        return self.bundles_model.row_at(index.row()) if index.isValid() else None

    def add_selected_product(self) -> None:
        item = self.add_combo.currentData()
        if isinstance(item, ProductSuggestion) and not self.items_model.add(item):
            self.show_problem(
                self.tr("{product} is in the proposal already.").format(product=item.product_name)
            )

    def build_call(self) -> Call:
        items = self.items_model.chosen()
        if not items:
            raise ValidationError("请至少保留一个产品。", "empty proposal")
        bundle = self.selected_bundle()
        title = self.title_edit.text().strip()
        reasons = tuple(bundle.reasons) if bundle is not None else ()
        if bundle is not None:
            chosen = {i.product_code for i in items}
            reasons += tuple(
                r
                for row in self.items_model.rows()
                if row.suggestion.product_code in chosen
                for r in row.suggestion.reasons
            )
        valid_until = None
        if bundle is not None:
            valid_until = self.today() + timedelta(days=bundle.valid_days)
        service, customer = self.proposals, self.customer_id
        code = bundle.template_code if bundle is not None else None
        unique = tuple(dict.fromkeys(reasons))
        return lambda: service.record(
            customer,
            title=title,
            items=items,
            reasons=unique,
            template_code=code,
            valid_until=valid_until,
        )

    def _failed(self, exc: BaseException) -> None:
        if self.recommendation is None:
            self.status_label.setText(self.tr("The recommendation could not be read."))
        super()._failed(exc)


class ProposalColumn(IntEnum):
    TITLE = 0
    STATUS = 1
    CREATED = 2
    VALID_UNTIL = 3
    TOTAL = 4


class ProposalsModel(RowsModel[ProposalSummary]):
    """The customer's recorded proposals, newest first."""

    columns = ProposalColumn

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: dict[int, str] = {
            ProposalColumn.TITLE: self.tr("Proposal"),
            ProposalColumn.STATUS: self.tr("Status"),
            ProposalColumn.CREATED: self.tr("Made on"),
            ProposalColumn.VALID_UNTIL: self.tr("Valid until"),
            ProposalColumn.TOTAL: self.tr("Total"),
        }

    def headers(self) -> dict[int, str]:
        return self._headers

    def cell(self, item: ProposalSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                ProposalColumn.TITLE: item.title,
                ProposalColumn.STATUS: item.status_label,
                ProposalColumn.CREATED: format_date(item.created_on),
                ProposalColumn.VALID_UNTIL: ""
                if item.valid_until is None
                else format_date(item.valid_until),
                ProposalColumn.TOTAL: format_wan(item.total_amount),
            }[ProposalColumn(column)]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == ProposalColumn.TOTAL:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.proposal_no
        return None


def _table(name: str, model: QAbstractTableModel) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.setWordWrap(False)
    return table
