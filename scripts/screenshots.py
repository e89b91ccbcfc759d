"""Take a screenshot of each main screen over the demo book (run under Xvfb).

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py

Writes PNGs to docs/screenshots/. Uses a throw-away profile folder, unencrypted, the
demo RM's share of the demo book loaded straight into the cache (no server needed).

``--only sync`` takes only the sync screens (the conflict dialog, the rejected-edits
dialog, the contact-details dialog, the status bar with its counts), with the main
window as large as the screen; on a screen 1280 wide, the main window and the
rejected-edits dialog over it, named ``*_1280.png``:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshots.py --only sync
    xvfb-run -a -s "-screen 0 1280x720x24" .venv/bin/python scripts/screenshots.py --only sync
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from rm_workbench.services.workbench import Workbench

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def settle(app: QApplication, until: Callable[[], bool] | None = None, seconds: float = 10) -> None:
    """Let background loads finish and the window repaint."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is None or until():
            break
        time.sleep(0.02)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)


def save(picture: QPixmap, name: str) -> None:
    """As a 256-colour PNG: a screen of text needs no more, and the file is a fifth."""
    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    image = picture.toImage().convertToFormat(QImage.Format.Format_Indexed8, flags)
    image.save(str(OUT / f"{name}.png"), quality=0)  # most compressed
    print(f"  {name}.png")


def shoot(widget: QWidget, name: str) -> None:
    save(widget.grab(), name)


def shoot_screen(app: QApplication, name: str) -> None:
    """The whole screen: a dialog over the main window, as the RM sees it."""
    save(app.primaryScreen().grabWindow(0), name)


