"""Qt's own dialogs read Chinese in the Chinese UI.

The review's save dialog said "Look in:" and "Files of type:" among Chinese labels:
Qt 6.12's labels carry a mnemonic ("&Look in:") that the shipped qtbase_zh_CN.qm does
not know. rm_workbench/resources/i18n/qt_extra_zh_CN.ts supplies them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QAbstractButton, QApplication, QFileDialog, QLabel, QWidget

from rm_workbench.ui.app import install_translators


@pytest.fixture
def chinese(qapp: QApplication) -> Iterator[QApplication]:
    install_translators(qapp, "zh_CN")
    try:
        yield qapp
    finally:  # later tests expect the English source strings
        for translator in qapp.findChildren(QTranslator):
            qapp.removeTranslator(translator)
            translator.deleteLater()


def _english(dialog: QWidget) -> set[str]:
    texts: set[str] = set()
    for widget in dialog.findChildren(QWidget):
        shown = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
        for text in (shown, widget.toolTip()):
            if text and any(c.isalpha() for c in text) and text.isascii():
                texts.add(text)
    return texts


@pytest.mark.parametrize(
    "mode", [QFileDialog.AcceptMode.AcceptSave, QFileDialog.AcceptMode.AcceptOpen]
)
def test_the_file_dialog_has_no_english_label(chinese: Any, qtbot: Any, mode: Any) -> None:
    dialog = QFileDialog(None, "客户简报")
    qtbot.addWidget(dialog)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(mode)
    assert _english(dialog) == set()
    labels = {label.text() for label in dialog.findChildren(QLabel)}
    assert "查找范围(&L)：" in labels and "文件类型(&T)：" in labels
