"""Take a screenshot of each main screen over the demo book (run under Xvfb).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshots.py

Writes PNGs to docs/screenshots/. Uses a throw-away profile folder, unencrypted.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def settle(app: QApplication, rounds: int = 20) -> None:
    for _ in range(rounds):
        app.processEvents()


def main() -> int:
    os.environ["RM_WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="rm-shots-")
    from rm_workbench.services.workbench import open_workbench
    from rm_workbench.ui.app import has_chinese_font, install_translators
    from rm_workbench.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    app.setOrganizationName("rm-workbench-screenshots")
    install_translators(app, "zh_CN")
    if not has_chinese_font():
        print("no Chinese font: screenshots would show boxes", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    workbench = open_workbench("demo", demo=True, encrypt=False)
    window = MainWindow(workbench)
    window.resize(1200, 720)
    window.show()
    settle(app)
    window.grab().save(str(OUT / "customers.png"))

    first = window.model.row_at(0)
    from pypinyin import Style, lazy_pinyin

    initials = "".join(lazy_pinyin(first.name, style=Style.FIRST_LETTER))
    window.search_box.setText(initials)
    window.run_search()
    settle(app)
    window.grab().save(str(OUT / "search_pinyin_initials.png"))
    workbench.close()
    print(f"screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
