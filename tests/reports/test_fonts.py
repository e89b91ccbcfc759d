"""Finding the Chinese font: system folders, the override, CFF files skipped, and the
clear error when there is nothing to embed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from rm_workbench.errors import FontNotFoundError, ReportError
from rm_workbench.reports.fonts import (
    FONT_ENV,
    FontFile,
    find_cjk_font,
    outline_kind,
    register_cjk_font,
)

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def cff_collection(path: Path) -> Path:
    """A .ttc whose only font has OpenType/CFF outlines (as Noto Sans CJK's do)."""
    header = b"ttcf" + struct.pack(">II", 0x00010000, 1) + struct.pack(">I", 16)
    path.write_bytes(header + b"OTTO" + b"\0" * 64)
    return path


def test_the_system_font_is_found_and_is_truetype() -> None:
    font, loaded = find_cjk_font(environ={})
    assert outline_kind(font) == "truetype"
    assert ord("银") in loaded.face.charToGlyph


def test_no_font_in_the_search_folders_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    with pytest.raises(FontNotFoundError) as caught:
        find_cjk_font([tmp_path / "fonts", tmp_path / "missing"], environ={})
    error = caught.value
    assert isinstance(error, ReportError)
    assert "中文" in error.user_message
    assert "fonts-wqy-microhei" in error.user_message
    assert FONT_ENV in error.user_message
    assert str(tmp_path / "fonts") in error.details


def test_register_raises_the_same_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontNotFoundError):
        register_cjk_font([tmp_path], environ={})


def test_a_cff_font_is_skipped_for_the_next_truetype_one(tmp_path: Path) -> None:
    # msyh.ttc is searched first: here it is a CFF collection, so it must be passed over.
    cff = cff_collection(tmp_path / "msyh.ttc")
    assert outline_kind(FontFile(cff)) == "cff"
    (tmp_path / "linux").mkdir()
    (tmp_path / "linux" / WQY.name).symlink_to(WQY)
    font, _ = find_cjk_font([tmp_path], environ={})
    assert font.path == tmp_path / "linux" / WQY.name


def test_only_cff_fonts_give_the_clear_error_naming_them(tmp_path: Path) -> None:
    cff_collection(tmp_path / "simsun.ttc")
    with pytest.raises(FontNotFoundError) as caught:
        find_cjk_font([tmp_path], environ={})
    assert "simsun.ttc" in caught.value.details
    assert "CFF" in caught.value.details


def test_a_latin_font_is_not_taken_for_a_chinese_one(tmp_path: Path) -> None:
    (tmp_path / "simhei.ttf").symlink_to(DEJAVU)
    with pytest.raises(FontNotFoundError) as caught:
        find_cjk_font([tmp_path], environ={})
    assert "no Chinese glyphs" in caught.value.details


def test_the_override_wins_over_the_search(tmp_path: Path) -> None:
    font, _ = find_cjk_font([tmp_path], environ={FONT_ENV: f"{WQY},1"})
    assert font == FontFile(WQY, 1)  # the monospaced face of the collection


def test_an_unusable_override_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    cff = cff_collection(tmp_path / "NotoSansCJK-Regular.ttc")
    with pytest.raises(FontNotFoundError) as caught:
        find_cjk_font(environ={FONT_ENV: str(cff)})
    assert "OpenType/CFF" in caught.value.user_message
    with pytest.raises(FontNotFoundError) as caught:
        find_cjk_font(environ={FONT_ENV: str(tmp_path / "nothing.ttf")})
    assert FONT_ENV in caught.value.user_message
