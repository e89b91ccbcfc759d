"""The demo book generator (rm_demo.book) and the bulk loader (db.bulk)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Boolean, Date, Enum, func, select
from stdnum.cn import ric, uscc

from rm_contract.types import JSONList, Money, Rate, UTCDateTime
from rm_contract.vocabulary import GroupRole, ProductType
from rm_demo.book import (
    ACTIVITY_TABLES,
    COMPOUND_SURNAMES,
    ID_MESS_KINDS,
    MESS_KINDS,
    POLYPHONIC_SURNAMES,
    SIZES,
    TABLE_ORDER,
    BookSize,
    DemoBook,
    generate_book,
)
from rm_demo.cli import central_main as cli_main
from rm_workbench.config import bank_config
from rm_workbench.db.bulk import bulk_upsert, load_book
from rm_workbench.db.engine import Cache
from rm_workbench.domain.segmentation import assign_tier
from rm_workbench.models import (
    Account,
    Base,
    ContactLog,
    Customer,
    GroupMembership,
    Opportunity,
    Product,
    Visit,
)

TABLES = Base.metadata.tables
MOBILE = re.compile(r"^1(3\d|5[0-35-9]|8\d|9[1356-9])\d{8}$")
LIABILITIES = {"mortgage", "consumer_loan", "education_loan", "business_loan", "credit_card"}


@pytest.fixture(scope="module")
def book() -> DemoBook:
    return generate_book()


def customers_by_id(book: DemoBook) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in book.tables["customer"]}


def table_count(cache: Cache, model: type[Base]) -> int:
    with cache.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# ------------------------------------------------------------------ determinism


def test_same_seed_gives_identical_rows(book: DemoBook) -> None:
    again = generate_book()
    assert again.tables == book.tables
    assert again.mess == book.mess
    assert again.duplicate_pairs == book.duplicate_pairs


def test_different_seed_gives_different_rows(book: DemoBook) -> None:
    other = generate_book(seed=7, with_activity=False)
    assert [c["name"] for c in other.tables["customer"]] != [
        c["name"] for c in book.tables["customer"]
    ]
    assert {c["id"] for c in other.tables["customer"]}.isdisjoint(
        c["id"] for c in book.tables["customer"]
    )


def test_without_activity_the_core_tables_are_the_same(book: DemoBook) -> None:
    core = generate_book(with_activity=False)
    assert set(core.tables) == set(TABLE_ORDER) - ACTIVITY_TABLES
    for name, rows in core.tables.items():
        assert rows == book.tables[name], name
    assert core.mess == book.mess


def test_sizes() -> None:
    assert SIZES["default"] == BookSize(5, 300)
    assert SIZES["5k"].customers == 5000
    assert SIZES["50k"].customers == 50_000
    with pytest.raises(ValueError, match="unknown book size"):
        generate_book("huge")


def test_a_custom_size_and_today() -> None:
    small = generate_book(BookSize(2, 40), today=date(2025, 3, 1), with_activity=False)
    assert len(small.tables["customer"]) == 80
    assert len(small.tables["relationship_manager"]) == 2
    assert small.today == date(2025, 3, 1)
    assert all(c["customer_since"] < date(2025, 3, 1) for c in small.tables["customer"])


@pytest.mark.slow
def test_the_5k_book_has_about_250k_rows() -> None:
    big = generate_book("5k")
    assert len(big.tables["customer"]) == 5000
    assert 225_000 <= big.row_count() <= 275_000
    assert big.tables["contact_log"] and len(big.tables["contact_log"]) > big.row_count() / 2


# --------------------------------------------------------- shape and value types


def test_tables_are_in_foreign_key_order_with_every_model_column(book: DemoBook) -> None:
    assert list(book.tables) == list(TABLE_ORDER)
    for name, rows in book.tables.items():
        columns = set(TABLES[name].columns.keys())
        assert rows, name
        for row in rows:
            assert row.keys() == columns, name


def test_values_have_the_models_python_types(book: DemoBook) -> None:
    for name, rows in book.tables.items():
        table = TABLES[name]
        for column in table.columns:
            kind = column.type
            values = [row[column.name] for row in rows]
            assert not any(isinstance(v, float) for v in values), (name, column.name)
            present = [v for v in values if v is not None]
            if not column.nullable:
                assert len(present) == len(values), (name, column.name)
            if isinstance(kind, Money | Rate):
                assert all(isinstance(v, Decimal) for v in present), (name, column.name)
            elif isinstance(kind, UTCDateTime):
                assert all(isinstance(v, datetime) and v.tzinfo for v in present)
            elif isinstance(kind, Date):
                assert all(type(v) is date for v in present), (name, column.name)
            elif isinstance(kind, Boolean):
                assert all(isinstance(v, bool) for v in present)
            elif isinstance(kind, Enum):
                assert set(present) <= set(kind.enums), (name, column.name)
            elif isinstance(kind, JSONList):
                assert all(isinstance(v, list) for v in present)
    money = [a["balance"] for a in book.tables["account"]]
    assert all(v == v.quantize(Decimal("0.01")) for v in money)


def test_rows_are_versioned_live_and_stamped(book: DemoBook) -> None:
    versions = [row["version"] for name in TABLE_ORDER for row in book.tables[name]]
    assert versions == list(range(1, len(versions) + 1))
    # The central CRM's clock stands at the start of `today` (Beijing time).
    now = datetime(book.today.year, book.today.month, book.today.day, tzinfo=UTC)
    for rows in book.tables.values():
        for row in rows:
            assert row["deleted"] is False
            assert row["created_at"] <= row["updated_at"] <= now


def test_foreign_keys_hold(book: DemoBook) -> None:
    ids = {name: {row["id"] for row in rows} for name, rows in book.tables.items()}
    for name, rows in book.tables.items():
        for fk in TABLES[name].foreign_keys:
            target = ids[fk.column.table.name]
            column = fk.parent.name
            for row in rows:
                assert row[column] is None or row[column] in target, (name, column)


def test_keys_and_numbers_are_unique(book: DemoBook) -> None:
    for name, rows in book.tables.items():
        assert len({row["id"] for row in rows}) == len(rows), name
        for column in TABLES[name].columns:
            if column.unique:
                values = [row[column.name] for row in rows]
                assert len(set(values)) == len(values), (name, column.name)
    numbers = [c["customer_no"] for c in book.tables["customer"]]
    assert all(re.fullmatch(r"C\d{10}", n) for n in numbers)


# ------------------------------------------------------------------- realism


def test_identity_numbers_are_valid_except_the_deliberate_mess(book: DemoBook) -> None:
    messy = book.messy_customer_ids()
    checked = 0
    for customer in book.tables["customer"]:
        if customer["id"] in messy:
            continue
        if customer["category"] == "corporate":
            assert uscc.is_valid(customer["credit_code"]), customer["credit_code"]
            assert customer["id_number"] == customer["credit_code"]
            continue
        if customer["id_type"] != "resident_id":
            continue
        number = customer["id_number"]
        assert ric.is_valid(number), number
        assert ric.get_birth_date(number) == customer["birth_date"]
        assert (int(number[16]) % 2 == 1) == (customer["gender"] == "male"), number
        checked += 1
    assert checked > 0.8 * len(book.tables["customer"])


def test_mess_rate_and_kinds(book: DemoBook) -> None:
    customers = customers_by_id(book)
    messy = book.messy_customer_ids()
    assert 0.02 <= len(messy) / len(customers) <= 0.05
    assert set(book.mess) == set(MESS_KINDS)
    assert all(book.mess[kind] for kind in MESS_KINDS)
    for kind in ID_MESS_KINDS:
        for cid in book.mess[kind]:
            number = customers[cid]["id_number"]
            assert not ric.is_valid(number), (kind, number)
    for cid in book.mess["old_15_digit_id"]:
        c = customers[cid]
        number = c["id_number"]
        assert len(number) == 15 and number.isdigit()
        assert number[6:12] == c["birth_date"].strftime("%y%m%d")
        assert c["birth_date"].year < 2000
        assert (int(number[14]) % 2 == 1) == (c["gender"] == "male")
    for cid in book.mess["bad_check_digit"]:
        number = customers[cid]["id_number"]
        assert len(number) == 18 and number[-1] != ric.calc_check_digit(number)
    for cid in book.mess["id_with_letter"]:
        assert re.search(r"[A-Z]", customers[cid]["id_number"][:17])
    for cid in book.mess["id_wrong_length"]:
        assert len(customers[cid]["id_number"]) in (14, 16)
    for cid in book.mess["missing_phone"]:
        assert customers[cid]["mobile_phone"] is None


def test_duplicates_are_the_same_person_under_another_number(book: DemoBook) -> None:
    customers = customers_by_id(book)
    copies = set(book.mess["duplicate_same_id"]) | set(book.mess["duplicate_same_phone"])
    assert {copy for _, copy in book.duplicate_pairs} == copies
    for original_id, copy_id in book.duplicate_pairs:
        original, copy = customers[original_id], customers[copy_id]
        assert original["name"] == copy["name"]
        assert original["customer_no"] != copy["customer_no"]
        if copy_id in book.mess["duplicate_same_id"]:
            assert copy["id_number"] == original["id_number"]
        else:
            assert copy["mobile_phone"] == original["mobile_phone"] is not None


def test_people_look_like_a_chinese_banks_customers(book: DemoBook) -> None:
    customers = book.tables["customer"]
    individuals = [c for c in customers if c["category"] == "individual"]
    corporates = [c for c in customers if c["category"] == "corporate"]
    assert 0.05 <= len(corporates) / len(customers) <= 0.11
    assert all(c["name"].endswith("公司") for c in corporates)
    names = [c["name"] for c in individuals]
    assert all(2 <= len(n) <= 4 for n in names)
    assert any(n.startswith(s) for n in names for s in POLYPHONIC_SURNAMES)
    assert any(n.startswith(s) for n in names for s in COMPOUND_SURNAMES)
    surnames = Counter(n[0] for n in names)
    assert {s for s, _ in surnames.most_common(6)} & {"王", "李", "张", "刘", "陈"}
    phones = [c["mobile_phone"] for c in customers if c["mobile_phone"]]
    assert all(MOBILE.match(p) for p in phones)
    addresses = [c["address"] for c in customers if c["address"]]
    assert all(a.startswith("浙江省杭州市") for a in addresses)
    copies = {copy for _, copy in book.duplicate_pairs}
    for c in individuals:
        assert c["gender"] in ("male", "female")
        assert c["birth_date"] is not None or c["id"] in copies


def test_sparse_profiles_hold_little_more_than_name_and_id(book: DemoBook) -> None:
    customers = customers_by_id(book)
    share = len(book.sparse_profiles) / len(customers)
    assert 0.2 <= share <= 0.4
    for cid in book.sparse_profiles:
        c = customers[cid]
        assert c["name"] and c["id_number"]
        assert c["occupation"] is None and c["income_band"] is None and c["education"] is None
    profiled = [c for c in customers.values() if c["occupation"]]
    assert len(profiled) > 0.5 * len(customers)


def test_tiers_follow_the_bank_configuration(book: DemoBook) -> None:
    customers = book.tables["customer"]
    for c in customers:
        assert c["tier"] == assign_tier(c["aum"], c["contribution"]).name
    tiers = Counter(c["tier"] for c in customers)
    names = [t.name for t in bank_config().tiers]  # 顶级, 黄金, 一般, 淘汰
    top, gold, general, exit_ = (tiers[n] for n in names)
    assert 0 < top < gold < general
    assert exit_ > top
    lifecycle = Counter(c["lifecycle_status"] for c in customers)
    assert set(lifecycle) == {"potential", "active", "dormant", "lost"}
    assert lifecycle["active"] > len(customers) / 2


def test_risk_assessments_expire_after_a_year(book: DemoBook) -> None:
    assessed = [c for c in book.tables["customer"] if c["risk_tolerance"]]
    assert {c["risk_tolerance"] for c in assessed} == {"C1", "C2", "C3", "C4", "C5"}
    for c in assessed:
        on = c["risk_assessed_on"]
        leap_day = (on.month, on.day) == (2, 29)
        expected = date(on.year + 1, 2, 28) if leap_day else on.replace(year=on.year + 1)
        assert c["risk_expires_on"] == expected
    expired = [c for c in assessed if c["risk_expires_on"] <= book.today]
    assert 0.12 <= len(expired) / len(assessed) <= 0.3


def test_households_and_corporate_groups(book: DemoBook) -> None:
    groups = {g["id"]: g for g in book.tables["customer_group"]}
    kinds = Counter(g["kind"] for g in groups.values())
    assert kinds["household"] > kinds["corporate_group"] > 0
    memberships = book.tables["group_membership"]
    roles = Counter(m["role"] for m in memberships)
    for role in (GroupRole.HEAD, GroupRole.SPOUSE, GroupRole.CHILD, GroupRole.SUBSIDIARY):
        assert roles[role.value] > 0
    ended = [m for m in memberships if m["valid_to"] is not None]
    assert ended and all(m["valid_from"] <= m["valid_to"] < book.today for m in ended)
    customers = customers_by_id(book)
    for m in memberships:
        if m["role"] == "child":
            child = customers[m["customer_id"]]
            heads = [
                customers[h["customer_id"]]
                for h in memberships
                if h["group_id"] == m["group_id"] and h["role"] == "head"
            ]
            assert heads and heads[0]["birth_date"] < child["birth_date"]


def test_the_product_catalog(book: DemoBook) -> None:
    products = book.tables["product"]
    assert 25 <= len(products) <= 40
    config = bank_config()
    tier_names = {t.name for t in config.tiers}
    stage_names = {s.name for s in config.life_stages}
    for p in products:
        if p["product_type"] in {"wealth", "fund"}:
            assert p["risk_level"] in {"R1", "R2", "R3", "R4", "R5"}, p["name"]
        if p["product_type"] in LIABILITIES | {"demand_deposit", "time_deposit", "large_cd"}:
            assert p["risk_level"] is None, p["name"]
        assert set(p["target_tiers"]) <= tier_names
        assert set(p["target_life_stages"]) <= stage_names
    names = " ".join(p["name"] for p in products)
    words = "定期存款 大额存单 理财 基金 养老 重疾险 教育金 住房贷款 汽车 留学 信用卡 家族信托"
    for word in words.split():
        assert word in names, word


def test_holdings_add_up_to_the_aum_and_some_mature_soon(book: DemoBook) -> None:
    accounts = book.tables["account"]
    assets: dict[str, Decimal] = {}
    for a in accounts:
        if a["account_type"] not in LIABILITIES:
            assets[a["customer_id"]] = assets.get(a["customer_id"], Decimal(0)) + a["balance"]
    for c in book.tables["customer"]:
        if c["id"] in assets:
            assert assets[c["id"]] == c["aum"], c["customer_no"]
    soon = [
        a
        for a in accounts
        if a["status"] == "open"
        and a["account_type"] in {"time_deposit", "large_cd", "wealth"}
        and a["matures_on"] is not None
        and book.today < a["matures_on"] <= book.today + timedelta(days=90)
    ]
    assert len(soon) > 0.1 * len(book.tables["customer"])
    assert {a["account_type"] for a in soon} >= {"time_deposit", "wealth"}
    for a in accounts:
        if a["matures_on"] is not None and a["opened_on"] is not None:
            assert a["opened_on"] < a["matures_on"]
    types = {a["account_type"] for a in accounts}
    assert types >= {t.value for t in ProductType} - {"gold", "trust", "education_loan"}


def test_holdings_respect_suitability(book: DemoBook) -> None:
    products = {p["id"]: p for p in book.tables["product"]}
    customers = customers_by_id(book)
    for a in book.tables["account"]:
        level = products[a["product_id"]]["risk_level"]
        if level is None or a["status"] != "open":
            continue
        tolerance = customers[a["customer_id"]]["risk_tolerance"]
        assert tolerance is not None and int(level[1]) <= int(tolerance[1]), a["account_no"]


def test_years_of_activity_and_an_agenda(book: DemoBook) -> None:
    visits = book.tables["visit"]
    statuses = Counter(v["status"] for v in visits)
    assert statuses["done"] > statuses["cancelled"] > 0 and statuses["planned"] > 0
    horizon = book.today + timedelta(days=14)
    upcoming = [v for v in visits if book.today <= v["planned_start"].date() <= horizon]
    assert upcoming and all(v["status"] == "planned" for v in upcoming)
    for v in visits:
        if v["status"] == "done":
            assert v["actual_start"] and v["report"]
    contacts = book.tables["contact_log"]
    first = min(c["started_at"] for c in contacts).date()
    assert (book.today - first).days > 3 * 365
    assert all(c["started_at"].date() < book.today for c in contacts)
    assert len(contacts) > 20 * len(book.tables["customer"])
    stages = Counter(o["sales_stage"] for o in book.tables["opportunity"])
    assert len(stages) == 6
    assert all(isinstance(o["expected_value"], Decimal) for o in book.tables["opportunity"])
    needs = book.tables["need"]
    assert len({n["category"] for n in needs}) >= 8
    assert all(re.search(r"[\u4e00-\u9fff]", n["summary"]) for n in needs)


def test_cli_prints_counts_and_mess(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["demo-book", "--no-activity"]) == 0
    out = capsys.readouterr().out
    assert "customer" in out and "1,500" in out
    assert "old_15_digit_id" in out and "customers affected" in out


# ------------------------------------------------------------------ bulk loading


def test_load_book_round_trips_through_the_orm(cache: Cache, book: DemoBook) -> None:
    with cache.engine.begin() as conn:
        written = load_book(conn, book.tables)
    assert written == book.counts()
    models: tuple[type[Base], ...] = (
        Customer, Account, Product, Visit, Opportunity, GroupMembership,
    )  # fmt: skip
    for model in models:
        rows = {row["id"]: row for row in book.tables[model.__table__.name]}
        columns = [c.name for c in model.__table__.columns]
        with cache.session() as session:
            loaded: Sequence[Any] = session.scalars(select(model)).all()
            assert len(loaded) == len(rows)
            for obj in loaded:
                expected = rows[obj.id]
                for name in columns:
                    assert getattr(obj, name) == expected[name], (model.__name__, name)
    with cache.session() as session:
        customer = session.scalars(select(Customer).where(Customer.aum > 0)).first()
        assert customer is not None
        assert isinstance(customer.aum, Decimal) and customer.created_at.tzinfo is not None
        contact = session.scalars(select(ContactLog)).first()
        assert contact is not None and contact.started_at.tzinfo is not None


def test_loading_twice_changes_nothing(cache: Cache, book: DemoBook) -> None:
    with cache.engine.begin() as conn:
        load_book(conn, book.tables)
    with cache.engine.begin() as conn:
        load_book(conn, book.tables)
    assert table_count(cache, Customer) == len(book.tables["customer"])
    assert table_count(cache, ContactLog) == len(book.tables["contact_log"])


def test_upsert_updates_existing_rows_and_keeps_omitted_columns(cache: Cache) -> None:
    small = generate_book(BookSize(1, 40))
    with cache.engine.begin() as conn:
        load_book(conn, small.tables)
    target = small.tables["customer"][0]
    changed = dict(target, name="欧阳修", aum=Decimal("1234567.89"), version=10**9)
    new = dict(small.tables["customer"][1], id="00000000-0000-4000-8000-000000000001",
               customer_no="C0000000001")  # fmt: skip
    customer = TABLES["customer"]
    with cache.engine.begin() as conn:
        assert bulk_upsert(conn, customer, [changed, new], batch_size=1) == 2
        # Only some columns (SQLite checks NOT NULL before the conflict, so those stay):
        # the others keep their values, updated_at is refreshed.
        keep = ("id", "customer_no", "category", "name")
        partial = {key: new[key] for key in keep} | {"notes": "客户更换了手机号"}
        bulk_upsert(conn, customer, [partial])
    with cache.session() as session:
        row = session.get(Customer, target["id"])
        assert row is not None
        assert (row.name, row.aum, row.version) == ("欧阳修", Decimal("1234567.89"), 10**9)
        added = session.get(Customer, new["id"])
        assert added is not None
        assert added.notes == "客户更换了手机号" and added.aum == new["aum"]
        assert added.mobile_phone == new["mobile_phone"]
        assert added.created_at == new["created_at"]
        assert abs(added.updated_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert table_count(cache, Customer) == 41


def test_a_key_repeated_in_one_call_ends_with_its_last_row(cache: Cache) -> None:
    small = generate_book(BookSize(1, 20), with_activity=False)
    with cache.engine.begin() as conn:
        load_book(conn, {k: small.tables[k] for k in ("branch", "relationship_manager")})
        first = small.tables["customer"][0]
        rows = [first, dict(first, name="单雄信"), small.tables["customer"][1]]
        bulk_upsert(conn, TABLES["customer"], rows)
    with cache.session() as session:
        row = session.get(Customer, first["id"])
        assert row is not None and row.name == "单雄信"
    assert table_count(cache, Customer) == 2


def test_bulk_upsert_refuses_bad_input(cache: Cache) -> None:
    small = generate_book(BookSize(1, 20), with_activity=False)
    branch = small.tables["branch"][0]
    table = TABLES["branch"]
    with cache.engine.begin() as conn:
        assert bulk_upsert(conn, table, []) == 0
        with pytest.raises(ValueError, match="no such columns"):
            bulk_upsert(conn, table, [dict(branch, colour="red")])
        with pytest.raises(ValueError, match="key column"):
            bulk_upsert(conn, table, [{"code": "X", "name": "测试支行"}])
        other = {k: v for k, v in small.tables["branch"][1].items() if k != "city"}
        with pytest.raises(ValueError, match="row 1 has columns"):
            bulk_upsert(conn, table, [branch, other])
        same_width = dict(other, colour="red")
        with pytest.raises(ValueError, match="row 1 has columns"):
            bulk_upsert(conn, table, [branch, same_width])
        with pytest.raises(ValueError, match="naive datetime"):
            bulk_upsert(conn, table, [dict(branch, created_at=datetime(2026, 1, 1))])
    with cache.engine.begin() as conn, pytest.raises(ValueError, match="not tables"):
        load_book(conn, {"customers": []})
    product = small.tables["product"][0]
    # A float for money is refused, naming the table and column (ColumnValueError).
    with cache.engine.begin() as conn, pytest.raises(ValueError, match=r"min_amount.*float"):
        bulk_upsert(conn, TABLES["product"], [dict(product, min_amount=12.5)])


def test_bulk_upsert_accepts_enum_members_and_other_time_zones(cache: Cache) -> None:
    small = generate_book(BookSize(1, 20), with_activity=False)
    product = small.tables["product"][0]
    beijing = product["created_at"].astimezone(timezone(timedelta(hours=8)))
    row = dict(product, product_type=ProductType(product["product_type"]), created_at=beijing)
    with cache.engine.begin() as conn:
        bulk_upsert(conn, TABLES["product"], [row])
    with cache.session() as session:
        loaded = session.get(Product, product["id"])
        assert loaded is not None
        assert loaded.product_type is ProductType(product["product_type"])
        assert loaded.created_at == product["created_at"]
        assert loaded.target_tiers == product["target_tiers"]


def test_rows_missing_a_required_field_are_refused_clearly_and_nothing_is_written(
    cache: Cache,
) -> None:
    from rm_workbench.errors import ValidationError

    book = generate_book("default", with_activity=False)
    customers = [dict(row) for row in book.tables["customer"][:3]]
    customers[1]["name"] = None  # a record from another system with no name
    tables = {
        "branch": book.tables["branch"],
        "relationship_manager": book.tables["relationship_manager"],
        "customer": customers,
    }
    with (
        pytest.raises(ValidationError, match="客户中有记录缺少必填字段") as info,
        cache.engine.begin() as conn,
    ):
        load_book(conn, tables)
    assert "customer.name" in info.value.details
    with cache.session() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 0
