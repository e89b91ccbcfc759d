"""The documents service over a real cache: PDFs read back with poppler, the audit rows
and their outbox entries, masking and reveal, the day's batch, and the failures
(no Chinese font, a path that cannot be written) leaving nothing behind."""

from __future__ import annotations

import errno
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from rm_workbench.config import bank_config
from rm_workbench.domain.masking import mask
from rm_workbench.errors import FontNotFoundError, ReportError, ValidationError
from rm_workbench.models import AuditLog
from rm_workbench.reports.fonts import FONT_ENV
from rm_workbench.services.documents import DocumentResult, DocumentService
from rm_workbench.services.proposals import ProposalItem, ProposalService
from rm_workbench.services.visits import VisitService
from tests.reports.samples import pdf_fonts, pdf_page_texts, pdf_pages, pdf_text, squash
from tests.services.helpers import NOW, TODAY, Book, at, count_rows, days_ago, outbox

VALID_ID = "11010519491231002X"
MOBILE = "13800138000"
USER = "E880001"
TOMORROW = date(2026, 11, 26)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where the documents go (the cache file is in ``tmp_path`` itself)."""
    folder = tmp_path / "documents"
    folder.mkdir()
    return folder


def service(book: Book, **extra: object) -> DocumentService:
    return DocumentService(book.cache, rm_id=book.rm_id, user_name=USER, **extra)  # type: ignore[arg-type]


def rich_customer(book: Book, name: str = "王芳") -> str:
    customer = book.customer(
        name,
        id_type="resident_id",
        id_number=VALID_ID,
        mobile_phone=MOBILE,
        birth_date=date(1979, 5, 1),
        gender="female",
        marital_status="married",
        children_count=1,
        risk_tolerance="C3",
        risk_expires_on=date(2027, 6, 1),
        tier="黄金",
        aum=Decimal("1500000"),
    )
    book.account(
        customer,
        "time_deposit",
        "500000",
        product_name="三年期定期存款",
        matures_on=date(2026, 12, 20),
        rate=Decimal("0.0275"),
    )
    book.account(customer, "wealth", "300000", product_name="稳享理财")
    book.account(customer, "mortgage", "800000", product_name="住房按揭")
    book.contact(customer, at(days_ago(3)), summary="季度回访", content="客户关心到期续作")
    book.need(customer, summary="子女留学资金")
    return customer


def audit_rows(book: Book, action: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.at)
    if action is not None:
        query = query.where(AuditLog.action == action)
    with book.cache.session() as session:
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def assert_audited(book: Book, result: DocumentResult, action: str) -> list[AuditLog]:
    assert result.change is not None
    assert result.change.tables == frozenset({"audit_log"})
    rows = audit_rows(book, action)
    assert [r.id for r in rows] == list(result.change.ids)
    assert [r.entity_id for r in rows] == list(result.customer_ids)
    assert all(r.user_name == USER and r.entity_type == "customer" for r in rows)
    pushed = {e.row_id for e in outbox(book.cache) if e.table == "audit_log" and e.op == "insert"}
    assert set(result.change.ids) <= pushed
    return rows


def assert_embedded(path: Path) -> None:
    fonts = pdf_fonts(path)
    assert fonts
    assert all(f["emb"] == "yes" for f in fonts), fonts


def test_a_saved_brief_reads_back_and_is_audited(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    path = out / "brief.pdf"
    result = service(book).brief(customer, path, today=TODAY)

    assert result.kind == "brief"
    assert result.path == path
    assert result.pages == pdf_pages(path) == 1
    assert result.customer_ids == (customer,)
    assert not result.revealed
    text = squash(pdf_text(path))
    for expected in (
        "王芳",
        mask("id_number", VALID_ID),
        mask("phone", MOBILE),
        bank_config().bank.name,
        "第1页/共1页",
        "内部资料",
        "定期存款",
        "住房贷款（负债）",
        "季度回访",
        "子女留学资金",
        "2026年12月20日",  # maturing within the brief's window
        "打印人：许丹妮（E880001）",
    ):
        assert expected in text, expected
    talking = ProposalService(book.cache, rm_id=book.rm_id).recommend(customer, today=TODAY)
    assert talking.talking_points
    for point in talking.talking_points[:5]:
        assert squash(point)[:20] in text, point
    assert VALID_ID not in text
    assert MOBILE not in text
    assert_embedded(path)

    (row,) = assert_audited(book, result, "save_brief")
    assert "王芳" in (row.details or "")
    assert "brief.pdf" in (row.details or "")
    assert "已遮蔽" in (row.details or "")
    assert [p.name for p in out.iterdir()] == ["brief.pdf"]  # no temporary left


def test_reveal_prints_the_clear_identifiers_and_the_audit_says_so(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    result = service(book).brief(customer, out / "b.pdf", reveal=True, today=TODAY)
    text = squash(pdf_text(result.path))
    assert VALID_ID in text
    assert MOBILE in text
    assert result.revealed
    (row,) = assert_audited(book, result, "save_brief")
    assert "完整证件号码和手机号码" in (row.details or "")


def test_a_print_is_recorded_only_once_it_went_out(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    docs = service(book)
    result = docs.brief(customer, out / "to-print.pdf", purpose="print", today=TODAY)
    assert result.change is None
    assert result.path.exists()
    assert audit_rows(book) == []

    change = docs.record_print(result, "HP LaserJet 1020 (3楼)")
    assert change.kind == "document_printed"
    assert change.customer_id == customer
    (row,) = audit_rows(book, "print_brief")
    assert row.id == change.id
    assert row.entity_id == customer
    assert row.user_name == USER
    assert "HP LaserJet 1020 (3楼)" in (row.details or "")
    assert "已遮蔽" in (row.details or "")
    assert change.id in {e.row_id for e in outbox(book.cache) if e.table == "audit_log"}


def test_the_days_briefs_one_page_per_visit_in_time_order(book: Book, out: Path) -> None:
    first = rich_customer(book, "王芳")
    second = book.customer("李雷", id_number="110105198001010011", mobile_phone="13900139000")
    third = book.customer("韩梅梅")
    book.visit(first, at(TOMORROW, 15))
    book.visit(second, at(TOMORROW, 9), place="客户公司", purpose="年度回顾")
    book.visit(third, at(TOMORROW, 11), status="cancelled")
    book.visit(third, at(TOMORROW + (TOMORROW - TODAY), 10))  # another day
    book.visit(first, at(TOMORROW, 17), status="done")  # done visits are still that day's

    result = service(book).briefs_for_day(TOMORROW, out / "day.pdf")
    assert result.kind == "briefs"
    assert result.pages == pdf_pages(result.path) == 3
    assert result.customer_ids == (second, first)
    pages = [squash(p) for p in pdf_page_texts(result.path)]
    assert "李雷" in pages[0] and "年度回顾" in pages[0] and "09:00" in pages[0]
    assert "王芳" in pages[1] and "15:00" in pages[1]
    assert "王芳" in pages[2] and "17:00" in pages[2]
    assert all("韩梅梅" not in p for p in pages)
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页/共3页" in page
    assert mask("id_number", "110105198001010011") in pages[0]
    assert "110105198001010011" not in "".join(pages)
    assert_embedded(result.path)
    rows = assert_audited(book, result, "save_briefs")
    assert len(rows) == 2  # one row per customer in the batch


def test_a_day_without_visits_is_refused(book: Book, out: Path) -> None:
    rich_customer(book)
    with pytest.raises(ValidationError) as caught:
        service(book).briefs_for_day(date(2026, 11, 23), out / "day.pdf")
    assert caught.value.user_message == "11月23日没有计划拜访"
    assert not (out / "day.pdf").exists()


def test_a_visit_report_reads_back(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    visit = book.visit(customer, at(days_ago(1), 14), place="西湖区文三路100号")
    VisitService(book.cache, rm_id=book.rm_id).complete(
        visit,
        report="客户同意到期后续作大额存单。",
        outcome="同意续作",
        attendees="客户及配偶",
        cost="88",
        now=NOW,
    )
    result = service(book).visit_report(visit, out / "visit.pdf")
    text = squash(pdf_text(result.path))
    for expected in (
        "拜访报告",
        "王芳",
        mask("id_number", VALID_ID),
        "客户同意到期后续作大额存单",
        "同意续作",
        "客户及配偶",
        "西湖区文三路100号",
        "¥88.00",
        "子女留学资金",
        "第1页/共1页",
        bank_config().bank.name,
    ):
        assert expected in text, expected
    assert VALID_ID not in text
    assert result.pages == pdf_pages(result.path) == 1
    assert_embedded(result.path)
    assert_audited(book, result, "save_visit_report")


def test_a_proposal_reads_back_with_every_product(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    proposals = ProposalService(book.cache, rm_id=book.rm_id, user_name=USER)
    recorded = proposals.record(
        customer,
        title="稳健增值组合",
        items=[ProposalItem("WM001", Decimal("100000")), ProposalItem("TD3Y", Decimal("200000"))],
        reasons=["三年期定期存款即将到期，可续作锁定收益"],
        valid_until=date(2026, 12, 31),
        now=NOW,
    )
    view = proposals.view(recorded.id, now=NOW)
    result = service(book).proposal(recorded.id, out / "proposal.pdf")
    text = squash(pdf_text(result.path))
    for line in view.lines:
        assert squash(line.product_name) in text
        assert squash(line.suitability) in text
    for expected in (
        "金融服务方案建议书",
        view.proposal_no,
        "王芳",
        mask("id_number", VALID_ID),
        mask("phone", MOBILE),
        "稳健增值组合",
        "三年期定期存款即将到期",
        "本建议书有效期至：2026年12月31日",
        "理财非存款",
        "许丹妮",  # the RM to call
        "30万元",
        "第1页/共1页",
        bank_config().bank.name,
    ):
        assert expected in text, expected
    assert VALID_ID not in text
    assert "内部资料" not in text
    assert result.pages == pdf_pages(result.path)
    assert_embedded(result.path)
    (row,) = assert_audited(book, result, "save_proposal")
    assert view.proposal_no in (row.details or "")


def test_another_rms_customer_is_refused(book: Book, out: Path) -> None:
    theirs = book.customer("张三", rm_id=book.other_rm_id)
    with pytest.raises(ValidationError):
        service(book).brief(theirs, out / "b.pdf", today=TODAY)
    assert list(out.iterdir()) == []
    assert audit_rows(book) == []


def test_no_chinese_font_is_a_clear_error_and_nothing_is_written(
    book: Book, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)
    customer = rich_customer(book)
    empty = out.parent / "fonts"
    empty.mkdir()
    with pytest.raises(FontNotFoundError) as caught:
        service(book, font_dirs=[empty]).brief(customer, out / "b.pdf", today=TODAY)
    assert "fonts-wqy-microhei" in caught.value.user_message
    assert list(out.iterdir()) == []
    assert count_rows(book.cache, AuditLog) == 0


def test_a_folder_that_does_not_exist_is_a_clear_error(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    (out / "a-file").write_text("x")
    for path in (out / "missing" / "b.pdf", out / "a-file" / "b.pdf"):
        with pytest.raises(ReportError) as caught:
            service(book).brief(customer, path, today=TODAY)
        assert "b.pdf" in caught.value.user_message
        assert "文件夹不存在" in caught.value.user_message
    assert sorted(p.name for p in out.iterdir()) == ["a-file"]
    assert audit_rows(book) == []


def test_a_failed_rename_rolls_back_the_audit_and_leaves_no_file(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    taken = out / "brief.pdf"
    taken.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(ReportError):
        service(book).brief(customer, taken, today=TODAY)
    assert [p.name for p in out.iterdir()] == ["brief.pdf"]
    assert list(taken.iterdir()) == []
    assert audit_rows(book) == []
    assert not [e for e in outbox(book.cache) if e.table == "audit_log"]


def test_a_full_disk_leaves_no_half_file(
    book: Book, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = rich_customer(book)

    def disk_full(_fd: int) -> None:  # the machine's disk is not full: simulate it
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("rm_workbench.services.documents.os.fsync", disk_full)
    with pytest.raises(ReportError) as caught:
        service(book).brief(customer, out / "b.pdf", today=TODAY)
    assert "磁盘空间已满" in caught.value.user_message
    assert list(out.iterdir()) == []
    assert audit_rows(book) == []


def test_saving_over_an_existing_file_replaces_it(book: Book, out: Path) -> None:
    customer = rich_customer(book)
    path = out / "b.pdf"
    path.write_bytes(b"old")
    service(book).brief(customer, path, today=TODAY)
    assert path.read_bytes().startswith(b"%PDF")
    assert [p.name for p in out.iterdir()] == ["b.pdf"]


def test_a_batch_print_records_one_row_per_customer(book: Book, out: Path) -> None:
    first = rich_customer(book, "王芳")
    second = book.customer("李雷")
    book.visit(first, at(TOMORROW, 9))
    book.visit(second, at(TOMORROW, 10))
    docs = service(book)
    result = docs.briefs_for_day(TOMORROW, out / "d.pdf", purpose="print")
    assert audit_rows(book) == []
    change = docs.record_print(result, "Canon")
    rows = audit_rows(book, "print_briefs")
    assert [r.entity_id for r in rows] == [first, second]
    assert change.customer_id is None
    assert set(change.ids) == {r.id for r in rows}
    assert all("Canon" in (r.details or "") for r in rows)


def test_a_corporate_brief_shows_the_masked_credit_code(book: Book, out: Path) -> None:
    code = "91110000600037341L"
    company = book.customer(
        "杭州示范贸易有限公司",
        category="corporate",
        id_type="credit_code",
        credit_code=code,
        other_phone="057188886666",
    )
    result = service(book).brief(company, out / "corp.pdf", today=TODAY)
    text = squash(pdf_text(result.path))
    assert "统一社会信用代码" in text
    assert mask("credit_code", code) in text
    assert mask("phone", "057188886666") in text
    assert code not in text
    assert "杭州示范贸易有限公司" in text
    assert result.pages == 1
