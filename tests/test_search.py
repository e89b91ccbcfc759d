"""Customer search: every kind of query on a real migrated cache, ranking, migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text

from rm_workbench.db.engine import Cache, open_engine
from rm_workbench.db.migrate import upgrade_cache
from rm_workbench.db.search import (
    SEARCH_INTERNAL_TABLES,
    SearchHit,
    index_customers,
    rebuild_index,
    remove_customers,
    search_customers,
    search_terms,
)
from rm_workbench.domain.names import name_readings, normalize
from rm_workbench.models import Base, Customer, RelationshipManager
from rm_workbench.services.customers import CustomerService

_serial = iter(range(1, 1_000_000))


def add_customers(cache: Cache, *specs: dict[str, Any]) -> list[str]:
    """Insert customers through the ORM, then index them; returns their ids in order."""
    customers = []
    for spec in specs:
        values = {
            "customer_no": f"C{next(_serial):08d}",
            "category": "individual",
            "id_number": None,
            "mobile_phone": None,
            **spec,
        }
        customers.append(Customer(**values))
    with cache.session() as session:
        session.add_all(customers)
    ids = [c.id for c in customers]
    with cache.engine.begin() as conn:
        rows = conn.execute(select(Customer.__table__).where(Customer.id.in_(ids))).mappings()
        index_customers(conn, list(rows))
    return ids


def search(cache: Cache, query: str, **kwargs: Any) -> list[SearchHit]:
    with cache.engine.connect() as conn:
        return search_customers(conn, query, **kwargs)


def names(hits: list[SearchHit]) -> list[str]:
    return [hit.name for hit in hits]


@pytest.fixture
def book(cache: Cache) -> Cache:
    add_customers(
        cache,
        {
            "name": "张三丰",
            "customer_no": "6200001234",
            "mobile_phone": "13800138000",
            "other_phone": "010-62345678",
            "id_number": "11010519491231002X",
        },
        {"name": "曾国藩", "mobile_phone": "13912345678", "id_number": "430102198001011234"},
        {"name": "单田芳", "mobile_phone": "13700001111"},
        {"name": "欧阳修", "mobile_phone": "13600002222"},
        {"name": "司马光"},
        {"name": "李四", "mobile_phone": "15000003333"},
        {
            "name": "北京华夏科技有限公司",
            "category": "corporate",
            "credit_code": "91110108MA01ABCD3K",
        },
    )
    return cache


# --- pure parts ----------------------------------------------------------------------


def test_normalize_folds_width_case_and_spaces() -> None:
    assert normalize(" ＺＳＦ ") == "zsf"
    assert normalize("张 三\u3000丰") == "张三丰"
    assert normalize("１３８０") == "1380"
    assert normalize("阿卜杜·热合曼") == "阿卜杜热合曼"


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("曾国藩", "zengguofan"),
        ("单田芳", "shantianfang"),
        ("解缙", "xiejin"),
        ("仇英", "qiuying"),
        ("区志航", "ouzhihang"),
        ("查良镛", "zhaliangyong"),
        ("朴树", "piaoshu"),
        ("欧阳修", "ouyangxiu"),
        ("长孙无忌", "zhangsunwuji"),
    ],
)
def test_surnames_read_as_surnames(name: str, pinyin: str) -> None:
    assert "".join(name_readings(name)[0].syllables) == pinyin


def test_given_name_heteronyms_are_indexed_but_capped() -> None:
    readings = ["".join(r.syllables) for r in name_readings("张长江")]
    assert readings[0] == "zhangchangjiang"
    assert "zhangzhangjiang" in readings
    assert len(name_readings("长孙无忌乐乐乐")) <= 4


def test_terms_of_a_customer() -> None:
    terms = search_terms(
        {"name": "张三丰", "customer_no": "C1", "mobile_phone": "138 0013 8000", "deleted": False}
    )
    assert ("zhangsanfeng", "pinyin") in terms
    assert ("zhangsf", "pinyin") in terms
    assert ("zsf", "initials") in terms
    assert ("三丰", "name_sub") in terms
    assert ("00083100831", "phone_tail") in terms
    assert len(terms) == len(set(terms))


# --- each kind of query --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("张三丰", "name"),
        ("张三", "name"),
        ("三丰", "name"),
        ("张丰", "name"),
        ("zhangsanfeng", "pinyin"),
        ("zhangs", "pinyin"),
        ("zhangsf", "pinyin"),
        ("ZhangSanFeng", "pinyin"),
        ("zhang san feng", "pinyin"),
        ("sanfeng", "pinyin"),
        ("zsf", "initials"),
        ("zs", "initials"),
        ("ＺＳＦ", "initials"),
        ("8000", "phone_tail"),
        ("138000", "phone_tail"),
        ("13800138000", "phone_tail"),
        ("5678", "phone_tail"),
        ("002x", "id_tail"),
        ("31002X", "id_tail"),
        ("6200001234", "customer_no"),
        ("620000", "customer_no"),
    ],
)
def test_finds_zhang_sanfeng(book: Cache, query: str, kind: str) -> None:
    hits = search(book, query)
    assert hits, query
    match = next(hit for hit in hits if hit.name == "张三丰")
    assert match.matched_kind == kind


def test_exact_name_is_rank_0_prefix_1_contains_2(book: Cache) -> None:
    assert search(book, "张三丰")[0].rank == 0
    assert search(book, "张三")[0].rank == 1
    assert search(book, "三丰")[0].rank == 2
    assert search(book, "张丰")[0].rank == 2


def test_whole_phone_or_id_is_exact_and_a_tail_is_prefix(book: Cache) -> None:
    assert search(book, "13800138000")[0].rank == 0
    assert search(book, "8000")[0].rank == 1
    assert search(book, "11010519491231002x")[0].rank == 0
    assert names(search(book, "1234")) == ["曾国藩"]  # an ID tail; no number tail


def test_polyphonic_surnames(book: Cache) -> None:
    assert names(search(book, "zeng")) == ["曾国藩"]
    assert names(search(book, "zgf")) == ["曾国藩"]
    assert names(search(book, "shantianfang")) == ["单田芳"]
    assert names(search(book, "stf")) == ["单田芳"]
    assert search(book, "ceng") == []
    assert search(book, "dantianfang") == []


def test_compound_surnames(book: Cache) -> None:
    assert names(search(book, "欧阳")) == ["欧阳修"]
    assert names(search(book, "ouyangxiu")) == ["欧阳修"]
    assert names(search(book, "oyx")) == ["欧阳修"]
    assert names(search(book, "ouyangx")) == ["欧阳修"]
    assert names(search(book, "simaguang")) == ["司马光"]
    assert names(search(book, "smg")) == ["司马光"]


def test_corporate_name_by_contains_pinyin_and_credit_code(book: Cache) -> None:
    assert names(search(book, "华夏")) == ["北京华夏科技有限公司"]
    assert names(search(book, "bjhx")) == ["北京华夏科技有限公司"]
    assert names(search(book, "beijinghuaxia")) == ["北京华夏科技有限公司"]
    assert names(search(book, "cd3k")) == ["北京华夏科技有限公司"]


def test_ranking_exact_then_prefix_then_fuzzy(cache: Cache) -> None:
    add_customers(cache, {"name": "李张三"}, {"name": "张三丰"}, {"name": "张三"})
    hits = search(cache, "张三")
    assert [(hit.name, hit.rank) for hit in hits] == [("张三", 0), ("张三丰", 1), ("李张三", 2)]


def test_same_rank_ordered_by_term_then_customer_no(cache: Cache) -> None:
    add_customers(
        cache,
        {"name": "王芳", "customer_no": "B2"},
        {"name": "王芳", "customer_no": "B1"},
        {"name": "王芳芳", "customer_no": "A9"},
    )
    hits = search(cache, "王")
    assert [hit.customer_no for hit in hits] == ["B1", "B2", "A9"]


def test_limit_pages_are_prefixes_of_the_full_order(cache: Cache) -> None:
    # Each 张 customer owns several terms starting with "zh" (pinyin, readings), so a
    # small limit forces the probes to read more than once.
    add_customers(cache, *({"name": f"张{given}"} for given in "长重行乐伟芳娜敏静丽强磊军洋"))
    full = search(cache, "zh", limit=100)
    assert len(full) == 14
    for limit in (1, 3, 7, 13):
        assert search(cache, "zh", limit=limit) == full[:limit]
    assert search(cache, "zh", limit=0) == []


def test_deleted_customers_never_appear(cache: Cache) -> None:
    kept, gone, indexed_then_deleted = add_customers(
        cache, {"name": "王伟"}, {"name": "王伟", "deleted": True}, {"name": "王伟"}
    )
    # A tombstone written without re-indexing is still filtered out.
    with cache.engine.begin() as conn:
        conn.execute(
            text("UPDATE customer SET deleted = 1 WHERE id = :id"), {"id": indexed_then_deleted}
        )
    assert [hit.customer_id for hit in search(cache, "王伟")] == [kept]
    with cache.engine.connect() as conn:
        terms_of_gone = conn.execute(
            text("SELECT count(*) FROM customer_search WHERE customer_id = :id"), {"id": gone}
        ).scalar_one()
    assert terms_of_gone == 0


def test_reindex_remove_rebuild_and_cascade(cache: Cache) -> None:
    (customer_id,) = add_customers(cache, {"name": "王伟", "mobile_phone": "13500001234"})
    with cache.engine.begin() as conn:
        conn.execute(
            text("UPDATE customer SET name = '王小伟' WHERE id = :id"), {"id": customer_id}
        )
        row = conn.execute(select(Customer.__table__).where(Customer.id == customer_id))
        index_customers(conn, [row.mappings().one()])
    assert names(search(cache, "wxw")) == ["王小伟"]
    assert search(cache, "wangwei") == []

    with cache.engine.begin() as conn:
        remove_customers(conn, [customer_id])
    assert search(cache, "1234") == []
    with cache.engine.begin() as conn:
        assert rebuild_index(conn) == 1
    assert names(search(cache, "1234")) == ["王小伟"]

    with cache.session() as session:
        session.execute(delete(Customer).where(Customer.id == customer_id))
    with cache.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM customer_search")).scalar_one() == 0


def test_rm_filter(cache: Cache) -> None:
    with cache.session() as session:
        mine, theirs = (
            RelationshipManager(employee_no="E1", name="甲"),
            RelationshipManager(employee_no="E2", name="乙"),
        )
        session.add_all([mine, theirs])
    add_customers(cache, {"name": "王伟", "rm_id": mine.id}, {"name": "王伟强", "rm_id": theirs.id})
    assert names(search(cache, "ww", rm_id=mine.id)) == ["王伟"]
    assert names(search(cache, "ww")) == ["王伟", "王伟强"]


@pytest.mark.parametrize("query", ["", "   ", "\u3000", "\x00", "·"])
def test_empty_query_finds_nothing(book: Cache, query: str) -> None:
    assert search(book, query) == []


@pytest.mark.parametrize(
    "query", ["%", "_", "'", '"', "%%", "张%", "_三", "' OR 1=1 --", "\\", "*?["]
)
def test_sql_special_characters_are_plain_text(book: Cache, query: str) -> None:
    assert search(book, query) == []


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=30))
def test_arbitrary_text_never_raises(book: Cache, query: str) -> None:
    hits = search(book, query, limit=5)
    assert len(hits) <= 5
    assert len({hit.customer_id for hit in hits}) == len(hits)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(min_size=1, max_size=12))
def test_any_name_is_found_by_itself(cache: Cache, name: str) -> None:
    if not normalize(name):
        return
    (customer_id,) = add_customers(cache, {"name": name})
    try:
        assert customer_id in {hit.customer_id for hit in search(cache, name)}
    finally:
        with cache.session() as session:
            session.execute(delete(Customer).where(Customer.id == customer_id))


# --- service -------------------------------------------------------------------------


def test_service_search_and_count(book: Cache) -> None:
    service = CustomerService(book)
    assert service.count() == 7
    (row,) = service.search("zsf")
    assert (row.name, row.customer_no, row.category) == ("张三丰", "6200001234", "individual")
    assert row.masked_phone == "138****8000"
    assert row.masked_id_number == "1101**********002X"
    assert row.warnings == ()
    assert row.lifecycle_status == "potential"
    assert (row.match_rank, row.matched_kind) == (0, "initials")
    assert service.search("") == []


# --- schema --------------------------------------------------------------------------


def test_models_agree_with_migrations(cache: Cache) -> None:
    def include(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        return not (type_ == "table" and name in SEARCH_INTERNAL_TABLES)

    with cache.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include}
        )
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture
def cache_at_0001(tmp_path: Path) -> Iterator[Cache]:
    opened = open_engine(tmp_path / "old.db")
    upgrade_cache(opened, target="0001")
    try:
        yield opened
    finally:
        opened.dispose()


def test_upgrade_indexes_existing_customers(cache_at_0001: Cache) -> None:
    with cache_at_0001.engine.begin() as conn:
        for number, (name, phone, deleted) in enumerate(
            [("张三丰", "13800138000", 0), ("曾国藩", None, 0), ("李四", "15000003333", 1)]
        ):
            conn.execute(
                text(
                    "INSERT INTO customer (id, customer_no, category, name, mobile_phone,"
                    " lifecycle_status, aum, contribution, deleted, created_at, updated_at)"
                    " VALUES (:id, :no, 'individual', :name, :phone, 'active', 0, 0, :deleted,"
                    " '2024-01-01T00:00:00.000000+00:00', '2024-01-01T00:00:00.000000+00:00')"
                ),
                {
                    "id": f"id-{number}",
                    "no": f"N{number}",
                    "name": name,
                    "phone": phone,
                    "deleted": deleted,
                },
            )
    upgrade_cache(cache_at_0001)
    assert names(search(cache_at_0001, "zsf")) == ["张三丰"]
    assert names(search(cache_at_0001, "8000")) == ["张三丰"]
    assert names(search(cache_at_0001, "zeng")) == ["曾国藩"]
    assert search(cache_at_0001, "李四") == []


def test_downgrade_drops_the_index(cache_at_0001: Cache) -> None:
    from alembic import command

    from rm_workbench.db.migrate import alembic_config

    upgrade_cache(cache_at_0001)
    with cache_at_0001.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with cache_at_0001.engine.connect() as conn:
        tables = conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'")).scalars()
        assert "customer_search" not in set(tables)


def test_service_pages_the_whole_list_by_name(book: Cache) -> None:
    service = CustomerService(book)
    everyone = service.page(0, 100)
    assert len(everyone) == service.count() == 7
    assert [row.name for row in everyone] == sorted(row.name for row in everyone)
    assert service.page(2, 3) == everyone[2:5]
    assert everyone[0].match_rank is None
