"""Holdings by product type with the totals in 万元, and the donut of the portfolio."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QSplitter, QVBoxLayout, QWidget

from rm_workbench.services.customer360 import Holdings
from rm_workbench.ui.customer360.tables import fit, make_table
from rm_workbench.ui.customer360_model import HoldingColumn, HoldingsModel
from rm_workbench.ui.portfolio_chart import PortfolioChart


class HoldingsPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Holdings"))
        self.totals_label = QLabel()
        self.totals_label.setObjectName("holdings_totals")
        font = self.totals_label.font()
        font.setBold(True)
        self.totals_label.setFont(font)
        self.holdings_model = HoldingsModel(self)
        self.holdings_table = make_table("holdings_table", self.holdings_model)
        self.chart = PortfolioChart()
        row = QSplitter(Qt.Orientation.Horizontal)
        row.addWidget(self.holdings_table)
        row.addWidget(self.chart)
        row.setStretchFactor(0, 3)
        row.setStretchFactor(1, 2)
        row.setSizes([500, 400])
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals_label)
        layout.addWidget(row, 1)

    def show_holdings(self, holdings: Holdings) -> None:
        self.holdings_model.set_holdings(holdings)
        self.chart.set_holdings(holdings)
        self.totals_label.setText(
            self.tr("Assets {assets} · Liabilities {liabilities}").format(
                assets=holdings.assets_text, liabilities=holdings.liabilities_text
            )
        )

    def fit(self) -> None:
        fit(self.holdings_table)
        self.holdings_table.setColumnWidth(
            HoldingColumn.PRODUCT, max(self.holdings_table.columnWidth(0), 160)
        )
