"""The personalized bundle proposal (金融服务方案建议书) handed to the customer.

What the suitability rules ask of it: each product's risk level next to the
customer's assessed tolerance, each product's disclosure, the standard warning that
wealth products are not deposits, how long the offer stands, and whom to call.
"""

from __future__ import annotations

from typing import Final

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table

from rm_workbench.domain.formatting import format_date, format_rate
from rm_workbench.domain.masking import document_name
from rm_workbench.reports.data import Imprint, ProposalData, ProposalLineData, RenderedPdf
from rm_workbench.reports.fonts import register_cjk_font
from rm_workbench.reports.template import (
    ACCENT,
    FRAME_WIDTH,
    SHADE,
    Styles,
    field_table,
    grid_style,
    heading,
    markup,
    para,
    render,
    signature_row,
    styles_for,
)

# The wording regulators require on every wealth-product sale (资管新规 / 理财销售办法).
STANDARD_DISCLOSURES: Final = (
    "理财非存款，产品有风险，投资须谨慎。理财产品、基金、保险等非存款产品不属于存款保险保障范围，"
    "过往业绩不代表未来表现，预期收益率不等于实际收益。",
    "本建议书根据您在本行的风险承受能力评估结果和持有产品情况制作，仅供参考，不构成要约；"
    "产品的具体条款以正式产品说明书、合同及风险揭示书为准。",
    "风险等级高于您风险承受能力的产品不会向您推荐；如您的财务状况或投资目标发生变化，"
    "请及时重新进行风险承受能力评估。",
)


def proposal_pdf(data: ProposalData, imprint: Imprint, *, font: str | None = None) -> RenderedPdf:
    name = font or register_cjk_font()
    return render(
        proposal_story(data, styles_for(name)),
        imprint,
        title=document_name("金融服务方案建议书", data.customer.customer_no),
        font=name,
        subject=f"方案 {data.proposal_no}",
    )


def _rate_text(line: ProposalLineData) -> str:
    parts = []
    if line.rate is not None:
        parts.append(f"利率 {format_rate(line.rate)}")
    if line.fee_rate is not None:
        parts.append(f"费率 {format_rate(line.fee_rate)}")
    return "<br/>".join(parts) or "—"


def proposal_story(data: ProposalData, styles: Styles) -> list[Flowable]:
    who = data.customer
    if data.risk_tolerance is None:
        risk = "未评估"
    elif data.risk_expires_on is None:
        risk = data.risk_tolerance
    else:
        risk = f"{data.risk_tolerance}（有效期至{format_date(data.risk_expires_on)}）"
    subtitle = (
        f"方案编号 {data.proposal_no}　·　{format_date(data.created_on)}　·　{data.status_label}"
    )
    story: list[Flowable] = [
        Paragraph("金融服务方案建议书", styles.title),
        Paragraph(markup(subtitle), styles.subtitle),
        Spacer(1, 2 * mm),
        Paragraph(markup(f"尊敬的{who.name}："), styles.body),
        Paragraph(
            markup(
                f"根据您的资产状况、人生阶段和需求，我们为您准备了“{data.title}”方案"
                + (
                    f"（{data.template_name}）"
                    if data.template_name and data.template_name != data.title
                    else ""
                )
                + "，请您参阅。"
            ),
            styles.body,
        ),
        *heading("客户信息", styles),
        field_table(
            [
                ("客户姓名", who.name),
                ("客户号", who.customer_no),
                (who.id_label, who.id_text or "未登记"),
                ("手机号码", who.phone_text or "未登记"),
                ("客户等级", who.tier or "未分层"),
                ("风险承受能力", risk),
            ],
            styles,
        ),
        *heading("为什么推荐这个组合", styles),
    ]
    if data.reasons:
        story += [para(f"{i}. {reason}", styles.body) for i, reason in enumerate(data.reasons, 1)]
    else:
        story.append(Paragraph("—", styles.muted))
    story += heading("方案内容", styles)
    story.append(_lines_table(data, styles))
    story += heading("风险揭示与重要提示", styles)
    story += _disclosures(data, styles)
    valid = format_date(data.valid_until) if data.valid_until else "另行通知"
    story += [
        Spacer(1, 2 * mm),
        _valid_until(f"本建议书有效期至：{valid}", styles),
        CondPageBreak(45 * mm),
        *heading("您的客户经理", styles),
        KeepTogether(
            [
                field_table(
                    [
                        ("客户经理", data.rm_name or "—"),
                        ("联系电话", data.rm_phone or "—"),
                        ("电子邮箱", data.rm_email or "—"),
                        ("所属网点", data.branch_name or "—"),
                    ],
                    styles,
                ),
                Spacer(1, 8 * mm),
                signature_row(("客户签字：", "客户经理签字：", "日期："), styles),
            ]
        ),
    ]
    return story


def _lines_table(data: ProposalData, styles: Styles) -> Table:
    header = ["产品", "类型", "金额", "利率 / 费率", "期限", "风险等级与适合度"]
    right = {2, 3, 4}
    rows: list[list[Flowable | str]] = [
        [
            Paragraph(h, styles.cell_label_right if i in right else styles.cell_label)
            for i, h in enumerate(header)
        ]
    ]
    for line in data.lines:
        term = "—" if line.term_months is None else f"{line.term_months}个月"
        rows.append(
            [
                Paragraph(
                    f"{markup(line.product_name)}<br/>"
                    f'<font size="7" color="#666666">{markup(line.product_code)}</font>',
                    styles.cell,
                ),
                para(line.product_type_label, styles.cell),
                para(line.amount_text, styles.cell_right),
                Paragraph(_rate_text(line), styles.cell_right),
                para(term, styles.cell_right),
                para(line.suitability, styles.cell),
            ]
        )
    rows.append(
        [
            Paragraph("合计", styles.cell_label),
            "",
            para(data.total_amount_text, styles.cell_right),
            "",
            "",
            "",
        ]
    )
    widths = [0.0, 20 * mm, 24 * mm, 26 * mm, 16 * mm, 34 * mm]
    widths[0] = FRAME_WIDTH - sum(widths)
    table = Table(rows, colWidths=widths, hAlign="LEFT", repeatRows=1)
    style = grid_style(styles.font)
    style.add("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), SHADE)
    table.setStyle(style)
    return table


def _disclosures(data: ProposalData, styles: Styles) -> list[Flowable]:
    flowables: list[Flowable] = [
        para(f"{i}. {text}", styles.small) for i, text in enumerate(STANDARD_DISCLOSURES, 1)
    ]
    products = [line for line in data.lines if line.disclosure]
    if products:
        flowables.append(Spacer(1, 1.5 * mm))
        flowables.append(Paragraph("各产品的风险揭示：", styles.small))
        flowables += [
            Paragraph(
                f"· {markup(line.product_name)}"
                + (
                    f"（{markup(line.risk_level)}）"
                    if line.risk_level and line.risk_level not in line.product_name
                    else ""
                )
                + f"：{markup(line.disclosure)}",
                styles.small,
            )
            for line in products
        ]
    return flowables


def _valid_until(text: str, styles: Styles) -> Table:
    table = Table(
        [[Paragraph(f'<font color="{ACCENT.hexval()}">{markup(text)}</font>', styles.body)]],
        colWidths=[FRAME_WIDTH],
        hAlign="LEFT",
    )
    table.setStyle(grid_style(styles.font, header_rows=1))
    return table
