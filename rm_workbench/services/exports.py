"""Exports: the visit schedule as an iCalendar file, the customer list as a workbook.

An exported file leaves the bank's control (Outlook syncs its calendar to a server, a
workbook is mailed on), so it carries as little personal information as does its
job (PIPL): the calendar has names, times, places and purposes but no identifier,
phone or amount; the workbook shows ID numbers and phones masked, never clear. Long
digit runs in free text (a phone typed into a visit's purpose, a searched ID number)
are masked too.

Every export writes one audit row (who, what, how many, which file) through the
outbox. The file is written to a temporary file in the target folder and renamed
over the target inside the audit row's transaction: a failed write or rename rolls
the row back, a failed commit removes the file. Either both exist or neither does,
and a reader never sees a half-written file.
"""

from __future__ import annotations

import errno
import getpass
import itertools
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final, Literal

from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import CustomerCategory, VisitStatus
from rm_workbench.config import BankConfig, bank_config
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_date, format_datetime
from rm_workbench.domain.masking import mask
from rm_workbench.domain.reminders import day_start, local_today
from rm_workbench.errors import ExportError, ValidationError
from rm_workbench.models import Branch, Customer, RelationshipManager, Visit
from rm_workbench.services.audit import record_audit
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.customer360 import LIFECYCLE_LABELS
from rm_workbench.services.customer_query import CustomerQuery, PageKey, SortColumn
from rm_workbench.services.customers import CustomerService, CustomerSummary
from rm_workbench.services.records import now_or
from rm_workbench.services.scope import ScopedService
from rm_workbench.services.visits import VisitSummary, visit_summary, visits_query

log = logging.getLogger(__name__)

ExportKind = Literal["visits_ical", "customers_xlsx"]
# The audit action and the Change kind of each export.
_ACTIONS: Final[dict[str, tuple[str, str]]] = {
    "visits_ical": ("export_visits", "visits_exported"),
    "customers_xlsx": ("export_customers", "customers_exported"),
}

# The right-hand side of every event's UID: with the visit's id, the same visit keeps
# the same UID in every export, so Outlook updates it on re-import.
UID_DOMAIN: Final = "visit.rm-workbench"
PRODID: Final = "-//RM Workbench//Visit schedule//ZH"
# A visit planned without an end is shown as one hour long.
DEFAULT_VISIT_LENGTH: Final = timedelta(hours=1)
# SEQUENCE counts seconds since this moment at the visit's last change: it grows with
# every edit (local or pulled) and fits a 32-bit integer until 2088.
_SEQUENCE_EPOCH: Final = datetime(2020, 1, 1, tzinfo=UTC)

# Customers read per page of the list (one keyset page, one look-up of the extra
# columns): the workbook is streamed, never held whole.
PAGE_SIZE = 500

CUSTOMER_COLUMNS: Final = (
    ("客户号", 14),
    ("姓名", 18),
    ("类别", 10),
    ("等级", 8),
    ("生命周期", 10),
    ("人生阶段", 10),
    ("证件号（已遮蔽）", 22),
    ("手机（已遮蔽）", 16),
    ("资产（元）", 18),
    ("贡献（元）", 14),
    ("开户日期", 12),
    ("最近交易", 12),
    ("所属网点", 24),
)
MONEY_FORMAT: Final = "#,##0.00"
DATE_FORMAT: Final = "yyyy-mm-dd"
PIPL_NOTE: Final = (
    "根据《中华人民共和国个人信息保护法》，本文件中的证件号码和手机号码均已遮蔽显示。"
    "本文件含客户个人信息，仅限本行工作使用，请妥善保管，不得外传。"
)

_CATEGORY_LABELS: Final = EnumLabels(CustomerCategory)
_SORT_LABELS: Final = {
    SortColumn.RELEVANCE: "匹配程度",
    SortColumn.NAME: "姓名（拼音）",
    SortColumn.CUSTOMER_NO: "客户号",
    SortColumn.TIER: "等级",
    SortColumn.AUM: "资产",
    SortColumn.LIFECYCLE: "生命周期",
}
_CENT = Decimal("0.01")
# Seven or more digits in a row (an ID number may end in X): a phone, an ID number or
# an account number typed into free text.
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}[Xx]?(?![0-9])")


