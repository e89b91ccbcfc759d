"""The one-page client brief (客户简报) an RM takes to a visit, and a day's batch.

One page, always: each list shows its first few entries and says how many more there
are ("…另有 N 条"), long texts are cut to one line, and the whole page is finally
fitted into the frame (shrunk if a configuration's long names still overflow), so a
customer with years of history never spills onto a second sheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final

from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, PageBreak, Paragraph, Spacer, Table

from rm_workbench.domain.formatting import SHANGHAI, format_date, format_rate, format_short_date
from rm_workbench.domain.masking import document_name
from rm_workbench.reports.data import BriefData, HoldingSlice, Imprint, RenderedPdf
from rm_workbench.reports.fonts import register_cjk_font
from rm_workbench.reports.template import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MUTED,
    PRIMARY,
    SHADE,
    Styles,
    field_table,
    grid_style,
    heading,
    layout_style,
    markup,
    para,
    render,
    shorten,
    styles_for,
)

WATERMARK_TEXT: Final = "内部资料"

# How many entries of each list fit on the page.
MAX_WARNINGS: Final = 3
MAX_SLICES: Final = 7  # chart slices and table rows of holdings; the rest is "其他"
MAX_CONTACTS: Final = 5
MAX_NEEDS: Final = 5
MAX_MATURITIES: Final = 4
MAX_TALKING_POINTS: Final = 5

PALETTE: Final = tuple(
    colors.HexColor(c)
    for c in (
        "#1F3A5F",
        "#3E7CB1",
        "#81A4CD",
        "#C9A227",
        "#6BAA75",
        "#D17A22",
        "#8E6C8A",
        "#A0A0A0",
    )
)
_COLUMN_GAP: Final = 6 * mm
_HALF: Final = (FRAME_WIDTH - _COLUMN_GAP) / 2
_CHART_WIDTH: Final = 62 * mm
# Characters of a list entry in a half-page column: two lines at most.
_LINE_CHARS: Final = 42


def brief_pdf(data: BriefData, imprint: Imprint, *, font: str | None = None) -> RenderedPdf:
    """One customer's brief: one A4 page."""
    name = font or register_cjk_font()
    title = document_name("客户简报", data.customer.customer_no)
    return render(
        brief_story(data, styles_for(name)),
        imprint,
        title=title,
        font=name,
        watermark=WATERMARK_TEXT,
    )


def briefs_pdf(
    briefs: Sequence[BriefData], imprint: Imprint, *, title: str, font: str | None = None
) -> RenderedPdf:
    """Several briefs in one PDF, one page each, in the order given."""
    if not briefs:
        raise ValueError("no briefs to print")
    name = font or register_cjk_font()
    styles = styles_for(name)
    story: list[Flowable] = []
    for index, data in enumerate(briefs):
        if index:
            story.append(PageBreak())
        story += brief_story(data, styles)
    return render(story, imprint, title=title, font=name, watermark=WATERMARK_TEXT)


def brief_story(data: BriefData, styles: Styles) -> list[Flowable]:
    """The flowables of one brief, fitted into one page's frame."""
    content: list[Flowable] = [
        _title_block(data, styles),
        *_visit_block(data, styles),
        *heading("客户概况", styles),
        _profile_table(data, styles),
        *_warnings(data, styles),
        *heading(f"持仓分布（资产 {data.assets_text}，负债 {data.liabilities_text}）", styles),
        _holdings_block(data.holdings, data.assets_text, styles),
        Spacer(1, 1.5 * mm),
        _two_columns(
            [
                *heading(f"近期联系（共 {data.contacts_total} 次）", styles),
                _contacts(data, styles),
            ],
            [*heading(f"未结需求（{len(data.needs)} 项）", styles), _needs(data, styles)],
            styles,
        ),
        *heading(f"即将到期（{data.maturity_window_days} 天内）", styles),
        _maturities(data, styles),
        *heading("沟通要点", styles),
        *_talking_points(data, styles),
    ]
    return [
        KeepInFrame(FRAME_WIDTH, FRAME_HEIGHT - 2, content, mode="shrink", vAlign="TOP"),
    ]


# --- blocks ---------------------------------------------------------------------------


