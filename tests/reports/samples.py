"""Document data made by hand, and reading PDFs back (pdftotext, pdffonts, pdfinfo)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rm_workbench.reports.data import (
    BriefData,
    ContactLine,
    CustomerIdentity,
    HoldingSlice,
    Imprint,
    MaturityLine,
    NeedLine,
    ProposalData,
    ProposalLineData,
    VisitLine,
    VisitReportData,
)

TODAY = date(2026, 11, 25)
PRINTED_AT = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
CLEAR_ID = "11010519491231002X"
MASKED_ID = "1101**********002X"
MASKED_PHONE = "138****8000"


def imprint(logo: Path | None = None) -> Imprint:
    return Imprint(
        bank_name="示范商业银行",
        bank_short_name="示范银行",
        logo=logo,
        printed_by="许丹妮",
        printed_at=PRINTED_AT,
    )


def identity(**changes: object) -> CustomerIdentity:
    base = CustomerIdentity(
        customer_id="c-1",
        customer_no="C00000042",
        name="欧阳婉清",
        id_label="居民身份证",
        id_text=MASKED_ID,
        phone_text=MASKED_PHONE,
        tier="黄金",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def holding(label: str, wan: str, count: int = 1, liability: bool = False) -> HoldingSlice:
    return HoldingSlice(
        label=label,
        count=count,
        total_wan=Decimal(wan),
        total_text=f"{wan}万元",
        is_liability=liability,
    )


def brief(**changes: object) -> BriefData:
    base = BriefData(
        customer=identity(),
        category_label="个人客户",
        gender_label="女",
        age=46,
        life_stage="家庭成熟期",
        occupation="中学教师",
        lifecycle_label="活跃",
        risk_tolerance="C3",
        risk_expires_on=date(2027, 3, 1),
        risk_expired=False,
        aum_text="186.5万元",
        contribution_text="1.2万元",
        customer_since=date(2012, 4, 9),
        rm_name="许丹妮",
        branch_name="示范银行杭州分行",
        relations=("家庭 欧阳之家（户主）",),
        warnings=("缺少联系地址",),
        holdings=(
            holding("定期存款", "80", 2),
            holding("理财产品", "60", 1),
            holding("活期存款", "26.5", 1),
            holding("基金", "20", 3),
            holding("住房贷款", "120", 1, liability=True),
        ),
        assets_text="186.5万元",
        liabilities_text="120万元",
        contacts=(
            ContactLine(date(2026, 11, 20), "电话：季度回访", "客户关心明年到期的定期如何续作"),
            ContactLine(date(2026, 10, 8), "微信：节日问候", None),
        ),
        contacts_total=2,
        needs=(NeedLine(date(2026, 9, 1), "子女教育", "女儿明年出国留学资金", "处理中"),),
        maturities=(
            MaturityLine(date(2026, 12, 15), "三年期定期存款", "50万元", Decimal("0.0275")),
        ),
        maturity_window_days=90,
        talking_points=(
            "三年期定期存款 50万元 将于12月15日到期，可介绍大额存单续作。",
            "女儿明年出国留学：可介绍留学金融服务与境外汇款。",
        ),
        today=TODAY,
        visit=VisitLine(
            start=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
            end=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
            category_label="上门拜访",
            place="西湖区文三路100号",
            purpose="到期资金续作",
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def crowded_brief() -> BriefData:
    """A customer with far more than a page holds: every list must be cut."""
    kinds = ["定期存款", "理财产品", "活期存款", "基金", "保险", "大额存单", "贵金属", "个人养老金"]
    start = datetime(2026, 11, 24, 2, tzinfo=UTC)
    return brief(
        holdings=(
            *(holding(k, str(100 - 10 * i), i + 1) for i, k in enumerate(kinds)),
            holding("住房贷款", "300", 1, liability=True),
            holding("信用卡", "2.5", 2, liability=True),
        ),
        warnings=tuple(f"数据问题第{i}条：证件号码校验位错误，需核实" for i in range(6)),
        contacts=tuple(
            ContactLine(
                (start - timedelta(days=3 * i)).date(),
                f"电话：第{i}次回访",
                "客户详细谈到了家庭资产配置的想法，包括子女教育、父母养老和房产置换的长期打算" * 3,
            )
            for i in range(40)
        ),
        contacts_total=173,
        needs=tuple(
            NeedLine(
                TODAY - timedelta(days=10 * i), "养老规划", f"需求{i}：" + "退休规划" * 20, "待处理"
            )
            for i in range(12)
        ),
        maturities=tuple(
            MaturityLine(TODAY + timedelta(days=7 * i), f"到期产品{i}", "10万元", Decimal("0.02"))
            for i in range(9)
        ),
        talking_points=tuple(
            f"沟通要点{i}：" + "介绍稳健型产品组合的配置思路" * 8 for i in range(9)
        ),
        relations=("家庭 欧阳之家（户主）", "集团 欧阳实业集团（实际控制人）"),
    )


def visit_report(**changes: object) -> VisitReportData:
    base = VisitReportData(
        customer=identity(),
        visit_no="V202611260001",
        category_label="上门拜访",
        status_label="已完成",
        planned_start=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
        planned_end=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
        actual_start=datetime(2026, 11, 26, 6, 10, tzinfo=UTC),
        actual_end=datetime(2026, 11, 26, 7, 20, tzinfo=UTC),
        place="西湖区文三路100号",
        purpose="到期资金续作",
        attendees="客户及其配偶",
        outcome="同意续作大额存单",
        report="客户对大额存单利率满意，同意到期后续作。\n\n洽谈产品：三年期大额存单（LCD3Y）",
        follow_up_due=date(2026, 12, 10),
        cost_text="¥120.00",
        rm_name="许丹妮",
        branch_name="示范银行杭州分行",
        open_needs=(NeedLine(date(2026, 9, 1), "子女教育", "女儿明年出国留学资金", "处理中"),),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def proposal(**changes: object) -> ProposalData:
    lines = (
        ProposalLineData(
            product_code="LCD3Y",
            product_name="三年期大额存单",
            product_type_label="大额存单",
            amount_text="50万元",
            rate=Decimal("0.0235"),
            fee_rate=None,
            term_months=36,
            risk_level=None,
            suitability="非风险产品",
            disclosure=None,
        ),
        ProposalLineData(
            product_code="WM180",
            product_name="稳享理财180天",
            product_type_label="理财产品",
            amount_text="30万元",
            rate=Decimal("0.031"),
            fee_rate=Decimal("0.003"),
            term_months=6,
            risk_level="R2",
            suitability="R2 ≤ C3 适合",
            disclosure="本产品为非保本浮动收益型理财产品，可能出现本金损失。",
        ),
        ProposalLineData(
            product_code="EDU-INS",
            product_name="金色年华教育金保险",
            product_type_label="保险",
            amount_text="—",
            rate=None,
            fee_rate=None,
            term_months=120,
            risk_level=None,
            suitability="非风险产品",
            disclosure="保险产品由保险公司承保，犹豫期15天。",
        ),
    )
    base = ProposalData(
        customer=identity(),
        proposal_no="P202611250007",
        title="子女教育与稳健增值组合",
        status_label="已记录",
        template_name="家庭成熟期套餐",
        created_on=TODAY,
        valid_until=date(2026, 12, 25),
        risk_tolerance="C3",
        risk_expires_on=date(2027, 3, 1),
        reasons=(
            "女儿明年出国留学，需要一笔稳定的教育资金。",
            "定期存款即将到期，可续作锁定利率。",
        ),
        lines=lines,
        total_amount_text="80万元",
        rm_name="许丹妮",
        rm_phone="0571-88886666",
        rm_email="xudanni@example.com",
        branch_name="示范银行杭州分行",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- reading PDFs back ------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    """The text of the PDF as pdftotext extracts it (reading order)."""
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, re.MULTILINE)
    assert match is not None, info.stdout
    return int(match.group(1))


def pdf_page_texts(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdf_text(path).split("\f")[: pdf_pages(path)]


def pdf_fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table: one dict per font (name, type, emb, sub, uni)."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    lines = out.stdout.splitlines()
    header = lines[0]
    # Columns are fixed-width: find where each starts from the header line.
    starts = [header.index(col) for col in ("name", "type", "encoding", "emb", "sub", "uni")]
    fonts = []
    for line in lines[2:]:
        name = line[: starts[1]].strip()
        fields = line[starts[3] :].split()
        fonts.append(
            {
                "name": name,
                "type": line[starts[1] : starts[2]].strip(),
                "emb": fields[0],
                "sub": fields[1],
                "uni": fields[2],
            }
        )
    return fonts


def squash(text: str) -> str:
    """Text without whitespace: pdftotext may break a line anywhere in Chinese."""
    return "".join(text.split())