@dataclass(frozen=True)
class ExportResult:
    """A written export: what, where, how many rows (visits or customers), and the
    audit row it cost."""

    kind: ExportKind
    path: Path
    count: int
    change: Change


def mask_numbers(text: str) -> str:
    """``text`` with every run of seven or more digits masked: 15 or 18 characters as
    an ID number, anything else as a phone number."""

    def masked(match: re.Match[str]) -> str:
        value = match.group()
        return mask("id_number" if len(value) in (15, 18) else "phone", value)

    return _LONG_NUMBER.sub(masked, text)


class ExportService(ScopedService):
    """Exports of the RM's book (``rm_id``; None: everything in the cache).

    ``user_name`` is who the audit rows name (None: the operating-system user). Each
    export reads the cache, writes the file and then one audit row with its outbox
    entry, and returns an :class:`ExportResult`; it may run in the background (it
    takes its own connections; the audit row goes through one write transaction).
    """

    # --- the visit schedule -------------------------------------------------------

    def visits_ical(
        self, path: Path, first: date, last: date, *, now: datetime | None = None
    ) -> ExportResult:
        """The visits planned from day ``first`` to day ``last`` (inclusive, Beijing
        time) as an iCalendar file, one event per visit, cancelled ones marked
        CANCELLED so that re-importing the file removes them from Outlook.

        An empty period is refused (ValidationError, no file): a calendar needs at
        least one event, and there would be nothing to import.
        """
        moment = now_or(now)
        user = self._user()
        if last < first:
            raise ValidationError(
                "结束日期不能早于开始日期。", f"visits_ical {first} .. {last}: reversed"
            )
        visits = self._visits(first, last)
        if not visits:
            raise ValidationError(
                f"{format_date(first)}至{format_date(last)}没有拜访安排，没有生成日历文件。",
                f"visits_ical {first} .. {last}: no visits",
            )
        data = self._calendar(visits, moment).to_ical()
        target = Path(path)
        cancelled = sum(1 for visit, _ in visits if visit.status == VisitStatus.CANCELLED)
        details = (
            f"导出拜访日程（iCalendar）：{first.isoformat()} 至 {last.isoformat()}，"
            f"{len(visits)} 个拜访（其中已取消 {cancelled} 个），文件 {target.name}"
        )

        def write(out: IO[bytes]) -> int:
            out.write(data)
            return len(visits)

        return self._export("visits_ical", target, write, lambda _: details, user, moment)

    def _visits(self, first: date, last: date) -> list[tuple[VisitSummary, int]]:
        """The visits of the period in time order (as the calendar lists them), each
        with its SEQUENCE number."""
        query = (
            visits_query(self._rm_id)
            .add_columns(Visit.updated_at, Visit.version)
            .where(
                Visit.planned_start >= day_start(first),
                Visit.planned_start < day_start(last + timedelta(days=1)),
            )
            .order_by(Visit.planned_start, Visit.visit_no)
        )
        with self._cache.engine.connect() as conn:
            return [
                (visit_summary(row), _sequence(row.updated_at, row.version))
                for row in conn.execute(query)
            ]

    def _calendar(self, visits: list[tuple[VisitSummary, int]], moment: datetime) -> Calendar:
        calendar = Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", f"{self._bank.bank.short_name}拜访日程")
        calendar.add("x-wr-timezone", "Asia/Shanghai")
        stamp = moment.astimezone(UTC)
        for visit, sequence in visits:
            calendar.add_component(_event(visit, sequence, stamp))
        return calendar

    # --- the customer list -----------------------------------------------------------

    def customers_xlsx(
        self, path: Path, query: CustomerQuery | None = None, *, now: datetime | None = None
    ) -> ExportResult:
        """The customer list for ``query`` (None: the whole book), in the list's order,
        as an Excel workbook: a sheet 客户清单 with masked identifiers, amounts as
        numbers and dates as dates, and a sheet 说明 saying who exported what, when.

        Streamed page by page (openpyxl's write-only mode): 50,000 customers take about
        20 s on a busy two-core machine and little memory, so run it in the
        background. A query that matches nobody is refused (ValidationError, no file).
        """
        moment = now_or(now)
        user = self._user()
        query = query or CustomerQuery()
        target = Path(path)
        described = self._describe(query)

        def write(out: IO[bytes]) -> int:
            return self._write_workbook(out, query, described, user, moment)

        def details(count: int) -> str:
            return f"导出客户清单（Excel）：{count} 户，{described}，文件 {target.name}"

        return self._export("customers_xlsx", target, write, details, user, moment)

    def _write_workbook(
        self, out: IO[bytes], query: CustomerQuery, described: str, user: str, moment: datetime
    ) -> int:
        rows = self._customer_rows(query, local_today(moment))
        first = next(rows, None)
        if first is None:  # refused before the workbook starts streaming to its files
            raise ValidationError(
                "没有符合当前搜索和筛选条件的客户，没有生成 Excel 文件。",
                f"customers_xlsx: no customers for {query!r}",
            )
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("客户清单")
        # Write-only sheets take their columns, panes and header style before any row.
        for index, (_, width) in enumerate(CUSTOMER_COLUMNS, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        header = []
        for title, _ in CUSTOMER_COLUMNS:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            cell.fill = fill
            header.append(cell)
        sheet.append(header)
        count = 0
        for row in itertools.chain((first,), rows):
            sheet.append([_cell(sheet, value) for value in row])
            count += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(CUSTOMER_COLUMNS))}{count + 1}"
        self._write_notes(workbook, described, user, moment, count)
        workbook.save(out)
        return count

    def _customer_rows(self, query: CustomerQuery, today: date) -> Iterator[tuple[Any, ...]]:
        """The rows of the sheet, page by page, in the customer list's order."""
        service = CustomerService(self._cache, rm_id=self._rm_id, today=lambda: today)
        after: PageKey | None = None
        while True:
            page = service.page_after(query, after, limit=PAGE_SIZE)
            with self._cache.engine.connect() as conn:
                extras = _extras(conn, [row.id for row in page.rows])
            for row in page.rows:
                yield _customer_row(row, extras.get(row.id))
            if page.next_key is None:
                return
            after = page.next_key

    def _write_notes(
        self, workbook: Any, described: str, user: str, moment: datetime, count: int
    ) -> None:
        sheet = workbook.create_sheet("说明")
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 90
        bold = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        lines: list[tuple[str, Any]] = [
            ("银行", self._bank.bank.name),
            ("导出内容", "客户清单"),
            ("导出时间", f"{format_datetime(moment)}（北京时间）"),
            ("导出人", user),
            ("客户范围", self._scope()),
            ("筛选条件", described),
            ("客户数", count),
            ("个人信息保护", PIPL_NOTE),
        ]
        for label, value in lines:
            name = WriteOnlyCell(sheet, value=label)
            name.font = bold
            text = WriteOnlyCell(sheet, value=_clean(value) if isinstance(value, str) else value)
            text.alignment = wrap
            sheet.append([name, text])

    def _scope(self) -> str:
        if self._rm_id is None:
            return "本机缓存中的全部客户"
        with self._cache.engine.connect() as conn:
            name = conn.execute(
                select(RelationshipManager.name).where(RelationshipManager.id == self._rm_id)
            ).scalar_one_or_none()
        return f"客户经理 {name or self._rm_id} 名下的客户"

    def _describe(self, query: CustomerQuery) -> str:
        """The query in words (for the 说明 sheet and the audit row); a searched number
        is masked as it would be on screen."""
        parts: list[str] = []
        if query.text:
            parts.append(f"搜索“{mask_numbers(query.text)}”")
        if query.tiers:
            parts.append("等级：" + "、".join(_in_order(query.tiers, self._tier_order())))
        if query.lifecycle_statuses:
            labels = [LIFECYCLE_LABELS.get(s, s) for s in sorted(query.lifecycle_statuses)]
            parts.append("生命周期：" + "、".join(labels))
        if query.life_stages:
            stages = {stage.code: stage.name for stage in self._bank.life_stages}
            names = [stages.get(code, code) for code in sorted(query.life_stages)]
            parts.append("人生阶段：" + "、".join(names))
        if query.branches:
            with self._cache.engine.connect() as conn:
                found = dict(
                    conn.execute(
                        select(Branch.id, Branch.name).where(Branch.id.in_(sorted(query.branches)))
                    ).tuples()
                )
            parts.append("网点：" + "、".join(found.get(b, b) for b in sorted(query.branches)))
        filters = "；".join(parts) if parts else "无筛选（全部客户）"
        order = "降序" if query.descending else "升序"
        return f"{filters}；排序：{_SORT_LABELS[query.effective_sort]}{order}"

    def _tier_order(self) -> list[str]:
        return [tier.name for tier in self._bank.tiers]

    # --- writing and recording -------------------------------------------------------

    def _export(
        self,
        kind: ExportKind,
        target: Path,
        write: Callable[[IO[bytes]], int],
        details: Callable[[int], str],
        user: str,
        moment: datetime,
    ) -> ExportResult:
        """Write the file through a temporary file next to ``target`` (``write``
        returns how many rows it wrote), then record the audit row (``details`` of that
        count) and rename the file into place, in one transaction."""
        action, change_kind = _ACTIONS[kind]
        temporary = _temporary_file(target)
        replaced = False
        try:
            try:
                with open(temporary, "wb") as out:
                    count = write(out)
                    out.flush()
                    os.fsync(out.fileno())
            except OSError as error:
                raise _failed(error, target) from error

            def place() -> str:
                # The transaction takes its turn through the scope's writer (the UI's
                # writer lane); the file was written before, wherever this runs.
                nonlocal replaced
                with write_transaction(self._cache) as conn:
                    audit_id = record_audit(
                        conn, user_name=user, action=action, details=details(count), at=moment
                    )
                    try:
                        os.replace(temporary, target)
                    except OSError as error:
                        raise _failed(error, target) from error
                    replaced = True
                return audit_id

            audit_id: str = self._writer(place)
        except BaseException:
            if replaced:  # the audit row did not commit: no record, so no file either
                target.unlink(missing_ok=True)
            raise
        finally:
            temporary.unlink(missing_ok=True)
        log.info("%s: %d rows to %s", kind, count, target)
        change = Change(change_kind, None, (audit_id,), frozenset({"audit_log"}))
        return ExportResult(kind=kind, path=target, count=count, change=change)

    def _user(self) -> str:
        if self._user_name is not None:
            return check.required_text(self._user_name, "操作人", 32)
        try:
            return getpass.getuser()[:32] or "未知用户"
        except (KeyError, OSError):  # no login name in the environment or the user table
            return "未知用户"

    @property
    def _bank(self) -> BankConfig:
        return self._config or bank_config()


