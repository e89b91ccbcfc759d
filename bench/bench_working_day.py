"""Working-day soak: the real main window over the demo, driven by thousands of actions.

    .venv/bin/python bench/bench_working_day.py [--actions 20000] [--seed N]
    xvfb-run -a -s "-screen 0 1280x720x24" .venv/bin/python bench/bench_working_day.py

What ``rm-workbench-demo`` does (``rm_demo.cli.workbench_main([])``: the embedded
demo central CRM on loopback, login, first sync, the main window), in a child process
with a profile folder of its own and an in-memory keyring (the cache is encrypted as
on an RM's laptop). Once the first sync is in, a seeded random mix of ``--actions``
actions (``ACTIONS``: kinds and weights) is played with keys, clicks and an input
method's commits on the real widgets, each from the app's own event loop: every screen
(Today Ctrl+1, Customers Ctrl+2, Visits Ctrl+3), searches (Ctrl+F: pinyin initials,
Chinese names, pinyin, phone tails, "zhangwl"; Esc clears), Page Down in lists,
Customer 360 tabs opened (Enter) and closed (Ctrl+W) with each inner tab visited,
every dialog filled and saved or cancelled (contact Ctrl+L, need Ctrl+Shift+N,
opportunity Ctrl+Shift+O, proposal Ctrl+Shift+P, plan Ctrl+N, record Ctrl+R,
reschedule Ctrl+E, cancel Del, details Ctrl+I, conflicts Ctrl+Shift+K), proposals
accepted or declined, weeks (Ctrl+← / Ctrl+→ / Ctrl+T), briefs and visit reports saved
or printed (Ctrl+P: the print options dialog is clicked; the printer is a PDF file,
FakePrinterChoice of tests/ui/test_documents_ui.py; the file dialog answers a path),
syncs (F5) with the embedded service.

Nothing waits for a click: an error dialog (the one ``show_error``) is counted as a
failure with its text; information boxes are counted, questions answered Yes.
Exceptions in slots, errors logged and actions that do not finish within 30 s are
failures too. The child runs the drive, so an abort (CPython 3.11 with PySide6 6.12:
"Fatal Python error: none_dealloc") shows here as its exit signal; a child whose
event loop stops for ``--stuck-seconds`` is killed and reported.

Reported: survival; actions by kind and their outcomes; RSS at start, end and peak
(and every 500 actions); the longest GUI-thread stall (a 2 ms QTimer heartbeat: the
largest gap between its ticks while actions run) and the p50/p95/p99 of each action's
longest stall; wall time; syncs; PDFs (each must start with %PDF; pdftotext of the
first saved one of each kind must hold Chinese); sys.getrefcount(None) at start and
end where the interpreter counts it. Prints a table, writes
``bench/out/working_day.json``; exits 1 when the app did not survive or anything
failed. ``--only`` / ``--without`` play a subset of the kinds (to bisect a failure).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project, and the tests' helpers

# Qt reads QT_QPA_PLATFORM when the app starts (in the child), not at import.
import shiboken6  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeySequence  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox  # noqa: E402

from rm_workbench.ui import background, printing  # noqa: E402
from rm_workbench.ui.activity_dialogs import (  # noqa: E402
    ContactDialog,
    NeedDialog,
    OpportunityDialog,
)
from rm_workbench.ui.background import wait_for_background  # noqa: E402
from rm_workbench.ui.conflict_dialog import ConflictDialog  # noqa: E402
from rm_workbench.ui.customer360.view import Customer360View  # noqa: E402
from rm_workbench.ui.customer_table import Column  # noqa: E402
from rm_workbench.ui.main_window import CUSTOMERS, TODAY, VISITS, MainWindow  # noqa: E402
from rm_workbench.ui.printing import PrintOptionsDialog  # noqa: E402
from rm_workbench.ui.proposal_dialog import ProposalDialog  # noqa: E402
from rm_workbench.ui.visit_dialogs import (  # noqa: E402
    CancelVisitDialog,
    PlanVisitDialog,
    RescheduleDialog,
    RunVisitDialog,
    VisitDetailDialog,
)
from tests.ui.test_customer360_view import type_chinese  # noqa: E402
from tests.ui.test_documents_ui import FakePrinterChoice, pdf_text  # noqa: E402

OUT = ROOT / "bench" / "out" / "working_day.json"
TICK_MS = 2  # the heartbeat
WAIT_S = 30.0  # an action that takes longer than this is a failure
PRESS_AGAIN_S = 5.0  # a dialog's key that opened nothing by then is pressed again
SAVE_SHARE = 0.5  # dialogs saved rather than cancelled
MAX_CUSTOMER_TABS = 8
SAMPLE_EVERY = 500  # actions between two RSS / refcount samples
FAILURES_KEPT = 60  # in full (all are counted by their first line)
PHRASES = (
    "电话沟通到期存款续作",
    "客户关心孩子留学资金",
    "介绍新发行的理财产品",
    "了解客户经营贷款需求",
    "生日问候并约下次面谈",
    "讨论养老规划与保险保障",
)


def rss_kb() -> dict[str, int]:
    """This process's resident set now and at its peak (Linux)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return {"now": found.get("VmRSS", 0), "peak": found.get("VmHWM", 0)}


def none_refs() -> int | None:
    """sys.getrefcount(None); None where None is immortal (the count never changes)."""
    before = sys.getrefcount(None)
    held = [None] * 100
    counted = sys.getrefcount(None) != before
    del held
    return sys.getrefcount(None) if counted else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(partial, path)


# =======================================================================================
# The child: the app and the drive
# =======================================================================================


