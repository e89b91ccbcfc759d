"""The Chinese font of printed documents: found on the system, embedded as a subset.

No font ships with the workbench (licences): each document embeds a subset of a
TrueType font installed on the RM's computer. reportlab embeds TrueType outlines
only, so OpenType/CFF files (Noto Sans CJK, Source Han, many .otf) are skipped after
a look at their header; its built-in CID fonts (STSong-Light) are never embedded and
are never used, since a printer or a PDF reader without them shows boxes.

The search: ``$RM_WORKBENCH_CJK_FONT`` (``path`` or ``path,subfont index``) when set,
else the first known Chinese font found in the system's font folders (Windows,
macOS and Linux locations). Nothing usable: :class:`FontNotFoundError`, whose message
says what to install or set.
"""

from __future__ import annotations

import logging
import os
import struct
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from rm_workbench.errors import FontNotFoundError

log = logging.getLogger(__name__)

FONT_ENV: Final = "RM_WORKBENCH_CJK_FONT"

# Known Chinese TrueType fonts, best first, by file name (lower case). A .ttc file is
# a collection: subfont 0 is the regular face of each of these.
KNOWN_FONTS: Final[tuple[str, ...]] = (
    # Windows
    "msyh.ttc",  # 微软雅黑 (Windows 8 and later)
    "msyh.ttf",  # 微软雅黑 (Windows 7)
    "simhei.ttf",  # 黑体
    "simsun.ttc",  # 宋体
    "deng.ttf",  # 等线
    "simkai.ttf",  # 楷体
    "simfang.ttf",  # 仿宋
    # macOS
    "stheiti light.ttc",
    "stheiti medium.ttc",
    "songti.ttc",
    "arial unicode.ttf",
    "pingfang.ttc",
    "hiragino sans gb.ttc",
    # Linux
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "uming.ttc",
    "ukai.ttc",
    "notosanssc-regular.ttf",
    "droidsansfallbackfull.ttf",
    "droidsansfallback.ttf",
)
# Characters every document prints: a font without them is not a Chinese font.
_PROBE: Final = "客户银行第页"

_TRUETYPE_TAGS: Final = (b"\x00\x01\x00\x00", b"true")


@dataclass(frozen=True)
class FontFile:
    """A font file and, for a collection (.ttc), which font in it."""

    path: Path
    subfont_index: int = 0

    def __str__(self) -> str:
        return f"{self.path},{self.subfont_index}" if self.subfont_index else str(self.path)


def system_font_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The folders where this system keeps fonts, most likely first."""
    env = os.environ if environ is None else environ
    home = Path.home()
    if sys.platform == "win32":
        windir = Path(env.get("WINDIR") or env.get("SystemRoot") or r"C:\Windows")
        dirs = [windir / "Fonts"]
        local = env.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
        return dirs
    if sys.platform == "darwin":
        return [
            Path("/System/Library/Fonts"),
            Path("/System/Library/Fonts/Supplemental"),
            Path("/Library/Fonts"),
            home / "Library" / "Fonts",
        ]
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    return [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        data_home / "fonts",
        home / ".fonts",
    ]


def outline_kind(font: FontFile) -> str:
    """``"truetype"``, ``"cff"`` (OpenType with PostScript outlines) or ``"unknown"``,
    from the file's header alone (a CJK font is 5-20 MB; reading it to fail is slow)."""
    try:
        with font.path.open("rb") as handle:
            tag = handle.read(4)
            if tag == b"ttcf":
                handle.read(4)  # version
                (count,) = struct.unpack(">I", handle.read(4))
                if not 0 <= font.subfont_index < count:
                    return "unknown"
                handle.seek(12 + 4 * font.subfont_index)
                (offset,) = struct.unpack(">I", handle.read(4))
                handle.seek(offset)
                tag = handle.read(4)
    except (OSError, struct.error):
        return "unknown"
    if tag in _TRUETYPE_TAGS:
        return "truetype"
    if tag == b"OTTO":
        return "cff"
    return "unknown"


def _load(font: FontFile) -> tuple[TTFont | None, str]:
    """The reportlab font, or None and why it cannot be used."""
    kind = outline_kind(font)
    if kind == "cff":
        return None, "OpenType/CFF outlines, which reportlab cannot embed"
    if kind != "truetype":
        return None, "not a TrueType font (or unreadable)"
    try:
        loaded = TTFont(_font_name(font), str(font.path), subfontIndex=font.subfont_index)
    except (TTFError, OSError, ValueError, struct.error) as exc:
        return None, f"reportlab cannot read it: {exc}"
    glyphs = loaded.face.charToGlyph
    missing = [c for c in _PROBE if ord(c) not in glyphs]
    if missing:
        return None, f"no Chinese glyphs ({''.join(missing)} missing)"
    return loaded, ""