# --- the calendar's parts ----------------------------------------------------------------


def _sequence(updated_at: datetime | None, version: int | None) -> int:
    if updated_at is None:
        return max(version or 0, 0)
    return max(int((updated_at - _SEQUENCE_EPOCH).total_seconds()), 0)


def _event(visit: VisitSummary, sequence: int, stamp: datetime) -> Event:
    start = visit.planned_start.astimezone(UTC)
    end = visit.planned_end.astimezone(UTC) if visit.planned_end is not None else None
    if end is None or end <= start:
        end = start + DEFAULT_VISIT_LENGTH
    summary = f"拜访：{visit.customer_name}"
    if visit.tier:
        summary += f"（{visit.tier}）"
    lines = []
    if visit.purpose:
        lines.append(f"拜访目的：{mask_numbers(visit.purpose)}")
    lines.append(f"拜访方式：{visit.category_label}")
    lines.append(f"状态：{visit.status_label}")
    event = Event()
    event.add("uid", f"{visit.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    if visit.place:
        event.add("location", mask_numbers(visit.place))
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if visit.status == VisitStatus.CANCELLED else "CONFIRMED")
    event.add("sequence", sequence)
    return event


# --- the workbook's parts ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Extra:
    """What the list row lacks for the workbook."""

    contribution: Decimal
    customer_since: date | None
    last_transaction_on: date | None
    branch_name: str | None