def child_main(args: argparse.Namespace) -> int:
    import faulthandler

    import keyring

    faulthandler.enable()  # a crash shows where Python was
    if "QT_QPA_PLATFORM" not in os.environ:  # under Xvfb its X server, else offscreen
        os.environ["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"
    from rm_demo.cli import workbench_main
    from tests.conftest import MemoryKeyring  # (after the platform: it sets a default)

    work = Path(args.workdir)
    os.environ["RM_WORKBENCH_HOME"] = str(work / "home")
    keyring.set_keyring(MemoryKeyring())  # an RM's laptop has one; this machine may not
    trace_tasks()
    trace_refreshes()
    drive = Drive(args, work)
    drive.install()
    QTimer.singleShot(0, drive.start)
    status = workbench_main([])
    drive.figures["app_exit_status"] = status
    drive.save_progress(final=True)
    return status


class Stuck(Exception):
    """An action did not finish within its time."""


@dataclass(frozen=True)
class Action:
    name: str
    weight: int
    run: Callable[[Drive], str]  # returns what happened ("saved", "cancelled", …)


class Heartbeat:
    """A 2 ms timer on the GUI thread: the longest gap between its ticks is the longest
    time the event loop did not run, overall and within each action."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.last = 0.0
        self.action_longest = 0.0
        self.longest = 0.0
        self.longest_in = ""
        self.ticks = 0

    def start(self) -> None:
        self.clock.start()
        self.last = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.action_longest = max(self.action_longest, now - self.last)
        self.last = now
        self.ticks += 1

    def end_action(self, what: str) -> float:
        """The action's longest stall, the time since the last tick included."""
        stall = max(self.action_longest, self.clock.nsecsElapsed() / 1e6 - self.last)
        if stall > self.longest:
            self.longest, self.longest_in = stall, what
        return stall


class Drive:
    """Plays the actions on the main window and counts what happened."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.pdf_dir = work / "pdf"
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        self.progress_path = work / "progress.json"
        self.started_at = time.monotonic()
        self.phase = "starting"
        self.done = 0
        self.current = ""
        self.in_a_row = 0  # actions that did not finish, one after the other
        self.week_offset = 0
        self.queries: list[str] = []
        self.window: Any = None
        self.meter: Heartbeat | None = None
        self.kinds: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.failure_lines: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []
        self.notices: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.syncs: Counter[str] = Counter()
        self.pdfs: Counter[str] = Counter()
        self.kept_pdfs: dict[str, str] = {}
        self.stalls: list[float] = []
        self.trail: list[dict[str, Any]] = []
        self.figures: dict[str, Any] = {"rss_kb_at_launch": rss_kb()["now"]}

    # --- nothing waits for a click ------------------------------------------------------

    def install(self) -> None:
        """The error dialog, the message boxes, the file and printer dialogs answer at
        once, counted; exceptions in slots and logged errors are failures."""
        drive = self

        def error_dialog(box: QMessageBox) -> int:
            drive.fail("error dialog", f"{box.text()}\n{box.detailedText()[:3000]}")
            return int(QMessageBox.StandardButton.Close)

        def notice(kind: str) -> Callable[..., Any]:
            def box(_parent: Any, title: str, text: str, *_args: Any, **_kw: Any) -> Any:
                drive.notices[f"{kind}: {text.splitlines()[0][:100] if text else title}"] += 1
                return QMessageBox.StandardButton.Yes

            return box

        QMessageBox.exec = error_dialog  # type: ignore[method-assign,assignment]
        for kind in ("information", "warning", "critical", "question"):
            setattr(QMessageBox, kind, notice(kind))
        printing.ask_save_path = lambda *_: self.next_pdf("saved")
        printing.ask_printer = lambda printer, parent: FakePrinterChoice(self.next_pdf("printed"))(
            printer, parent
        )
        default_hook = sys.excepthook

        def excepthook(kind: Any, value: Any, tb: Any) -> None:
            self.fail("exception in a slot", "".join(traceback.format_exception(kind, value, tb)))
            default_hook(kind, value, tb)

        sys.excepthook = excepthook

        class Catch(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.levelno < logging.ERROR:
                    drive.warnings[f"{record.name}: {record.getMessage()[:120]}"] += 1
                    return
                text = record.getMessage()
                if record.exc_info:
                    text += "\n" + "".join(traceback.format_exception(*record.exc_info))
                drive.fail(f"logged error ({record.name})", text)

        logging.getLogger().addHandler(Catch(logging.WARNING))

    def next_pdf(self, how: str) -> Path:
        self.pdfs[f"asked_{how}"] += 1
        return self.pdf_dir / f"{sum(self.pdfs.values()):06d}_{how}_{self.current}.pdf"

    # --- recording ----------------------------------------------------------------------

    def fail(self, what: str, text: str) -> None:
        first = f"{what}: {text.strip().splitlines()[0][:240] if text.strip() else ''}"
        self.failure_lines[first] += 1
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(
                {"action": self.done, "kind": self.current, "what": what, "text": text[-4000:]}
            )

    def report(self, final: bool = False) -> dict[str, Any]:
        """What the run did so far (the stall percentiles only every 500 actions and at
        the end: sorting 20,000 numbers every few seconds would show up as a stall)."""
        stalls = sorted(self.stalls) if final and self.stalls else [0.0]

        def pct(p: float) -> float:
            return round(stalls[min(len(stalls) - 1, int(p * len(stalls)))], 1)

        meter = self.meter
        return {
            "phase": self.phase,
            "actions_done": self.done,
            "actions_requested": self.args.actions,
            "current": self.current,
            "seconds": round(time.monotonic() - self.started_at, 1),
            "kinds": dict(self.kinds.most_common()),
            "outcomes": dict(sorted(self.outcomes.items())),
            "failures": sum(self.failure_lines.values()),
            "failure_lines": dict(self.failure_lines.most_common()),
            "failure_details": self.failures,
            "notices": dict(self.notices.most_common()),
            "refusals": dict(self.refusals.most_common()),
            "warnings_logged": dict(self.warnings.most_common(30)),
            "syncs": dict(self.syncs),
            "pdfs": dict(self.pdfs),
            "kept_pdfs": self.kept_pdfs,
            "stall_ms": {
                "longest": round(meter.longest, 1) if meter else None,
                "longest_in": meter.longest_in if meter else None,
                "action_p50": pct(0.50),
                "action_p95": pct(0.95),
                "action_p99": pct(0.99),
                "ticks": meter.ticks if meter else 0,
            },
            "rss_kb": rss_kb(),
            "none_refcount": none_refs(),
            "trail": self.trail,
            **self.figures,
        }

    def save_progress(self, final: bool = False) -> None:
        write_json(self.progress_path, self.report(final))

    def sample(self) -> None:
        self.trail.append(
            {
                "actions": self.done,
                "seconds": round(time.monotonic() - self.started_at, 1),
                "rss_kb": rss_kb()["now"],
                "none_refcount": none_refs(),
            }
        )
        self.save_progress(final=True)

    # --- the run ------------------------------------------------------------------------

    def start(self) -> None:
        """Called once the app's event loop runs. Every action then runs from that
        loop, as a key press does (``step``): Qt deletes what ``deleteLater`` left only
        there, not in the waits' nested loops."""
        self.window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        self.figures["rss_kb_window_shown"] = rss_kb()["now"]
        # Written even while an action waits: the parent kills the child only when its
        # event loop stopped.
        self.progress_timer = QTimer()
        self.progress_timer.setInterval(5000)
        self.progress_timer.timeout.connect(self.save_progress)
        self.progress_timer.start()
        self.window.controller.finished.connect(self._synced)
        self.launched = time.monotonic()
        self.first_sync = QTimer()
        self.first_sync.setInterval(100)
        self.first_sync.timeout.connect(self._first_sync_done)
        self.first_sync.start()

    def _synced(self, outcome: Any) -> None:
        if outcome.ok:
            self.syncs["ok"] += 1
            if outcome.report is not None:
                self.syncs["edits pushed"] += outcome.report.pushed
                self.syncs["changes pulled"] += outcome.report.pulled
        else:
            self.syncs["failed"] += 1
            if self.phase == "actions":
                self.fail("sync failed", repr(outcome.error))

    def _first_sync_done(self) -> None:
        waited = time.monotonic() - self.launched
        if not self.syncs["ok"] + self.syncs["failed"] and waited < 900:
            return
        self.first_sync.stop()
        if not self.syncs["ok"]:
            self.fail("first sync", "failed" if self.syncs["failed"] else "none in 900 s")
            self.close("no first sync")
            return
        self.figures["first_sync_seconds"] = round(waited, 1)
        self.guarded(self.begin)

    def guarded(self, call: Callable[[], None]) -> None:
        """A step of the drive; the drive's own failure is said and ends the run."""
        try:
            call()
        except BaseException as exc:
            self.fail("drive stopped", "".join(traceback.format_exception(exc)))
            self.close("drive stopped")

    def begin(self) -> None:
        from bench.bench_customer_list import typed_queries  # (sets a platform default)

        self.window.activateWindow()
        self.until(self.window.isActiveWindow, "the window active")
        cache = self.window.workbench.cache
        self.queries = [*typed_queries(cache, 40, self.args.seed), "zhangwl", "wangf", "13"]
        self.figures["customers"] = self.window.workbench.customers.count()
        self.figures["none_refcount_start"] = none_refs()
        self.figures["rss_kb_start"] = rss_kb()["now"]
        self.phase = "actions"
        self.sample()
        self.actions_started = time.monotonic()
        self.meter = Heartbeat()
        self.meter.start()
        QTimer.singleShot(0, lambda: self.guarded(self.step))

    def step(self) -> None:
        """One action, then the next after a pause in the event loop (a brisk RM)."""
        if self.done >= self.args.actions:
            self.end()
            return
        mix = [a for a in ACTIONS if a.name in self.args.kinds]
        self.do(self.rng.choices(mix, [a.weight for a in mix])[0])
        QTimer.singleShot(self.rng.randint(0, 20), lambda: self.guarded(self.step))

    def end(self) -> None:
        assert self.meter is not None
        self.meter.timer.stop()
        self.figures["actions_seconds"] = round(time.monotonic() - self.actions_started, 1)
        self.phase = "settling"
        controller = self.window.controller
        self.until(lambda: not controller.busy, "the last sync", 300)
        wait_for_background(120_000)
        self.figures["none_refcount_end"] = none_refs()
        self.figures["rss_kb_end"] = rss_kb()["now"]
        self.sample()
        self.close("done")

    def close(self, phase: str) -> None:
        self.phase = phase
        self.progress_timer.stop()
        self.save_progress(final=True)
        self.window.close()
        self.window = None  # the app deletes it when its run ends (rm_workbench.ui.app)
        QApplication.quit()

    def do(self, action: Action) -> str:
        """One action (one it needs first, such as opening a customer, counts as its
        own)."""
        assert self.meter is not None
        outer, outer_stall = self.current, self.meter.action_longest
        self.current = action.name
        self.meter.action_longest = 0.0
        try:
            self.window_active()
            outcome = action.run(self)
        except Stuck as exc:
            outcome = "stuck"
            self.fail(f"{action.name} did not finish", str(exc))
            self.recover()
        except Exception as exc:  # the drive's own mistake, or the app's: said in full
            outcome = "error"
            self.fail(f"{action.name} raised", "".join(traceback.format_exception(exc)))
            self.recover()
        stall = self.meter.end_action(action.name)
        self.stalls.append(stall)
        self.kinds[action.name] += 1
        self.outcomes[f"{action.name}: {outcome}"] += 1
        self.done += 1
        self.in_a_row = self.in_a_row + 1 if outcome in ("stuck", "error") else 0
        if self.in_a_row >= 25:
            raise Stuck("25 actions in a row did not finish: the drive stops")
        if self.done % SAMPLE_EVERY == 0:
            self.sample()
        self.current = outer
        self.meter.action_longest = max(outer_stall, stall)
        return outcome

    def window_active(self) -> None:
        """A window manager gives the focus back to the main window when a dialog
        closes; the offscreen platform (and a bare X server) does not: done, counted."""
        if QApplication.activeModalWidget() is None and not self.window.isActiveWindow():
            self.window.activateWindow()
            self.until(self.window.isActiveWindow, "the window active again")
            self.outcomes["(window activated again after a dialog)"] += 1

    def dialog_active(self, dialog: QDialog) -> None:
        """The same for a dialog just opened."""
        if not dialog.isActiveWindow():
            dialog.activateWindow()
            self.until(dialog.isActiveWindow, "the dialog active")
            self.outcomes["(dialog activated)"] += 1

    def recover(self) -> None:
        """After an action that did not finish: close what is open."""
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.done(0)
        self.pause(200)

    # --- waiting and input ----------------------------------------------------------------

    def until(
        self,
        condition: Callable[[], bool],
        what: str,
        timeout_s: float = WAIT_S,
        state: Callable[[], str] | None = None,
    ) -> None:
        """Run the event loop until ``condition`` holds. (Not bench_customer_list's
        run_until: its time limit is a QTimer.singleShot left pending after each wait,
        hundreds of them at once over a long run.)"""
        if condition():
            return
        started = time.monotonic()
        deadline = started + timeout_s
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(1)
        check.timeout.connect(
            lambda: loop.quit() if condition() or time.monotonic() > deadline else None
        )
        check.start()
        try:
            # The loop runs the events already posted before it returns: one of them may
            # undo the condition it quit on (a refresh of the list starting). Only a
            # condition that holds when the loop is over counts, and only a wait past
            # the deadline fails (it used to fail at once and say it had waited 30 s).
            while True:
                loop.exec()
                if condition():
                    return
                if time.monotonic() > deadline:
                    break
        finally:
            check.stop()
        waited = time.monotonic() - started
        raise Stuck(f"waited {waited:.1f} s for {what}" + (f"; {state()}" if state else ""))

    def pause(self, ms: int) -> None:
        end = time.monotonic() + ms / 1000
        self.until(lambda: time.monotonic() >= end, "a pause", ms / 1000 + 5)

    def press(self, keys: str, target: Any = None) -> None:
        combo = QKeySequence(keys)[0]
        widget = target or QApplication.focusWidget() or self.window
        QTest.keyClick(widget, combo.key(), combo.keyboardModifiers())

    def click(self, widget: Any, pos: QPoint | None = None) -> None:
        QTest.mouseClick(
            widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos or QPoint()
        )

    def type(self, widget: Any, text: str) -> None:
        """Latin letters and digits as keys; Chinese as an input method commits it."""
        if text.isascii():
            widget.setFocus()
            QTest.keyClicks(widget, text)
        else:
            type_chinese(widget, text)

    def chinese(self) -> str:
        return self.rng.choice(PHRASES) + f"（{self.rng.randint(1, 999)}）"

    def on_modal(self, kind: type, act: Callable[[Any], None]) -> None:
        """Act on the next dialog of ``kind`` once it runs its own event loop (the keys
        that open it return only when it closes)."""
        tries = [0]

        def look() -> None:
            shown = [
                w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()
            ]
            if shown:
                act(shown[0])
            elif tries[0] < 500:
                tries[0] += 1
                QTimer.singleShot(10, look)

        QTimer.singleShot(10, look)

    # --- where things are -----------------------------------------------------------------

    def go(self, index: int) -> None:
        w = self.window
        keys = {TODAY: "Ctrl+1", CUSTOMERS: "Ctrl+2", VISITS: "Ctrl+3"}[index]
        self.press(keys, w)
        shown: dict[int, Callable[[], bool]] = {
            TODAY: lambda: not w.today.is_loading() and w.today.day is not None,
            CUSTOMERS: lambda: listed(w.customers),
            VISITS: lambda: week_shown(w.visits),
        }
        self.until(lambda: w.tabs.currentIndex() == index and shown[index](), f"tab {keys}")

    def customer_tab(self) -> Customer360View:
        """The current Customer 360 tab, read: one of those open, else a new one."""
        tabs = self.window.tabs
        if not isinstance(tabs.currentWidget(), Customer360View):
            open_ones = self.window.customer_tabs()
            if open_ones:
                bar = tabs.tabBar()
                self.click(bar, bar.tabRect(tabs.indexOf(self.rng.choice(open_ones))).center())
            else:
                self.do(ACTION["open_customer"])
        view = tabs.currentWidget()
        if not isinstance(view, Customer360View):
            raise Stuck("no customer tab to work in")
        self.until(lambda: view.data is not None and not view.is_loading(), "the 360 read")
        return view

    def visit(self, *statuses: str) -> Any:
        """Click the card of a visit of the shown week in one of ``statuses``; None when
        the week has none."""
        if self.window.tabs.currentIndex() != VISITS:
            self.go(VISITS)
        view = self.window.visits
        self.until(lambda: week_shown(view), "the week read")
        visits = [v for d in view.week.days for v in d.visits if v.status in statuses]
        if not visits:
            return None
        chosen = self.rng.choice(visits)
        found = view.calendar.card_rect(chosen.id)
        if found is not None:
            cards = found[0]
            row = next(
                r
                for r in range(cards.count())
                if cards.item(r).data(Qt.ItemDataRole.UserRole) == chosen.id
            )
            cards.scrollToItem(cards.item(row))
            self.click(cards.viewport(), cards.visualItemRect(cards.item(row)).center())
        selected = view.selected_visit()
        if selected is None or selected.id != chosen.id:
            view.select_visit(chosen.id)  # the card was out of sight
            view.calendar.setFocus()
            self.outcomes["(visit selected by its id: card out of sight)"] += 1
        return chosen

    # --- dialogs --------------------------------------------------------------------------

    def finish_dialog(self, dialog: Any, save: Callable[[], None] | None = None) -> str:
        """Save (click Save, or ``save``) or cancel (Esc) an open dialog; a refusal shown
        in the dialog is counted, then the dialog cancelled."""

        def closed() -> bool:
            return not shiboken6.isValid(dialog) or not dialog.isVisible()

        outcome = "cancelled"
        if self.rng.random() < SAVE_SHARE:
            if save is None:
                self.click(dialog.save_button)
            else:
                save()
            self.until(lambda: closed() or bool(problem(dialog)), "saved or refused", 60)
            if closed():
                return "saved"
            self.refusals[f"{type(dialog).__name__}: {problem(dialog)}"] += 1
            outcome = "refused"
        self.press("Escape", dialog)
        self.until(closed, "the dialog closed")
        return outcome

    def opened(self, owner: Any, keys: str, kind: type, target: Any = None) -> Any:
        """Press ``keys`` and wait for ``owner``'s dialog of ``kind``, active. A key the
        window did not take (it was not active yet, the focus elsewhere: X delivers
        activation late) is pressed once more, as an RM would, and counted."""

        def shown() -> bool:
            return isinstance(owner.dialog, kind) and owner.dialog.isVisible()

        self.press(keys, target)
        try:
            self.until(shown, keys, PRESS_AGAIN_S)
        except Stuck:
            widgets = QApplication.topLevelWidgets()
            if any(isinstance(w, QDialog) and w.isVisible() for w in widgets):
                raise  # a dialog is open (another one): not a lost key
            self.outcomes[f"({keys} pressed again: the first press opened nothing)"] += 1
            self.window_active()
            self.press(keys, target)
            self.until(shown, keys)
        self.dialog_active(owner.dialog)
        return owner.dialog

    def in_customer_tab(self, keys: str, kind: type, fill: Callable[[Any], None]) -> str:
        view = self.customer_tab()
        view.activity_tabs.timeline_table.setFocus()  # the tab's own shortcuts work from inside it
        dialog = self.opened(view, keys, kind)
        fill(dialog)
        return self.finish_dialog(dialog)

    def in_visits(
        self, keys: str, kind: type, fill: Callable[[Any], None], target: Any = None
    ) -> str:
        dialog = self.opened(self.window.visits, keys, kind, target)
        fill(dialog)
        return self.finish_dialog(dialog, lambda: self.press("Ctrl+Return", dialog))

    def document(self, target: Any, kind: str) -> str:
        """Ctrl+P: the print options answered (save or print, identifiers shown one
        time in ten), the PDF made (and "printed" into a PDF file), checked, counted."""
        how = self.rng.choice(("save", "print"))
        reveal = self.rng.random() < 0.1

        def answer(dialog: PrintOptionsDialog) -> None:
            if reveal:
                self.click(dialog.reveal_box)
            self.click(dialog.save_button if how == "save" else dialog.print_button)

        before = set(self.pdf_dir.iterdir())
        self.on_modal(PrintOptionsDialog, answer)
        self.press("Ctrl+P", target)
        self.until(lambda: not printing._flows, f"the {kind} made", 120)
        made = sorted(set(self.pdf_dir.iterdir()) - before)
        if not made:
            self.fail(f"{kind} not written", f"{how}: no file in {self.pdf_dir}")
            return "no file"
        for path in made:
            head = path.read_bytes()[:5]
            self.pdfs["written"] += 1
            if head == b"%PDF-":
                self.pdfs[f"valid_{kind}_{how}"] += 1
            else:
                self.fail(f"{kind} is not a PDF", f"{path.name} starts with {head!r}")
            if f"{kind}_{how}" in self.kept_pdfs:
                path.unlink()  # the first of each kind is kept for pdftotext
            else:
                self.kept_pdfs[f"{kind}_{how}"] = str(path)
        return "saved" if how == "save" else "printed"

    # --- the actions ------------------------------------------------------------------------

    def today(self) -> str:
        self.go(TODAY)
        return "shown"

    def today_item(self) -> str:
        """Enter on an item of a Today section opens its customer."""
        self.go(TODAY)
        sections = [s for s in self.window.today.sections.values() if s.model.rowCount()]
        if not sections:
            return "nothing today"
        section = self.rng.choice(sections)
        row = self.rng.randrange(section.model.rowCount())
        customer_id = section.model.row_at(row).customer_id
        section.table.setFocus()
        section.table.setCurrentIndex(section.model.index(row, 0))
        self.press("Return", section.table)
        tabs = self.window.tabs
        self.until(
            lambda: getattr(tabs.currentWidget(), "customer_id", None) == customer_id,
            "the customer of a Today item",
        )
        return f"opened from {section.key}"

    def customers(self) -> str:
        self.go(CUSTOMERS)
        return "shown"

    def search(self) -> str:
        """Ctrl+F, a query typed; Esc clears it six times in ten."""
        view = self.window.customers
        self.press("Ctrl+F", self.window)
        self.until(view.search_box.hasFocus, "the search box focused")
        self.type(view.search_box, self.rng.choice(self.queries))
        wanted = view.search_box.text().strip()
        self.until(
            lambda: view.query().text == wanted and listed(view),
            "an answer",
            state=lambda: list_state(self.window),
        )
        found = "found" if view.model.total() else "nothing found"
        if self.rng.random() < 0.6:
            self.clear_search()
            return f"{found}, cleared"
        return found

    def clear_search(self) -> None:
        view = self.window.customers
        self.press("Escape", view.search_box)
        self.until(
            lambda: not view.query().text and listed(view),
            "the search cleared",
            state=lambda: list_state(self.window),
        )

    def page_down(self) -> str:
        w = self.window
        index = w.tabs.currentIndex()
        if index == TODAY:
            table = self.rng.choice(list(w.today.sections.values())).table
        elif index == CUSTOMERS:
            table = w.customers.table
        elif index == VISITS:
            table = w.visits.agenda_table
        else:
            view = w.tabs.currentWidget()
            table = self.rng.choice(
                (view.activity_tabs.timeline_table, view.holdings.holdings_table)
            )
        table.setFocus()
        for _ in range(self.rng.randint(1, 4)):
            self.press("PgDown", table)
        if index == CUSTOMERS:
            self.until(lambda: listed(w.customers), "the next page")
        return {TODAY: "today", CUSTOMERS: "customers", VISITS: "agenda"}.get(index, "360")

    def open_customer(self) -> str:
        """Enter on a row of the customer list (the search cleared if it found none)."""
        w = self.window
        if len(w.customer_tabs()) >= MAX_CUSTOMER_TABS:
            self.do(ACTION["close_customer"])
        self.go(CUSTOMERS)
        model = w.customers.model
        if not model.rowCount() and w.customers.query().text:
            self.clear_search()
        # Right after a sync the list reads again (250 ms after the change).
        self.until(
            lambda: model.rowCount() > 0 and listed(w.customers),
            "rows in the list",
            state=lambda: list_state(w),
        )
        row = self.rng.randrange(model.rowCount())
        customer_id = model.customer_at(row).id
        table = w.customers.table
        table.setFocus()
        table.setCurrentIndex(model.index(row, Column.NAME))
        table.scrollTo(model.index(row, Column.NAME))
        self.press("Return", table)

        def opened() -> bool:
            view = w.tabs.currentWidget()
            return getattr(view, "customer_id", None) == customer_id and not view.is_loading()

        self.until(opened, "the 360 of the customer")
        return "opened" if w.tabs.currentWidget().data is not None else "could not be read"

    def close_customer(self) -> str:
        w = self.window
        if not w.customer_tabs():
            self.press("Ctrl+W", w)  # on a fixed tab: nothing happens
            return "no customer tab"
        if not isinstance(w.tabs.currentWidget(), Customer360View):
            bar = w.tabs.tabBar()
            view = self.rng.choice(w.customer_tabs())
            self.click(bar, bar.tabRect(w.tabs.indexOf(view)).center())
        count = len(w.customer_tabs())
        self.press("Ctrl+W", w)
        self.until(lambda: len(w.customer_tabs()) == count - 1, "the tab closed")
        return "closed"

    def inner_tabs(self) -> str:
        view = self.customer_tab()
        bar = view.activity_tabs.tabBar()
        for index in range(bar.count()):
            self.click(bar, bar.tabRect(index).center())
            if view.activity_tabs.currentIndex() != index:
                self.fail("inner tab not shown", f"tab {index} of {view.title()}")
            self.pause(5)
        return f"{bar.count()} tabs"

    def log_contact(self) -> str:
        def fill(d: ContactDialog) -> None:
            d.channel_combo.setCurrentIndex(self.rng.randrange(d.channel_combo.count()))
            self.type(d.summary_edit, self.chinese())
            self.type(d.minutes_spin, str(self.rng.randint(5, 40)))
            self.type(d.content_edit, self.chinese())

        return self.in_customer_tab("Ctrl+L", ContactDialog, fill)

    def new_need(self) -> str:
        def fill(d: NeedDialog) -> None:
            d.category_combo.setCurrentIndex(self.rng.randrange(d.category_combo.count()))
            self.type(d.summary_edit, self.chinese())

        return self.in_customer_tab("Ctrl+Shift+N", NeedDialog, fill)

    def new_opportunity(self) -> str:
        def fill(d: OpportunityDialog) -> None:
            self.type(d.summary_edit, self.chinese())
            self.type(d.value_edit, str(self.rng.randint(1, 300) * 10_000))
            d.stage_combo.setCurrentIndex(self.rng.randrange(4))

        return self.in_customer_tab("Ctrl+Shift+O", OpportunityDialog, fill)

    def proposal(self) -> str:
        def fill(d: ProposalDialog) -> None:
            self.until(d.save_button.isEnabled, "the recommendation")
            if d.bundles_model.rowCount() > 1:
                d.bundles_table.selectRow(self.rng.randrange(d.bundles_model.rowCount()))
            if not d.items_model.rowCount() and d.add_button.isEnabled():
                self.click(d.add_button)

        return self.in_customer_tab("Ctrl+Shift+P", ProposalDialog, fill)

    def settle_proposal(self) -> str:
        """A recorded proposal accepted or declined (the question answered Yes)."""
        view = self.customer_tab()
        bar = view.activity_tabs.tabBar()
        self.click(bar, bar.tabRect(3).center())
        model = view.proposals.proposals_model
        rows = [r for r in range(model.rowCount()) if model.row_at(r).status == "recorded"]
        if not rows:
            return "none open"
        row = self.rng.choice(rows)
        proposal_id = model.row_at(row).id
        view.proposals.proposals_table.selectRow(row)
        accept = self.rng.random() < 0.5
        self.click(
            view.proposals.accept_proposal_button
            if accept
            else view.proposals.decline_proposal_button
        )

        def settled() -> bool:
            rows = (model.row_at(r) for r in range(model.rowCount()))
            return any(p.id == proposal_id and p.status != "recorded" for p in rows)

        self.until(settled, "the proposal settled")
        return "accepted" if accept else "declined"

    def brief(self) -> str:
        return self.document(self.customer_tab().activity_tabs.timeline_table, "brief")

    def visits(self) -> str:
        self.go(VISITS)
        return "shown"

    def week(self) -> str:
        """Ctrl+← / Ctrl+→ / Ctrl+T, within three weeks of this one."""
        view = self.window.visits
        if self.window.tabs.currentIndex() != VISITS:
            self.go(VISITS)
        if abs(self.week_offset) >= 3:
            step = -1 if self.week_offset > 0 else 1
        else:
            step = self.rng.choice((-1, 1, 1, 0))
        keys = {-1: "Ctrl+Left", 1: "Ctrl+Right", 0: "Ctrl+T"}[step]
        wanted = view.monday + timedelta(days=7 * step) if step else this_monday(view)
        view.agenda_table.setFocus()
        self.press(keys)
        self.until(lambda: view.monday == wanted and week_shown(view), f"the week after {keys}")
        self.week_offset = (wanted - this_monday(view)).days // 7
        return {-1: "previous", 1: "next", 0: "this week"}[step]

    def plan_visit(self) -> str:
        """Ctrl+N: from a customer's tab that customer, else one found by initials or a
        phone tail; a day of the week, purpose and place."""
        preselected = isinstance(self.window.tabs.currentWidget(), Customer360View)

        def fill(d: PlanVisitDialog) -> None:
            if preselected:
                self.until(lambda: d.customer_id is not None, "the preselected customer")
            else:
                self.type(d.search_edit, self.rng.choice([q for q in self.queries if q.isascii()]))
                self.until(
                    lambda: d.results.count() > 0 and not d._search_timer.isActive(), "matches"
                )
                self.press("Return", d.search_edit)  # the first match
            d.date_edit.setDate(d.date_edit.date().addDays(self.rng.randint(0, 6)))
            self.type(d.purpose_combo.lineEdit(), self.chinese())
            self.type(d.place_edit, "客户办公室")

        return self.in_visits("Ctrl+N", PlanVisitDialog, fill, self.window)

    def record_visit(self) -> str:
        if self.visit("planned") is None:
            return "no planned visit this week"

        def fill(d: RunVisitDialog) -> None:
            self.type(d.report_edit, self.chinese())
            self.type(d.attendees_edit, "客户本人")
            self.type(d.outcome_combo.lineEdit(), "客户有意向")
            if self.rng.random() < 0.5:
                self.click(d.add_need_button)
                self.type(d.need_row(d.needs_table.rowCount() - 1)[1], self.chinese())
            self.until(d.products_loaded, "the products")
            product = d.product_list.item(self.rng.randrange(d.product_list.count()))
            d.check_product(product.data(Qt.ItemDataRole.UserRole))

        return self.in_visits("Ctrl+R", RunVisitDialog, fill)

    def reschedule(self) -> str:
        if self.visit("planned") is None:
            return "no planned visit this week"

        def fill(d: RescheduleDialog) -> None:
            d.date_edit.setDate(d.date_edit.date().addDays(self.rng.randint(1, 3)))

        return self.in_visits("Ctrl+E", RescheduleDialog, fill)

    def cancel_visit(self) -> str:
        if self.visit("planned") is None:
            return "no planned visit this week"

        def fill(d: CancelVisitDialog) -> None:
            self.type(d.reason_combo.lineEdit(), "客户临时有事")

        return self.in_visits("Del", CancelVisitDialog, fill)

    def visit_detail(self) -> str:
        """Ctrl+I: the visit read, a line added to its notes half the time."""
        if self.visit("planned", "done", "cancelled") is None:
            return "no visit this week"
        dialog = self.opened(self.window.visits, "Ctrl+I", VisitDetailDialog)
        self.until(lambda: dialog.detail is not None, "the visit read")
        outcome = "read"
        if dialog.note_edit.isVisible() and self.rng.random() < SAVE_SHARE:
            self.type(dialog.note_edit, self.chinese())
            self.press("Ctrl+Return", dialog)
            self.until(lambda: not dialog.note_edit.toPlainText(), "the note added")
            outcome = "note added"
        self.press("Escape", dialog)
        self.until(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), "closed")
        return outcome

    def visit_report(self) -> str:
        """Ctrl+P on a visit: its report when done, the customer's brief when planned."""
        visit = self.visit("done", "planned")
        if visit is None:
            return "no visit this week"
        return self.document(self.window, "visit_report" if visit.status == "done" else "brief")

    def conflicts(self) -> str:
        seen: list[int] = []

        def look(dialog: ConflictDialog) -> None:
            seen.append(dialog.list.count())
            for row in range(dialog.list.count()):
                dialog.list.setCurrentRow(row)
            dialog.reject()

        self.on_modal(ConflictDialog, look)
        self.press("Ctrl+Shift+K", self.window)
        return f"{seen[0]} conflicts" if seen else "no dialog"

    def sync(self) -> str:
        busy = self.window.controller.busy
        self.press("F5", self.window)
        self.syncs["asked"] += 1
        return "already running" if busy else "started"