def _title_block(data: BriefData, styles: Styles) -> Table:
    who = data.customer
    facts = [who.customer_no, data.category_label]
    if data.gender_label:
        facts.append(data.gender_label)
    if data.age is not None:
        facts.append(f"{data.age}岁")
    if data.life_stage:
        facts.append(data.life_stage)
    left = [
        Paragraph(markup(who.name), styles.title),
        Paragraph(markup("　·　".join(facts)), styles.subtitle),
    ]
    tier = Paragraph(
        f'<font color="{PRIMARY.hexval()}" size="13">{markup(who.tier or "未分层")}</font>'
        f'<br/><font color="{MUTED.hexval()}">{markup(data.lifecycle_label)}客户</font>',
        styles.center,
    )
    right = [
        Paragraph(f"简报日期：{format_date(data.today)}", styles.muted),
        Paragraph(f"客户经理：{markup(data.rm_name or '—')}", styles.muted),
    ]
    table = Table(
        [[left, tier, right]],
        colWidths=[FRAME_WIDTH - 28 * mm - 46 * mm, 28 * mm, 46 * mm],
        hAlign="LEFT",
    )
    style = grid_style(styles.font, header_rows=0)
    style.add("BACKGROUND", (1, 0), (1, 0), SHADE)
    style.add("VALIGN", (0, 0), (-1, -1), "MIDDLE")
    style.add("LINEBELOW", (0, 0), (-1, -1), 0, colors.white)
    style.add("LEFTPADDING", (2, 0), (2, 0), 4 * mm)
    table.setStyle(style)
    return table


def _visit_block(data: BriefData, styles: Styles) -> list[Flowable]:
    visit = data.visit
    if visit is None:
        return []
    hours = visit.start.astimezone(SHANGHAI).strftime("%H:%M")
    if visit.end is not None:
        hours += "–" + visit.end.astimezone(SHANGHAI).strftime("%H:%M")
    parts = [f"{format_short_date(visit.start)} {hours}", visit.category_label]
    if visit.place:
        parts.append(f"地点：{shorten(visit.place, 30)}")
    if visit.purpose:
        parts.append(f"目的：{shorten(visit.purpose, 40)}")
    table = Table(
        [[Paragraph("本次拜访　" + markup("　|　".join(parts)), styles.small)]],
        colWidths=[FRAME_WIDTH],
        hAlign="LEFT",
    )
    style = grid_style(styles.font, header_rows=1)
    style.add("LINEBEFORE", (0, 0), (0, 0), 2, PRIMARY)
    table.setStyle(style)
    return [Spacer(1, 1.5 * mm), table]


def _profile_table(data: BriefData, styles: Styles) -> Table:
    who = data.customer
    if data.risk_tolerance is None:
        risk = "未评估"
    elif data.risk_expired:
        risk = f"{data.risk_tolerance}（已过期）"
    elif data.risk_expires_on is None:
        risk = data.risk_tolerance
    else:
        risk = f"{data.risk_tolerance}（至{format_date(data.risk_expires_on)}）"
    pairs = [
        (who.id_label, who.id_text or "未登记"),
        ("手机号码", who.phone_text or "未登记"),
        ("风险评估", risk),
        ("资产规模", data.aum_text),
        ("年贡献度", data.contribution_text),
        ("开户时间", format_date(data.customer_since) if data.customer_since else "—"),
        ("职业", data.occupation or "—"),
        ("所属网点", data.branch_name or "—"),
        ("客户关系", "；".join(data.relations) or "—"),
    ]
    return field_table(pairs, styles, columns=3, label_width=18 * mm)


def _warnings(data: BriefData, styles: Styles) -> list[Flowable]:
    shown = [shorten(w, 60) for w in data.warnings[:MAX_WARNINGS]]
    more = len(data.warnings) - len(shown)
    if more > 0:
        shown.append(f"…另有 {more} 条")
    if not shown:
        return []
    return [Spacer(1, 1 * mm), Paragraph(markup("提示：" + "；".join(shown)), styles.warning)]


