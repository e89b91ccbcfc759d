"""No Qt call may drop a reference to None (issue 12: "the workbench aborts during a
working day"), nor to True or False.

On CPython 3.11 with PySide6 6.12.0 every Python call of a Qt method that returns
nothing (``QLabel.setText``, ``QWidget.update``, ``QCoreApplication.processEvents``…)
takes one reference from None without having given it; None starts with ~5,000 and
the program dies with "Fatal Python error: none_dealloc" after minutes of use
(PySide6 6.11.3 leaks only through the static ``processEvents``). Emitting a signal
takes one from True the same way (``bool_dealloc``). On CPython 3.12+ these objects
are immortal (PEP 683): ``sys.getrefcount(None)`` is a constant and the binding's
bug is harmless, which is why pyproject.toml requires ``>=3.12``.

The tests here:

* count the references to None, True and False across a thousand calls of each kind
  (instance methods, a static method, a signal emitted into a Python slot, a QTimer
  callback returning None into Qt's event loop) and fail on any kind that drops them;
  where the interpreter counts them (they are mortal), that catches the leak;
* assert that this interpreter's None, True and False are immortal, so a leaking
  binding cannot kill it;
* run the same counting in a child process under every *other* interpreter that can
  import PySide6: the ``RM_NONE_REFCOUNT_PYTHONS`` list (os.pathsep-separated paths)
  and ``python3.N`` on PATH;
* check that this interpreter satisfies pyproject's ``requires-python``, so a venv
  built by hand with 3.11 fails loudly.

How this was proved (December 2026): in a throwaway venv of CPython 3.11.7 with
PySide6-Essentials 6.12.0, ``pytest tests/ui/test_none_refcount.py`` failed the three
in-process tests: setText, update, setEnabled and processEvents each dropped exactly
1,000 references to None per 1,000 calls, ``emit`` 1,000 to True (None started with
5,217 references); the process then aborted at exit with none_dealloc/bool_dealloc
(the leak catches up with it once the cushion below is freed). In the project's
3.12 venv the same file passes, and with
``RM_NONE_REFCOUNT_PYTHONS=<that 3.11 venv's python>`` its child-process test fails
naming that interpreter and every leaking kind.

``python tests/ui/test_none_refcount.py`` prints the counts of the interpreter that
runs it as JSON (what the child processes do); it needs nothing but PySide6.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

CALLS = 1000  # per kind; a leak drops exactly one reference per call
TOLERANCE = CALLS // 10  # other code may take or give back a few references meanwhile
PYTHONS_ENV = "RM_NONE_REFCOUNT_PYTHONS"
ROOT = Path(__file__).resolve().parents[2]
SINGLETONS: dict[str, object] = {"None": None, "True": True, "False": False}

# Where these are mortal, the counting below takes thousands of references from them:
# the cushion keeps the process alive to report the failure (it costs nothing where
# they are immortal).
_CUSHION = [value for value in SINGLETONS.values() for _ in range(200_000)]

Drops = dict[str, dict[str, int]]  # kind of call -> singleton -> references gained


def immortal() -> dict[str, bool]:
    """Whether new references leave each singleton's count alone (CPython 3.12+)."""
    found = {}
    for name, value in SINGLETONS.items():
        before = sys.getrefcount(value)
        held = [value] * 1000
        found[name] = sys.getrefcount(value) == before
        del held
    return found


