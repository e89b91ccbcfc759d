"""The customer fields an RM may change (contact details, checked, with ``seen``) and
the deletes an RM may make: a need no opportunity is linked to, an opportunity no
proposal opened, a planned visit nothing was written about. Each edit writes its row
and its outbox entry in one transaction; a refused one writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rm_workbench.errors import ValidationError
from rm_workbench.models import BundleProposal, Customer, Need, Opportunity, Visit
from rm_workbench.services.activities import ActivityService
from rm_workbench.services.customer360 import CONTACT_FIELDS, Customer360Service
from rm_workbench.services.customers import CustomerService
from rm_workbench.services.visits import VisitService
from tests.services.helpers import TODAY, Book, at, count_rows, outbox

# --- contact details --------------------------------------------------------------------


def _customer(book: Book, **fields: object) -> tuple[str, Customer360Service]:
    customer_id = book.customer(
        "林晓", mobile_phone="13800138000", email="lin@example.com", address="杭州", **fields
    )
    return customer_id, Customer360Service(book.cache, rm_id=book.rm_id)


def _row(book: Book, customer_id: str) -> Customer:
    with book.cache.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer


def test_contact_details_open_masked_and_remember_what_was_seen(book: Book) -> None:
    customer_id, service = _customer(book, other_phone="0571-88886666")
    details = service.contact_details(customer_id)
    assert details.masked_mobile_phone == "138****8000"
    assert "88886666" not in details.masked_other_phone
    assert (details.email, details.address) == ("lin@example.com", "杭州")
    assert set(details.seen) == set(CONTACT_FIELDS)
    assert details.seen["mobile_phone"] == "13800138000"


def test_edited_contact_details_are_checked_stored_the_banks_way_and_queued(book: Book) -> None:
    customer_id, service = _customer(book)
    details = service.contact_details(customer_id)
    change = service.edit_contact_details(
        customer_id,
        mobile_phone="+86 139 0000 1111",
        other_phone="0571 8888 6666",
        email=" lin.xiao@example.cn ",
        occupation="工程师",
        seen=details.seen,
    )
    assert change.kind == "contact_details_edited" and change.tables == {"customer"}
    row = _row(book, customer_id)
    assert (row.mobile_phone, row.other_phone, row.email, row.occupation) == (
        "13900001111",
        "0571-88886666",
        "lin.xiao@example.cn",
        "工程师",
    )
    [entry] = outbox(book.cache)
    assert entry.fields["mobile_phone"] == {"base": "13800138000", "new": "13900001111"}
    assert set(entry.fields) == {"mobile_phone", "other_phone", "email", "occupation"}
    # The search index follows the new mobile's tail.
    found = CustomerService(book.cache, rm_id=book.rm_id).search("1111")
    assert [c.id for c in found] == [customer_id]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile_phone", "12345", "不是有效的电话号码"),
        ("mobile_phone", "0571-88886666", "不是手机号码"),
        ("other_phone", "电话", "不是有效的电话号码"),
        ("email", "lin@", "格式不对"),
        ("address", "杭" * 201, "最多 200 个字"),
        ("notes", "备" * 2001, "最多 2000 个字"),
    ],
)
def test_a_bad_contact_detail_is_refused_in_plain_chinese_and_nothing_is_written(
    book: Book, field: str, value: str, message: str
) -> None:
    customer_id, service = _customer(book)
    with pytest.raises(ValidationError, match=message):
        service.edit_contact_details(customer_id, **{field: value})  # type: ignore[arg-type]
    assert outbox(book.cache) == []


def test_blank_removes_a_detail_and_the_core_systems_fields_are_not_offered(book: Book) -> None:
    customer_id, service = _customer(book)
    service.edit_contact_details(customer_id, address="  ", email=None)
    row = _row(book, customer_id)
    assert (row.address, row.email) == (None, None)
    with pytest.raises(TypeError):
        service.edit_contact_details(customer_id, name="改名")  # type: ignore[call-arg]


def test_contact_details_of_a_customer_handed_over_are_refused(book: Book) -> None:
    customer_id, _ = _customer(book)
    other = Customer360Service(book.cache, rm_id=book.other_rm_id)
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        other.edit_contact_details(customer_id, email="x@example.com")


# --- deletes ----------------------------------------------------------------------------


def test_a_need_recorded_by_mistake_is_deleted_and_the_delete_queued(book: Book) -> None:
    customer_id = book.customer("林晓")
    need_id = book.need(customer_id)
    change = ActivityService(book.cache, rm_id=book.rm_id).delete_need(need_id)
    assert (change.kind, change.customer_id, change.ids) == (
        "need_deleted",
        customer_id,
        (need_id,),
    )
    assert count_rows(book.cache, Need) == 0
    assert [(e.table, e.op, e.row_id) for e in outbox(book.cache)] == [("need", "delete", need_id)]


def test_a_need_an_opportunity_is_linked_to_is_not_deleted(book: Book) -> None:
    customer_id = book.customer("林晓")
    need_id = book.need(customer_id)
    book.opportunity(customer_id, need_id=need_id, sales_stage="won", probability=100)
    with pytest.raises(ValidationError, match="已关联商机"):
        ActivityService(book.cache, rm_id=book.rm_id).delete_need(need_id)
    assert count_rows(book.cache, Need) == 1 and outbox(book.cache) == []


def test_an_opportunity_is_deleted_unless_an_accepted_proposal_opened_it(book: Book) -> None:
    customer_id = book.customer("林晓")
    service = ActivityService(book.cache, rm_id=book.rm_id)
    plain = book.opportunity(customer_id)
    from_proposal = book.opportunity(customer_id)
    with book.cache.session() as session:
        session.add(
            BundleProposal(
                proposal_no="BP0001",
                customer_id=customer_id,
                title="稳健组合",
                status="accepted",
                opportunity_id=from_proposal,
                version=1,
            )
        )
    service.delete_opportunity(plain)
    with pytest.raises(ValidationError, match="方案 BP0001"):
        service.delete_opportunity(from_proposal)
    with book.cache.engine.connect() as conn:
        assert list(conn.execute(select(Opportunity.id)).scalars()) == [from_proposal]
    assert [(e.op, e.row_id) for e in outbox(book.cache)] == [("delete", plain)]


def test_only_a_planned_visit_nothing_was_written_about_is_deleted(book: Book) -> None:
    customer_id = book.customer("林晓")
    service = VisitService(book.cache, rm_id=book.rm_id)
    planned = book.visit(customer_id, at(TODAY, 15))
    noted = book.visit(customer_id, at(TODAY, 16), report="客户提前来电说明情况")
    done = book.visit(customer_id, at(TODAY, 9), status="done", report="已面谈")
    cancelled = book.visit(customer_id, at(TODAY, 11), status="cancelled")
    assert service.delete(planned).kind == "visit_deleted"
    with pytest.raises(ValidationError, match="已有拜访记录"):
        service.delete(noted)
    for visit_id in (done, cancelled):
        with pytest.raises(ValidationError, match="只有计划中的拜访可以删除"):
            service.delete(visit_id)
    with book.cache.engine.connect() as conn:
        left = set(conn.execute(select(Visit.id)).scalars())
    assert left == {noted, done, cancelled}
    assert [(e.op, e.row_id) for e in outbox(book.cache)] == [("delete", planned)]


def test_deleting_what_was_never_sent_leaves_nothing_to_send(book: Book) -> None:
    customer_id = book.customer("林晓")
    service = VisitService(book.cache, rm_id=book.rm_id)
    visit_id = service.plan(customer_id, start=at(TODAY, 15), purpose="误建").ids[0]
    service.delete(visit_id)
    assert outbox(book.cache) == []


def test_deletes_of_another_rms_rows_are_refused(book: Book) -> None:
    customer_id = book.customer("林晓", rm_id=book.other_rm_id)
    need_id = book.need(customer_id)
    with pytest.raises(ValidationError, match="不在您的客户名单中"):
        ActivityService(book.cache, rm_id=book.rm_id).delete_need(need_id)
    assert count_rows(book.cache, Need) == 1 and outbox(book.cache) == []
