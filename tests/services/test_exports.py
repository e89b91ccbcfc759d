"""Exports: the visit schedule read back with icalendar, the customer list with
openpyxl, the audit row (and its outbox entry) of each export, and failed exports
that leave neither a file nor a record; on a real migrated cache."""

from __future__ import annotations

import errno
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from icalendar import Calendar
from sqlalchemy import Connection, select

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import rebuild_index
from rm_workbench.domain.masking import mask
from rm_workbench.errors import DiskFullError, ExportError, ValidationError
from rm_workbench.models import AuditLog
from rm_workbench.services import exports
from rm_workbench.services.changes import write_transaction
from rm_workbench.services.customer_query import CustomerQuery, SortColumn
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.exports import ExportService
from rm_workbench.services.visits import VisitService
from tests.services.helpers import NOW, TODAY, Book, at, count_rows, outbox

WANG_ID = "110105194912310021"
WANG_MOBILE = "13800138000"
LI_ID = "330106198003151234"
LI_MOBILE = "13912345678"
CORP_CODE = "91330100MA2B3C4D5E"
TYPED_PHONE = "13712345678"  # a phone number the RM typed into a visit's place
MONDAY, SUNDAY = date(2026, 11, 23), date(2026, 11, 29)
OLD = datetime(2026, 1, 1, tzinfo=UTC)  # a row's last change, long before the tests' edits
SECRETS = (WANG_ID, WANG_MOBILE, LI_ID, LI_MOBILE, CORP_CODE, TYPED_PHONE)


def audits(cache: Cache) -> list[AuditLog]:
    with cache.sessions() as session:
        return list(session.scalars(select(AuditLog).order_by(AuditLog.at)))


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def unfolded(path: Path) -> str:
    """The iCalendar text with folded lines joined, so a split number is still found."""
    return path.read_bytes().decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


def events(path: Path) -> list[Any]:
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def sheet_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "exports"
    made.mkdir()
    return made


# --- the visit schedule ------------------------------------------------------------------


@pytest.fixture
def schedule(book: Book) -> dict[str, str]:
    """Two customers of the RM's book with visits in the week of TODAY, and visits
    that must stay out (another week, another RM, deleted)."""
    wang = book.customer("王建国", tier="顶级", id_number=WANG_ID, mobile_phone=WANG_MOBILE)
    li = book.customer("李秀英", tier=None, id_number=LI_ID, mobile_phone=LI_MOBILE)
    book.account(wang, "wealth", "1234567.89")
    theirs = book.customer("赵敏", rm_id=book.other_rm_id)
    return {
        "wang": wang,
        # 00:30 on Monday in Beijing is Sunday 16:30 UTC: in the week.
        "first": book.visit(
            li, at(MONDAY, 0, 30), purpose="开户回访", planned_end=None, updated_at=OLD
        ),
        "planned": book.visit(
            wang,
            at(TODAY, 10),
            place=f"客户公司（联系电话 {TYPED_PHONE}）",
            purpose="资产配置回顾",
            category="company",
            cost=Decimal("888.88"),
            updated_at=OLD,
        ),
        "cancelled": book.visit(wang, at(TODAY + timedelta(days=1), 14), status="cancelled"),
        "done": book.visit(li, at(TODAY - timedelta(days=1), 9), status="done", updated_at=OLD),
        # Out: 23:30 on the Sunday before in Beijing, the next week, another RM, deleted.
        "before": book.visit(wang, at(MONDAY - timedelta(days=1), 23, 30)),
        "after": book.visit(wang, at(SUNDAY + timedelta(days=1), 9)),
        "theirs": book.visit(theirs, at(TODAY, 11), rm_id=book.other_rm_id),
        "deleted": book.visit(wang, at(TODAY, 16), deleted=True),
    }


