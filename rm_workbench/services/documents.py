"""Printed documents: the client brief, a day's briefs, the visit report, the proposal.

Each call gathers the document's data from the cache (through the other services),
lays it out (:mod:`rm_workbench.reports`, which never reads the cache) and writes the
PDF. The file is written next to its destination under a temporary name and renamed
only once complete, so a full disk or an unwritable folder leaves no half file.

Every document that leaves the workbench is recorded in the audit log (PIPL: who,
what, when), through the outbox so the central CRM receives it:

* ``purpose="save"``: the RM saved a PDF; ``save_<kind>`` is recorded in the same call,
  in the transaction that puts the file in place.
* ``purpose="print"``: the PDF is for the printer (the UI prints it with Qt's dialog);
  nothing is recorded until the UI calls :meth:`DocumentService.record_print` after
  the print went out (a cancelled print dialog printed nothing).

ID numbers and phone numbers are masked unless the RM asks for them (``reveal=True``);
the audit details then say that the clear values were printed.
"""

from __future__ import annotations

import errno
import getpass
import logging
import os
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Final, Literal

from sqlalchemy import Connection, func, select

from rm_contract.vocabulary import CustomerCategory
from rm_workbench.config import CONFIG_ENV, BankConfig, bank_config
from rm_workbench.db.engine import Cache
from rm_workbench.domain.formatting import format_date, format_money, format_short_date, format_wan
from rm_workbench.domain.masking import document_name
from rm_workbench.domain.reminders import day_start, local_date, local_today
from rm_workbench.errors import ReportError, ValidationError
from rm_workbench.models import ContactLog, Customer, RelationshipManager
from rm_workbench.reports import brief as brief_layout
from rm_workbench.reports.brief import brief_pdf, briefs_pdf
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
    RenderedPdf,
    VisitLine,
    VisitReportData,
)
from rm_workbench.reports.fonts import register_cjk_font
from rm_workbench.reports.proposal import proposal_pdf
from rm_workbench.reports.visit_report import visit_report_pdf
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.audit import record_audit
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.customer360 import Customer360, Customer360Service, Profile
from rm_workbench.services.proposals import ProposalService
from rm_workbench.services.records import now_or
from rm_workbench.services.scope import ScopedService, ServiceScope
from rm_workbench.services.visits import VisitService, VisitSummary

log = logging.getLogger(__name__)

DocumentKind = Literal["brief", "visit_report", "proposal", "briefs"]
Purpose = Literal["save", "print"]

KIND_LABELS: Final[dict[str, str]] = {
    "brief": "客户简报",
    "briefs": "拜访客户简报",
    "visit_report": "拜访报告",
    "proposal": "金融服务方案建议书",
}
# How far ahead the brief looks for maturing deposits and products: a visit is the
# moment to talk about the next quarter's maturities.
BRIEF_MATURITY_DAYS: Final = 90


@dataclass(frozen=True)
class DocumentResult:
    """A PDF written: what it is, where, how many pages, about whom, and the audit
    row it cost (None when made for printing: see :meth:`DocumentService.record_print`)."""

    kind: str  # "brief" | "visit_report" | "proposal" | "briefs"
    path: Path
    pages: int
    title: str
    customer_ids: tuple[str, ...]
    change: Change | None
    revealed: bool = False  # clear ID and phone numbers printed
    # The print job's name (print servers log it): the kind and the customer number
    # masked, never the name.
    job_name: str = ""


@dataclass(frozen=True)
class _Clear:
    id_number: str | None
    credit_code: str | None
    mobile_phone: str | None
    other_phone: str | None


