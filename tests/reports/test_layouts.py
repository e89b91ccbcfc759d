"""The documents laid out from hand-made data, read back with poppler: Chinese text
extractable, identifiers as given (masked), page counts, fonts embedded, the logo."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from rm_workbench.reports import brief_pdf, briefs_pdf, proposal_pdf, visit_report_pdf
from rm_workbench.reports.data import RenderedPdf
from tests.reports import samples
from tests.reports.samples import (
    CLEAR_ID,
    MASKED_ID,
    MASKED_PHONE,
    pdf_fonts,
    pdf_page_texts,
    pdf_pages,
    pdf_text,
    squash,
)

LOGO = Path(__file__).resolve().parents[2] / "rm_workbench" / "resources" / "demo_logo.png"


def save(rendered: RenderedPdf, path: Path) -> Path:
    path.write_bytes(rendered.content)
    assert pdf_pages(path) == rendered.pages
    return path


def assert_fonts_embedded(path: Path) -> None:
    fonts = pdf_fonts(path)
    assert fonts, "no font at all"
    for font in fonts:
        assert font["emb"] == "yes", f"not embedded: {font}"
        assert font["type"].startswith("TrueType"), f"not the TrueType subset: {font}"


def test_brief_reads_back(tmp_path: Path) -> None:
    path = save(brief_pdf(samples.brief(), samples.imprint()), tmp_path / "brief.pdf")
    text = squash(pdf_text(path))
    assert pdf_pages(path) == 1
    for expected in (
        "欧阳婉清",
        "C00000042",
        MASKED_ID,
        MASKED_PHONE,
        "示范商业银行",
        "第1页/共1页",
        "内部资料",  # the watermark (and the footer's note)
        "黄金",
        "定期存款",
        "住房贷款（负债）",
        "186.5万元",
        "电话：季度回访",
        "女儿明年出国留学资金",
        "2026年12月15日",  # the maturity
        "2.75%",
        "可介绍大额存单续作",  # a talking point
        "C3（至2027年3月1日）",
        "打印人：许丹妮",
        "2026年11月25日10:30",  # printed at, in Beijing time
        "11月26日14:00–15:00",  # the visit it is for
    ):
        assert expected in text, expected
    assert CLEAR_ID not in text
    assert "13800138000" not in text
    assert_fonts_embedded(path)


def test_a_crowded_brief_stays_on_one_page(tmp_path: Path) -> None:
    path = save(brief_pdf(samples.crowded_brief(), samples.imprint()), tmp_path / "brief.pdf")
    assert pdf_pages(path) == 1
    text = squash(pdf_text(path))
    assert "近期联系（共173次）" in text
    assert "…另有168条" in text  # 173 contacts, 5 shown
    assert "…另有7条" in text  # 12 needs, 5 shown
    assert "…另有5条" in text  # 9 maturities, 4 shown
    assert "…另有4条" in text  # 9 talking points, 5 shown
    assert "…另有3类" in text  # 10 product types, 7 shown
    assert "…另有3条" in text  # 6 warnings, 3 shown
    assert "第1页/共1页" in text
    assert_fonts_embedded(path)


def test_a_customer_with_nothing_yet_gets_a_tidy_brief(tmp_path: Path) -> None:
    empty = samples.brief(
        holdings=(),
        contacts=(),
        contacts_total=0,
        needs=(),
        maturities=(),
        talking_points=(),
        warnings=(),
        relations=(),
        risk_tolerance=None,
        risk_expires_on=None,
        visit=None,
        customer=samples.identity(id_text="", phone_text="", tier=None),
    )
    path = save(brief_pdf(empty, samples.imprint()), tmp_path / "brief.pdf")
    text = squash(pdf_text(path))
    for expected in ("暂无持仓", "暂无联系记录", "暂无未结需求", "此期间没有到期的产品", "未评估"):
        assert expected in text, expected
    assert "未登记" in text
    assert pdf_pages(path) == 1


def test_a_batch_has_one_page_per_brief_numbered_through(tmp_path: Path) -> None:
    names = ["欧阳婉清", "司马光明", "张伟"]
    briefs = [samples.crowded_brief() if i == 1 else samples.brief() for i in range(3)]
    briefs = [
        replace(b, customer=replace(b.customer, name=name, customer_no=f"C0000000{i}"))
        for i, (b, name) in enumerate(zip(briefs, names, strict=True))
    ]
    rendered = briefs_pdf(briefs, samples.imprint(), title="2026年11月26日拜访客户简报")
    path = save(rendered, tmp_path / "day.pdf")
    assert rendered.pages == 3
    pages = [squash(page) for page in pdf_page_texts(path)]
    for number, (page, name) in enumerate(zip(pages, names, strict=True), start=1):
        assert name in page
        assert f"第{number}页/共3页" in page
        assert MASKED_ID in page
        assert "内部资料" in page
    assert_fonts_embedded(path)


def test_visit_report_reads_back(tmp_path: Path) -> None:
    path = save(visit_report_pdf(samples.visit_report(), samples.imprint()), tmp_path / "v.pdf")
    text = squash(pdf_text(path))
    for expected in (
        "拜访报告",
        "V202611260001",
        "欧阳婉清",
        MASKED_ID,
        MASKED_PHONE,
        "2026年11月26日14:00–15:00",
        "2026年11月26日14:10–15:20",
        "同意续作大额存单",
        "客户对大额存单利率满意",
        "洽谈产品：三年期大额存单（LCD3Y）",
        "2026年12月10日",
        "¥120.00",
        "女儿明年出国留学资金",
        "示范商业银行",
        "第1页/共1页",
    ):
        assert expected in text, expected
    assert "内部资料" not in text
    assert CLEAR_ID not in text
    assert pdf_pages(path) == 1
    assert_fonts_embedded(path)


def test_a_long_visit_report_runs_onto_numbered_pages(tmp_path: Path) -> None:
    notes = "\n\n".join(f"第{i}段：客户谈到家庭资产配置与子女教育安排。" * 12 for i in range(40))
    data = samples.visit_report(report=notes + "\n\n最后一段<结束>&")
    rendered = visit_report_pdf(data, samples.imprint())
    path = save(rendered, tmp_path / "long.pdf")
    assert rendered.pages >= 3
    pages = [squash(page) for page in pdf_page_texts(path)]
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页/共{rendered.pages}页" in page
        assert "示范商业银行" in page
    assert "最后一段<结束>&" in pages[-1]  # markup characters printed as typed
    assert "第39段" in "".join(pages)


def test_proposal_reads_back(tmp_path: Path) -> None:
    data = samples.proposal()
    path = save(proposal_pdf(data, samples.imprint()), tmp_path / "p.pdf")
    text = squash(pdf_text(path))
    for line in data.lines:
        assert squash(line.product_name) in text
        assert line.product_code in text
    for expected in (
        "金融服务方案建议书",
        "P202611250007",
        "欧阳婉清",
        MASKED_ID,
        MASKED_PHONE,
        "子女教育与稳健增值组合",
        "女儿明年出国留学",  # why this bundle
        "利率2.35%",
        "费率0.30%",
        "R2≤C3适合",
        "非风险产品",
        "C3（有效期至2027年3月1日）",
        "理财非存款，产品有风险，投资须谨慎",
        "可能出现本金损失",  # the product's own disclosure
        "本建议书有效期至：2026年12月25日",
        "许丹妮",
        "0571-88886666",
        "xudanni@example.com",
        "80万元",
        "第1页/共1页",
    ):
        assert expected in text, expected
    assert "内部资料" not in text
    assert pdf_pages(path) == 1
    assert_fonts_embedded(path)


def test_clear_identifiers_are_printed_only_when_given(tmp_path: Path) -> None:
    clear = samples.identity(id_text=CLEAR_ID, phone_text="13800138000", identifiers_masked=False)
    path = save(
        proposal_pdf(samples.proposal(customer=clear), samples.imprint()), tmp_path / "p.pdf"
    )
    text = squash(pdf_text(path))
    assert CLEAR_ID in text
    assert "13800138000" in text


def pdf_images(path: Path) -> int:
    """Images drawn (pdfimages lists a PNG's alpha channel as a separate "smask")."""
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True)
    rows = [line.split() for line in out.stdout.decode().splitlines()[2:]]
    return sum(1 for row in rows if row[2] == "image")


