"""The visit dialogs' choices: the preselected customer and the catalog's products."""

from __future__ import annotations

import pytest

from rm_workbench.errors import ValidationError
from rm_workbench.models import Product
from rm_workbench.services.visits import VisitService
from tests.services.helpers import Book


def test_customer_gives_the_book_customer_and_refuses_another_rms(book: Book) -> None:
    mine = book.customer("张伟", tier="顶级")
    theirs = book.customer("王刚", rm_id=book.other_rm_id)
    service = VisitService(book.cache, rm_id=book.rm_id)
    found = service.customer(mine)
    assert (found.id, found.name, found.tier) == (mine, "张伟", "顶级")
    assert found.customer_no.startswith("C")
    with pytest.raises(ValidationError) as caught:
        service.customer(theirs)
    assert "不在您的客户名单中" in caught.value.user_message


def test_products_lists_the_products_on_sale_deposits_first(book: Book) -> None:
    with book.cache.session() as session:
        session.add(Product(code="OLD1", name="已停售理财", product_type="wealth", on_sale=False))
        session.add(Product(code="GONE", name="已删除产品", product_type="fund", deleted=True))
        session.add(Product(code="FD01", name="稳健债基", product_type="fund", risk_level="R2"))
    products = VisitService(book.cache, rm_id=book.rm_id).products()
    assert [(p.code, p.type_label, p.risk_level) for p in products] == [
        ("TD3Y", "定期存款", None),
        ("WM001", "理财产品", "R2"),
        ("FD01", "基金", "R2"),
    ]
    assert products[0].id == book.deposit_id