class DocumentService(ScopedService):
    """The printed documents of the customers in the RM's book (``rm_id``; None: the
    whole cache). ``user_name``: who is recorded as printing (default: the OS user).
    ``font_dirs`` replaces the system's font folders in the search for a Chinese font
    (tests; ``$RM_WORKBENCH_CJK_FONT`` wins over both).

    Runs off the GUI thread (a brief takes a few tenths of a second, a day's batch a
    few seconds); the audit rows are written in their own short transaction.
    """

    def __init__(
        self,
        cache: Cache | ServiceScope,
        *,
        rm_id: str | None = None,
        user_name: str | None = None,
        config: BankConfig | None = None,
        font_dirs: Sequence[Path] | None = None,
    ) -> None:
        super().__init__(cache, rm_id=rm_id, user_name=user_name, config=config)
        self._font_dirs = None if font_dirs is None else tuple(font_dirs)
        self._customers = Customer360Service(self.scope)
        self._activities = ActivityService(self.scope)
        self._visits = VisitService(self.scope)

    # --- documents -------------------------------------------------------------------

    def brief(
        self,
        customer_id: str,
        path: Path,
        *,
        reveal: bool = False,
        purpose: Purpose = "save",
        today: date | None = None,
    ) -> DocumentResult:
        """The one-page client brief of one customer."""
        font = self._font()
        data = self._brief_data(customer_id, today=today, reveal=reveal)
        rendered = brief_pdf(data, self._imprint(), font=font)
        title = f"客户简报 {data.customer.customer_no} {data.customer.name}"
        return self._deliver("brief", path, rendered, title, [data.customer], reveal, purpose)

    def briefs_for_day(
        self, day: date, path: Path, *, reveal: bool = False, purpose: Purpose = "save"
    ) -> DocumentResult:
        """One brief per visit planned on ``day`` (not cancelled), in time order, in
        one PDF: what the RM takes along for tomorrow's visits."""
        visits = self._visits.agenda(day, include_cancelled=False)
        if not visits:
            raise ValidationError(
                f"{format_short_date(day)}没有计划拜访", f"no visits on {day.isoformat()}"
            )
        font = self._font()
        recommender = self._proposals()
        briefs = [
            self._brief_data(
                v.customer_id, today=day, reveal=reveal, visit=v, recommender=recommender
            )
            for v in visits
        ]
        title = f"{format_date(day)}拜访客户简报"
        rendered = briefs_pdf(briefs, self._imprint(), title=title, font=font)
        people = list({b.customer.customer_id: b.customer for b in briefs}.values())
        return self._deliver(
            "briefs", path, rendered, f"{title}（{len(briefs)}份）", people, reveal, purpose
        )

    def visit_report(
        self, visit_id: str, path: Path, *, reveal: bool = False, purpose: Purpose = "save"
    ) -> DocumentResult:
        """The report of one visit (as many pages as its notes need)."""
        font = self._font()
        visit = self._visits.get(visit_id)
        view = self._customers.load(visit.customer_id, timeline_limit=1)  # checks the book
        who = self._identity(view.profile, reveal)
        data = VisitReportData(
            customer=who,
            visit_no=visit.visit_no,
            category_label=visit.category_label,
            status_label=visit.status_label,
            planned_start=visit.planned_start,
            planned_end=visit.planned_end,
            actual_start=visit.actual_start,
            actual_end=visit.actual_end,
            place=visit.place,
            purpose=visit.purpose,
            attendees=visit.attendees,
            outcome=visit.outcome,
            report=visit.report,
            follow_up_due=visit.follow_up_due,
            cost_text=None if visit.cost is None else format_money(visit.cost),
            rm_name=view.profile.rm_name,
            branch_name=view.profile.branch_name,
            open_needs=self._open_needs(visit.customer_id),
        )
        rendered = visit_report_pdf(data, self._imprint(), font=font)
        title = f"拜访报告 {visit.visit_no} {who.name}"
        return self._deliver("visit_report", path, rendered, title, [who], reveal, purpose)

    def proposal(
        self, proposal_id: str, path: Path, *, reveal: bool = False, purpose: Purpose = "save"
    ) -> DocumentResult:
        """A recorded bundle proposal, as handed to the customer."""
        font = self._font()
        view = self._proposals().view(proposal_id)
        profile = self._customers.load(view.customer_id, timeline_limit=1).profile
        who = self._identity(profile, reveal)
        data = ProposalData(
            customer=who,
            proposal_no=view.proposal_no,
            title=view.title,
            status_label=view.status_label,
            template_name=view.template_name,
            created_on=local_date(view.created_at),
            valid_until=view.valid_until,
            risk_tolerance=view.risk_tolerance,
            risk_expires_on=view.risk_expires_on,
            reasons=tuple(view.reasons),
            lines=tuple(
                ProposalLineData(
                    product_code=line.product_code,
                    product_name=line.product_name,
                    product_type_label=line.product_type_label,
                    amount_text=line.amount_text,
                    rate=line.rate,
                    fee_rate=line.fee_rate,
                    term_months=line.term_months,
                    risk_level=line.risk_level,
                    suitability=line.suitability,
                    disclosure=line.disclosure,
                )
                for line in view.lines
            ),
            total_amount_text=format_wan(view.total_amount) if view.total_amount else "—",
            rm_name=view.rm_name,
            rm_phone=view.rm_phone,
            rm_email=view.rm_email,
            branch_name=view.branch_name,
        )
        rendered = proposal_pdf(data, self._imprint(), font=font)
        title = f"金融服务方案建议书 {view.proposal_no} {who.name}"
        return self._deliver("proposal", path, rendered, title, [who], reveal, purpose)

    def record_print(self, result: DocumentResult, printer_name: str) -> Change:
        """Record that ``result`` was printed on ``printer_name`` (``print_<kind>``, one
        audit row per customer in it). The UI calls it once the print went out."""
        printer = (printer_name or "").strip() or "未知打印机"
        what = _revealed_note(result.revealed)
        ids = self._audit(
            f"print_{result.kind}",
            [
                (
                    customer_id,
                    f"打印{result.title}，打印机：{printer}，共 {result.pages} 页；{what}",
                )
                for customer_id in result.customer_ids
            ],
        )
        return Change(
            "document_printed", _single(result.customer_ids), ids, frozenset({"audit_log"})
        )

    # --- gathering the data --------------------------------------------------------------

    def _brief_data(
        self,
        customer_id: str,
        *,
        today: date | None,
        reveal: bool,
        visit: VisitSummary | None = None,
        recommender: ProposalService | None = None,
    ) -> BriefData:
        if today is None:
            today = local_today(now_or(None))
        # Midday in Beijing: ages, risk expiry and the data warnings as of ``today``.
        view: Customer360 = self._customers.load(
            customer_id, now=day_start(today) + timedelta(hours=12), timeline_limit=1
        )
        profile = view.profile
        recommendation = (recommender or self._proposals()).recommend(customer_id, today=today)
        horizon = today + timedelta(days=BRIEF_MATURITY_DAYS)
        maturing = sorted(
            (
                h
                for group in view.holdings.groups
                if not group.is_liability
                for h in group.holdings
                if h.matures_on is not None and today <= h.matures_on <= horizon
            ),
            key=lambda h: (h.matures_on, -h.balance),
        )
        contacts = self._activities.contacts(customer_id, limit=brief_layout.MAX_CONTACTS)
        return BriefData(
            customer=self._identity(profile, reveal),
            category_label=profile.category_label,
            gender_label=profile.gender_label,
            age=profile.age,
            life_stage=profile.life_stage,
            occupation=profile.occupation,
            lifecycle_label=profile.lifecycle_label,
            risk_tolerance=profile.risk_tolerance,
            risk_expires_on=profile.risk_expires_on,
            risk_expired=profile.risk_expired,
            aum_text=profile.aum_text,
            contribution_text=profile.contribution_text,
            customer_since=profile.customer_since,
            rm_name=profile.rm_name,
            branch_name=profile.branch_name,
            relations=tuple(f"{g.kind_label} {g.name}（{g.role_label}）" for g in view.groups),
            warnings=tuple(w.message for w in view.warnings),
            holdings=tuple(
                HoldingSlice(
                    label=g.label,
                    count=g.count,
                    total_wan=g.total_wan,
                    total_text=g.total_text,
                    is_liability=g.is_liability,
                )
                for g in view.holdings.groups
            ),
            assets_text=view.holdings.assets_text,
            liabilities_text=view.holdings.liabilities_text,
            contacts=tuple(
                ContactLine(
                    day=local_date(c.started_at),
                    title=c.summary
                    if c.summary.startswith(c.channel_label)
                    else f"{c.channel_label}：{c.summary}",
                    detail=" ".join(c.content.split()) if c.content else None,
                )
                for c in contacts
            ),
            contacts_total=self._contact_count(customer_id),
            needs=self._open_needs(customer_id),
            maturities=tuple(
                MaturityLine(
                    matures_on=h.matures_on,
                    product_name=h.product_name or h.account_no,
                    amount_text=h.balance_text
                    if h.currency == "CNY"
                    else f"{h.balance_text}（{h.currency}）",
                    rate=h.rate,
                )
                for h in maturing
                if h.matures_on is not None
            ),
            maturity_window_days=BRIEF_MATURITY_DAYS,
            talking_points=tuple(recommendation.talking_points),
            today=today,
            visit=None
            if visit is None
            else VisitLine(
                start=visit.planned_start,
                end=visit.planned_end,
                category_label=visit.category_label,
                place=visit.place,
                purpose=visit.purpose,
            ),
        )

    def _open_needs(self, customer_id: str) -> tuple[NeedLine, ...]:
        return tuple(
            NeedLine(n.started_on, n.category_label, n.summary, n.status_label)
            for n in self._activities.needs(customer_id, open_only=True)
        )

    def _contact_count(self, customer_id: str) -> int:
        query = select(func.count()).where(
            ContactLog.customer_id == customer_id, ContactLog.deleted.is_(False)
        )
        with self._cache.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _identity(self, profile: Profile, reveal: bool) -> CustomerIdentity:
        """The customer as printed: masked identifiers, or clear ones when the RM
        asked (read here, the moment they are printed)."""
        clear = self._clear(profile.id) if reveal else None
        corporate = profile.category == CustomerCategory.CORPORATE and bool(
            profile.masked_credit_code
        )
        if corporate:
            id_label = "统一社会信用代码"
            id_text = clear.credit_code if clear else profile.masked_credit_code
        else:
            id_label = profile.id_type_label or "证件号码"
            id_text = clear.id_number if clear else profile.masked_id_number
        if clear is not None:
            phone = clear.mobile_phone or clear.other_phone
        else:
            phone = profile.masked_mobile_phone or profile.masked_other_phone
        return CustomerIdentity(
            customer_id=profile.id,
            customer_no=profile.customer_no,
            name=profile.name,
            id_label=id_label,
            id_text=(id_text or "").strip(),
            phone_text=(phone or "").strip(),
            tier=profile.tier,
            identifiers_masked=not reveal,
        )

    def _clear(self, customer_id: str) -> _Clear:
        with self._cache.engine.connect() as conn:
            row = conn.execute(
                select(
                    Customer.id_number,
                    Customer.credit_code,
                    Customer.mobile_phone,
                    Customer.other_phone,
                ).where(Customer.id == customer_id)
            ).one()
        return _Clear(row.id_number, row.credit_code, row.mobile_phone, row.other_phone)

    def _proposals(self) -> ProposalService:
        return ProposalService(self.scope)

    # --- the page --------------------------------------------------------------------------

    @property
    def _bank(self) -> BankConfig:
        return self._config or bank_config()

    def _font(self) -> str:
        """The registered Chinese font; FontNotFoundError before any work is done."""
        return register_cjk_font(self._font_dirs)

    def _imprint(self) -> Imprint:
        bank = self._bank.bank
        return Imprint(
            bank_name=bank.name,
            bank_short_name=bank.short_name,
            logo=logo_path(bank.logo),
            printed_by=self._printed_by(),
            printed_at=now_or(None),
        )

    def _user(self) -> str:
        if self._user_name:
            return self._user_name[:32]
        try:
            return getpass.getuser()[:32] or "unknown"
        except (OSError, KeyError, ImportError):  # no login name in this environment
            return "unknown"

    def _printed_by(self) -> str:
        user = self._user()
        if self._rm_id is None:
            return user
        with self._cache.engine.connect() as conn:
            name = conn.execute(
                select(RelationshipManager.name).where(RelationshipManager.id == self._rm_id)
            ).scalar()
        return f"{name}（{user}）" if name and name != user else user

    # --- writing and recording -------------------------------------------------------------

    def _deliver(
        self,
        kind: DocumentKind,
        path: Path,
        rendered: RenderedPdf,
        title: str,
        customers: Sequence[CustomerIdentity],
        reveal: bool,
        purpose: Purpose,
    ) -> DocumentResult:
        path = Path(path)
        customer_ids = tuple(c.customer_id for c in customers)
        temporary = _write_temporary(path, rendered.content)
        change: Change | None = None
        placed = False
        try:
            if purpose == "save":
                what = _revealed_note(reveal)
                rows = [
                    (
                        c.customer_id,
                        f"保存{_subject(title, c, len(customers))}到文件 {path.name}，"
                        f"共 {rendered.pages} 页；{what}",
                    )
                    for c in customers
                ]

                # The file is put in place inside the audit transaction: no saved
                # file without its audit row, no audit row for a file that failed. The
                # transaction takes its turn through the scope's writer (the UI's
                # writer lane); the document was made before, wherever this runs.
                def place() -> tuple[str, ...]:
                    nonlocal placed
                    with write_transaction(self._cache) as conn:
                        written = self._audit_rows(conn, f"save_{kind}", rows)
                        _put_in_place(temporary, path)
                        placed = True
                    return written

                ids = self._writer(place)
                change = Change(
                    "document_saved", _single(customer_ids), ids, frozenset({"audit_log"})
                )
            else:
                _put_in_place(temporary, path)
        except BaseException:
            with suppress(OSError):
                temporary.unlink()
            if placed:  # the audit row did not commit: the file must not stay either
                with suppress(OSError):
                    path.unlink()
            raise
        log.info("%s written: %s (%d pages)", kind, path, rendered.pages)
        label = _JOB_LABELS.get(kind)
        job_name = (
            document_name(label, customers[0].customer_no)
            if label is not None and len(customers) == 1
            else f"客户简报（{len(customers)}份）"
        )
        return DocumentResult(
            kind=kind,
            path=path,
            pages=rendered.pages,
            title=title,
            customer_ids=customer_ids,
            change=change,
            revealed=reveal,
            job_name=job_name,
        )

    def _audit(self, action: str, rows: Sequence[tuple[str, str]]) -> tuple[str, ...]:
        def write() -> tuple[str, ...]:
            with write_transaction(self._cache) as conn:
                return self._audit_rows(conn, action, rows)

        result: tuple[str, ...] = self._writer(write)
        return result

    def _audit_rows(
        self, conn: Connection, action: str, rows: Sequence[tuple[str, str]]
    ) -> tuple[str, ...]:
        user = self._user()
        return tuple(
            record_audit(
                conn,
                user_name=user,
                action=action,
                details=details,
                entity_type="customer",
                entity_id=customer_id,
            )
            for customer_id, details in rows
        )