def _font_name(font: FontFile) -> str:
    return f"RMCJK-{font.path.stem}-{font.subfont_index}".replace(" ", "")


def _parse_override(value: str) -> FontFile:
    path, sep, index = value.strip().rpartition(",")
    if sep and index.strip().isdigit():
        return FontFile(Path(path.strip()).expanduser(), int(index))
    return FontFile(Path(value.strip()).expanduser())


def _scan(dirs: Sequence[Path]) -> dict[str, Path]:
    """File name (lower case) → first path holding it, over the folders and their
    subfolders (Linux keeps fonts in per-package folders)."""
    found: dict[str, Path] = {}
    wanted = set(KNOWN_FONTS)
    for top in dirs:
        if not top.is_dir():
            continue
        for folder, _subdirs, files in os.walk(top):
            for name in files:
                key = name.lower()
                if key in wanted and key not in found:
                    found[key] = Path(folder) / name
    return found


_HELP: Final = (
    "找不到可以嵌入 PDF 的中文字体，无法生成文档。请安装一种中文 TrueType 字体"
    "（Windows：微软雅黑或黑体、宋体；macOS：华文黑体；"
    "Linux：文泉驿微米黑，如 sudo apt install fonts-wqy-microhei），"
    f"或设置环境变量 {FONT_ENV} 指向一个 .ttf/.ttc 字体文件"
    r"（例如 C:\Windows\Fonts\simhei.ttf；.ttc 文件可在逗号后写字体序号）。"
    "注意：Noto/思源等 OpenType(.otf) 字体不能嵌入。"
)


def find_cjk_font(
    search_dirs: Sequence[Path] | None = None, *, environ: Mapping[str, str] | None = None
) -> tuple[FontFile, TTFont]:
    """The Chinese font to embed, loaded. ``search_dirs`` replaces the system's font
    folders (tests); ``$RM_WORKBENCH_CJK_FONT`` in ``environ`` wins over any search.

    Raises :class:`FontNotFoundError` when nothing usable is found, or when the
    override names a font that cannot be used (an explicit choice is not second-guessed).
    """
    env = os.environ if environ is None else environ
    override = env.get(FONT_ENV, "").strip()
    if override:
        chosen = _parse_override(override)
        loaded, why = _load(chosen)
        if loaded is None:
            raise FontNotFoundError(
                f"环境变量 {FONT_ENV} 指定的字体 {chosen.path} 无法使用：" + _reason_zh(why),
                f"{FONT_ENV}={override}: {why}",
            )
        return chosen, loaded
    dirs = list(search_dirs) if search_dirs is not None else system_font_dirs(env)
    found = _scan(dirs)
    skipped: list[str] = []
    for name in KNOWN_FONTS:
        path = found.get(name)
        if path is None:
            continue
        candidate = FontFile(path)
        loaded, why = _load(candidate)
        if loaded is not None:
            return candidate, loaded
        log.info("font %s skipped: %s", path, why)
        skipped.append(f"{path}: {why}")
    raise FontNotFoundError(
        _HELP,
        "searched " + ", ".join(str(d) for d in dirs) + "; skipped: " + ("; ".join(skipped) or "-"),
    )


def _reason_zh(why: str) -> str:
    if why.startswith("OpenType/CFF"):
        return "它是 OpenType/CFF 字体，不能嵌入 PDF，请改用 TrueType（.ttf/.ttc）字体。"
    if why.startswith("no Chinese"):
        return "它不含中文字符。"
    return "文件不存在或不是 TrueType 字体。"


_lock = threading.Lock()
# (override, search dirs) → registered reportlab font name: the search walks the
# font folders once per process, and a TTFont is parsed once.
_registered: dict[tuple[str, tuple[Path, ...] | None], str] = {}


def register_cjk_font(
    search_dirs: Sequence[Path] | None = None, *, environ: Mapping[str, str] | None = None
) -> str:
    """Find the Chinese font (see :func:`find_cjk_font`), register it with reportlab
    once, and return its reportlab name. Thread-safe."""
    env = os.environ if environ is None else environ
    key = (env.get(FONT_ENV, "").strip(), None if search_dirs is None else tuple(search_dirs))
    with _lock:
        name = _registered.get(key)
        if name is not None:
            return name
        font, loaded = find_cjk_font(search_dirs, environ=env)
        if loaded.fontName not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(loaded)
            # One face for every style: <b> in a paragraph must not fall back to a
            # Latin font that has no Chinese glyphs (and is not embedded).
            pdfmetrics.registerFontFamily(
                loaded.fontName,
                normal=loaded.fontName,
                bold=loaded.fontName,
                italic=loaded.fontName,
                boldItalic=loaded.fontName,
            )
        log.info("Chinese font for documents: %s", font)
        _registered[key] = loaded.fontName
        return loaded.fontName
