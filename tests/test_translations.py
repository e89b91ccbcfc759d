"""Every UI string ships in Simplified Chinese, and the compiled catalog is current."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parent.parent / "rm_workbench" / "resources" / "i18n"
TS = I18N / "rm_workbench_zh_CN.ts"


def test_every_message_is_translated() -> None:
    untranslated = [
        m.findtext("source")
        for m in ET.parse(TS).iter("message")
        if not (m.findtext("translation") or "").strip()
        or m.find("translation").get("type") == "unfinished"  # type: ignore[union-attr]
    ]
    assert untranslated == []


def test_placeholders_survive_translation() -> None:
    import re

    for message in ET.parse(TS).iter("message"):
        source = message.findtext("source") or ""
        translation = message.findtext("translation") or ""
        assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", translation))


def test_catalog_is_compiled_from_the_current_sources(tmp_path: Path) -> None:
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(__file__).parents[1] / ".venv/bin"))
    lrelease = lrelease or shutil.which("pyside6-lrelease")
    if lrelease is None:
        pytest.skip("pyside6-lrelease not installed")
    out = tmp_path / "fresh.qm"
    subprocess.run([lrelease, str(TS), "-qm", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (I18N / "rm_workbench_zh_CN.qm").read_bytes(), (
        "run scripts/i18n.sh to recompile the translations"
    )


def test_ui_sources_have_no_string_missing_from_the_catalog(tmp_path: Path) -> None:
    lupdate = shutil.which("pyside6-lupdate", path=str(Path(__file__).parents[1] / ".venv/bin"))
    lupdate = lupdate or shutil.which("pyside6-lupdate")
    if lupdate is None:
        pytest.skip("pyside6-lupdate not installed")
    copy = tmp_path / "check.ts"
    shutil.copy(TS, copy)
    sources = sorted(str(p) for p in (I18N.parents[1] / "ui").rglob("*.py"))
    result = subprocess.run(
        [lupdate, "-no-obsolete", *sources, "-ts", str(copy)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert " 0 new" in result.stdout or "(0 new" in result.stdout, result.stdout