_JOB_LABELS: dict[str, str] = {
    "brief": "客户简报",
    "visit_report": "拜访报告",
    "proposal": "金融服务方案建议书",
}


def logo_path(configured: str) -> Path | None:
    """The bank's logo file from the configuration's ``[bank] logo``: an absolute path
    as is; a relative one next to the bank configuration file in force, else among
    the workbench's resources. Empty: no logo. (Whether it can be read is checked
    when printing: an unreadable logo prints a document without it.)"""
    text = (configured or "").strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if path.is_absolute():
        return path
    candidates = []
    override = os.environ.get(CONFIG_ENV)
    if override:
        candidates.append(Path(override).parent / path)
    candidates.append(Path(str(resources.files("rm_workbench.resources"))) / path)
    return next((c for c in candidates if c.exists()), candidates[0])


def _subject(title: str, customer: CustomerIdentity, count: int) -> str:
    if count == 1:
        return title
    return f"{title}中客户 {customer.customer_no}（{customer.name}）的简报"


def _single(customer_ids: Sequence[str]) -> str | None:
    return customer_ids[0] if len(customer_ids) == 1 else None


def _revealed_note(revealed: bool) -> str:
    return (
        "含完整证件号码和手机号码（经客户经理选择显示）" if revealed else "证件号码和手机号码已遮蔽"
    )


_WRITE_REASONS: Final[dict[int, str]] = {
    errno.ENOSPC: "磁盘空间已满",
    errno.EDQUOT: "磁盘配额已满",
    errno.EACCES: "没有写入权限，或文件正被其他程序（如 PDF 阅读器）打开",
    errno.EPERM: "没有写入权限",
    errno.EROFS: "该位置是只读的",
    errno.ENOENT: "文件夹不存在",
    errno.ENOTDIR: "文件夹不存在",
}


def _write_error(path: Path, exc: OSError) -> ReportError:
    reason = _WRITE_REASONS.get(exc.errno or 0, "写入失败")
    return ReportError(
        f"无法保存文件 {path.name}：{reason}。请换一个文件夹或释放磁盘空间后重试。",
        f"{path}: {exc!r}",
    )


def _write_temporary(path: Path, content: bytes) -> Path:
    """``content`` in a new temporary file next to ``path`` (same folder, so the final
    rename is atomic), flushed to disk."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        with suppress(OSError):
            temporary.unlink()
        raise _write_error(path, exc) from exc
    return temporary


def _put_in_place(temporary: Path, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except OSError as exc:
        raise _write_error(path, exc) from exc


__all__ = ["DocumentResult", "DocumentService", "logo_path"]
