"""Starting the Qt application: translations, the Chinese-font check, the main window."""

from __future__ import annotations

import logging
import sys
from importlib import resources

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from rm_workbench.errors import WorkbenchError
from rm_workbench.services.workbench import open_workbench
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def install_translators(app: QApplication, language: str) -> None:
    """Simplified Chinese unless the RM chose English ("en")."""
    if language.startswith("en"):
        return
    i18n = resources.files("rm_workbench.resources").joinpath("i18n")
    ours = QTranslator(app)
    if ours.load(str(i18n.joinpath("rm_workbench_zh_CN.qm"))):
        app.installTranslator(ours)
    else:
        log.warning("Chinese translation not found in %s", i18n)
    qt_own = QTranslator(app)
    if qt_own.load(
        QLocale(QLocale.Language.Chinese, QLocale.Country.China),
        "qtbase",
        "_",
        QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
    ):
        app.installTranslator(qt_own)


def has_chinese_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


def run(profile: str, *, demo: bool, encrypt: bool, language: str = "zh_CN") -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName("rm-workbench")
    app.setApplicationName("RM Workbench")
    install_translators(app, language)
    if not has_chinese_font():
        QMessageBox.warning(
            None,
            app.translate("App", "RM Workbench"),
            app.translate(
                "App",
                "No Chinese font was found on this computer, so Chinese text will show as "
                "boxes. Install a Chinese font (on Debian/Ubuntu: fonts-wqy-microhei).",
            ),
        )
    try:
        workbench = open_workbench(profile, demo=demo, encrypt=encrypt)
    except WorkbenchError as exc:
        show_error(None, exc)
        return 2
    window = MainWindow(workbench)
    window.show()
    try:
        return app.exec()
    finally:
        workbench.close()
