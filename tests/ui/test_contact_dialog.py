"""The contact details dialog of the Customer 360 profile, clicked for real over the
demo book: phones stay masked, a bad number is refused inside the dialog in Chinese,
a good edit is saved with what the dialog opened with as its base, and the profile
shows it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select, update

from rm_workbench.models import Customer
from rm_workbench.services.workbench import Workbench
from rm_workbench.ui.contact_dialog import ContactDetailsDialog
from tests.services.helpers import outbox
from tests.ui.test_customer360_view import LEFT, WAIT_MS, _open, household_customer


def test_contact_details_are_edited_from_the_profile(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    with workbench.cache.engine.connect() as conn:
        mobile, email = conn.execute(
            select(Customer.mobile_phone, Customer.email).where(Customer.id == customer_id)
        ).one()
    view = _open(qtbot, workbench, customer_id)
    before = len(outbox(workbench.cache))

    qtbot.mouseClick(view.profile.edit_contact_button, LEFT)
    qtbot.waitUntil(
        lambda: isinstance(view.dialog, ContactDetailsDialog) and view.dialog.isVisible(),
        timeout=WAIT_MS,
    )
    dialog = view.dialog
    assert isinstance(dialog, ContactDetailsDialog)
    assert dialog.mobile_edit.text() == "" and mobile not in dialog.mobile_edit.placeholderText()
    assert view.data is not None
    assert view.data.customer.profile.masked_mobile_phone in dialog.mobile_edit.placeholderText()
    assert dialog.email_edit.text() == (email or "")

    qtbot.keyClicks(dialog.mobile_edit, "12345")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.problem() is not None, timeout=WAIT_MS)
    assert "不是有效的电话号码" in (dialog.problem() or "") and dialog.isVisible()
    assert len(outbox(workbench.cache)) == before

    dialog.mobile_edit.clear()
    qtbot.keyClicks(dialog.mobile_edit, "139 1234 5678")
    dialog.email_edit.setText("new.mail@example.cn")
    loaded = view.data
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.data is not loaded and not view.is_loading(), timeout=WAIT_MS)

    assert view.profile.mobile_label.text() == "139****5678"
    assert view.profile.profile_labels["email"].text() == "new.mail@example.cn"
    entry = outbox(workbench.cache)[-1]
    assert (entry.table, entry.op, entry.row_id) == ("customer", "update", customer_id)
    assert entry.fields["mobile_phone"] == {"base": mobile, "new": "13912345678"}
    assert set(entry.fields) == {"mobile_phone", "email"}


def _visible(widget: QWidget | None) -> bool:
    return widget is not None and widget.isVisible()


def test_a_whole_address_fits_and_tab_goes_down_the_form(qtbot, workbench: Workbench) -> None:
    customer_id = household_customer(workbench)
    address = (
        "新疆维吾尔自治区乌鲁木齐市沙依巴克区友好南路街道友好南路668号幸福家园小区12号楼3单元1802室"
    )
    with workbench.cache.engine.begin() as conn:
        conn.execute(update(Customer).where(Customer.id == customer_id).values(address=address))
    dialog = ContactDetailsDialog(
        workbench.customer360, workbench.customer360.contact_details(customer_id)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)

    edit = dialog.address_edit
    assert edit.text() == address
    assert edit.fontMetrics().horizontalAdvance(address) < edit.contentsRect().width()
    assert dialog.width() <= min(1280, dialog.screen().availableGeometry().width())
    order = [
        "mobile_remove",
        "other_phone_edit",
        "other_phone_remove",
        "email_edit",
        "address_edit",
        "occupation_edit",
        "notes_edit",
        "save_button",
    ]
    # "Remove" shows only where a number is recorded.
    order = [name for name in order if _visible(dialog.findChild(QWidget, name))]
    chain: list[str] = []
    widget: QWidget = dialog.mobile_edit
    while len(chain) < len(order):
        following = widget.nextInFocusChain()
        assert following is not None
        widget = following
        if widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.append(widget.objectName())
    assert chain == order
    assert dialog.save_button.isDefault()