def _holdings_block(holdings: Sequence[HoldingSlice], assets_text: str, styles: Styles) -> Flowable:
    if not holdings:
        return Paragraph("暂无持仓。", styles.muted)
    charted, other = _top_slices([h for h in holdings if not h.is_liability and h.total_wan > 0])
    colour = {id(h): PALETTE[i % len(PALETTE)] for i, h in enumerate(charted)}
    rows: list[list[Flowable | str]] = [
        [
            "",
            Paragraph("产品类型", styles.cell_label),
            Paragraph("笔数", styles.cell_label_right),
            Paragraph("金额", styles.cell_label_right),
        ]
    ]
    shown = holdings[:MAX_SLICES]
    for h in shown:
        label = f"{h.label}（负债）" if h.is_liability else h.label
        rows.append(
            [
                "",
                para(label, styles.cell),
                para(str(h.count), styles.cell_right),
                para(h.total_text, styles.cell_right),
            ]
        )
    if len(holdings) > len(shown):
        rows.append(["", para(f"…另有 {len(holdings) - len(shown)} 类", styles.muted), "", ""])
    table_width = FRAME_WIDTH - _CHART_WIDTH
    table = Table(
        rows,
        colWidths=[4 * mm, table_width - 4 * mm - 14 * mm - 30 * mm, 14 * mm, 30 * mm],
        hAlign="LEFT",
    )
    style = grid_style(styles.font)
    for row_index, h in enumerate(shown, start=1):
        if id(h) in colour:
            style.add("BACKGROUND", (0, row_index), (0, row_index), colour[id(h)])
    table.setStyle(style)
    outer = Table(
        [[_pie(charted, other, assets_text, styles), table]],
        colWidths=[_CHART_WIDTH, table_width],
        hAlign="LEFT",
    )
    outer.setStyle(
        layout_style(
            styles.font,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ],
        )
    )
    return outer


def _top_slices(assets: Sequence[HoldingSlice]) -> tuple[list[HoldingSlice], Decimal]:
    """The largest asset types for the chart and the sum (万元) of the rest."""
    ordered = sorted(assets, key=lambda h: -h.total_wan)
    if len(ordered) <= MAX_SLICES:
        return ordered, Decimal(0)
    keep = ordered[: MAX_SLICES - 1]
    return keep, sum((h.total_wan for h in ordered[MAX_SLICES - 1 :]), Decimal(0))


def _pie(
    shown: Sequence[HoldingSlice], other: Decimal, assets_text: str, styles: Styles
) -> Drawing:
    """Assets by product type in 万元, a ring with the total in its middle."""
    size = 44 * mm
    drawing = Drawing(_CHART_WIDTH, size + 6 * mm)
    # The renderer starts a drawing in Times-Roman (listed in the PDF, never embedded).
    drawing.initialFontName = styles.font
    values = [h.total_wan for h in shown] + ([other] if other > 0 else [])
    if not values:
        drawing.add(
            String(
                _CHART_WIDTH / 2,
                size / 2,
                "暂无资产",
                fontName=styles.font,
                fontSize=9,
                textAnchor="middle",
            )
        )
        return drawing
    total = sum(values, Decimal(0))
    pie = Pie()
    pie.x = (_CHART_WIDTH - size) / 2
    pie.y = 5 * mm
    pie.width = pie.height = size
    # Chart geometry only: the figures printed come from the Decimal amounts.
    pie.data = [float(v) for v in values]
    pie.innerRadiusFraction = 0.55
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.8
    pie.slices.fontName = styles.font
    pie.slices.fontSize = 7
    pie.slices.fontColor = colors.white
    pie.slices.labelRadius = 0.78
    pie.labels = [f"{v / total:.0%}" if v / total >= Decimal("0.08") else "" for v in values]
    for index in range(len(values)):
        last = index == len(values) - 1 and other > 0
        pie.slices[index].fillColor = PALETTE[-1] if last else PALETTE[index % len(PALETTE)]
    drawing.add(pie)
    middle_x, middle_y = _CHART_WIDTH / 2, pie.y + size / 2
    drawing.add(
        String(
            middle_x,
            middle_y + 1,
            "资产合计",
            fontName=styles.font,
            fontSize=7,
            fillColor=MUTED,
            textAnchor="middle",
        )
    )
    drawing.add(
        String(
            middle_x,
            middle_y - 9,
            assets_text,
            fontName=styles.font,
            fontSize=8,
            fillColor=PRIMARY,
            textAnchor="middle",
        )
    )
    drawing.add(
        String(
            _CHART_WIDTH / 2,
            0,
            "按产品类型（万元）",
            fontName=styles.font,
            fontSize=7,
            fillColor=MUTED,
            textAnchor="middle",
        )
    )
    return drawing