def listed(view: Any) -> bool:
    return not view.model.is_loading() and view.model.total() is not None


def list_state(window: MainWindow) -> str:
    """What the customer list shows, and what runs in the background (said when a wait
    for the list ran out)."""
    view, model = window.customers, window.customers.model
    return (
        f"search box {view.search_box.text()!r} (focus {view.search_box.hasFocus()}),"
        f" query {view.query().text!r}, loading {model.is_loading()}, total {model.total()},"
        f" rows {model.rowCount()}, count label {view.count_label.text()!r}; cache"
        f" connections: {window.workbench.cache.engine.pool.status()}; {background_state()}"
    )


# When each background task was started, ran and was answered (monotonic seconds):
# a task that is not answered shows where it got to.
_TASK_TIMES: weakref.WeakKeyDictionary[Any, dict[str, float]] = weakref.WeakKeyDictionary()


def trace_tasks() -> None:
    """Wrap the background module's start, run and delivery to time every task."""
    run, deliver, start = (
        background._Runnable.run,
        background.Task._deliver,
        background._Runnable.__init__,
    )

    def traced_run(runnable: Any) -> None:
        times = _TASK_TIMES.get(runnable.task)
        if times is not None:
            times["ran"] = time.monotonic()
        try:
            run(runnable)
        finally:
            if times is not None:
                times["emitted"] = time.monotonic()

    def traced_deliver(task: Any, ok: bool, value: Any) -> None:
        times = _TASK_TIMES.get(task)
        if times is not None:
            times["delivered"] = time.monotonic()
        deliver(task, ok, value)

    def traced_start(runnable: Any, task: Any, deliverer: Any, **options: Any) -> None:
        _TASK_TIMES.setdefault(task, {})["asked"] = time.monotonic()
        start(runnable, task, deliverer, **options)

    background._Runnable.run = traced_run  # type: ignore[method-assign,assignment]
    background.Task._deliver = traced_deliver  # type: ignore[method-assign,assignment]
    background._Runnable.__init__ = traced_start  # type: ignore[method-assign,assignment]


