"""Household and group members; Enter or a double click on another member opens them."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from rm_workbench.services.customer360 import GroupView
from rm_workbench.ui.customer360.tables import fit, make_table
from rm_workbench.ui.customer360_model import MembersModel


class MembersPanel(QGroupBox):
    member_activated = Signal(str)  # the customer id of a member to open

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Household and group members"))
        self.members_model = MembersModel(self)
        self.members_table = make_table("members_table", self.members_model)
        self.members_table.activated.connect(self._activated)
        self.members_empty = QLabel(self.tr("Not in any household or group."))
        self.members_empty.setStyleSheet("color: #6b7280;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.members_table)
        layout.addWidget(self.members_empty)
        self.members_table.setMinimumHeight(120)

    def show_groups(self, groups: tuple[GroupView, ...]) -> None:
        self.members_model.set_groups(groups)
        self.members_table.setVisible(bool(groups))
        self.members_empty.setVisible(not groups)

    def fit(self) -> None:
        fit(self.members_table)

    def _activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        _group, member = self.members_model.row_at(index.row())
        if not member.is_self:
            self.member_activated.emit(member.customer_id)