def _two_columns(left: list[Flowable], right: list[Flowable], styles: Styles) -> Table:
    table = Table([[left, right]], colWidths=[_HALF + _COLUMN_GAP / 2] * 2, hAlign="LEFT")
    table.setStyle(
        layout_style(
            styles.font,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), _COLUMN_GAP / 2),
                ("LEFTPADDING", (1, 0), (1, 0), _COLUMN_GAP / 2),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ],
        )
    )
    return table


def _dated_list(
    rows: Sequence[tuple[date, str]], more: int, empty: str, styles: Styles, width: float
) -> Flowable:
    if not rows:
        return Paragraph(markup(empty), styles.muted)
    cells: list[list[Flowable | str]] = [
        [para(format_short_date(day), styles.cell_label), para(text, styles.cell)]
        for day, text in rows
    ]
    if more > 0:
        cells.append(["", para(f"…另有 {more} 条", styles.muted)])
    table = Table(cells, colWidths=[16 * mm, width - 16 * mm], hAlign="LEFT")
    style = grid_style(styles.font, header_rows=0)
    table.setStyle(style)
    return table


def _contacts(data: BriefData, styles: Styles) -> Flowable:
    shown = data.contacts[:MAX_CONTACTS]
    rows = [
        (c.day, shorten(c.title + (f"：{c.detail}" if c.detail else ""), _LINE_CHARS))
        for c in shown
    ]
    return _dated_list(rows, data.contacts_total - len(shown), "暂无联系记录。", styles, _HALF)


def _needs(data: BriefData, styles: Styles) -> Flowable:
    shown = data.needs[:MAX_NEEDS]
    rows = [
        (
            n.started_on,
            shorten(f"【{n.category_label}】{n.summary}（{n.status_label}）", _LINE_CHARS),
        )
        for n in shown
    ]
    return _dated_list(rows, len(data.needs) - len(shown), "暂无未结需求。", styles, _HALF)


def _maturities(data: BriefData, styles: Styles) -> Flowable:
    if not data.maturities:
        return Paragraph("此期间没有到期的产品。", styles.muted)
    shown = data.maturities[:MAX_MATURITIES]
    rows: list[list[Flowable | str]] = [
        [
            Paragraph("到期日", styles.cell_label),
            Paragraph("产品", styles.cell_label),
            Paragraph("金额", styles.cell_label_right),
            Paragraph("利率", styles.cell_label_right),
            Paragraph("距今", styles.cell_label_right),
        ]
    ]
    for m in shown:
        days = (m.matures_on - data.today).days
        rows.append(
            [
                para(format_date(m.matures_on), styles.cell),
                para(shorten(m.product_name, 40), styles.cell),
                para(m.amount_text, styles.cell_right),
                para("—" if m.rate is None else format_rate(m.rate), styles.cell_right),
                para("今天" if days == 0 else f"{days} 天", styles.cell_right),
            ]
        )
    more = len(data.maturities) - len(shown)
    if more > 0:
        rows.append(["", para(f"…另有 {more} 条", styles.muted), "", "", ""])
    widths = [30 * mm, 0.0, 30 * mm, 20 * mm, 18 * mm]
    widths[1] = FRAME_WIDTH - sum(widths)
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    table.setStyle(grid_style(styles.font))
    return table


def _talking_points(data: BriefData, styles: Styles) -> list[Flowable]:
    points = data.talking_points[:MAX_TALKING_POINTS]
    if not points:
        return [Paragraph("暂无建议的沟通要点。", styles.muted)]
    rows: list[list[Flowable | str]] = [
        [para(f"{i}.", styles.cell_label), para(shorten(p, 90), styles.cell)]
        for i, p in enumerate(points, start=1)
    ]
    more = len(data.talking_points) - len(points)
    if more > 0:
        rows.append(["", para(f"…另有 {more} 条", styles.muted)])
    table = Table(rows, colWidths=[6 * mm, FRAME_WIDTH - 6 * mm], hAlign="LEFT")
    style = grid_style(styles.font, header_rows=0)
    style.add("LINEBELOW", (0, 0), (-1, -1), 0, colors.white)
    table.setStyle(style)
    return [table]
