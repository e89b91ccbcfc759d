"""Take a screenshot of each main screen over the demo book (run under Xvfb).

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py

Writes PNGs to docs/screenshots/. Uses a throw-away profile folder, unencrypted, the
demo RM's share of the demo book loaded straight into the cache (no server needed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def settle(app: QApplication, until: Callable[[], bool] | None = None, seconds: float = 10) -> None:
    """Let background loads finish and the window repaint."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is None or until():
            break
        time.sleep(0.02)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)


def shoot(widget: QWidget, name: str) -> None:
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"  {name}.png")


def main() -> int:
    os.environ["RM_WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="rm-shots-")
    from PySide6.QtCore import QSettings

    from rm_workbench.services.workbench import open_workbench
    from rm_workbench.ui.app import has_chinese_font, install_translators
    from rm_workbench.ui.background import wait_for_background
    from rm_workbench.ui.main_window import CUSTOMERS, TODAY, VISITS, MainWindow
    from rm_workbench.ui.settings import Settings

    app = QApplication(sys.argv)
    app.setOrganizationName("rm-workbench-screenshots")
    QSettings().clear()
    install_translators(app, "zh_CN")
    if not has_chinese_font():
        print("no Chinese font: screenshots would show boxes", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    workbench = open_workbench("demo", demo=True, encrypt=False)
    window = MainWindow(workbench, None, Settings())
    window.resize(1360, 860)
    window.show()

    window.go(TODAY)
    settle(app, lambda: getattr(window.today, "is_loaded", lambda: True)())
    shoot(window, "today")

    window.go(CUSTOMERS)
    settle(app)
    shoot(window, "customers")
    first = window.customers.model.customer_at(0) if window.customers.model.rowCount() else None
    if first is not None:
        from pypinyin import Style, lazy_pinyin

        initials = "".join(lazy_pinyin(first.name, style=Style.FIRST_LETTER))
        window.customers.search_box.setText(initials)
        settle(app, seconds=2)
        shoot(window, "search_pinyin_initials")
        window.customers.search_box.clear()
        settle(app, seconds=1)

    # The customer with the most holdings makes the fullest 360.
    from sqlalchemy import func, select

    from rm_workbench.models import Account

    with workbench.cache.engine.connect() as conn:
        richest = conn.execute(
            select(Account.customer_id)
            .group_by(Account.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
    window.open_customer(richest)
    settle(app, seconds=3)
    shoot(window, "customer_360")

    # A proposal for that customer: the dialog with the bundles that fit.
    from rm_workbench.ui.customer360_view import Customer360View
    from rm_workbench.ui.proposal_dialog import ProposalDialog

    tab = window.tabs.currentWidget()
    if isinstance(tab, Customer360View):
        tab.new_proposal()
        dialog = tab.dialog
        if isinstance(dialog, ProposalDialog):
            dialog.resize(1100, 720)
            settle(app, lambda: dialog.recommendation is not None, seconds=10)
            shoot(dialog, "proposal_dialog")
            dialog.reject()

    window.go(VISITS)
    settle(app, seconds=3)
    shoot(window, "visits_week")

    wait_for_background()
    workbench.close()
    print(f"screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
