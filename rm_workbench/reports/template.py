"""The page every document is printed on: A4, the bank's header, numbered footer.

Header: the bank's logo (if configured and readable) and name, the document's title.
Footer: who printed it and when, and "第 k 页 / 共 N 页" (N is known only at the end,
so the canvas keeps each page until the document is saved). Optionally a diagonal
watermark under the content (briefs: 内部资料).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.lib import colors, textsplit
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as paragraph_module

from rm_workbench.domain.formatting import format_datetime
from rm_workbench.reports.data import Imprint, RenderedPdf

log = logging.getLogger(__name__)

# reportlab's CJK line breaking keeps Japanese closing punctuation off the start of a
# line (、。）」…) but not the Chinese full-width ones, so a line could begin with "，".
# Both of its splitters (one-style paragraphs in textsplit, mixed ones in paragraph)
# read a module-level string at every wrap; extending it once makes the Chinese marks
# hang at the end of the line like the Japanese ones.
_CHINESE_CANNOT_START: Final = "，；：！？”’》〉】％"
for _module in (textsplit, paragraph_module):
    _module.ALL_CANNOT_START += "".join(
        c for c in _CHINESE_CANNOT_START if c not in _module.ALL_CANNOT_START
    )


PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X: Final = 15 * mm
MARGIN_TOP: Final = 24 * mm  # below the header
MARGIN_BOTTOM: Final = 17 * mm  # above the footer
FRAME_WIDTH: Final = PAGE_WIDTH - 2 * MARGIN_X
FRAME_HEIGHT: Final = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

PRIMARY: Final = colors.HexColor("#1F3A5F")  # headings, header rule
ACCENT: Final = colors.HexColor("#B22222")  # warnings, expired
MUTED: Final = colors.HexColor("#666666")
RULE: Final = colors.HexColor("#C8CED6")
SHADE: Final = colors.HexColor("#EEF2F7")
WATERMARK: Final = colors.HexColor("#9AA5B1")

LOGO_HEIGHT: Final = 10 * mm
LOGO_MAX_WIDTH: Final = 40 * mm


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of the documents, all in the one embedded Chinese font."""

    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_label: ParagraphStyle
    cell_label_right: ParagraphStyle
    cell_right: ParagraphStyle
    muted: ParagraphStyle
    warning: ParagraphStyle
    center: ParagraphStyle


@cache
def styles_for(font: str) -> Styles:
    """The styles over a registered font name (built once per font)."""

    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        extra.setdefault("leading", size * 1.4)
        return ParagraphStyle(name, fontName=font, fontSize=size, wordWrap="CJK", **extra)

    return Styles(
        font=font,
        title=style("title", 17, textColor=PRIMARY, spaceAfter=1 * mm, leading=22),
        subtitle=style("subtitle", 9, textColor=MUTED),
        heading=style("heading", 11, textColor=PRIMARY, spaceBefore=2.5 * mm, spaceAfter=0.5 * mm),
        body=style("body", 9.5, leading=14.5),
        small=style("small", 8.5, leading=12),
        cell=style("cell", 8.5, leading=11.5),
        cell_label=style("cell_label", 8.5, leading=11.5, textColor=MUTED),
        cell_label_right=style(
            "cell_label_right", 8.5, leading=11.5, textColor=MUTED, alignment=TA_RIGHT
        ),
        cell_right=style("cell_right", 8.5, leading=11.5, alignment=TA_RIGHT),
        muted=style("muted", 8, leading=11, textColor=MUTED),
        warning=style("warning", 8.5, leading=12, textColor=ACCENT),
        center=style("center", 8.5, leading=11.5, alignment=TA_CENTER),
    )


def markup(text: str | None) -> str:
    """Plain text (from the cache, typed by people) made safe for a Paragraph:
    markup characters escaped, line breaks kept."""
    if not text:
        return ""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br/>")


def para(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text), style)


def shorten(text: str | None, limit: int) -> str:
    """At most ``limit`` characters on one line, "…" where it was cut."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def heading(text: str, styles: Styles) -> list[Flowable]:
    """A section title with a thin rule under it."""
    return [
        Paragraph(markup(text), styles.heading),
        HRFlowable(width="100%", thickness=0.6, color=RULE, spaceBefore=0.5, spaceAfter=1.5 * mm),
    ]


def field_table(
    pairs: Sequence[tuple[str, str]],
    styles: Styles,
    *,
    columns: int = 2,
    label_width: float = 22 * mm,
    width: float = FRAME_WIDTH,
) -> Table:
    """Label / value pairs in ``columns`` columns (labels muted, values wrapping)."""
    value_width = width / columns - label_width
    rows: list[list[Paragraph | str]] = []
    for start in range(0, len(pairs), columns):
        row: list[Paragraph | str] = []
        for label, value in pairs[start : start + columns]:
            row += [para(label, styles.cell_label), para(value or "—", styles.cell)]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    table = Table(rows, colWidths=[label_width, value_width] * columns, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles.font, 8.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, SHADE),
            ]
        )
    )
    return table


def signature_row(cells: Sequence[str], styles: Any) -> Table:
    """The line of signatures at the foot of a document: each cell a label (marked-up
    text) followed by a blank to sign on, in equal columns."""
    blank = "＿" * 10
    table = Table(
        [[Paragraph(f"{cell}{blank}", styles.body) for cell in cells]],
        colWidths=[FRAME_WIDTH / len(cells)] * len(cells),
        hAlign="LEFT",
    )
    table.setStyle(grid_style(styles.font, header_rows=0))
    return table


def grid_style(font: str, header_rows: int = 1) -> TableStyle:
    """A listing: a shaded header row, hairlines between rows."""
    style = layout_style(
        font,
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ],
    )
    if header_rows:
        style.add("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE)
    return style


def layout_style(font: str, commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style whose plain-string cells are drawn in ``font``: a table's default
    font (Helvetica) is never embedded, and would be listed in the PDF."""
    return TableStyle([("FONT", (0, 0), (-1, -1), font, 8.5), *commands])