def count_drops(calls: int = CALLS) -> Drops:
    """For each kind of call, the references to None, True and False after ``calls``
    calls minus before (0 where they are immortal; -calls for a binding that leaks on
    every call)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication, QLabel, QWidget

    _app = QApplication.instance() or QApplication([])  # kept alive while counting
    label = QLabel()
    widget = QWidget()

    class Emitter(QObject):
        ticked = Signal(int)

    emitter = Emitter()
    received: list[int] = []

    def slot(value: int) -> None:  # returns None into Qt
        received.append(value)

    emitter.ticked.connect(slot)

    def timer_callbacks() -> None:
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(0)
        fired = [0]

        def tick() -> None:  # returns None into Qt's event loop
            fired[0] += 1
            if fired[0] >= calls:
                loop.quit()

        timer.timeout.connect(tick)
        timer.start()
        loop.exec()
        timer.stop()

    def repeat(call: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(calls):
                call()

        return run

    kinds: dict[str, Callable[[], None]] = {
        "QLabel.setText": repeat(lambda: label.setText("客户")),
        "QWidget.update": repeat(widget.update),
        "QWidget.setEnabled": repeat(lambda: widget.setEnabled(True)),
        "QCoreApplication.processEvents (static)": repeat(QCoreApplication.processEvents),
        "signal emitted into a Python slot": repeat(lambda: emitter.ticked.emit(1)),
        "QTimer callback returning None": timer_callbacks,
    }
    drops: Drops = {}
    for kind, run in kinds.items():
        run()  # warm: first calls may cache something (a method wrapper, a signature)
        before = {name: sys.getrefcount(value) for name, value in SINGLETONS.items()}
        run()
        drops[kind] = {
            name: sys.getrefcount(value) - before[name] for name, value in SINGLETONS.items()
        }
    assert len(received) == 2 * calls
    return drops


def leaking(drops: Drops) -> dict[str, dict[str, int]]:
    """The kinds of call that dropped references, and to what."""
    found = {}
    for kind, deltas in drops.items():
        lost = {name: delta for name, delta in deltas.items() if delta < -TOLERANCE}
        if lost:
            found[kind] = lost
    return found


# --- this interpreter ------------------------------------------------------------------


def test_qt_calls_keep_every_reference_to_none_true_and_false(qapp: object) -> None:
    drops = count_drops()
    assert not leaking(drops), (
        f"Python {platform.python_version()} with this PySide6 drops references "
        f"(per {CALLS} calls): {leaking(drops)}; the app would abort with none_dealloc"
    )


def test_none_true_and_false_are_immortal_in_this_interpreter() -> None:
    assert all(immortal().values()), (
        f"mortal in Python {platform.python_version()}: {immortal()}; a Qt binding that "
        "drops references to them (PySide6 6.12 does) aborts the app; use CPython 3.12+"
    )


def test_this_interpreter_satisfies_requires_python() -> None:
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = SpecifierSet(project["requires-python"])
    assert platform.python_version() in required, (
        f"Python {platform.python_version()} does not satisfy requires-python "
        f"{project['requires-python']!r} (pyproject.toml): rebuild the venv with "
        "scripts/setup.sh"
    )


# --- other interpreters ------------------------------------------------------------------


def other_interpreters() -> list[str]:
    """The interpreters named in RM_NONE_REFCOUNT_PYTHONS and python3.N on PATH, other
    than this one, that can import PySide6."""
    named = [p for p in os.environ.get(PYTHONS_ENV, "").split(os.pathsep) if p]
    on_path = [shutil.which(f"python3.{minor}") for minor in range(9, 20)]
    mine = os.path.realpath(sys.executable)
    found: list[str] = []
    for candidate in dict.fromkeys([*named, *(p for p in on_path if p)]):
        if os.path.realpath(candidate) == mine:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "import PySide6.QtWidgets"],
                capture_output=True,
                timeout=60,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            )
        except OSError:
            continue
        if probe.returncode == 0:
            found.append(candidate)
    return found


def test_no_other_interpreter_with_pyside6_drops_references() -> None:
    import pytest  # here: the child processes run this file without pytest

    pythons = other_interpreters()
    if not pythons:
        pytest.skip(f"no other interpreter with PySide6 (name some in {PYTHONS_ENV})")
    failures = []
    for python in pythons:
        done = subprocess.run(
            [python, __file__],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        match = re.search(r"^\{.*\}$", done.stdout, re.MULTILINE)
        if match is None:
            failures.append(f"{python}: exit {done.returncode}, no counts: {done.stderr[-800:]}")
            continue
        found = json.loads(match.group(0))
        if leaking(found["drops"]):
            failures.append(
                f"{python} (Python {found['python']}, PySide6 {found['pyside6']}): "
                f"{leaking(found['drops'])} per {CALLS} calls"
            )
    assert not failures, "references dropped:\n" + "\n".join(failures)


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6

    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "pyside6": PySide6.__version__,
                "immortal": immortal(),
                "drops": count_drops(),
            },
            ensure_ascii=False,
        ),
        flush=True,  # before a leaking interpreter aborts at exit
    )
