"""Benchmark: cold start to a usable main window over a 5,000-customer cache.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--keep PATH]

Builds (or reuses, with ``--keep``) a profile whose cache holds the 5k demo book's RM
share: 5,000 customers with their accounts, visits, contacts, needs. Then, several
times, starts a fresh Python process that does what ``rm-workbench`` does
(``cli.start_early``: the cache's integrity check begun and the garbage collector held;
import the workbench, open and migrate-check the cache, build the main window, show
it, ``freeze_startup_objects``) and
measures, from the parent, the wall time until the window is **usable**: shown, the
Today screen's first reading on screen (all six lists computed from the 5k cache) and
the customer list's first page and count loaded.

Baseline in the same run: a process that imports PySide6 and shows an empty
QMainWindow with a label (the floor of any Qt program's cold start here). Both run
offscreen. Prints a table and writes ``bench/out/startup.json``. Target: < 1.5 s.

Each child also reports the CPU time it used until usable (all its threads): on a
machine shared with other work the wall time swings with the load, the CPU time far
less. The children compile the workbench's modules to bytecode once (in a cache of
their own under the profile folder) and reuse it, as an installed workbench does;
``--no-bytecode`` compiles them again at every start (``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

CHILD_APP = r"""
import sys, time
t0 = time.perf_counter()
from rm_workbench.cli import start_early
start_early("bench")  # as rm-workbench does before its imports
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from rm_workbench.services.workbench import open_workbench
from rm_workbench.ui.app import install_translators
from rm_workbench.ui.background import freeze_startup_objects
from rm_workbench.ui.main_window import MainWindow
from rm_workbench.ui.settings import Settings

app = QApplication(sys.argv)
app.setOrganizationName("rm-workbench-bench")
install_translators(app, "zh_CN")
workbench = open_workbench("bench", encrypt=False, find_duplicates=False)  # as app.run
window = MainWindow(workbench, None, Settings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
window.show()
freeze_startup_objects()  # as app.run_window does once the window is shown
def usable():
    model = window.customers.model
    return (not window.today.is_loading()) and window.today.counts() and model.rowCount() > 0 \
        and model.total() is not None
while not usable():
    app.processEvents()
    time.sleep(0.001)
print("USABLE", time.perf_counter() - t0, time.process_time(), flush=True)
"""

CHILD_BASELINE = r"""
import sys, time
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QLabel("客户经理工作台"))
window.show()
app.processEvents()
print("USABLE", 0.0, time.process_time(), flush=True)
"""


def build_profile(home: Path) -> dict[str, int]:
    os.environ["RM_WORKBENCH_HOME"] = str(home)
    sys.path.insert(0, str(ROOT))
    from rm_demo.book import generate_book
    from rm_demo.cache import rm_share
    from rm_workbench.db.bulk import load_book
    from rm_workbench.db.search import index_customers
    from rm_workbench.services.workbench import open_workbench

    workbench = open_workbench("bench", encrypt=False)
    if workbench.customers.count() == 0:
        book = generate_book("5k")
        rm = book.tables["relationship_manager"][0]["id"]
        share = rm_share(book.tables, rm)
        with workbench.cache.engine.begin() as conn:
            load_book(conn, share)
            index_customers(conn, share["customer"])
    counts = {"customers": workbench.customers.count()}
    workbench.close()
    return counts


def run_child(code: str, home: Path, settings: Path, *, bytecode: bool) -> tuple[float, float]:
    """Wall seconds (seen from here) and CPU seconds (the child's) until usable."""
    env = dict(os.environ, RM_WORKBENCH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(settings)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("USABLE"):
            elapsed = time.perf_counter() - started
            proc.kill()
            proc.wait()
            return elapsed, float(line.split()[2])
    proc.wait()
    raise RuntimeError(f"child failed: {proc.stderr.read() if proc.stderr else ''}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="keep the profile folder here")
    parser.add_argument("--out", type=Path, default=OUT / "startup.json")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="compile the workbench's modules at every start (PYTHONDONTWRITEBYTECODE=1)",
    )
    args = parser.parse_args()
    bytecode = not args.no_bytecode
    home = args.keep or Path(tempfile.mkdtemp(prefix="bench-startup-"))
    home.mkdir(parents=True, exist_ok=True)
    built = time.perf_counter()
    counts = build_profile(home)
    took = time.perf_counter() - built
    print(f"profile with {counts['customers']:,} customers ready in {took:.1f} s")
    settings = home / "settings.ini"
    # First run: OS caches warm (and bytecode written), like a second launch.
    run_child(CHILD_APP, home, settings, bytecode=bytecode)
    app_times, base_times, app_cpu, base_cpu = [], [], [], []
    loads = [os.getloadavg()[0]]
    for _ in range(args.runs):
        wall, cpu = run_child(CHILD_BASELINE, home, settings, bytecode=bytecode)
        base_times.append(wall)
        base_cpu.append(cpu)
        wall, cpu = run_child(CHILD_APP, home, settings, bytecode=bytecode)
        app_times.append(wall)
        app_cpu.append(cpu)
        loads.append(os.getloadavg()[0])
    app_median = statistics.median(app_times)
    base_median = statistics.median(base_times)
    result = {
        "benchmark": "startup",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "load_average": os.getloadavg(),
        "load_1min_during_runs": {"min": min(loads), "max": max(loads)},
        "customers": counts["customers"],
        "runs": args.runs,
        "bytecode_cached": bytecode,
        "usable_seconds": {"median": app_median, "min": min(app_times), "all": app_times},
        "baseline_seconds": {"median": base_median, "min": min(base_times), "all": base_times},
        "usable_cpu_seconds": {"median": statistics.median(app_cpu), "all": app_cpu},
        "baseline_cpu_seconds": {"median": statistics.median(base_cpu), "all": base_cpu},
        "ratio": app_median / base_median,
        "target_seconds": 1.5,
    }
    print(
        f"bytecode cached: {'yes' if bytecode else 'no'};"
        f" 1-min load during the runs {min(loads):.2f}-{max(loads):.2f}"
    )
    print(f"{'':28}{'median':>10}{'min':>10}{'CPU median':>12}")
    print(
        f"{'usable main window':28}{app_median:>9.3f}s{min(app_times):>9.3f}s"
        f"{statistics.median(app_cpu):>11.3f}s"
    )
    print(
        f"{'baseline (empty Qt window)':28}{base_median:>9.3f}s{min(base_times):>9.3f}s"
        f"{statistics.median(base_cpu):>11.3f}s"
    )
    verdict = "met" if app_median < 1.5 else "MISSED"
    print(f"ratio {app_median / base_median:.2f}; target < 1.5 s: {verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
