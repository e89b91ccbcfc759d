"""Starting the Qt application: translations, the Chinese-font check, the main window,
the first login, and for a demo launch (:class:`rm_workbench.launch.Demo`) the
embedded central CRM on loopback."""

from __future__ import annotations

import logging
import sys
from importlib import resources

import shiboken6
from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from rm_contract.labels import set_language
from rm_workbench.errors import CachePasswordRequired, WorkbenchError
from rm_workbench.launch import Demo, EmbeddedCentral
from rm_workbench.paths import profile_dir
from rm_workbench.services.workbench import Workbench, open_workbench
from rm_workbench.ui.background import (
    freeze_startup_objects,
    run_in_background,
    wait_for_background,
)
from rm_workbench.ui.error_dialog import show_error
from rm_workbench.ui.login_dialog import ask_cache_password
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.settings import Settings
from rm_workbench.ui.sync_controller import SyncController

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
    # Searched before Qt's own: the few of its strings Qt's zh_CN catalog misses.
    qt_extra = QTranslator(app)
    if qt_extra.load(str(i18n.joinpath("qt_extra_zh_CN.qm"))):
        app.installTranslator(qt_extra)


def has_chinese_font() -> bool:
    return bool(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))


class DemoLauncher:
    """The demo's first steps, all off the GUI thread: start the embedded central CRM
    (loading the demo book on first use), log in as the demo RM, sync."""

    def __init__(self, window: MainWindow, controller: SyncController, demo: Demo) -> None:
        self.window = window
        self.controller = controller
        self.demo = demo
        self.central: EmbeddedCentral | None = None

    def start(self) -> None:
        self.window.statusBar().showMessage(
            QApplication.translate(
                "App", "Starting the demo central CRM (the first time takes a while)…"
            )
        )
        folder = profile_dir(self.window.workbench.profile)
        start = self.demo.start_central
        run_in_background(lambda: start(folder), self._started, self._failed)

    def _started(self, central: EmbeddedCentral) -> None:
        self.central = central
        service = self.controller.service
        run_in_background(
            lambda: service.login(central.server_url, central.username, central.password),
            lambda _user: self._logged_in(),
            self._failed,
            lane="network",  # a request; its few writes take their turn on the writer lane
        )

    def _logged_in(self) -> None:
        self.window.statusBar().clearMessage()
        self.controller.check_online()
        self.controller.sync_now()

    def _failed(self, exc: BaseException) -> None:
        self.window.statusBar().clearMessage()
        show_error(self.window, exc)

    def stop(self) -> None:
        if self.central is not None:
            self.central.stop()


def run(profile: str, *, demo: Demo | None, encrypt: bool, language: str = "zh_CN") -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName("rm-workbench")
    app.setApplicationName("RM Workbench")
    settings = Settings()
    chosen = language or settings.language
    set_language(chosen)  # the bank's words (rm_contract.labels), without Qt
    install_translators(app, chosen)
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
    # Without a keyring the cache's key is wrapped with the RM's password: asked here,
    # before anything is opened (the demo knows its own). Never opened plain instead.
    password = demo.password if demo is not None else None
    while True:
        try:
            # Duplicate flags are computed once the window is on screen (MainWindow).
            workbench = open_workbench(
                profile, encrypt=encrypt, find_duplicates=False, password=password
            )
            break
        except CachePasswordRequired as exc:
            password = ask_cache_password(exc.user_message)
            if password is None:
                return 2
        except WorkbenchError as exc:
            show_error(None, exc)
            return 2
    if workbench.warning:  # shown in the window too (MainWindow)
        print(f"注意：{workbench.warning}", file=sys.stderr)
    return run_window(app, workbench, settings, demo=demo)


def run_window(
    app: QApplication, workbench: Workbench, settings: Settings, *, demo: Demo | None
) -> int:
    assert workbench.sync is not None
    controller = SyncController(workbench.sync)
    window = MainWindow(workbench, controller, settings)
    window.show()
    freeze_startup_objects()
    launcher: DemoLauncher | None = None
    if demo is not None:
        launcher = DemoLauncher(window, controller, demo)
        launcher.start()
    elif workbench.sync.configured_server() is None:
        window.ask_login(app.translate("App", "Welcome. Log in to your bank's central CRM."))
    else:
        controller.sync_now(automatic=True)
    controller.start_timers(settings.auto_sync_minutes, settings.online_probe_seconds)
    try:
        return app.exec()
    finally:
        controller.stop_timers()
        wait_for_background()
        if launcher is not None:
            launcher.stop()
        # Deleted now, while Qt and Python both run: its own connections would keep it
        # to PySide's clean-up at exit, which deleted the widgets Python owns under it
        # (dialogs run with exec()) twice and crashed (bench/bench_working_day.py).
        shiboken6.delete(window)
        workbench.close()