# The customer list's reloads (monotonic time, who asked): a wait for the list that
# runs out says how often it started over.
_REFRESHES: list[tuple[float, str]] = []


def trace_refreshes() -> None:
    from rm_workbench.ui.customer_table import CustomerTableModel

    refresh = CustomerTableModel.refresh

    def traced(model: Any, *args: Any, **kwargs: Any) -> None:
        frames = traceback.extract_stack(limit=5)[:-1]
        where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames[::-1])
        _REFRESHES.append((time.monotonic(), where))
        del _REFRESHES[:-2000]
        refresh(model, *args, **kwargs)

    CustomerTableModel.refresh = traced  # type: ignore[method-assign,assignment]


def recent_refreshes(seconds: float = 31.0) -> str:
    now = time.monotonic()
    recent = [(now - at, where) for at, where in _REFRESHES if now - at <= seconds]
    ages = ", ".join(f"{age:.1f}" for age, _ in recent[-12:])
    callers = dict(Counter(where for _, where in recent).most_common(4))
    return f"{len(recent)} list reloads in {seconds:.0f} s (s ago: {ages}): {callers}"


def task_times(task: Any) -> str:
    times = _TASK_TIMES.get(task)
    if not times:
        return "untraced"
    now = time.monotonic()
    return ", ".join(f"{k} {now - v:.1f} s ago" for k, v in times.items())


