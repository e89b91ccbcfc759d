"""The customer list rows the UI gets: masked, with data-quality and duplicate warnings."""

from __future__ import annotations

from datetime import date

from rm_workbench.db.engine import Cache
from rm_workbench.db.search import rebuild_index
from rm_workbench.models import Customer
from rm_workbench.models.enums import CustomerCategory
from rm_workbench.services.customers import CustomerService


def _add(cache: Cache, **fields: object) -> None:
    fields.setdefault("category", CustomerCategory.INDIVIDUAL)
    with cache.session() as session:
        session.add(Customer(**fields))


def test_rows_carry_data_quality_and_duplicate_warnings(cache: Cache) -> None:
    _add(
        cache,
        customer_no="C1",
        name="王芳",
        id_number="110105194912310021",
        mobile_phone="13800138000",
        birth_date=date(1949, 12, 31),
    )
    # The same person under a second customer number, with the old 15-digit ID.
    _add(cache, customer_no="C2", name="王芳", id_number="110105491231002", mobile_phone=None)
    _add(
        cache,
        customer_no="C3",
        name="李强",
        id_number="110105194912310022",
        mobile_phone="13900001111",
    )
    _add(
        cache,
        customer_no="C4",
        name="示范科技有限公司",
        category=CustomerCategory.CORPORATE,
        credit_code="91350100M000100Y43",
        mobile_phone="02088888888",
    )
    with cache.engine.begin() as conn:
        rebuild_index(conn)
    service = CustomerService(cache)
    assert service.refresh_duplicates() >= 1
    rows = {row.customer_no: row for row in service.page(0, 50)}

    assert rows["C1"].masked_id_number == "1101**********0021"
    assert any("可能重复" in w and "C2" in w for w in rows["C1"].warnings)
    assert any("可能重复" in w and "C1" in w for w in rows["C2"].warnings)
    assert any("15位" in w for w in rows["C2"].warnings)
    assert any("缺少联系电话" in w for w in rows["C2"].warnings)
    assert any("校验位应为" in w for w in rows["C3"].warnings)
    assert rows["C4"].warnings == ()
    assert "M000100" not in rows["C4"].masked_id_number
    # Search rows carry the same warnings as list rows.
    (hit,) = [r for r in service.search("C2") if r.customer_no == "C2"]
    assert hit.warnings == rows["C2"].warnings
    # Nothing was merged: both customer numbers are still there.
    assert service.count() == 4