def test_the_week_parses_as_a_calendar_with_one_event_per_visit(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    target = folder / "拜访日程.ics"
    result = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").visits_ical(
        target, MONDAY, SUNDAY, now=NOW
    )

    assert result.kind == "visits_ical" and result.path == target and result.count == 4
    calendar = Calendar.from_ical(target.read_bytes())
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"]) == exports.PRODID
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert str(calendar["X-WR-CALNAME"]) == "示范银行拜访日程"
    found = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(found) == {schedule[k] for k in ("first", "planned", "cancelled", "done")}
    visits = VisitService(cache)
    for visit_id, event in found.items():
        stored = visits.get(visit_id)
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == stored.planned_start and start.utcoffset() == timedelta(0)
        assert end == (stored.planned_end or stored.planned_start + timedelta(hours=1))
        assert event.decoded("DTSTAMP") == NOW
        assert str(event["UID"]) == f"{visit_id}@{exports.UID_DOMAIN}"

    planned = found[schedule["planned"]]
    assert str(planned["SUMMARY"]) == "拜访：王建国（顶级）"
    assert str(planned["STATUS"]) == "CONFIRMED"
    assert str(planned["LOCATION"]) == f"客户公司（联系电话 {mask('phone', TYPED_PHONE)}）"
    assert str(planned["DESCRIPTION"]) == "拜访目的：资产配置回顾\n拜访方式：企业走访\n状态：计划中"
    assert str(found[schedule["first"]]["SUMMARY"]) == "拜访：李秀英"  # no tier, no brackets
    assert str(found[schedule["cancelled"]]["STATUS"]) == "CANCELLED"
    assert str(found[schedule["done"]]["STATUS"]) == "CONFIRMED"
    assert int(planned["SEQUENCE"]) > 0

    text = unfolded(target)
    for secret in (*SECRETS, "1234567.89", "1,234,567", "888.88"):
        assert secret not in text


