"""The main window: for now the RM's book with the one search box.

The UI issue grows this into the RM's whole day (today, visits, customer 360, sync).
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.customer_table import CustomerTableModel

SEARCH_DELAY_MS = 120  # wait for a pause in typing; one query per pause, not per key


class MainWindow(QMainWindow):
    def __init__(self, workbench: Workbench) -> None:
        super().__init__()
        self.workbench = workbench
        self.setWindowTitle(self.tr("RM Workbench — {bank}").format(bank=workbench.bank_name))
        self.resize(1100, 700)

        self.search_box = QLineEdit()
        self.search_box.setObjectName("search_box")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setPlaceholderText(
            self.tr("Search: name, pinyin, initials (zsf), phone or ID tail, customer no.")
        )
        self.model = CustomerTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("customer_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.search_box)
        layout.addWidget(self.table)
        self.setCentralWidget(central)

        self.count_label = QLabel()
        self.statusBar().addWidget(self.count_label)
        if workbench.warning:
            warning = QLabel("⚠ " + workbench.warning)
            warning.setObjectName("cache_warning")
            warning.setWordWrap(True)
            warning.setStyleSheet("color: #b45309;")
            self.statusBar().addPermanentWidget(warning, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self.search_box.textChanged.connect(lambda _text: self._search_timer.start())
        QShortcut(QKeySequence.StandardKey.Find, self, self._focus_search)
        QShortcut(QKeySequence("Esc"), self.search_box, self.search_box.clear)

        self.run_search()
        self._restore_layout()

    def _focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def run_search(self) -> None:
        query = self.search_box.text().strip()
        customers = self.workbench.customers
        if query:
            hits = customers.search(query)
            self.model.set_source(len(hits), lambda offset, limit: hits[offset : offset + limit])
            self.count_label.setText(self.tr("{n} matches").format(n=len(hits)))
        else:
            total = customers.count()
            self.model.set_source(total, customers.page)
            self.count_label.setText(self.tr("{n} customers in my book").format(n=total))

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        header = settings.value("main_window/customer_header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("main_window/geometry", self.saveGeometry())
        settings.setValue("main_window/customer_header", self.table.horizontalHeader().saveState())
        super().closeEvent(event)
