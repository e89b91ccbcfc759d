"""The customer list the UI gets: masked rows with warnings, keyset pages in every
order (pinyin for names), filters, search, counts; on a real migrated cache."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text, update

from rm_contract.vocabulary import CustomerCategory, LifecycleStatus, MaritalStatus
from rm_workbench.config import bank_config
from rm_workbench.db.engine import Cache, open_engine
from rm_workbench.db.migrate import upgrade_cache
from rm_workbench.db.search import ORDER_KINDS, TABLE, index_customers, rebuild_index
from rm_workbench.domain.names import name_sort_key
from rm_workbench.domain.segmentation import life_stage
from rm_workbench.models import Branch, Customer
from rm_workbench.services.customer_query import CustomerQuery, SortColumn
from rm_workbench.services.customers import CustomerService, CustomerSummary

TODAY = date(2026, 3, 1)


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
    # List pages carry them too.
    listed = {r.customer_no: r for r in service.page_after(CustomerQuery()).rows}
    assert listed["C2"].warnings == rows["C2"].warnings
    # Nothing was merged: both customer numbers are still there.
    assert service.count() == 4


# --- a book with ties, tiers, branches and life stages --------------------------------

NAMES = [
    "张伟",
    "张伟",  # namesakes: the id breaks the tie
    "张三丰",
    "李四",
    "李明",
    "黎明",
    "梁朝伟",
    "曾国藩",  # zeng, not ceng
    "单田芳",  # shan, not dan
    "欧阳娜娜",
    "王芳",
    "汪洋",
    "David王",
    "阿里巴巴（杭州）科技有限公司",
    "重庆火锅有限公司",  # chong, as a place name
]


@pytest.fixture
def book(cache: Cache) -> Cache:
    """Customers with every kind of tie: namesakes, equal AUM, equal tiers."""
    rng = random.Random(4)
    tiers = [t.name for t in bank_config().tiers] + [None]
    with cache.session() as session:
        east = Branch(code="B01", name="城东支行")
        west = Branch(code="B02", name="城西支行")
        session.add_all([east, west, Branch(code="B03", name="无客户支行")])
        session.flush()
        for number, name in enumerate(NAMES * 3):
            corporate = name.endswith("公司")
            session.add(
                Customer(
                    customer_no=f"C{number:04d}",
                    category=CustomerCategory.CORPORATE if corporate else "individual",
                    name=name,
                    tier=tiers[number % len(tiers)],
                    lifecycle_status=list(LifecycleStatus)[number % 4],
                    aum=Decimal(rng.choice(["0", "1000", "1000", "523000.5", "8000000"])),
                    branch_id=(east if number % 3 else west).id,
                    birth_date=None
                    if corporate
                    else date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28)),
                    marital_status=rng.choice(list(MaritalStatus)),
                    children_count=rng.choice([None, 0, 1, 2]),
                )
            )
        session.add(Customer(customer_no="GONE", category="individual", name="阿丢", deleted=True))
    with cache.engine.begin() as conn:
        rebuild_index(conn)
    return cache


def _service(cache: Cache) -> CustomerService:
    return CustomerService(cache, today=lambda: TODAY)


def _all_pages(service: CustomerService, query: CustomerQuery, size: int) -> list[CustomerSummary]:
    rows: list[CustomerSummary] = []
    page = service.page_after(query, None, size)
    rows += page.rows
    while page.next_key is not None:
        page = service.page_after(query, page.next_key, size)
        assert len(page.rows) <= size
        rows += page.rows
    return rows


def _everyone(cache: Cache) -> dict[str, dict[str, Any]]:
    with cache.engine.connect() as conn:
        rows = conn.execute(select(Customer.__table__).where(Customer.deleted.is_(False)))
        return {row.id: dict(row._mapping) for row in rows}


def test_names_sort_in_pinyin_order() -> None:
    ordered = sorted(
        ["张三", "李四", "王五", "赵六", "阿大", "曾国藩", "单田芳"], key=name_sort_key
    )
    assert ordered == ["阿大", "李四", "单田芳", "王五", "曾国藩", "张三", "赵六"]
    # Character by character: li before liang; same syllable by tone, then character.
    assert name_sort_key("李明") < name_sort_key("梁朝伟")
    assert name_sort_key("黎明") < name_sort_key("李明")  # li2 before li3
    assert name_sort_key("张") < name_sort_key("张三丰") < name_sort_key("张伟")  # san, wei
    assert name_sort_key("David王") < name_sort_key("杜甫")  # Latin among the pinyin
    assert name_sort_key("重庆火锅有限公司", individual=False).startswith("chong")


def test_the_list_is_in_pinyin_order(book: Cache) -> None:
    service = _service(book)
    rows = service.page_after(CustomerQuery(), None, 200).rows
    names = list(dict.fromkeys(row.name for row in rows))
    assert names == [
        "阿里巴巴（杭州）科技有限公司",
        "重庆火锅有限公司",
        "David王",
        "黎明",
        "李明",
        "李四",
        "梁朝伟",
        "欧阳娜娜",
        "单田芳",
        "汪洋",
        "王芳",
        "曾国藩",
        "张三丰",
        "张伟",
    ]
    backwards = service.page_after(CustomerQuery(sort=SortColumn.NAME, descending=True)).rows
    assert [r.id for r in backwards] == [r.id for r in rows][::-1]
    assert "阿丢" not in names, "a tombstone is never listed"


@pytest.mark.parametrize(
    ("sort", "descending", "text"),
    [
        (sort, descending, text)
        for sort, descending, text in product(SortColumn, (False, True), ("", "zw", "张"))
    ],
)
def test_keyset_pages_have_no_gaps_or_repeats(
    book: Cache, sort: SortColumn, descending: bool, text: str
) -> None:
    service = _service(book)
    query = CustomerQuery(text=text, sort=sort, descending=descending)
    whole = service.page_after(query, None, 1000).rows
    assert service.page_after(query, None, 1000).next_key is None
    for size in (1, 2, 7):
        paged = _all_pages(service, query, size)
        assert [r.id for r in paged] == [r.id for r in whole]
    assert len({r.id for r in whole}) == len(whole) == service.count(query)
    if not text:
        assert {r.id for r in whole} == set(_everyone(book))


def test_each_order_is_what_it_says(book: Cache) -> None:
    service = _service(book)

    def listed(sort: SortColumn, descending: bool = False) -> list[CustomerSummary]:
        return _all_pages(service, CustomerQuery(sort=sort, descending=descending), 4)

    aum = [r.aum for r in listed(SortColumn.AUM)]
    assert aum == sorted(aum)
    assert [r.aum for r in listed(SortColumn.AUM, True)] == sorted(aum, reverse=True)
    numbers = [r.customer_no for r in listed(SortColumn.CUSTOMER_NO)]
    assert numbers == sorted(numbers)
    order = [t.name for t in bank_config().tiers]
    tiers = [r.tier for r in listed(SortColumn.TIER)]
    ranks = [order.index(t) if t in order else len(order) for t in tiers]
    assert ranks == sorted(ranks), "highest tier first, customers without one last"
    assert tiers[-1] is None
    statuses = [r.lifecycle_status for r in listed(SortColumn.LIFECYCLE, True)]
    vocabulary = [s.value for s in LifecycleStatus]
    assert [vocabulary.index(s) for s in statuses] == sorted(
        (vocabulary.index(s) for s in statuses), reverse=True
    )


def test_filters_select_the_right_customers(book: Cache) -> None:
    service = _service(book)
    everyone = _everyone(book)
    with book.engine.connect() as conn:
        branches = dict(conn.execute(select(Branch.name, Branch.id)).tuples().all())
    cases: list[tuple[CustomerQuery, Any]] = [
        (CustomerQuery(tiers={"黄金"}), lambda c: c["tier"] == "黄金"),
        (
            CustomerQuery(tiers={"顶级", "黄金"}, lifecycle_statuses={"active"}),
            lambda c: c["tier"] in ("顶级", "黄金") and c["lifecycle_status"] == "active",
        ),
        (
            CustomerQuery(branches={branches["城西支行"]}),
            lambda c: c["branch_id"] == branches["城西支行"],
        ),
        (
            CustomerQuery(text="张", lifecycle_statuses={"lost", "dormant"}),
            lambda c: c["name"].startswith("张") and c["lifecycle_status"] in ("lost", "dormant"),
        ),
    ]
    for query, wanted in cases:
        expected = {cid for cid, c in everyone.items() if wanted(c)}
        assert expected, query
        for sort in SortColumn:
            sorted_query = replace(query, sort=sort)
            got = _all_pages(service, sorted_query, 5)
            assert {r.id for r in got} == expected, (query, sort)
        assert service.count(query) == len(expected)


def test_life_stage_filter_agrees_with_the_domain_rule(cache: Cache) -> None:
    rng = random.Random(11)
    birthdays = [date(2003, 2, 28), date(2003, 3, 1), date(2004, 2, 29), date(1966, 3, 1)]
    with cache.session() as session:
        for number in range(300):
            born = (
                birthdays[number]
                if number < len(birthdays)
                else date(rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28))
            )
            session.add(
                Customer(
                    customer_no=f"L{number:04d}",
                    category="individual",
                    name=f"客户{number}",
                    birth_date=None if number % 17 == 0 else born,
                    marital_status=rng.choice([*MaritalStatus, None]),
                    children_count=rng.choice([None, 0, 1, 3]),
                )
            )
    with cache.engine.begin() as conn:
        rebuild_index(conn)
    service = _service(cache)
    everyone = _everyone(cache)
    stages = {
        cid: life_stage(
            birth_date=c["birth_date"],
            marital_status=c["marital_status"],
            children_count=c["children_count"],
            today=TODAY,
        )
        for cid, c in everyone.items()
    }
    for rule in bank_config().life_stages:
        expected = {cid for cid, stage in stages.items() if stage and stage.code == rule.code}
        query = CustomerQuery(life_stages={rule.code})
        assert {r.id for r in _all_pages(service, query, 50)} == expected, rule.code
        assert service.count(query) == len(expected)
        assert all(r.life_stage == rule.name for r in service.page_after(query).rows)


def test_search_text_finds_by_initials_and_ranks_exact_first(book: Cache) -> None:
    service = _service(book)
    rows = service.page_after(CustomerQuery(text="zsf")).rows
    assert {r.name for r in rows} == {"张三丰"}
    assert service.count(CustomerQuery(text="zsf")) == 3
    # Relevance: the exact name before names it is a prefix of.
    rows = service.page_after(CustomerQuery(text="张伟")).rows
    assert [r.name for r in rows] == ["张伟"] * 6
    ranked = [r.name for r in service.page_after(CustomerQuery(text="李")).rows]
    assert set(ranked) == {"李四", "李明"}
    # Few exact or prefix matches: "contains" ones join (三丰 is inside 张三丰).
    assert {r.name for r in service.page_after(CustomerQuery(text="三丰")).rows} == {"张三丰"}
    assert service.page_after(CustomerQuery(text="没有这个人")).rows == ()
    assert service.count(CustomerQuery(text="   ")) == service.count()


def test_filter_options(book: Cache) -> None:
    options = _service(book).filter_options()
    assert [o.value for o in options.tiers] == [t.name for t in bank_config().tiers]
    assert [o.value for o in options.lifecycle_statuses] == [s.value for s in LifecycleStatus]
    assert [o.label for o in options.life_stages] == [s.name for s in bank_config().life_stages]
    assert [o.label for o in options.branches] == ["城东支行", "城西支行"], "only branches in use"


def test_order_rows_follow_an_update(book: Cache) -> None:
    service = _service(book)
    first = service.page_after(CustomerQuery(sort=SortColumn.AUM, descending=True), None, 1)
    poorest = service.page_after(CustomerQuery(sort=SortColumn.AUM), None, 1).rows[0]
    with book.engine.begin() as conn:
        conn.execute(
            update(Customer).where(Customer.id == poorest.id).values(aum=Decimal("99999999.99"))
        )
        stored = conn.execute(select(Customer.__table__).where(Customer.id == poorest.id))
        index_customers(conn, [dict(row._mapping) for row in stored])
    richest = service.page_after(CustomerQuery(sort=SortColumn.AUM, descending=True), None, 1)
    assert richest.rows[0].id == poorest.id != first.rows[0].id


def test_every_page_is_an_index_range_scan(book: Cache) -> None:
    """EXPLAIN QUERY PLAN of the page queries of an unsearched list: a walk of the order
    rows' primary key and a lookup of each customer, never a sort of the book."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT o.term"):
            statements.append((statement, parameters))

    event.listen(book.engine, "before_cursor_execute", record)
    try:
        service = _service(book)
        for sort, descending in product(SortColumn, (False, True)):
            query = CustomerQuery(sort=sort, descending=descending, tiers={"黄金", "顶级"})
            page = service.page_after(CustomerQuery(sort=sort, descending=descending), None, 2)
            service.page_after(CustomerQuery(sort=sort, descending=descending), page.next_key, 2)
            service.page_after(query, None, 2)
    finally:
        event.remove(book.engine, "before_cursor_execute", record)
    assert statements
    with book.engine.connect() as conn:
        for statement, parameters in statements:
            plan = [
                row[3]
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            ]
            assert plan[0].startswith("SEARCH o USING PRIMARY KEY (kind=?"), (statement, plan)
            assert plan[1].startswith("SEARCH c USING INDEX"), plan
            assert not any("TEMP B-TREE" in step for step in plan), (statement, plan)