def _extras(conn: Connection, ids: list[str]) -> dict[str, _Extra]:
    if not ids:
        return {}
    query = (
        select(
            Customer.id,
            Customer.contribution,
            Customer.customer_since,
            Customer.last_transaction_on,
            Branch.name,
        )
        .outerjoin(Branch, Branch.id == Customer.branch_id)
        .where(Customer.id.in_(ids))
    )
    return {
        row[0]: _Extra(row[1] or Decimal(0), row[2], row[3], row[4]) for row in conn.execute(query)
    }


def _customer_row(row: CustomerSummary, extra: _Extra | None) -> tuple[Any, ...]:
    return (
        row.customer_no,
        row.name,
        _CATEGORY_LABELS.get(row.category, row.category),
        row.tier,
        LIFECYCLE_LABELS.get(row.lifecycle_status, row.lifecycle_status),
        row.life_stage,
        row.masked_id_number or None,
        row.masked_phone or None,
        row.aum,
        extra.contribution if extra else Decimal(0),
        extra.customer_since if extra else None,
        extra.last_transaction_on if extra else None,
        extra.branch_name if extra else None,
    )


def _clean(text: str) -> str:
    # Control characters are not allowed in the workbook's XML.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _cell(sheet: Any, value: Any) -> Any:
    """A value as the sheet stores it: amounts with a number format, dates as dates,
    text as text (never a formula, whatever it starts with)."""
    if value is None:
        return None
    if isinstance(value, Decimal):  # the only Decimals of a row are amounts in yuan
        cell = WriteOnlyCell(sheet, value=value.quantize(_CENT))
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, date):
        return value  # openpyxl stores a date as one, formatted yyyy-mm-dd (DATE_FORMAT)
    text = _clean(str(value))
    if text.startswith("="):
        # openpyxl takes "=..." for a formula: a name like "=HYPERLINK(…)" stays text.
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    return text