def background_state() -> str:
    """The background calls not answered yet (where their functions are) and the
    pools' busy threads."""
    pending: Counter[str] = Counter()
    for task in list(background._pending):
        code = getattr(task.fn, "__code__", None)
        where = f"{Path(code.co_filename).name}:{code.co_firstlineno}" if code else repr(task.fn)
        pending[f"{where}{' (cancelled)' if task.cancelled else ''} [{task_times(task)}]"] += 1
    # Last: a failure's text keeps its last 4,000 characters.
    return (
        f"other threads: {thread_stacks()}{native_stacks()}; reader threads busy"
        f" {background.reader_pool().activeThreadCount()}, writer"
        f" {background.writer_pool().activeThreadCount()}; unanswered: {dict(pending)};"
        f" {recent_refreshes()}"
    )


def native_stacks() -> str:
    """With WORKING_DAY_GDB=1 and gdb installed: every thread's native stack, from gdb
    attached to this process (where a thread without Python frames waits)."""
    if os.environ.get("WORKING_DAY_GDB") != "1" or shutil.which("gdb") is None:
        return ""
    done = subprocess.run(
        ["gdb", "-p", str(os.getpid()), "-batch", "-ex", "thread apply all bt 30"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    path = Path(tempfile.gettempdir()) / f"working_day_gdb_{os.getpid()}_{time.time():.0f}.txt"
    path.write_text(done.stdout + done.stderr)
    return f"; native stacks in {path}"


def thread_stacks() -> str:
    """Where every other thread's Python code is (its innermost frames)."""
    me = threading.get_ident()
    stacks = []
    for ident, frame in sys._current_frames().items():
        if ident != me:
            lines = traceback.format_stack(frame)[-6:]
            stacks.append(f"\n-- thread {ident}:\n" + "".join(lines))
    return "".join(stacks)


def week_shown(view: Any) -> bool:
    return view.week is not None and not view.is_loading() and view.week.monday == view.monday


def this_monday(view: Any) -> date:
    today = view.today()
    return today - timedelta(days=today.weekday())


def problem(dialog: Any) -> str:
    """The refusal a dialog shows (activity dialogs: problem(); visit dialogs:
    error_text())."""
    if not shiboken6.isValid(dialog):
        return ""
    if hasattr(dialog, "problem"):
        return dialog.problem() or ""
    return str(dialog.error_text())


# A working day's mix: kind, weight (of about 100), what it does.
ACTIONS: tuple[Action, ...] = (
    Action("today", 5, Drive.today),
    Action("today_item", 3, Drive.today_item),
    Action("customers", 4, Drive.customers),
    Action("search", 12, Drive.search),
    Action("page_down", 7, Drive.page_down),
    Action("open_customer", 6, Drive.open_customer),
    Action("inner_tabs", 5, Drive.inner_tabs),
    Action("close_customer", 5, Drive.close_customer),
    Action("log_contact", 5, Drive.log_contact),
    Action("new_need", 4, Drive.new_need),
    Action("new_opportunity", 4, Drive.new_opportunity),
    Action("proposal", 3, Drive.proposal),
    Action("settle_proposal", 2, Drive.settle_proposal),
    Action("brief_pdf", 2, Drive.brief),
    Action("visits", 4, Drive.visits),
    Action("week", 6, Drive.week),
    Action("plan_visit", 5, Drive.plan_visit),
    Action("record_visit", 3, Drive.record_visit),
    Action("reschedule_visit", 3, Drive.reschedule),
    Action("cancel_visit", 2, Drive.cancel_visit),
    Action("visit_detail", 2, Drive.visit_detail),
    Action("visit_pdf", 2, Drive.visit_report),
    Action("conflicts", 1, Drive.conflicts),
    Action("sync", 2, Drive.sync),
)
ACTION = {action.name: action for action in ACTIONS}


# =======================================================================================
# The parent: runs the child, watches it, reports
# =======================================================================================


def run_child(
    actions: int,
    seed: int,
    workdir: Path,
    *,
    kinds: list[str] | None = None,
    stuck_seconds: float = 300.0,
    echo: bool = True,
) -> dict[str, Any]:
    """Run the drive in a child process; what it reported, how it ended (exit code,
    signal, the fatal error line), the wall time and the PDFs' text checks."""
    progress = workdir / "progress.json"
    log_path = workdir / "child.log"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        *("--actions", str(actions), "--seed", str(seed), "--workdir", str(workdir)),
        *(["--only", ",".join(kinds)] if kinds else []),
    ]
    started = last_change = last_print = time.monotonic()
    last_mtime = 0.0
    killed = None
    with log_path.open("wb") as log:
        child = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        while child.poll() is None:
            time.sleep(1)
            mtime = progress.stat().st_mtime if progress.exists() else 0.0
            if mtime != last_mtime:
                last_mtime, last_change = mtime, time.monotonic()
            if echo and progress.exists() and time.monotonic() - last_print > 60:
                last_print = time.monotonic()
                print(f"  {time.strftime('%H:%M:%S')} {_progress_line(progress)}", flush=True)
            if time.monotonic() - last_change > stuck_seconds:
                killed = f"no progress for {stuck_seconds:.0f} s: killed"
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
    code = child.returncode
    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    fatal = re.search(r"^Fatal Python error: .*$", log_text, re.MULTILINE)
    result: dict[str, Any] = json.loads(progress.read_text()) if progress.exists() else {}
    result["ended"] = {
        "exit_code": code,
        "signal": signal.Signals(-code).name if code < 0 else None,
        "fatal_error": fatal.group(0) if fatal else None,
        "killed": killed,
        "log_tail": log_text[-6000:] if code != 0 or killed else "",
    }
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    result["survived"] = (
        code == 0 and result.get("phase") == "done" and result.get("actions_done", 0) >= actions
    )
    result["pdf_text_checks"] = _pdf_text_checks(result.get("kept_pdfs", {}))
    return result


def _progress_line(path: Path) -> str:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return "…"
    return (
        f"{data.get('phase')}: {data.get('actions_done', 0):,} actions,"
        f" RSS {data.get('rss_kb', {}).get('now', 0) / 1024:.0f} MB,"
        f" failures {data.get('failures', 0)}"
    )


def _pdf_text_checks(kept: dict[str, str]) -> dict[str, bool]:
    """pdftotext of the first saved PDF of each kind: does it hold Chinese? (A printed
    one is pictures of the pages.)"""
    checks = {}
    for kind, name in kept.items():
        if kind.endswith("_save"):
            try:
                text = pdf_text(Path(name))
            except (OSError, subprocess.CalledProcessError):
                text = ""
            checks[kind] = re.search(r"[\u4e00-\u9fff]", text) is not None
    return checks


def print_report(r: dict[str, Any]) -> None:
    ended = r["ended"]
    how = "yes" if r["survived"] else "NO"
    if ended["signal"]:
        how += f" (killed by {ended['signal']}: {ended['fatal_error'] or 'no fatal error line'})"
    elif ended["killed"]:
        how += f" ({ended['killed']})"
    elif ended["exit_code"]:
        how += f" (exit code {ended['exit_code']})"
    print(f"survived: {how}; phase {r.get('phase')!r}, last action {r.get('current')!r}")
    print(
        f"actions: {r.get('actions_done', 0):,} of {r.get('actions_requested', 0):,} in"
        f" {r.get('actions_seconds', r.get('seconds', 0))} s; wall {r['wall_seconds']} s"
        f" (first sync {r.get('first_sync_seconds')} s, {r.get('customers')} customers)"
    )
    rss = r.get("rss_kb", {})
    print(
        f"RSS: start {r.get('rss_kb_start', 0) / 1024:.0f} MB, end"
        f" {r.get('rss_kb_end', rss.get('now', 0)) / 1024:.0f} MB, peak"
        f" {rss.get('peak', 0) / 1024:.0f} MB"
    )
    trail = r.get("trail", [])
    if len(trail) > 2:
        print(
            "RSS every 500 actions (MB): "
            + " ".join(f"{t['rss_kb'] / 1024:.0f}" for t in trail[1:])
        )
    stall = r.get("stall_ms", {})
    print(
        f"GUI stalls: longest {stall.get('longest')} ms (in {stall.get('longest_in')}),"
        f" per action p50 {stall.get('action_p50')} / p95 {stall.get('action_p95')} /"
        f" p99 {stall.get('action_p99')} ms (heartbeat {TICK_MS} ms)"
    )
    refs = [t["none_refcount"] for t in trail if t.get("none_refcount") is not None]
    if r.get("none_refcount_start") is None and not refs:
        print("sys.getrefcount(None): immortal (a constant) in this interpreter")
    else:
        print(
            f"sys.getrefcount(None): start {r.get('none_refcount_start')},"
            f" end {r.get('none_refcount_end')}, every 500 actions {refs}"
        )
    syncs = r.get("syncs", {})
    print(
        f"syncs: {syncs.get('ok', 0)} done, {syncs.get('failed', 0)} failed,"
        f" {syncs.get('asked', 0)} asked with F5"
    )
    pdfs = r.get("pdfs", {})
    valid = {k.removeprefix("valid_"): v for k, v in sorted(pdfs.items()) if "valid_" in k}
    print(
        f"PDFs: {pdfs.get('written', 0)} written, {sum(valid.values())} start with %PDF"
        f" ({', '.join(f'{k} {v}' for k, v in valid.items())});"
        f" Chinese in pdftotext: {r.get('pdf_text_checks')}"
    )
    print(f"{'action':<18}{'count':>7}   outcomes")
    print("-" * 78)
    outcomes = r.get("outcomes", {})
    for kind, count in sorted(r.get("kinds", {}).items(), key=lambda kv: -kv[1]):
        mine = ", ".join(
            f"{k.split(': ', 1)[1]} {v}" for k, v in outcomes.items() if k.startswith(f"{kind}: ")
        )
        print(f"{kind:<18}{count:>7}   {mine}")
    for key in ("refusals", "notices"):
        if r.get(key):
            print(f"{key}: " + "; ".join(f"{k} ×{v}" for k, v in r[key].items()))
    extra = {k: v for k, v in outcomes.items() if k.startswith("(")}
    if extra:
        print("drive: " + "; ".join(f"{k} ×{v}" for k, v in extra.items()))
    print(f"failures: {r.get('failures', 0)}")
    for line, count in r.get("failure_lines", {}).items():
        print(f"  ×{count} {line}")
    if ended["signal"] or ended["killed"] or ended["exit_code"]:
        print("child's last output:\n" + ended["log_tail"][-2500:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--only", help="comma-separated kinds of action to play (default all)")
    parser.add_argument("--without", help="comma-separated kinds of action to leave out")
    parser.add_argument(
        "--stuck-seconds",
        type=float,
        default=300.0,
        help="kill the child when its event loop made no progress for this long",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = list(ACTION)
    chosen = args.only.split(",") if args.only else names
    left_out = args.without.split(",") if args.without else []
    unknown = sorted(set(chosen + left_out) - set(names))
    if unknown:
        parser.error(f"unknown kinds {unknown}; the kinds are {names}")
    args.kinds = [n for n in chosen if n not in left_out]
    if args.child:
        return child_main(args)

    platform_name = os.environ.get("QT_QPA_PLATFORM") or (
        "xcb" if os.environ.get("DISPLAY") else "offscreen"
    )
    work = Path(tempfile.mkdtemp(prefix="bench_working_day_"))
    load_at_start = os.getloadavg()
    print(
        f"working day: {args.actions:,} actions, seed {args.seed}, Python"
        f" {platform.python_version()}, Qt platform {platform_name}, work in {work}",
        flush=True,
    )
    try:
        result = run_child(
            args.actions,
            args.seed,
            work,
            kinds=None if args.kinds == names else args.kinds,
            stuck_seconds=args.stuck_seconds,
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_report(result)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "seed": args.seed,
        "kinds": args.kinds,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "qt_platform": platform_name,
            "cpus": os.cpu_count(),
        },
        **result,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, report)
    print(f"written {args.out}")
    return 0 if result["survived"] and not result.get("failures") else 1


if __name__ == "__main__":
    raise SystemExit(main())