def fits(app: QApplication, widget: QWidget, name: str) -> None:
    """Say so when a dialog is larger than the screen it is on."""
    screen = app.primaryScreen().availableGeometry()
    size = widget.frameGeometry()
    if size.width() > screen.width() or size.height() > screen.height():
        print(
            f"  {name}: {size.width()}×{size.height()} does not fit the "
            f"{screen.width()}×{screen.height()} screen",
            file=sys.stderr,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("main", "sync"), help="take only these screens")
    args = parser.parse_args(argv)
    os.environ["RM_WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="rm-shots-")
    from PySide6.QtCore import QSettings

    from rm_demo.cache import fill_if_empty
    from rm_workbench.services.workbench import open_workbench
    from rm_workbench.ui.app import has_chinese_font, install_translators
    from rm_workbench.ui.background import wait_for_background

    app = QApplication(sys.argv[:1])
    app.setOrganizationName("rm-workbench-screenshots")
    QSettings().clear()
    install_translators(app, "zh_CN")
    if not has_chinese_font():
        print("no Chinese font: screenshots would show boxes", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    workbench = open_workbench("demo", fill=fill_if_empty, encrypt=False)
    if args.only in (None, "main"):
        main_screens(app, workbench)
    if args.only in (None, "sync"):
        sync_screens(app, workbench)
    wait_for_background()
    workbench.close()
    print(f"screenshots written to {OUT}")
    return 0


def main_screens(app: QApplication, workbench: Workbench) -> None:
    """Today, the customer list, search, Customer 360, a proposal, the visit week."""
    from rm_workbench.ui.main_window import CUSTOMERS, TODAY, VISITS, MainWindow
    from rm_workbench.ui.settings import Settings

    window = MainWindow(workbench, None, Settings())
    window.resize(1360, 860)
    window.show()

    window.go(TODAY)
    settle(app, lambda: getattr(window.today, "is_loaded", lambda: True)())
    shoot(window, "today")

    window.go(CUSTOMERS)
    settle(app)
    shoot(window, "customers")
    first = window.customers.model.customer_at(0) if window.customers.model.rowCount() else None
    if first is not None:
        from pypinyin import Style, lazy_pinyin

        initials = "".join(lazy_pinyin(first.name, style=Style.FIRST_LETTER))
        window.customers.search_box.setText(initials)
        settle(app, seconds=2)
        shoot(window, "search_pinyin_initials")
        window.customers.search_box.clear()
        settle(app, seconds=1)

    # The customer with the most holdings makes the fullest 360.
    from sqlalchemy import func, select

    from rm_workbench.models import Account

    with workbench.cache.engine.connect() as conn:
        richest = conn.execute(
            select(Account.customer_id)
            .group_by(Account.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
    window.open_customer(richest)
    settle(app, seconds=3)
    shoot(window, "customer_360")

    # A proposal for that customer: the dialog with the bundles that fit.
    from rm_workbench.ui.customer360.view import Customer360View
    from rm_workbench.ui.proposal_dialog import ProposalDialog

    tab = window.tabs.currentWidget()
    if isinstance(tab, Customer360View):
        tab.new_proposal()
        dialog = tab.dialog
        if isinstance(dialog, ProposalDialog):
            dialog.resize(1100, 720)
            settle(app, lambda: dialog.recommendation is not None, seconds=10)
            shoot(dialog, "proposal_dialog")
            dialog.reject()

    window.go(VISITS)
    settle(app, seconds=3)
    shoot(window, "visits_week")
    window.close()
    window.deleteLater()


# --- the sync screens ----------------------------------------------------------------

# Who else wrote (as the central CRM names people: "姓名（工号）") and the RM's laptop.
COLLEAGUE = "赵敏（T02117）"
DEVICE = "BJCY-RM-NB0231"


def sync_screens(app: QApplication, workbench: Workbench) -> None:
    """What a sync leaves for the RM: two conflicts, three refused edits, one edit
    still waiting; the main window with those counts, and the dialogs."""
    from rm_workbench.ui.conflict_dialog import ConflictDialog
    from rm_workbench.ui.contact_dialog import ContactDetailsDialog
    from rm_workbench.ui.customer360.view import Customer360View
    from rm_workbench.ui.main_window import TODAY, MainWindow
    from rm_workbench.ui.rejected_dialog import RejectedDialog
    from rm_workbench.ui.settings import Settings
    from rm_workbench.ui.sync_controller import SyncController

    screen = app.primaryScreen().availableGeometry()
    # On a small screen the dialogs open at the size they have on a large one: there,
    # the window and the largest dialog over it as the screen shows it (does it fit?).
    small = screen.width() <= 1280
    suffix = "_1280" if small else ""
    picked = stage_sync_answers(workbench)

    controller = SyncController(workbench.sync)
    window = MainWindow(workbench, controller, Settings())
    window.setGeometry(screen)
    window.showMaximized()
    window.go(TODAY)
    bar = window.sync_bar
    assert bar is not None
    settle(app, lambda: controller.status is not None and controller.online is not None)
    settle(app, lambda: getattr(window.today, "is_loaded", lambda: True)())
    shoot(window, f"status_bar_counts{suffix}")

    conflicts = ConflictDialog(workbench.conflicts, window)
    conflicts.show()
    settle(app, seconds=1)
    fits(app, conflicts, "conflict dialog")
    if not small:
        shoot(conflicts, "conflict_dialog")
    conflicts.close()

    rejected = RejectedDialog(workbench.rejected, window)
    rejected.show()
    # The new visit whose number was taken: the one with values to correct.
    rejected.list.setCurrentRow(1)
    settle(app, seconds=1)
    fits(app, rejected, "rejected-edits dialog")
    if small:
        shoot_screen(app, "rejected_edits_1280")
    else:
        shoot(rejected, "rejected_edits")
    rejected.close()

    window.open_customer(picked["contact"])
    settle(app, seconds=3)
    tab = window.tabs.currentWidget()
    if isinstance(tab, Customer360View):
        tab.edit_contact_details()
        settle(app, lambda: isinstance(tab.dialog, ContactDetailsDialog), seconds=5)
        dialog = tab.dialog
        if isinstance(dialog, ContactDetailsDialog):
            fits(app, dialog, "contact-details dialog")
            if not small:
                shoot(dialog, "contact_details")
            dialog.reject()
    controller.stop_timers()
    window.close()


def stage_sync_answers(workbench: Workbench) -> dict[str, str]:
    """The RM's edits, made through the real services, and the central CRM's answers
    to them written into the cache as the sync engine writes them
    (``SyncEngine._acknowledge``: the entry leaves the outbox, a conflict or a refusal
    is stored, the server's row is shown; ``refresh_conflicts``: who made each side).
    No central CRM runs here. Returns the customers used, by purpose."""
    from sqlalchemy import delete, exists, insert, select, update

    from rm_contract.vocabulary import ContactChannel, CustomerCategory, VisitCategory
    from rm_contract.wire import ConflictDetail
    from rm_workbench.db.search import index_customers
    from rm_workbench.domain.formatting import SHANGHAI
    from rm_workbench.models import (
        Customer,
        Need,
        Opportunity,
        OutboxEntry,
        RejectedEdit,
        RelationshipManager,
        SyncState,
    )
    from rm_workbench.sync.engine import LAST_SYNC, store_conflict

    cache = workbench.cache
    now = datetime.now(UTC)
    with cache.engine.connect() as conn:
        people = conn.execute(
            select(Customer.id, Customer.name, Customer.address, Customer.occupation)
            .where(
                Customer.deleted.is_(False),
                Customer.category == CustomerCategory.INDIVIDUAL,
                Customer.address.is_not(None),
                Customer.occupation.is_not(None),
                Customer.email.is_not(None),
                Customer.other_phone.is_not(None),
            )
            .order_by(Customer.customer_no)
        ).all()
        unlinked = ~exists().where(Opportunity.need_id == Need.id)
        needs = conn.execute(
            select(Need.id, Need.customer_id, Need.summary)
            .where(Need.deleted.is_(False), unlinked)
            .order_by(Need.need_no)
            .limit(2)
        ).all()
        rm = conn.execute(
            select(RelationshipManager.name, RelationshipManager.employee_no).where(
                RelationshipManager.id == workbench.rm.rm_id
            )
        ).one()
    me = f"{rm.name}（{rm.employee_no}）"
    moved, occupied, contact = people[0], people[1], people[2]

    def answered(table: str, row_id: str) -> Any:
        """Take the RM's last edit of the row out of the outbox, as an answered push."""
        with cache.engine.begin() as conn:
            entry = conn.execute(
                select(OutboxEntry.__table__)
                .where(OutboxEntry.table_name == table, OutboxEntry.row_id == row_id)
                .order_by(OutboxEntry.mutation_id.desc())
            ).first()
            assert entry is not None, f"no queued edit of {table} {row_id}"
            conn.execute(delete(OutboxEntry).where(OutboxEntry.mutation_id == entry.mutation_id))
        return entry

    def refused(entry: Any, reason: str, minutes_ago: int) -> None:
        with cache.engine.begin() as conn:
            conn.execute(
                insert(RejectedEdit).values(
                    mutation_id=entry.mutation_id,
                    table_name=entry.table_name,
                    row_id=entry.row_id,
                    customer_id=entry.customer_id,
                    op=entry.op,
                    fields=entry.fields,
                    reason=reason,
                    rejected_at=now - timedelta(minutes=minutes_ago),
                )
            )

    def conflicted(entry: Any, field: str, theirs: str, theirs_by: str | None) -> None:
        change = json.loads(entry.fields)[field]
        with cache.engine.begin() as conn:
            store_conflict(
                conn,
                ConflictDetail(
                    conflict_id=str(uuid.uuid4()),
                    table=entry.table_name,
                    row_id=entry.row_id,
                    field=field,
                    base=change["base"],
                    theirs=theirs,
                    yours=change["new"],
                    customer_id=entry.customer_id,
                    yours_by=me,
                    yours_device=DEVICE,
                    theirs_by=theirs_by,
                    created_at=now - timedelta(minutes=12),
                ),
                entry.customer_id,
            )
            # The server kept its value: the cache shows theirs (SyncEngine._show_theirs).
            conn.execute(
                update(Customer).where(Customer.id == entry.row_id).values({field: theirs})
            )
            row = conn.execute(select(Customer.__table__).where(Customer.id == entry.row_id))
            index_customers(conn, [dict(r) for r in row.mappings()])

    # 1. A conflict on the address: the customer moved, told the RM and the counter,
    # and both wrote the new address, differently.
    details = workbench.customer360.contact_details(moved.id)
    city = moved.address[: moved.address.index("市") + 1] if "市" in moved.address else ""
    workbench.customer360.edit_contact_details(
        moved.id, address=f"{city}高新区创新大道88号翠苑小区5幢2单元1802室", seen=details.seen
    )
    conflicted(
        answered("customer", moved.id),
        "address",
        f"{city}高新区创新大道88号翠苑小区5幢1802室",
        COLLEAGUE,
    )
    # 2. A conflict on the occupation: the core system updated it (no author).
    details = workbench.customer360.contact_details(occupied.id)
    workbench.customer360.edit_contact_details(
        occupied.id, occupation="高级工程师（已退休返聘）", seen=details.seen
    )
    conflicted(answered("customer", occupied.id), "occupation", "退休人员", None)

    # 3. A need's summary edited while a colleague deleted the need: refused, and the
    # server's tombstone takes the need out of the cache.
    need, linked = needs[0], needs[1]
    workbench.activities.edit_need(
        need.id, summary="客户计划明年三月前为女儿配置教育金，倾向年金险加定投组合"
    )
    entry = answered("need", need.id)
    refused(entry, "该需求已被删除，修改未保存。", 14)
    with cache.engine.begin() as conn:
        conn.execute(delete(Need).where(Need.id == need.id))

    # 4. A new visit whose number the central CRM already had: the visit stays here,
    # the RM can correct the number and send it again.
    tomorrow = (
        (now + timedelta(days=1))
        .astimezone(SHANGHAI)
        .replace(hour=10, minute=0, second=0, microsecond=0)
    )
    workbench.visits.plan(
        contact.id,
        start=tomorrow,
        end=tomorrow + timedelta(hours=1),
        purpose="年末定期存款到期续作及养老规划沟通",
        place="客户单位（望京SOHO T2 会议室）",
        category=VisitCategory.COMPANY,
    )
    with cache.engine.connect() as conn:
        visit_id = conn.execute(
            select(OutboxEntry.row_id)
            .where(OutboxEntry.table_name == "visit")
            .order_by(OutboxEntry.mutation_id.desc())
        ).scalar_one()
    refused(answered("visit", visit_id), "拜访未保存：编号与已有记录重复。", 13)

    # 5. A need deleted here that a colleague had linked to an opportunity meanwhile:
    # refused, and the server's row brings the need back.
    with cache.engine.connect() as conn:
        kept = conn.execute(select(Need.__table__).where(Need.id == linked.id)).mappings().one()
    workbench.activities.delete_need(linked.id)
    refused(
        answered("need", linked.id),
        "该需求已关联商机 O20261205C41E9A7B22（养老年金险＋稳健理财组合，预计金额 80万元），"
        "删除未执行；请先解除商机与该需求的关联或关闭该需求。",
        13,
    )
    with cache.engine.begin() as conn:
        conn.execute(insert(Need).values(dict(kept)))

    # 6. One edit still waiting to go out: a call logged after the sync.
    workbench.activities.add_contact(
        contact.id, summary="电话确认明早拜访时间和地点", channel=ContactChannel.PHONE
    )
    with cache.engine.begin() as conn:
        conn.execute(
            insert(SyncState).values(key=LAST_SYNC, value=(now - timedelta(minutes=13)).isoformat())
        )
    return {"contact": contact.id}


if __name__ == "__main__":
    sys.exit(main())