def _in_order(values: frozenset[str], order: list[str]) -> list[str]:
    known = [value for value in order if value in values]
    return known + sorted(values - set(known))


# --- failures ----------------------------------------------------------------------------


def _temporary_file(target: Path) -> Path:
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _failed(error, target) from error
    os.close(handle)
    return Path(name)


def _failed(error: OSError, target: Path) -> ExportError:
    """The RM's words for why ``target`` could not be written."""
    name = target.name
    if isinstance(error, FileNotFoundError | NotADirectoryError):
        message = f"文件夹“{target.parent}”不存在，“{name}”没有保存。请选择其他位置后重试。"
    elif isinstance(error, IsADirectoryError):
        message = f"“{target}”是一个文件夹，不能保存为文件。请换一个文件名后重试。"
    elif isinstance(error, PermissionError):
        message = (
            f"无法写入“{name}”：该文件可能正在 Excel 或其他程序中打开，或没有该文件夹的写入权限。"
            "请关闭该文件或选择其他位置后重试。"
        )
    elif error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        message = f"磁盘空间不足，“{name}”没有保存。请清理磁盘或选择其他位置后重试。"
    else:
        reason = error.strerror or "写入失败"
        message = f"无法保存“{name}”（{reason}）。请选择其他位置后重试。"
    return ExportError(message, f"{type(error).__name__} writing {target}: {error}")