# --- the logo -----------------------------------------------------------------------

_logo_lock = threading.Lock()
_logos: dict[tuple[Path, float], ImageReader | None] = {}


def load_logo(path: Path | None) -> ImageReader | None:
    """The logo image, or None (with a warning in the log) when it is missing or
    unreadable: a broken logo must never stop a print."""
    if path is None:
        return None
    try:
        key = (path, path.stat().st_mtime)
    except OSError as exc:
        log.warning("logo %s not found, printing without it: %s", path, exc)
        return None
    with _logo_lock:
        if key in _logos:
            return _logos[key]
        reader: ImageReader | None
        try:
            reader = ImageReader(str(path))
            width, height = reader.getSize()
            if width <= 0 or height <= 0:
                raise ValueError(f"empty image {width}x{height}")
        except Exception as exc:  # PIL raises many kinds for a bad file
            log.warning("logo %s unreadable, printing without it: %s", path, exc)
            reader = None
        _logos[key] = reader
        return reader


# --- the page ------------------------------------------------------------------------


@dataclass(frozen=True)
class _PageDecor:
    imprint: Imprint
    title: str
    font: str
    logo: ImageReader | None
    watermark: str | None


def _draw_page(decor: _PageDecor, canvas: Canvas, _doc: BaseDocTemplate) -> None:
    """Header and watermark, drawn before the page's content (so under it)."""
    canvas.saveState()
    if decor.watermark:
        canvas.setFillColor(WATERMARK)
        canvas.setFillAlpha(0.16)
        canvas.setFont(decor.font, 64)
        for y in (PAGE_HEIGHT * 0.7, PAGE_HEIGHT * 0.33):
            canvas.saveState()
            canvas.translate(PAGE_WIDTH / 2, y)
            canvas.rotate(30)
            canvas.drawCentredString(0, -22, decor.watermark)
            canvas.restoreState()
        canvas.setFillAlpha(1)
    top = PAGE_HEIGHT - 10 * mm
    baseline = top - 7 * mm
    x = MARGIN_X
    if decor.logo is not None:
        width, height = decor.logo.getSize()
        logo_width = min(LOGO_HEIGHT * width / height, LOGO_MAX_WIDTH)
        canvas.drawImage(
            decor.logo,
            x,
            top - LOGO_HEIGHT,
            width=logo_width,
            height=LOGO_HEIGHT,
            mask="auto",
            preserveAspectRatio=True,
            anchor="sw",
        )
        x += logo_width + 3 * mm
    canvas.setFillColor(PRIMARY)
    canvas.setFont(decor.font, 13)
    canvas.drawString(x, baseline, decor.imprint.bank_name)
    canvas.setFillColor(MUTED)
    canvas.setFont(decor.font, 9)
    canvas.drawRightString(PAGE_WIDTH - MARGIN_X, baseline, decor.title)
    canvas.setStrokeColor(PRIMARY)
    canvas.setLineWidth(0.8)
    rule = top - LOGO_HEIGHT - 2 * mm
    canvas.line(MARGIN_X, rule, PAGE_WIDTH - MARGIN_X, rule)
    canvas.restoreState()


class _PagedCanvas(Canvas):
    """A canvas that holds its pages until the end, to write "共 N 页" on each."""

    def __init__(self, *args: Any, decor: _PageDecor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decor = decor
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        decor = self._decor
        self.saveState()
        y = 10 * mm
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, y + 4 * mm, PAGE_WIDTH - MARGIN_X, y + 4 * mm)
        self.setFillColor(MUTED)
        self.setFont(decor.font, 8)
        printed = format_datetime(decor.imprint.printed_at)
        self.drawString(MARGIN_X, y, f"打印人：{decor.imprint.printed_by}　打印时间：{printed}")
        pages = f"第 {number} 页 / 共 {total} 页"
        if decor.watermark:
            pages = f"{decor.watermark}　注意保密　　{pages}"
        self.drawRightString(PAGE_WIDTH - MARGIN_X, y, pages)
        self.restoreState()


def render(
    story: list[Flowable],
    imprint: Imprint,
    *,
    title: str,
    font: str,
    watermark: str | None = None,
    subject: str = "",
) -> RenderedPdf:
    """Lay ``story`` out on the bank's A4 pages; the PDF in memory and its page count."""
    decor = _PageDecor(imprint, title, font, load_logo(imprint.logo), watermark)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=imprint.bank_name,
        subject=subject,
        creator="RM Workbench",
        lang="zh-CN",
        # The canvas starts in the Chinese font: reportlab's default start font
        # (Helvetica) would otherwise be listed in the PDF, and it is never embedded.
        initialFontName=font,
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        FRAME_WIDTH,
        FRAME_HEIGHT,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates(
        [PageTemplate(id="page", frames=[frame], onPage=partial(_draw_page, decor))]
    )
    doc.build(story, canvasmaker=partial(_PagedCanvas, decor=decor))
    return RenderedPdf(buffer.getvalue(), doc.page)