@pytest.fixture
def cache_at_0003(tmp_path: Path) -> Iterator[Cache]:
    opened = open_engine(tmp_path / "old.db")
    upgrade_cache(opened, target="0003")
    try:
        yield opened
    finally:
        opened.dispose()


def test_upgrade_fills_the_order_rows(cache_at_0003: Cache) -> None:
    for number, name in enumerate(["张三", "李四", "阿大"]):
        _add(cache_at_0003, customer_no=f"N{number}", name=name)
    with cache_at_0003.engine.begin() as conn:
        rebuild_index(conn)
        # As a cache indexed before revision 0004 was: search terms, no order rows.
        marks = ", ".join("?" * len(ORDER_KINDS))
        conn.exec_driver_sql(f"DELETE FROM {TABLE} WHERE kind IN ({marks})", ORDER_KINDS)
    service = _service(cache_at_0003)
    assert service.page_after(CustomerQuery()).rows == ()
    upgrade_cache(cache_at_0003)
    assert [r.name for r in service.page_after(CustomerQuery()).rows] == ["阿大", "李四", "张三"]
    with cache_at_0003.engine.connect() as conn:
        kinds = conn.execute(text(f"SELECT DISTINCT kind FROM {TABLE}")).scalars().all()
    assert set(ORDER_KINDS) <= set(kinds)