def test_a_reexport_keeps_each_uid_and_tells_outlook_what_changed(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    service = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮")
    target = folder / "week.ics"
    service.visits_ical(target, MONDAY, SUNDAY)
    before = {str(e["UID"]): e for e in events(target)}

    visits = VisitService(cache, rm_id=book.rm_id)
    moved_to = at(TODAY, 15)
    visits.reschedule(schedule["planned"], start=moved_to)
    visits.cancel(schedule["first"], reason="客户出差")
    service.visits_ical(target, MONDAY, SUNDAY)  # over the first file
    after = {str(e["UID"]): e for e in events(target)}

    assert set(after) == set(before)
    moved = f"{schedule['planned']}@{exports.UID_DOMAIN}"
    assert after[moved].decoded("DTSTART") == moved_to
    assert after[moved].decoded("DTEND") == moved_to + timedelta(hours=1)
    assert int(after[moved]["SEQUENCE"]) > int(before[moved]["SEQUENCE"])
    cancelled = f"{schedule['first']}@{exports.UID_DOMAIN}"
    assert str(before[cancelled]["STATUS"]) == "CONFIRMED"
    assert str(after[cancelled]["STATUS"]) == "CANCELLED"
    assert int(after[cancelled]["SEQUENCE"]) > int(before[cancelled]["SEQUENCE"])
    untouched = f"{schedule['done']}@{exports.UID_DOMAIN}"
    assert int(after[untouched]["SEQUENCE"]) == int(before[untouched]["SEQUENCE"])
    assert files_in(folder) == ["week.ics"]  # no temporary file left behind


def test_each_visit_export_is_audited_through_the_outbox(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    result = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").visits_ical(
        folder / "week.ics", MONDAY, SUNDAY, now=NOW
    )

    [row] = audits(cache)
    assert (row.user_name, row.action, row.at) == ("许丹妮", "export_visits", NOW)
    assert row.details is not None
    assert "2026-11-23 至 2026-11-29" in row.details
    assert "4 个拜访（其中已取消 1 个）" in row.details and "week.ics" in row.details
    assert result.change.kind == "visits_exported"
    assert result.change.ids == (row.id,) and result.change.touches("audit_log")
    [entry] = outbox(cache)
    assert (entry.table, entry.op, entry.row_id) == ("audit_log", "insert", row.id)
    assert entry.fields["action"]["new"] == "export_visits"

    # Without a user name the audit row names the operating-system user.
    again = ExportService(cache, rm_id=book.rm_id).visits_ical(folder / "again.ics", TODAY, TODAY)
    by_id = {a.id: a for a in audits(cache)}
    assert by_id[again.change.id].user_name == getpass.getuser()[:32]


def test_a_period_without_visits_gives_no_file_and_no_record(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    service = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮")
    empty = date(2026, 12, 7)
    with pytest.raises(ValidationError, match="没有拜访安排"):
        service.visits_ical(folder / "empty.ics", empty, empty + timedelta(days=6))
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        service.visits_ical(folder / "reversed.ics", SUNDAY, MONDAY)
    # Another RM's calendar holds only their own visit.
    theirs = ExportService(cache, rm_id=book.other_rm_id, user_name="王磊")
    assert theirs.visits_ical(folder / "theirs.ics", TODAY, TODAY).count == 1

    assert files_in(folder) == ["theirs.ics"]
    assert [a.user_name for a in audits(cache)] == ["王磊"]


# --- the customer list ---------------------------------------------------------------------


@pytest.fixture
def customers(book: Book) -> dict[str, str]:
    ids = {
        "wang": book.customer(
            "王建国",
            tier="顶级",
            id_number=WANG_ID,
            mobile_phone=WANG_MOBILE,
            aum=Decimal("6500000.50"),
            contribution=Decimal("52000.00"),
            customer_since=date(2015, 3, 1),
            last_transaction_on=date(2026, 11, 20),
            birth_date=date(1949, 12, 31),
        ),
        "li": book.customer(
            "李秀英",
            tier="黄金",
            id_number=LI_ID,
            mobile_phone=LI_MOBILE,
            aum=Decimal("800000"),
            lifecycle_status="dormant",
        ),
        "corp": book.customer(
            "示范科技有限公司",
            category="corporate",
            tier="黄金",
            credit_code=CORP_CODE,
            other_phone="057188886666",
            aum=Decimal("1200000.25"),
        ),
        "zhang": book.customer("张伟", tier="一般", aum=Decimal(0)),
        "formula": book.customer('=HYPERLINK("http://example.com","点我")', tier="一般"),
        "gone": book.customer("刘洋", tier="顶级", deleted=True),
        "theirs": book.customer("赵敏", tier="顶级", rm_id=book.other_rm_id),
    }
    with book.cache.engine.begin() as conn:
        rebuild_index(conn)
    return ids


def listed(cache: Cache, rm_id: str, query: CustomerQuery) -> list[str]:
    """Customer numbers as the customer list shows them, page by page."""
    service = CustomerService(cache, rm_id=rm_id, today=lambda: TODAY)
    numbers: list[str] = []
    page = service.page_after(query, None, limit=2)
    numbers += [row.customer_no for row in page.rows]
    while page.next_key is not None:
        page = service.page_after(query, page.next_key, limit=2)
        numbers += [row.customer_no for row in page.rows]
    return numbers


def test_the_book_opens_in_openpyxl_masked_typed_and_in_list_order(
    cache: Cache, book: Book, customers: dict[str, str], folder: Path
) -> None:
    target = folder / "客户清单.xlsx"
    query = CustomerQuery()
    result = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(
        target, query, now=NOW
    )

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["客户清单", "说明"]
    sheet = workbook["客户清单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(title for title, _ in exports.CUSTOMER_COLUMNS)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:M{len(rows)}"
    assert sheet.column_dimensions["G"].width == 22

    service = CustomerService(cache, rm_id=book.rm_id, today=lambda: TODAY)
    assert result.count == len(rows) - 1 == service.count(query) == 5
    assert [row[0] for row in rows[1:]] == listed(cache, book.rm_id, query)
    by_name = {row[1]: row for row in rows[1:]}
    assert "刘洋" not in by_name and "赵敏" not in by_name  # deleted; another RM's

    wang = by_name["王建国"]
    assert wang[2:6] == ("个人客户", "顶级", "活跃", "退休期")
    assert wang[6] == mask("id_number", WANG_ID) == "1101**********0021"
    assert wang[7] == mask("phone", WANG_MOBILE) == "138****8000"
    assert wang[8] == pytest.approx(6500000.50) and wang[9] == 52000
    assert (wang[10], wang[11]) == (datetime(2015, 3, 1), datetime(2026, 11, 20))
    assert wang[12] == "示范银行杭州分行"
    corp = by_name["示范科技有限公司"]
    assert corp[2] == "对公客户" and corp[6] == mask("credit_code", CORP_CODE)
    assert corp[7] == mask("phone", "057188886666") == "0571-******66"
    assert by_name["李秀英"][4] == "沉寂"
    zhang = by_name["张伟"]
    assert zhang[6] is None and zhang[7] is None and zhang[8] == 0
    # Text that looks like a formula stays text.
    formula_row = next(r for r in sheet.iter_rows(min_row=2) if str(r[1].value).startswith("="))
    assert formula_row[1].data_type == "s"

    wang_cells = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "王建国")
    assert wang_cells[8].data_type == "n" and wang_cells[8].number_format == "#,##0.00"
    assert wang_cells[9].data_type == "n" and wang_cells[9].number_format == "#,##0.00"
    assert wang_cells[10].is_date and wang_cells[10].number_format == "yyyy-mm-dd"

    every_text = "\n".join(
        str(value)
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    for secret in SECRETS:
        assert secret not in every_text

    notes = dict(sheet_values(target)["说明"])
    assert notes["银行"] == "示范商业银行"
    assert notes["导出时间"] == "2026年11月25日 10:00（北京时间）"
    assert notes["导出人"] == "许丹妮"
    assert notes["客户范围"] == "客户经理 许丹妮 名下的客户"
    assert notes["筛选条件"] == "无筛选（全部客户）；排序：姓名（拼音）升序"
    assert notes["客户数"] == 5
    assert "个人信息保护法" in notes["个人信息保护"] and "遮蔽" in notes["个人信息保护"]


def test_the_workbook_follows_the_lists_filters_and_order(
    cache: Cache, book: Book, customers: dict[str, str], folder: Path
) -> None:
    query = CustomerQuery(tiers=frozenset({"黄金", "顶级"}), sort=SortColumn.AUM, descending=True)
    service = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮")
    result = service.customers_xlsx(folder / "top.xlsx", query)

    rows = sheet_values(folder / "top.xlsx")["客户清单"][1:]
    assert [row[1] for row in rows] == ["王建国", "示范科技有限公司", "李秀英"]
    assert [row[0] for row in rows] == listed(cache, book.rm_id, query)
    assert result.count == CustomerService(cache, rm_id=book.rm_id).count(query) == 3
    notes = dict(sheet_values(folder / "top.xlsx")["说明"])
    assert notes["筛选条件"] == "等级：顶级、黄金；排序：资产降序"

    # The whole cache (rm_id None) holds the other RM's customer too.
    everyone = ExportService(cache, user_name="许丹妮").customers_xlsx(folder / "all.xlsx")
    assert everyone.count == 6
    assert dict(sheet_values(folder / "all.xlsx")["说明"])["客户范围"] == "本机缓存中的全部客户"


def test_a_searched_number_is_masked_in_the_workbook_and_the_audit_row(
    cache: Cache, book: Book, customers: dict[str, str], folder: Path
) -> None:
    query = CustomerQuery(text=WANG_MOBILE)
    service = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮")
    assert CustomerService(cache, rm_id=book.rm_id).count(query) == 1
    result = service.customers_xlsx(folder / "found.xlsx", query)

    values = sheet_values(folder / "found.xlsx")
    assert [row[1] for row in values["客户清单"][1:]] == ["王建国"]
    assert dict(values["说明"])["筛选条件"] == "搜索“138****8000”；排序：匹配程度升序"
    [row] = audits(cache)
    assert row.details is not None and WANG_MOBILE not in row.details
    assert row.details == (
        "导出客户清单（Excel）：1 户，搜索“138****8000”；排序：匹配程度升序，文件 found.xlsx"
    )
    assert (row.action, result.change.ids) == ("export_customers", (row.id,))
    [entry] = outbox(cache)
    assert (entry.table, entry.op, entry.row_id) == ("audit_log", "insert", row.id)


def test_the_workbook_is_written_page_by_page(
    cache: Cache,
    book: Book,
    customers: dict[str, str],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    for n in range(7):
        book.customer(f"陈{'一二三四五六七'[n]}", tier="一般", aum=Decimal(n * 1000))
    with cache.engine.begin() as conn:
        rebuild_index(conn)
    query = CustomerQuery(sort=SortColumn.AUM)
    result = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(
        folder / "pages.xlsx", query
    )

    rows = sheet_values(folder / "pages.xlsx")["客户清单"][1:]
    assert result.count == len(rows) == 12
    assert [row[0] for row in rows] == listed(cache, book.rm_id, query)
    assert len({row[0] for row in rows}) == 12


def test_a_filter_matching_nobody_gives_no_file_and_no_record(
    cache: Cache, book: Book, customers: dict[str, str], folder: Path
) -> None:
    query = CustomerQuery(lifecycle_statuses=frozenset({"lost"}))
    assert CustomerService(cache, rm_id=book.rm_id).count(query) == 0
    with pytest.raises(ValidationError, match="没有符合"):
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(
            folder / "none.xlsx", query
        )
    assert files_in(folder) == []
    assert count_rows(cache, AuditLog) == 0 and outbox(cache) == []


# --- failed exports ----------------------------------------------------------------------


def assert_nothing_recorded(cache: Cache) -> None:
    assert count_rows(cache, AuditLog) == 0
    assert outbox(cache) == []


def test_a_missing_folder_or_a_file_for_a_folder_is_a_clear_error(
    cache: Cache, book: Book, customers: dict[str, str], schedule: dict[str, str], folder: Path
) -> None:
    service = ExportService(cache, rm_id=book.rm_id, user_name="许丹妮")
    with pytest.raises(ExportError, match="不存在") as missing:
        service.customers_xlsx(folder / "nowhere" / "list.xlsx")
    assert "list.xlsx" in missing.value.user_message and missing.value.details
    (folder / "a-file").write_text("x")
    with pytest.raises(ExportError, match="不存在"):
        service.visits_ical(folder / "a-file" / "week.ics", MONDAY, SUNDAY)
    assert files_in(folder) == ["a-file"]
    assert_nothing_recorded(cache)


def test_a_target_that_is_a_folder_leaves_no_temporary_file(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    (folder / "week.ics").mkdir()
    with pytest.raises(ExportError, match="是一个文件夹"):
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").visits_ical(
            folder / "week.ics", MONDAY, SUNDAY
        )
    assert files_in(folder) == ["week.ics"] and not any((folder / "week.ics").iterdir())
    assert_nothing_recorded(cache)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_a_clear_error(
    cache: Cache, book: Book, customers: dict[str, str], folder: Path
) -> None:
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="写入权限"):
            ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(
                folder / "list.xlsx"
            )
    finally:
        folder.chmod(0o755)
    assert files_in(folder) == []
    assert_nothing_recorded(cache)


def test_a_file_open_in_excel_is_left_as_it_was(
    cache: Cache,
    book: Book,
    customers: dict[str, str],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows refuses to replace a file Excel holds open (PermissionError); POSIX does
    # not lock files, so the refusal is simulated, and so is a folder root may write in.
    target = folder / "list.xlsx"
    target.write_bytes(b"the RM's earlier export")

    def locked(source: Any, destination: Any) -> None:
        raise PermissionError(13, "The process cannot access the file", str(destination))

    monkeypatch.setattr(exports.os, "replace", locked)
    with pytest.raises(ExportError, match="正在 Excel 或其他程序中打开") as caught:
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(target)
    assert "PermissionError" in caught.value.details
    assert files_in(folder) == ["list.xlsx"]
    assert target.read_bytes() == b"the RM's earlier export"
    assert_nothing_recorded(cache)

    def refused(**_: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(exports.tempfile, "mkstemp", refused)
    with pytest.raises(ExportError, match="写入权限"):
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").customers_xlsx(target)
    assert_nothing_recorded(cache)


def test_a_full_disk_leaves_no_half_file(
    cache: Cache,
    book: Book,
    schedule: dict[str, str],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full(_: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports.os, "fsync", full)
    with pytest.raises(ExportError, match="磁盘空间不足"):
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").visits_ical(
            folder / "week.ics", MONDAY, SUNDAY
        )
    assert files_in(folder) == []
    assert_nothing_recorded(cache)


def test_an_audit_row_that_does_not_commit_takes_the_file_with_it(
    cache: Cache,
    book: Book,
    schedule: dict[str, str],
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @contextmanager
    def commit_fails(target: Cache) -> Iterator[Connection]:
        with write_transaction(target) as conn:
            yield conn
            raise DiskFullError("磁盘已满，最后的修改没有保存。", "simulated at commit")

    monkeypatch.setattr(exports, "write_transaction", commit_fails)
    with pytest.raises(DiskFullError):
        ExportService(cache, rm_id=book.rm_id, user_name="许丹妮").visits_ical(
            folder / "week.ics", MONDAY, SUNDAY
        )
    assert files_in(folder) == []
    assert_nothing_recorded(cache)


def test_a_bad_user_name_is_refused_before_anything_is_written(
    cache: Cache, book: Book, schedule: dict[str, str], folder: Path
) -> None:
    with pytest.raises(ValidationError, match="操作人"):
        ExportService(cache, rm_id=book.rm_id, user_name="  ").visits_ical(
            folder / "week.ics", MONDAY, SUNDAY
        )
    assert files_in(folder) == []
    assert_nothing_recorded(cache)


def test_mask_numbers_masks_long_digit_runs_only() -> None:
    assert exports.mask_numbers(f"电话{LI_MOBILE}，身份证{WANG_ID}") == (
        f"电话{mask('phone', LI_MOBILE)}，身份证{mask('id_number', WANG_ID)}"
    )
    assert exports.mask_numbers("11010519491231002X") == mask("id_number", "11010519491231002X")
    assert (
        exports.mask_numbers("3楼301室，预约10:30，房号 123456")
        == "3楼301室，预约10:30，房号 123456"
    )
