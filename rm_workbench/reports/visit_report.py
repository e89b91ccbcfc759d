"""The visit report (拜访报告): when, where, who was there, the notes, what follows.

The notes are as long as the RM wrote them: the report runs onto as many pages as it
needs, each with the bank's header and "第 k 页 / 共 N 页".
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table

from rm_workbench.domain.formatting import SHANGHAI, format_date, format_datetime
from rm_workbench.domain.masking import document_name
from rm_workbench.reports.data import Imprint, RenderedPdf, VisitReportData
from rm_workbench.reports.fonts import register_cjk_font
from rm_workbench.reports.template import (
    FRAME_WIDTH,
    Styles,
    field_table,
    grid_style,
    heading,
    markup,
    para,
    render,
    shorten,
    signature_row,
    styles_for,
)

MAX_NEEDS: Final = 10


def visit_report_pdf(
    data: VisitReportData, imprint: Imprint, *, font: str | None = None
) -> RenderedPdf:
    name = font or register_cjk_font()
    return render(
        visit_report_story(data, styles_for(name)),
        imprint,
        title=document_name("拜访报告", data.customer.customer_no),
        font=name,
        subject=f"拜访 {data.visit_no}",
    )


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None:
        return "—"
    text = format_datetime(start)
    if end is not None:
        same_day = start.astimezone(SHANGHAI).date() == end.astimezone(SHANGHAI).date()
        text += " – " + (
            end.astimezone(SHANGHAI).strftime("%H:%M") if same_day else format_datetime(end)
        )
    return text


def visit_report_story(data: VisitReportData, styles: Styles) -> list[Flowable]:
    who = data.customer
    story: list[Flowable] = [
        Paragraph("拜访报告", styles.title),
        Paragraph(
            markup(f"拜访编号 {data.visit_no}　·　{data.category_label}　·　{data.status_label}"),
            styles.subtitle,
        ),
        *heading("客户", styles),
        field_table(
            [
                ("客户姓名", who.name),
                ("客户号", who.customer_no),
                (who.id_label, who.id_text or "未登记"),
                ("手机号码", who.phone_text or "未登记"),
                ("客户等级", who.tier or "未分层"),
                ("所属网点", data.branch_name or "—"),
            ],
            styles,
        ),
        *heading("拜访情况", styles),
        field_table(
            [
                ("计划时间", _span(data.planned_start, data.planned_end)),
                ("实际时间", _span(data.actual_start, data.actual_end)),
                ("拜访地点", data.place or "—"),
                ("参加人员", data.attendees or "—"),
                ("拜访目的", data.purpose or "—"),
                ("拜访结果", data.outcome or "—"),
                (
                    "下次跟进",
                    format_date(data.follow_up_due) if data.follow_up_due else "未安排",
                ),
                ("拜访费用", data.cost_text or "—"),
            ],
            styles,
        ),
        *heading("拜访记录", styles),
    ]
    paragraphs = [p.strip() for p in (data.report or "").split("\n\n") if p.strip()]
    if paragraphs:
        story += [para(p, styles.body) for p in paragraphs]
    else:
        story.append(Paragraph("（尚未填写拜访记录）", styles.muted))
    story += heading(f"客户未结需求（{len(data.open_needs)} 项）", styles)
    story.append(_needs(data, styles))
    story += [
        CondPageBreak(30 * mm),
        Spacer(1, 8 * mm),
        KeepTogether(
            signature_row((f"客户经理：{markup(data.rm_name or '')} 签字：", "日期："), styles)
        ),
    ]
    return story


def _needs(data: VisitReportData, styles: Styles) -> Flowable:
    if not data.open_needs:
        return Paragraph("暂无未结需求。", styles.muted)
    rows: list[list[Flowable | str]] = [
        [
            Paragraph("登记日期", styles.cell_label),
            Paragraph("类别", styles.cell_label),
            Paragraph("需求", styles.cell_label),
            Paragraph("状态", styles.cell_label),
        ]
    ]
    shown = data.open_needs[:MAX_NEEDS]
    for need in shown:
        rows.append(
            [
                para(format_date(need.started_on), styles.cell),
                para(need.category_label, styles.cell),
                para(shorten(need.summary, 80), styles.cell),
                para(need.status_label, styles.cell),
            ]
        )
    if len(data.open_needs) > len(shown):
        rows.append(
            ["", "", para(f"…另有 {len(data.open_needs) - len(shown)} 条", styles.muted), ""]
        )
    widths = [30 * mm, 24 * mm, 0.0, 20 * mm]
    widths[2] = FRAME_WIDTH - sum(widths)
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(grid_style(styles.font))
    return table