def test_the_logo_is_printed_on_every_page(tmp_path: Path) -> None:
    assert LOGO.exists()
    briefs = [samples.brief(), samples.brief()]
    rendered = briefs_pdf(briefs, samples.imprint(logo=LOGO), title="批量")
    path = save(rendered, tmp_path / "logo.pdf")
    assert pdf_images(path) == 2


@pytest.mark.parametrize("kind", ["missing", "broken"])
def test_a_bad_logo_prints_without_it_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    logo = tmp_path / f"{kind}.png"
    if kind == "broken":
        logo.write_text("not a picture")
    with caplog.at_level(logging.WARNING, logger="rm_workbench.reports.template"):
        rendered = brief_pdf(samples.brief(), samples.imprint(logo=logo))
    path = save(rendered, tmp_path / "brief.pdf")
    assert pdf_images(path) == 0
    assert "示范商业银行" in pdf_text(path)
    assert any(str(logo) in r.getMessage() for r in caplog.records)


def test_chinese_punctuation_never_starts_a_line(tmp_path: Path) -> None:
    # Sentences of every length from 1 to 60 characters before a comma: without the
    # line-breaking rule some "，" or "；" would land at the start of a line.
    notes = "\n\n".join(
        "客" * n + "，" + "户" * (60 - n) + "；" + "谈" * (n % 7) + "：完成。" for n in range(1, 61)
    )
    path = save(
        visit_report_pdf(samples.visit_report(report=notes), samples.imprint()),
        tmp_path / "punctuation.pdf",
    )
    lines = [line.strip() for line in pdf_text(path).splitlines() if line.strip()]
    assert sum("，" in line for line in lines) >= 60
    assert not [line for line in lines if line[0] in "，；：。、"]
