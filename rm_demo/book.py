"""A deterministic demo book: the central CRM's data for a few relationship managers.

``generate_book()`` produces plain rows (``{table name: [row dict, ...]}``, tables in
foreign-key order) with Python values exactly as the cache models declare them:
``Decimal`` money, ``datetime.date`` dates, timezone-aware ``datetime`` stamps, enum
values as their ``str`` values and UUID text keys. The same seed and ``today`` give
identical output, so tests, benchmarks and the ``--demo`` launch all see the same book.

The book looks like a Chinese bank's: customers with valid resident ID numbers (or
unified social credit codes for companies), mobile numbers, households and corporate
groups, deposits maturing soon, years of visits and contacts. It also carries the
mess real data has: old 15-digit IDs, wrong check digits, missing phones, the same
person under two customer numbers, and many profiles holding only a name and an ID.
What is deliberately wrong is listed in :attr:`DemoBook.mess`.

Faker is slow per call, so it is only used to fill small pools once; everything else
is sampled from the pools with seeded ``random.Random`` streams. The product catalog
and the names, places and texts the book is made of are data files (``rm_demo/data/``).
"""

from __future__ import annotations

import bisect
import json
import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Final

from faker import Faker
from stdnum import numdb
from stdnum.cn import ric, uscc

from rm_contract.vocabulary import (
    AccountStatus,
    ContactChannel,
    CustomerCategory,
    Education,
    Gender,
    GroupKind,
    GroupRole,
    IdType,
    LifecycleStatus,
    MaritalStatus,
    NeedCategory,
    NeedStatus,
    Priority,
    ProductType,
    RiskLevel,
    RiskTolerance,
    SalesStage,
    VisitCategory,
    VisitStatus,
)
from rm_contract.wire import decode_row
from rm_workbench.config import BankConfig, bank_config, load_config
from rm_workbench.domain.segmentation import assign_tier, life_stage, lifecycle_status
from rm_workbench.models import Customer

Row = dict[str, Any]
_CUSTOMER_COLUMNS: Final = tuple(Customer.__table__.columns.keys())

# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True, slots=True)
class BookSize:
    """How many RMs the book has and how many customers each of them serves."""

    rms: int
    customers_per_rm: int

    @property
    def customers(self) -> int:
        return self.rms * self.customers_per_rm


SIZES: Final[dict[str, BookSize]] = {
    "default": BookSize(rms=5, customers_per_rm=300),
    "5k": BookSize(rms=1, customers_per_rm=5000),
    "50k": BookSize(rms=10, customers_per_rm=5000),
}
DEFAULT_SEED: Final = 20261122
# A fixed "today" keeps the output reproducible; maturities and agendas are relative to it.
DEFAULT_TODAY: Final = date(2026, 11, 22)

TABLE_ORDER: Final[tuple[str, ...]] = (
    "branch",
    "relationship_manager",
    "product",
    "bundle_template",
    "customer",
    "customer_group",
    "group_membership",
    "account",
    "need",
    "opportunity",
    "visit",
    "contact_log",
)
ACTIVITY_TABLES: Final = frozenset({"account", "need", "opportunity", "visit", "contact_log"})

# Deliberate data-quality defects (about 3% of customers). Profiles holding only a name
# and an ID are far more common and listed separately in DemoBook.sparse_profiles.
MESS_KINDS: Final[tuple[str, ...]] = (
    "old_15_digit_id",
    "bad_check_digit",
    "id_with_letter",
    "id_wrong_length",
    "missing_phone",
    "duplicate_same_id",
    "duplicate_same_phone",
)
ID_MESS_KINDS: Final = frozenset(MESS_KINDS[:4])
_MESS_WEIGHTS: Final = (0.22, 0.14, 0.10, 0.10, 0.20, 0.12, 0.12)
MESS_RATE: Final = 0.03
# 15-digit IDs were replaced in 1999; people born from 1983 on never had one.
_LAST_15_DIGIT_YEAR: Final = 1983
SPARSE_RATE: Final = 0.30
CORPORATE_RATE: Final = 0.08


@dataclass
class DemoBook:
    """A generated book: rows per table plus what was made wrong on purpose."""

    tables: dict[str, list[Row]]
    today: date
    seed: int
    size: BookSize
    # defect kind -> ids of the customers carrying it (see MESS_KINDS)
    mess: dict[str, list[str]] = field(default_factory=dict)
    # (original customer id, second record of the same person)
    duplicate_pairs: list[tuple[str, str]] = field(default_factory=list)
    # customers with no occupation, income, education, marital status, address …
    sparse_profiles: list[str] = field(default_factory=list)

    def row_count(self) -> int:
        """Total rows over all tables."""
        return sum(len(rows) for rows in self.tables.values())

    def counts(self) -> dict[str, int]:
        """Rows per table, in foreign-key order."""
        return {name: len(rows) for name, rows in self.tables.items()}

    def messy_customer_ids(self) -> set[str]:
        """Customers carrying at least one deliberate defect."""
        return {cid for ids in self.mess.values() for cid in ids}


# ------------------------------------------------------------------ the data files
#
# What the book is made of lives in rm_demo/data/: the product catalog (catalog.json,
# in the format ``central-crm publish-catalog`` reads) and one file of words and
# sentences per kind, each with a "_note" saying how it is used here. To add a road,
# a surname or a visit note, edit the file. tests/demo/test_catalog_file.py holds the
# book's product and bundle rows to what publish-catalog loads from catalog.json.


def read_data(name: str) -> dict[str, Any]:
    """One of the data files, ``rm_demo/data/<name>``, parsed."""
    path = resources.files("rm_demo").joinpath("data").joinpath(name)
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


def read_catalog() -> tuple[list[Row], list[Row]]:
    """(products, bundle templates) of data/catalog.json, decoded from wire form as
    publish-catalog decodes them; tiers and life stages by their shipped bank.toml names."""
    document = read_data("catalog.json")
    return (
        [decode_row("product", row) for row in document["products"]],
        [decode_row("bundle_template", row) for row in document["bundles"]],
    )


_NAMES: Final = read_data("names.json")
POLYPHONIC_SURNAMES: Final[tuple[str, ...]] = tuple(_NAMES["polyphonic_surnames"])
COMPOUND_SURNAMES: Final[tuple[str, ...]] = tuple(_NAMES["compound_surnames"])
_SURNAMES: Final[tuple[tuple[str, float], ...]] = tuple(
    (name, weight) for name, weight in _NAMES["surnames"]
)
_COMMON_SURNAMES: Final = tuple(name for name, _ in _SURNAMES[:40])
_MODERN_GIVEN_MALE: Final[tuple[str, ...]] = tuple(_NAMES["modern_given_male"])
_MODERN_GIVEN_FEMALE: Final[tuple[str, ...]] = tuple(_NAMES["modern_given_female"])
_SECOND_CHARS_MALE: Final[str] = _NAMES["second_chars_male"]
_SECOND_CHARS_FEMALE: Final[str] = _NAMES["second_chars_female"]

_PLACES: Final = read_data("places.json")
_CITY: Final[str] = _PLACES["city"]
_PROVINCE: Final[str] = _PLACES["province"]
_HOME_PROVINCE_CODE: Final[str] = _PLACES["home_province_code"]
_DISTRICTS: Final[tuple[tuple[str, str], ...]] = tuple(
    (name, code) for name, code in _PLACES["districts"]
)
_ROADS: Final[tuple[str, ...]] = tuple(_PLACES["roads"])
_COMPOUND_SUFFIXES: Final[tuple[str, ...]] = tuple(_PLACES["compound_suffixes"])
_BRANCH_NAMES: Final[tuple[str, ...]] = tuple(_PLACES["branch_names"])

_COMPANIES: Final = read_data("companies.json")
_INDUSTRIES: Final[tuple[str, ...]] = tuple(_COMPANIES["industries"])
_TRADE_CHARS: Final[str] = _COMPANIES["trade_chars"]

_PROFILES: Final = read_data("profiles.json")
_OCCUPATIONS: Final[tuple[tuple[str, float], ...]] = tuple(
    (name, weight) for name, weight in _PROFILES["occupations"]
)
_INCOME_BANDS: Final[tuple[str, ...]] = tuple(_PROFILES["income_bands"])
_MOBILE_PREFIXES: Final[tuple[str, ...]] = tuple(_PROFILES["mobile_prefixes"])
_EMAIL_DOMAINS: Final[tuple[str, ...]] = tuple(_PROFILES["email_domains"])
_CUSTOMER_NOTES: Final[tuple[str, ...]] = tuple(_PROFILES["customer_notes"])
_RM_TITLES: Final[tuple[str, ...]] = tuple(_PROFILES["rm_titles"])

_VISITS: Final = read_data("visits.json")
_VISIT_PURPOSES: Final[tuple[str, ...]] = tuple(_VISITS["purposes"])
_CORPORATE_PURPOSES: Final[tuple[str, ...]] = tuple(_VISITS["corporate_purposes"])
_VISIT_OPENINGS: Final[tuple[str, ...]] = tuple(_VISITS["openings"])
_VISIT_FINDINGS: Final[tuple[str, ...]] = tuple(_VISITS["findings"])
_VISIT_NEXT_STEPS: Final[tuple[str, ...]] = tuple(_VISITS["next_steps"])
_VISIT_OUTCOMES: Final[tuple[str, ...]] = tuple(_VISITS["outcomes"])
_ATTENDEES: Final[tuple[str, ...]] = tuple(_VISITS["attendees"])
_CANCEL_REASONS: Final[tuple[str, ...]] = tuple(_VISITS["cancel_reasons"])

_CONTACTS: Final = read_data("contacts.json")
_CONTACT_SUMMARIES: Final[dict[ContactChannel, tuple[str, ...]]] = {
    ContactChannel(channel): tuple(texts) for channel, texts in _CONTACTS["summaries"].items()
}
_CONTACT_CONTENTS: Final[tuple[str, ...]] = tuple(_CONTACTS["contents"])

_NEED_TEXTS: Final = read_data("needs.json")
# category: (summaries, product codes that answer it)
_NEEDS: Final[dict[NeedCategory, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    NeedCategory(category): (tuple(entry["summaries"]), tuple(entry["products"]))
    for category, entry in _NEED_TEXTS["categories"].items()
}
_SALES_METHODS: Final[tuple[str, ...]] = tuple(_NEED_TEXTS["sales_methods"])

# ------------------------------------------------------------------ product kinds

_T = ProductType
_DEPOSIT_LIKE: Final = frozenset({_T.TIME_DEPOSIT, _T.LARGE_CD, _T.DEMAND_DEPOSIT, _T.PENSION})
_MATURING: Final = frozenset({_T.TIME_DEPOSIT.value, _T.LARGE_CD.value, _T.WEALTH.value})
_LIABILITIES: Final = frozenset(
    {_T.MORTGAGE, _T.CONSUMER_LOAN, _T.EDUCATION_LOAN, _T.BUSINESS_LOAN, _T.CREDIT_CARD}
)
_RISK_RANK: Final = {level.value: i + 1 for i, level in enumerate(RiskLevel)}
_TOLERANCE_RANK: Final = {level.value: i + 1 for i, level in enumerate(RiskTolerance)}

# ------------------------------------------------------------------ activity tuning

_CONTACT_CHANNELS: Final = (
    (ContactChannel.PHONE, 40.0), (ContactChannel.WECHAT, 35.0), (ContactChannel.SMS, 8.0),
    (ContactChannel.BRANCH, 10.0), (ContactChannel.EMAIL, 2.0), (ContactChannel.VISIT, 5.0),
)  # fmt: skip
# Which needs a customer of each life stage has (None: companies and unknown ages).
_STAGE_NEEDS: Final[dict[str | None, tuple[NeedCategory, ...]]] = {
    "student": (NeedCategory.EDUCATION, NeedCategory.OTHER),
    "young_professional": (NeedCategory.CAR, NeedCategory.INVESTMENT, NeedCategory.HOUSING),
    "new_family": (NeedCategory.HOUSING, NeedCategory.INSURANCE, NeedCategory.CAR),
    "family_with_children": (
        NeedCategory.EDUCATION, NeedCategory.INSURANCE, NeedCategory.HOUSING,
        NeedCategory.INVESTMENT,
    ),
    "pre_retirement": (NeedCategory.RETIREMENT, NeedCategory.INVESTMENT, NeedCategory.INSURANCE),
    "retired": (NeedCategory.RETIREMENT, NeedCategory.WEALTH_TRANSFER, NeedCategory.INVESTMENT),
    "established": (
        NeedCategory.INVESTMENT, NeedCategory.WEALTH_TRANSFER, NeedCategory.INSURANCE,
    ),
    None: (NeedCategory.FINANCING, NeedCategory.SETTLEMENT, NeedCategory.INVESTMENT),
}  # fmt: skip
_SEVERITIES: Final = (Priority.LOW, Priority.NORMAL, Priority.NORMAL, Priority.HIGH)
_URGENCIES: Final = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
_STAGE_PROBABILITY: Final = {
    SalesStage.LEAD: 10,
    SalesStage.QUALIFIED: 25,
    SalesStage.PROPOSAL: 50,
    SalesStage.NEGOTIATION: 75,
    SalesStage.WON: 100,
    SalesStage.LOST: 0,
}

# Per tier code: contacts per year, visits per year, needs, chance of a visit planned
# in the next two weeks. Tuned so the 5k book has about 50 rows per customer.
_ACTIVITY_RATES: Final[dict[str, tuple[float, float, float, float]]] = {
    "top": (42.0, 12.0, 3.0, 0.6),
    "gold": (19.0, 5.0, 2.0, 0.25),
    "general": (7.8, 1.4, 1.0, 0.03),
    "exit": (1.8, 0.2, 0.3, 0.0),
    "potential": (4.5, 1.0, 1.0, 0.1),
}

# -------------------------------------------------------------------- helpers


class _Weighted:
    """Weighted sampling without random.choices' per-call setup."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self._items = [item for item, _ in pairs]
        self._cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self._cum.append(total)
        self._total = total

    def pick(self, rng: random.Random) -> Any:
        return self._items[bisect.bisect_right(self._cum, rng.random() * self._total)]


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _luhn_digit(payload: str) -> str:
    total = 0
    for i, char in enumerate(reversed(payload)):
        digit = int(char)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _fen(amount_fen: int) -> Decimal:
    """Money from whole fen: exact, two decimals, never a float."""
    return Decimal(amount_fen).scaleb(-2)


def _log_uniform_fen(rng: random.Random, low_yuan: float, high_yuan: float) -> int:
    # Floats only pick a magnitude; the amount itself is built from whole fen.
    return int(math.exp(rng.uniform(math.log(low_yuan), math.log(high_yuan))) * 100)


def resident_id_18(area: str, birth: date, sequence: int) -> str:
    """An 18-digit resident ID number with its GB 11643 check digit."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def resident_id_15(area: str, birth: date, sequence: int) -> str:
    """The pre-1999 15-digit form: two-digit year and no check digit."""
    return f"{area}{birth:%y%m%d}{sequence:03d}"


_USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(region: str, organization: str) -> str:
    """A unified social credit code (GB 32100) for a company registered in ``region``.

    ``organization`` is the 8-character body of the organization code; its own
    GB 11714 check character is added before the USCC check character.
    """
    total = sum(int(c, 36) * w for c, w in zip(organization, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    org_check = "X" if check == 10 else "0" if check == 11 else str(check)
    body = f"91{region}{organization}{org_check}"
    return body + uscc.calc_check_digit(body)


@cache
def _area_code_spans() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """Real county codes of stdnum's table with the years each was in use.

    stdnum rejects an ID whose county code was not assigned in the birth year, so a
    code is only used for people born while it existed. Province- and city-level codes
    (ending in 00) are left out: nobody's ID carries them.
    """
    spans: list[tuple[str, tuple[tuple[int, int], ...]]] = []
    for p_len, p_low, p_high, _props, children in numdb.get("cn/loc").prefixes:
        if p_len != 2 or p_low != p_high:
            continue
        for c_len, c_low, c_high, props, _ in children:
            if c_len != 4 or c_low != c_high or c_low.endswith("00"):
                continue
            years: list[tuple[int, int]] = []
            for part in props.get("county", "").split(","):
                if not part.startswith("["):
                    years = [(0, 9999)]
                    break
                start, end = part[1:].split("]")[0].split("-")
                years.append((int(start) if start else 0, int(end) if end else 9999))
            if years:
                spans.append((p_low + c_low, tuple(years)))
    return tuple(spans)


@cache
def _area_codes_for_year(year: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(codes of the home province, all codes) valid for people born in ``year``."""
    valid = [code for code, spans in _area_code_spans() if any(a <= year <= b for a, b in spans)]
    home = tuple(code for code in valid if code.startswith(_HOME_PROVINCE_CODE))
    return home, tuple(valid)


def _label_map(config: BankConfig) -> tuple[dict[str, str], dict[str, str]]:
    tiers = {tier.code: tier.name for tier in config.tiers}
    stages = {stage.code: stage.name for stage in config.life_stages}
    return tiers, stages


def _renamed(names: Sequence[str], new_names: dict[str, str | None]) -> list[str]:
    """Shipped bank.toml names as the configuration in force names them (KeyError for a
    name the shipped configuration does not have)."""
    return [new for name in names if (new := new_names[name]) is not None]


# ------------------------------------------------------------------- the builder


@dataclass(slots=True)
class _Person:
    """A customer row plus what the generator decided about it but does not store."""

    row: Row
    profile: str  # value profile: top / gold / general / exit / potential
    tier_code: str
    stage: str | None  # life-stage code; None for companies and unknown ages
    last_contact: date | None
    has_holdings: bool
    branch_name: str


class _BookBuilder:
    def __init__(self, size: BookSize, seed: int, today: date, with_activity: bool) -> None:
        self.size = size
        self.seed = seed
        self.today = today
        self.today_ord = today.toordinal()
        self.with_activity = with_activity
        self.config = bank_config()
        self.tier_names, self.stage_names = _label_map(self.config)
        # The catalog names tiers and life stages as the shipped bank.toml does. Under
        # another configuration they get its names (by code), or are left out if it
        # has no such tier or stage.
        shipped_tiers, shipped_stages = _label_map(load_config())
        self.tier_of = {name: self.tier_names.get(c) for c, name in shipped_tiers.items()}
        self.stage_of = {name: self.stage_names.get(c) for c, name in shipped_stages.items()}
        # Separate streams: the core tables come out identical with or without activity.
        self.rng = random.Random(f"demo-book:{seed}:core")
        self.act = random.Random(f"demo-book:{seed}:activity")
        self.tables: dict[str, list[Row]] = {name: [] for name in TABLE_ORDER}
        self.mess: dict[str, list[str]] = {kind: [] for kind in MESS_KINDS}
        self.duplicate_pairs: list[tuple[str, str]] = []
        self.sparse: list[str] = []
        self.people: list[_Person] = []
        self.products: dict[str, Row] = {}
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.used_companies: set[str] = set()
        self.counters: dict[str, int] = {}
        self.rm_users: dict[str, str] = {}
        self.now = self._at(today, 8 * 60)
        self.surnames = _Weighted(_SURNAMES)
        self.occupations = _Weighted(_OCCUPATIONS)
        self.channels = _Weighted(_CONTACT_CHANNELS)
        self._fill_pools()

    # -- pools and small utilities

    def _fill_pools(self) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(self.seed)
        self.classic_male = sorted({fake.first_name_male() for _ in range(400)})
        self.classic_female = sorted({fake.first_name_female() for _ in range(400)})
        self.trade_names = sorted({fake.company_prefix() for _ in range(400)})
        self.streets = sorted({fake.street_name() for _ in range(300)}) + list(_ROADS) * 4
        self.jobs = sorted({job for job in (fake.job() for _ in range(300)) if job != "其他"})

    def _uid(self, rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _next(self, name: str) -> int:
        value = self.counters.get(name, 0) + 1
        self.counters[name] = value
        return value

    def _day(self, days_ago: int) -> date:
        return date.fromordinal(self.today_ord - days_ago)

    @staticmethod
    def _at(day: date, minute_of_day: int) -> datetime:
        """An aware UTC datetime at ``minute_of_day`` Beijing time (UTC+8) on ``day``."""
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=minute_of_day - 480
        )

    def _stamp(self, row: Row, created: datetime, updated: datetime | None = None) -> Row:
        row["version"] = None  # numbered in foreign-key order at the end
        row["deleted"] = False
        row["created_at"] = created
        row["updated_at"] = max(created, updated) if updated else created
        return row

    def _mobile(self, rng: random.Random) -> str:
        while True:
            number = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def _given_name(self, rng: random.Random, male: bool, birth_year: int) -> str:
        if birth_year >= 1985 and rng.random() < 0.8:
            return rng.choice(_MODERN_GIVEN_MALE if male else _MODERN_GIVEN_FEMALE)
        first = rng.choice(self.classic_male if male else self.classic_female)
        if len(first) == 1 and rng.random() < 0.6:
            first += rng.choice(_SECOND_CHARS_MALE if male else _SECOND_CHARS_FEMALE)
        return first

    def _address(self, rng: random.Random) -> tuple[str, str]:
        district, code = rng.choice(_DISTRICTS)
        road = rng.choice(self.streets)
        compound = rng.choice(self.trade_names)[:2] + rng.choice(_COMPOUND_SUFFIXES)
        text = (
            f"{_PROVINCE}{_CITY}市{district}{road}{rng.randint(1, 999)}号{compound}"
            f"{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(1, 28)}"
            f"{rng.randint(1, 4):02d}室"
        )
        return text, code

    def _company_name(self, rng: random.Random) -> tuple[str, str]:
        for attempt in range(50):
            if attempt < 10 and rng.random() < 0.6:
                trade = rng.choice(self.trade_names)
            else:
                trade = rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS)
            industry = rng.choice(_INDUSTRIES)
            form = rng.random()
            if form < 0.7:
                name = f"{_CITY}{trade}{industry}有限公司"
            elif form < 0.9:
                name = f"浙江{trade}{industry}股份有限公司"
            else:
                name = f"{trade}（{_CITY}）{industry}有限公司"
            if name not in self.used_companies:
                self.used_companies.add(name)
                return name, industry
        name = f"{_CITY}{rng.choice(self.trade_names)}{rng.choice(_INDUSTRIES)}有限公司"
        name += f"第{self._next('company_branch')}分公司"
        self.used_companies.add(name)
        return name, "综合"

    def _resident_id(self, rng: random.Random, birth: date, male: bool) -> str:
        """An 18-digit ID unique in the book, its area code real in the birth year."""
        home, every = _area_codes_for_year(birth.year)
        while True:
            area = rng.choice(home if home and rng.random() < 0.6 else every)
            sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
            if sequence == 0:
                continue
            number = resident_id_18(area, birth, sequence)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    # -- the organisation

    def build(self) -> DemoBook:
        branches = self._branches()
        rms = self._rms(branches)
        self.rm_users = {rm["id"]: rm["employee_no"] for rm, _ in rms}
        self._catalog()
        for rm, branch in rms:
            self._book_of(rm, branch)
        if self.with_activity:
            for person in self.people:
                self._activity(person)
        version = 0
        for name in TABLE_ORDER:
            for row in self.tables[name]:
                version += 1
                row["version"] = version
        tables = {
            name: rows
            for name, rows in self.tables.items()
            if self.with_activity or name not in ACTIVITY_TABLES
        }
        return DemoBook(
            tables=tables,
            today=self.today,
            seed=self.seed,
            size=self.size,
            mess={kind: ids for kind, ids in self.mess.items()},
            duplicate_pairs=self.duplicate_pairs,
            sparse_profiles=self.sparse,
        )

    def _branches(self) -> list[Row]:
        count = min(len(_BRANCH_NAMES), max(2, self.size.rms))
        created = self._at(date(2008, 1, 2), 9 * 60)
        for i in range(count):
            self.tables["branch"].append(
                self._stamp(
                    {
                        "id": self._uid(self.rng),
                        "code": f"HZ{i + 1:03d}",
                        "name": _BRANCH_NAMES[i],
                        "city": _CITY,
                    },
                    created,
                )
            )
        return self.tables["branch"]

    def _rms(self, branches: list[Row]) -> list[tuple[Row, Row]]:
        rng = self.rng
        result = []
        for i in range(self.size.rms):
            branch = branches[i % len(branches)]
            male = rng.random() < 0.5
            birth_year = rng.randint(1975, 1998)
            name = rng.choice(_COMMON_SURNAMES) + self._given_name(rng, male, birth_year)
            employee_no = f"E{880000 + i * 7 + rng.randint(0, 6):06d}"
            created = self._at(self._day(rng.randint(400, 4000)), 9 * 60)
            row = self._stamp(
                {
                    "id": self._uid(rng),
                    "employee_no": employee_no,
                    "name": name,
                    "branch_id": branch["id"],
                    "phone": self._mobile(rng),
                    "email": f"{employee_no.lower()}@demobank.cn",
                    "title": _RM_TITLES[i % len(_RM_TITLES)],
                },
                created,
                self._at(self._day(rng.randint(1, 300)), 10 * 60),
            )
            self.tables["relationship_manager"].append(row)
            result.append((row, branch))
        return result

    def _catalog(self) -> None:
        """Product and bundle template rows of data/catalog.json, in the file's order."""
        products, bundles = read_catalog()
        created = self._at(date(2020, 1, 2), 9 * 60)
        for spec in products:
            row = self._stamp(
                {
                    "id": self._uid(self.rng),
                    **spec,
                    "target_life_stages": _renamed(spec["target_life_stages"], self.stage_of),
                    "target_tiers": _renamed(spec["target_tiers"], self.tier_of),
                },
                created,
                self._at(self._day(30 + len(self.products)), 9 * 60),
            )
            self.tables["product"].append(row)
            self.products[row["code"]] = row
        # Ids from the code, not from the generator's random stream: adding a bundle
        # leaves every other row of the book as it was.
        created = self._at(date(2024, 1, 2), 9 * 60)
        for spec in bundles:
            pricing = {
                tier: terms
                for name, terms in json.loads(spec["tier_pricing"]).items()
                if (tier := self.tier_of[name]) is not None
            }
            row = self._stamp(
                {
                    "id": str(
                        uuid.uuid5(uuid.NAMESPACE_URL, f"rm-workbench:bundle:{spec['code']}")
                    ),
                    **spec,
                    "target_life_stages": _renamed(spec["target_life_stages"], self.stage_of),
                    "target_tiers": _renamed(spec["target_tiers"], self.tier_of),
                    "tier_pricing": json.dumps(pricing, ensure_ascii=False, sort_keys=True),
                },
                created,
            )
            self.tables["bundle_template"].append(row)

    # -- customers

    def _book_of(self, rm: Row, branch: Row) -> None:
        rng = self.rng
        total = self.size.customers_per_rm
        n_mess = max(1, round(total * MESS_RATE))
        counts = [int(n_mess * w) for w in _MESS_WEIGHTS]
        by_remainder = sorted(
            range(len(counts)), key=lambda i: n_mess * _MESS_WEIGHTS[i] - counts[i], reverse=True
        )
        for i in by_remainder[: n_mess - sum(counts)]:
            counts[i] += 1
        plan = dict(zip(MESS_KINDS, counts, strict=True))
        n_duplicates = plan["duplicate_same_id"] + plan["duplicate_same_phone"]
        n_corporate = round(total * CORPORATE_RATE)
        slots = total - n_duplicates

        start = len(self.people)
        made = 0
        made_corporate = 0
        while made < slots:
            remaining = slots - made
            if made_corporate < n_corporate and rng.random() < n_corporate / slots * 1.5:
                made_corporate += self._corporate_unit(
                    rm, branch, min(remaining, n_corporate - made_corporate)
                )
                made = len(self.people) - start
                continue
            if remaining >= 2 and rng.random() < 0.22:
                self._household(rm, branch, remaining)
            else:
                self._individual(rm, branch, sparse_ok=True)
            made = len(self.people) - start
        book = self.people[start:]
        self._make_mess(rm, branch, book, plan)

    def _value(self, profile: str, corporate: bool) -> tuple[int, int]:
        """(AUM, yearly contribution) in fen for a value profile."""
        rng = self.rng
        scale = 3.0 if corporate else 1.0
        if profile == "top":
            if rng.random() < 0.85:
                aum = _log_uniform_fen(rng, 6_000_000 * scale, 60_000_000 * scale)
            else:  # heavy borrowers: top by contribution, not assets
                aum = _log_uniform_fen(rng, 1_000_000, 5_900_000)
                return aum, _log_uniform_fen(rng, 50_000, 200_000)
        elif profile == "gold":
            if rng.random() < 0.85:
                aum = _log_uniform_fen(rng, 500_000, 5_900_000 * scale)
            else:
                aum = _log_uniform_fen(rng, 100_000, 490_000)
                return aum, _log_uniform_fen(rng, 5_000, 20_000)
        elif profile == "general":
            aum = _log_uniform_fen(rng, 1_000, 480_000)
        elif profile == "exit":
            aum = rng.randrange(0, 99_900)
            return aum, rng.randrange(0, 9_900)
        else:
            return 0, 0
        contribution = aum * rng.randint(20, 90) // 10_000
        if profile == "general":
            contribution = min(contribution, 450_000)
        return aum, contribution

    def _life_dates(
        self, profile: str, customer_since: date
    ) -> tuple[date | None, date | None, bool]:
        """(last transaction, last contact, holds anything) for the wanted lifecycle."""
        rng = self.rng
        since_days = self.today_ord - customer_since.toordinal()
        if profile == "potential":
            contact = (
                self._day(rng.randint(1, min(300, since_days))) if rng.random() < 0.7 else None
            )
            return None, contact, False
        roll = rng.random()
        if profile in ("top", "gold"):
            state = "active" if roll < 0.95 else "dormant"
        elif profile == "general":
            state = "active" if roll < 0.78 else "dormant"
        else:
            state = "active" if roll < 0.2 else "dormant" if roll < 0.5 else "lost"
        if state == "active":
            tx = self._day(rng.randint(1, min(60, since_days)))
            reach = 45 if profile in ("top", "gold") else 240
            contact = self._day(rng.randint(1, min(reach, since_days)))
        elif state == "dormant":
            low, high = 180, 530
            tx = self._day(rng.randint(min(low, since_days), min(high, since_days)))
            contact = self._day(rng.randint(min(low, since_days), min(high, since_days)))
        else:
            tx = self._day(rng.randint(min(540, since_days), max(540, min(2500, since_days))))
            contact = (
                self._day(rng.randint(min(540, since_days), max(540, min(2500, since_days))))
                if rng.random() < 0.6
                else None
            )
        if contact is not None and contact < customer_since:
            contact = customer_since
        if tx < customer_since:
            tx = customer_since
        return tx, contact, True

    def _base_customer(
        self, rm: Row, branch: Row, profile: str, *, corporate: bool, earliest: date
    ) -> tuple[Row, date | None, bool]:
        rng = self.rng
        n = self._next("customer")
        customer_no = f"C{(n * 7_919_317 + 3_141_592_653) % 10**10:010d}"
        latest_ord = self.today_ord - 30
        earliest_ord = max(earliest.toordinal(), date(2003, 1, 1).toordinal())
        if profile == "potential":
            earliest_ord = max(earliest_ord, self.today_ord - 720)
        # Recent years bring more customers than the early 2000s.
        span = max(1, latest_ord - earliest_ord)
        since = date.fromordinal(latest_ord - int(span * rng.random() ** 1.6))
        aum, contribution = self._value(profile, corporate)
        tx, contact, holdings = self._life_dates(profile, since)
        if profile == "exit" and tx is not None and self.today_ord - tx.toordinal() >= 540:
            aum = min(aum, rng.randrange(0, 10_001))  # lost customers hold next to nothing
        aum_d, contribution_d = _fen(aum), _fen(contribution)
        tier = assign_tier(aum_d, contribution_d, self.config)
        lifecycle = lifecycle_status(
            today=self.today,
            aum=aum_d,
            has_holdings=holdings,
            last_transaction_on=tx,
            last_contact_on=contact,
            config=self.config,
        )
        created = self._at(since, rng.randint(9 * 60, 17 * 60))
        updated = self._at(self._day(rng.randint(1, 400)), rng.randint(9 * 60, 18 * 60))
        category = CustomerCategory.CORPORATE if corporate else CustomerCategory.INDIVIDUAL
        row: Row = {
            "id": self._uid(rng),
            "customer_no": customer_no,
            "category": category.value,
            "tier": tier.name,
            "lifecycle_status": lifecycle.value,
            "aum": aum_d,
            "contribution": contribution_d,
            "customer_since": since,
            "last_transaction_on": tx,
            "rm_id": rm["id"],
            "branch_id": branch["id"],
            "notes": rng.choice(_CUSTOMER_NOTES) if rng.random() < 0.12 else None,
        }
        self._stamp(row, created, updated)
        row["_tier_code"] = tier.code
        return row, contact, holdings

    def _pick_profile(self, corporate: bool) -> str:
        roll = self.rng.random()
        if corporate:
            bounds = ((0.12, "top"), (0.50, "gold"), (0.85, "general"), (0.95, "exit"))
        else:
            bounds = ((0.025, "top"), (0.20, "gold"), (0.80, "general"), (0.93, "exit"))
        for bound, profile in bounds:
            if roll < bound:
                return profile
        return "potential"

    def _individual(
        self,
        rm: Row,
        branch: Row,
        *,
        sparse_ok: bool = False,
        age: int | None = None,
        male: bool | None = None,
        surname: str | None = None,
        marital: MaritalStatus | None = None,
        children: int | None = None,
        address: str | None = None,
        occupation: str | None = None,
    ) -> _Person:
        rng = self.rng
        if male is None:
            male = rng.random() < 0.5
        if age is None:
            age = self._pick_age()
        birth = date.fromordinal(_add_years(self.today, -age).toordinal() - rng.randint(1, 364))
        profile = self._pick_profile(False)
        if age < 23 and profile in ("top", "gold") and rng.random() < 0.8:
            profile = "general"
        row, contact, holdings = self._base_customer(
            rm, branch, profile, corporate=False, earliest=_add_years(birth, 16)
        )
        id_number = self._resident_id(rng, birth, male)
        name = (surname or self.surnames.pick(rng)) + self._given_name(rng, male, birth.year)
        if marital is None:
            marital = self._pick_marital(age)
        if children is None:
            children = self._pick_children(age, marital)
        if occupation is None:
            occupation = self._pick_occupation(age)
        # Only single customers (about half) can be sparse: households were met in person.
        sparse = sparse_ok and rng.random() < SPARSE_RATE * 1.9
        row.update(
            {
                "name": name,
                "id_type": IdType.RESIDENT_ID.value,
                "id_number": id_number,
                "credit_code": None,
                "birth_date": birth,
                "gender": (Gender.MALE if male else Gender.FEMALE).value,
                "mobile_phone": self._mobile(rng),
                "other_phone": None,
                "email": None,
                "address": address,
                "occupation": occupation,
                "employer": None,
                "income_band": self._pick_income(row["_tier_code"], age),
                "education": self._pick_education(age).value,
                "marital_status": marital.value,
                "children_count": children,
                "risk_tolerance": None,
                "risk_assessed_on": None,
                "risk_expires_on": None,
            }
        )
        if row["address"] is None:
            row["address"] = self._address(rng)[0]
        if occupation not in ("退休人员", "学生", "自由职业", "个体工商户", "企业主", "农民"):
            row["employer"] = self._company_name(rng)[0] if rng.random() < 0.7 else None
        if rng.random() < 0.15:
            user = rng.choice("abcdefghjklmnpqrstwxyz") + str(rng.randrange(10**7, 10**9))
            row["email"] = f"{user}@{rng.choice(_EMAIL_DOMAINS)}"
        if rng.random() < 0.1:
            row["other_phone"] = f"0571-{rng.randrange(8000_0000, 8999_9999)}"
        self._assess_risk(row, profile, age)
        if rng.random() < 0.01:  # a few foreigners and Hong Kong / Macao residents
            self.used_ids.discard(id_number)
            if rng.random() < 0.5:
                row["id_type"] = IdType.HK_MACAO_PERMIT.value
                row["id_number"] = f"H{rng.randrange(10**7, 10**8)}{rng.randrange(10, 99)}"
            else:
                row["id_type"] = IdType.PASSPORT.value
                row["id_number"] = f"E{rng.randrange(10**7, 10**8)}"
        if sparse:
            for key in (
                "occupation",
                "employer",
                "income_band",
                "education",
                "marital_status",
                "children_count",
                "email",
                "address",
                "other_phone",
            ):
                row[key] = None
            self.sparse.append(row["id"])
        stage = life_stage(
            birth_date=birth,
            marital_status=row["marital_status"],
            children_count=row["children_count"],
            today=self.today,
            config=self.config,
        )
        return self._add(row, profile, stage.code if stage else None, contact, holdings, branch)

    def _add(
        self,
        row: Row,
        profile: str,
        stage: str | None,
        contact: date | None,
        holdings: bool,
        branch: Row,
    ) -> _Person:
        tier_code = row.pop("_tier_code")
        row = {name: row[name] for name in _CUSTOMER_COLUMNS}  # the model's column order
        person = _Person(row, profile, tier_code, stage, contact, holdings, branch["name"])
        self.tables["customer"].append(row)
        self.people.append(person)
        return person

    def _pick_age(self) -> int:
        roll = self.rng.random()
        for bound, low, high in (
            (0.04, 18, 22),
            (0.16, 23, 29),
            (0.38, 30, 39),
            (0.62, 40, 49),
            (0.82, 50, 59),
            (0.94, 60, 69),
            (1.0, 70, 85),
        ):
            if roll < bound:
                return self.rng.randint(low, high)
        return 45  # pragma: no cover

    def _pick_marital(self, age: int) -> MaritalStatus:
        roll = self.rng.random()
        if age < 23:
            return MaritalStatus.SINGLE if roll < 0.97 else MaritalStatus.MARRIED
        table: tuple[tuple[float, MaritalStatus], ...]
        if age < 30:
            table = ((0.55, MaritalStatus.SINGLE), (0.98, MaritalStatus.MARRIED))
        elif age < 40:
            table = ((0.15, MaritalStatus.SINGLE), (0.93, MaritalStatus.MARRIED))
        elif age < 60:
            table = (
                (0.04, MaritalStatus.SINGLE),
                (0.89, MaritalStatus.MARRIED),
                (0.97, MaritalStatus.DIVORCED),
            )
        else:
            table = (
                (0.02, MaritalStatus.SINGLE),
                (0.77, MaritalStatus.MARRIED),
                (0.82, MaritalStatus.DIVORCED),
            )
            return next((s for b, s in table if roll < b), MaritalStatus.WIDOWED)
        return next((s for b, s in table if roll < b), MaritalStatus.DIVORCED)

    def _pick_children(self, age: int, marital: MaritalStatus) -> int:
        rng = self.rng
        if marital == MaritalStatus.SINGLE or age < 24:
            return 0 if rng.random() < 0.97 else 1
        if age < 30:
            return rng.choice((0, 0, 1, 1, 1, 2))
        if age < 45:
            return rng.choice((0, 1, 1, 1, 2, 2, 3))
        return rng.choice((1, 1, 1, 2, 2, 3))

    def _pick_occupation(self, age: int) -> str:
        rng = self.rng
        if age < 23 and rng.random() < 0.85:
            return "学生"
        if age >= 60 and rng.random() < 0.8:
            return "退休人员"
        if rng.random() < 0.2:
            return rng.choice(self.jobs)
        occupation: str = self.occupations.pick(rng)
        return occupation

    def _pick_education(self, age: int) -> Education:
        roll = self.rng.random()
        table: tuple[tuple[float, Education], ...]
        if age >= 55:
            table = (
                (0.25, Education.PRIMARY),
                (0.7, Education.SECONDARY),
                (0.85, Education.COLLEGE),
                (0.97, Education.BACHELOR),
            )
        else:
            table = (
                (0.03, Education.PRIMARY),
                (0.3, Education.SECONDARY),
                (0.5, Education.COLLEGE),
                (0.85, Education.BACHELOR),
                (0.97, Education.MASTER),
            )
        return next((e for b, e in table if roll < b), Education.DOCTORATE)

    def _pick_income(self, tier_code: str, age: int) -> str:
        base = {"top": 4, "gold": 3, "general": 1, "exit": 0}.get(tier_code, 1)
        if age < 23:
            base = 0
        index = max(0, min(len(_INCOME_BANDS) - 1, base + self.rng.choice((-1, 0, 0, 1))))
        return _INCOME_BANDS[index]

    def _assess_risk(self, row: Row, profile: str, age: int) -> None:
        rng = self.rng
        chance = {"top": 0.95, "gold": 0.85, "general": 0.6, "exit": 0.3}.get(profile, 0.2)
        if rng.random() >= chance:
            return
        levels: tuple[str, ...]
        if age >= 65:
            levels = ("C1", "C1", "C2", "C2", "C3")
        elif age < 35:
            levels = ("C2", "C3", "C3", "C4", "C4", "C5")
        else:
            levels = ("C1", "C2", "C2", "C3", "C3", "C3", "C4", "C5")
        # About a fifth of assessments have lapsed (valid for one year).
        expired = rng.random() < 0.22
        assessed = self._day(rng.randint(366, 730) if expired else rng.randint(1, 364))
        if assessed < row["customer_since"]:
            assessed = row["customer_since"]
        row["risk_tolerance"] = rng.choice(levels)
        row["risk_assessed_on"] = assessed
        row["risk_expires_on"] = _add_years(assessed, 1)

    def _household(self, rm: Row, branch: Row, room: int) -> None:
        rng = self.rng
        head_age = rng.randint(28, 72)
        head_male = rng.random() < 0.8
        divorced = rng.random() < 0.06
        with_child = room >= 3 and head_age >= 44 and rng.random() < 0.45
        marital = MaritalStatus.DIVORCED if divorced else MaritalStatus.MARRIED
        children = (1 if with_child else rng.choice((0, 1, 1, 2))) if head_age >= 26 else 0
        address, _ = self._address(rng)
        surname = self.surnames.pick(rng)
        spouse_surname = self.surnames.pick(rng)
        head = self._individual(
            rm,
            branch,
            age=head_age,
            male=head_male,
            surname=surname,
            marital=marital,
            children=children,
            address=address,
        )
        spouse_age = max(22, head_age + rng.randint(-5, 3))
        spouse = self._individual(
            rm,
            branch,
            age=spouse_age,
            male=not head_male,
            surname=spouse_surname,
            marital=marital,
            children=children,
            address=address,
        )
        members = [(head, GroupRole.HEAD), (spouse, GroupRole.SPOUSE)]
        if with_child:
            child_age = rng.randint(18, min(30, head_age - 22))
            child_surname = surname if head_male else spouse_surname  # the father's
            child = self._individual(
                rm,
                branch,
                age=child_age,
                male=rng.random() < 0.5,
                surname=child_surname,
                marital=MaritalStatus.SINGLE,
                children=0,
                address=address,
            )
            members.append((child, GroupRole.CHILD))
        group = self._group(rm, f"{head.row['name']}家庭", GroupKind.HOUSEHOLD, head.row)
        formed = max(p.row["customer_since"] for p, _ in members[:2])
        for person, role in members:
            valid_from = max(formed, person.row["customer_since"])
            valid_to = None
            if (role == GroupRole.SPOUSE and divorced) or (
                role == GroupRole.CHILD
                and rng.random() < 0.15
                and person.row["birth_date"] < (_add_years(self.today, -24))
            ):
                valid_to = date.fromordinal(rng.randint(valid_from.toordinal(), self.today_ord - 1))
            self._membership(group, person.row, role, valid_from, valid_to)

    def _group(self, rm: Row, name: str, kind: GroupKind, anchor: Row) -> Row:
        n = self._next("group")
        row = self._stamp(
            {
                "id": self._uid(self.rng),
                "group_no": f"G{(n * 104_729 + 271_828_182) % 10**9:09d}",
                "name": name,
                "kind": kind.value,
                "rm_id": rm["id"],
            },
            anchor["created_at"],
            anchor["updated_at"],
        )
        self.tables["customer_group"].append(row)
        return row

    def _membership(
        self, group: Row, customer: Row, role: GroupRole, valid_from: date, valid_to: date | None
    ) -> None:
        created = self._at(valid_from, 10 * 60)
        updated = self._at(valid_to, 10 * 60) if valid_to else created
        self.tables["group_membership"].append(
            self._stamp(
                {
                    "id": self._uid(self.rng),
                    "group_id": group["id"],
                    "customer_id": customer["id"],
                    "role": role.value,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                },
                created,
                updated,
            )
        )

    def _corporate(self, rm: Row, branch: Row) -> _Person:
        rng = self.rng
        profile = self._pick_profile(True)
        row, contact, holdings = self._base_customer(
            rm, branch, profile, corporate=True, earliest=date(2003, 1, 1)
        )
        name, industry = self._company_name(rng)
        address, region = self._address(rng)
        while True:
            organization = "".join(rng.choice("0123456789") for _ in range(8))
            if rng.random() < 0.1:
                organization = organization[:7] + rng.choice("ABCDEFGHJKLMNPQRTUWXY")
            code = credit_code(region, organization)
            if code not in self.used_ids:
                self.used_ids.add(code)
                break
        legal_rep = self.surnames.pick(rng) + self._given_name(rng, rng.random() < 0.75, 1970)
        row.update(
            {
                "name": name,
                "id_type": IdType.CREDIT_CODE.value,
                "id_number": code,
                "credit_code": code,
                "birth_date": None,
                "gender": None,
                "mobile_phone": self._mobile(rng),  # the company's contact person
                "other_phone": f"0571-{rng.randrange(8000_0000, 8999_9999)}",
                "email": None,
                "address": address.split("号")[0] + "号",
                "occupation": None,
                "employer": None,
                "income_band": None,
                "education": None,
                "marital_status": None,
                "children_count": None,
                "risk_tolerance": None,
                "risk_assessed_on": None,
                "risk_expires_on": None,
            }
        )
        row["notes"] = f"法定代表人：{legal_rep}；行业：{industry}。" + (row["notes"] or "")
        if rng.random() < 0.6:
            self._assess_risk(row, profile, 45)
        return self._add(row, profile, None, contact, holdings, branch)

    def _corporate_unit(self, rm: Row, branch: Row, room: int) -> int:
        """One company, or a corporate group with its controller; returns companies made."""
        rng = self.rng
        if room < 3 or rng.random() < 0.85:
            self._corporate(rm, branch)
            return 1
        companies = [self._corporate(rm, branch) for _ in range(rng.randint(2, min(4, room)))]
        controller = self._individual(rm, branch, age=rng.randint(38, 65), occupation="企业主")
        parent = companies[0]
        trade = parent.row["name"].removeprefix(_CITY).removeprefix("浙江")[:2]
        group = self._group(rm, f"{trade}集团", GroupKind.CORPORATE_GROUP, parent.row)
        since = max(c.row["customer_since"] for c in companies)
        self._membership(group, parent.row, GroupRole.HEAD, since, None)
        for company in companies[1:]:
            self._membership(group, company.row, GroupRole.SUBSIDIARY, since, None)
        self._membership(
            group,
            controller.row,
            GroupRole.CONTROLLER,
            max(since, controller.row["customer_since"]),
            None,
        )
        return len(companies)

    # -- deliberate mess

    def _make_mess(self, rm: Row, branch: Row, book: list[_Person], plan: dict[str, int]) -> None:
        """Spoil ``plan[kind]`` distinct customers of the book per defect kind."""
        rng = self.rng
        candidates = [
            p
            for p in book
            if p.row["id_type"] == IdType.RESIDENT_ID.value and p.row["mobile_phone"] is not None
        ]
        rng.shuffle(candidates)
        # Only people born before 1983 ever had a 15-digit ID (replaced in 1999, at 16).
        older = iter([p for p in candidates if p.row["birth_date"].year < _LAST_15_DIGIT_YEAR])
        anyone = iter(candidates)
        chosen: set[str] = set()

        def take(pool: Iterator[_Person]) -> _Person | None:
            for person in pool:
                if person.row["id"] not in chosen:
                    chosen.add(person.row["id"])
                    return person
            return None  # a tiny book runs out of candidates

        for kind in ("old_15_digit_id", "bad_check_digit", "id_with_letter", "id_wrong_length"):
            for _ in range(plan[kind]):
                victim = take(older if kind == "old_15_digit_id" else anyone)
                if victim is not None:
                    victim.row["id_number"] = self._spoil_id(kind, victim.row)
                    self.mess[kind].append(victim.row["id"])
        for _ in range(plan["missing_phone"]):
            victim = take(anyone)
            if victim is not None:
                victim.row["mobile_phone"] = None
                victim.row["other_phone"] = None
                self.mess["missing_phone"].append(victim.row["id"])
        for kind in ("duplicate_same_id", "duplicate_same_phone"):
            for _ in range(plan[kind]):
                original = take(anyone)
                if original is None:
                    self._individual(rm, branch)  # keep the book at its size
                    continue
                copy = self._duplicate(rm, branch, original, same_id=kind == "duplicate_same_id")
                self.mess[kind].append(copy.row["id"])
                self.duplicate_pairs.append((original.row["id"], copy.row["id"]))

    def _spoil_id(self, kind: str, row: Row) -> str:
        rng = self.rng
        number: str = row["id_number"]
        if kind == "old_15_digit_id":
            # Same area, birth date and sequence (so the same gender parity).
            return resident_id_15(number[:6], row["birth_date"], int(number[14:17]))
        if kind == "bad_check_digit":
            wrong = [c for c in "0123456789X" if c != number[-1]]
            return number[:-1] + rng.choice(wrong)
        if kind == "id_with_letter":
            # Letters typed for look-alike digits: O for 0, I for 1, Z for 2, S for 5.
            position = rng.randrange(6, 17)
            letter = {"0": "O", "1": "I", "2": "Z", "5": "S"}.get(number[position], "B")
            return number[:position] + letter + number[position + 1 :]
        length = rng.choice((14, 16))
        return number[:length]

    def _duplicate(self, rm: Row, branch: Row, original: _Person, *, same_id: bool) -> _Person:
        """The same person again under a new customer number, as an old system left it."""
        rng = self.rng
        source = original.row
        row, contact, holdings = self._base_customer(
            rm, branch, "exit", corporate=False, earliest=_add_years(source["birth_date"], 16)
        )
        if same_id:
            id_number = source["id_number"]
            mobile = self._mobile(rng) if rng.random() < 0.5 else None
        else:
            id_number = None
            if source["birth_date"].year < _LAST_15_DIGIT_YEAR:
                id_number = resident_id_15(
                    source["id_number"][:6], source["birth_date"], int(source["id_number"][14:17])
                )
            mobile = source["mobile_phone"]
        row.update(
            {
                "name": source["name"],
                "id_type": IdType.RESIDENT_ID.value if id_number else None,
                "id_number": id_number,
                "credit_code": None,
                "birth_date": source["birth_date"] if same_id else None,
                "gender": source["gender"],
                "mobile_phone": mobile,
                "other_phone": None,
                "email": None,
                "address": source["address"] if rng.random() < 0.5 else None,
                "occupation": None,
                "employer": None,
                "income_band": None,
                "education": None,
                "marital_status": None,
                "children_count": None,
                "risk_tolerance": None,
                "risk_assessed_on": None,
                "risk_expires_on": None,
                "notes": None,
            }
        )
        return self._add(row, "exit", None, contact, holdings, branch)

    # -- activity: holdings, needs, opportunities, visits, contacts

    def _activity(self, person: _Person) -> None:
        if person.has_holdings:
            self._accounts(person)
        self._needs_and_opportunities(person)
        self._visits(person)
        self._contacts(person)

    def _account(
        self,
        person: _Person,
        code: str,
        balance_fen: int,
        opened: date,
        *,
        matures: date | None = None,
        status: AccountStatus = AccountStatus.OPEN,
    ) -> None:
        rng = self.act
        product = self.products[code]
        kind = ProductType(product["product_type"])
        n = self._next("account")
        serial = (n * 7_654_321 + 1_234_567) % 10**12
        if kind in (_T.DEMAND_DEPOSIT, _T.CREDIT_CARD):
            payload = ("621700" if kind == _T.DEMAND_DEPOSIT else "625900") + f"{serial:012d}"
            account_no = payload + _luhn_digit(payload)
        else:
            prefix = {
                _T.TIME_DEPOSIT: "TD",
                _T.LARGE_CD: "CD",
                _T.WEALTH: "WM",
                _T.FUND: "FD",
                _T.INSURANCE: "IP",
                _T.MORTGAGE: "LM",
                _T.CONSUMER_LOAN: "LC",
                _T.EDUCATION_LOAN: "LE",
                _T.BUSINESS_LOAN: "LB",
                _T.PENSION: "PA",
                _T.GOLD: "GA",
                _T.TRUST: "TR",
            }[kind]
            account_no = f"{prefix}{opened:%Y}{serial:012d}"
        rate: Decimal | None = product["rate"]
        if rate is not None and kind in _DEPOSIT_LIKE | _LIABILITIES:
            # Rates were higher when older deposits and loans were opened.
            bump = {2019: 100, 2020: 90, 2021: 85, 2022: 70, 2023: 50, 2024: 25}
            rate += Decimal(bump.get(min(max(opened.year, 2019), 2025), 0)) / 10_000
        elif rate is not None:
            rate += Decimal(rng.randint(-40, 40)) / 10_000
        created = self._at(opened, rng.randint(9 * 60, 17 * 60))
        updated = self._at(self._day(rng.randint(1, 60)), rng.randint(0, 23 * 60))
        self.tables["account"].append(
            self._stamp(
                {
                    "id": self._uid(rng),
                    "account_no": account_no,
                    "customer_id": person.row["id"],
                    "product_id": product["id"],
                    "account_type": kind.value,
                    "product_name": product["name"],
                    "balance": _fen(balance_fen),
                    "currency": "CNY",
                    "opened_on": opened,
                    "matures_on": matures,
                    "rate": rate,
                    "status": status.value,
                },
                created,
                updated,
            )
        )

    def _opened_between(self, person: _Person, low_days: int, high_days: int) -> date:
        since = person.row["customer_since"].toordinal()
        latest = self.today_ord - low_days
        earliest = max(since, self.today_ord - high_days)
        if earliest >= latest:
            return date.fromordinal(max(since, latest))
        return date.fromordinal(self.act.randint(earliest, latest))

    def _term_account(self, person: _Person, code: str, balance_fen: int) -> None:
        """An open holding. Deposits and wealth products with a term mature within
        their term, a third of them in the next 90 days (the RM's reminder list)."""
        rng = self.act
        product = self.products[code]
        term: int | None = product["term_months"]
        if term is None:
            self._account(person, code, balance_fen, self._opened_between(person, 1, 2500))
            return
        if product["product_type"] not in _MATURING:
            opened = self._opened_between(person, 30, min(term * 30, 4000))
            self._account(person, code, balance_fen, opened, matures=_add_months(opened, term))
            return
        # Opened after the customer joined and before today: maturity in [low, high].
        low = max(self.today_ord + 1, _add_months(person.row["customer_since"], term).toordinal())
        high = max(low, _add_months(self.today, term).toordinal() - 1)
        soon = self.today_ord + 90
        if low <= soon and (rng.random() < 0.35 or high <= soon):
            matures = date.fromordinal(rng.randint(low, min(soon, high)))
        else:
            matures = date.fromordinal(rng.randint(max(low, min(soon + 1, high)), high))
        opened = min(_add_months(matures, -term), self._day(1))
        self._account(person, code, balance_fen, opened, matures=matures)

    def _suitable(self, person: _Person, codes: Sequence[str]) -> list[str]:
        tolerance = person.row["risk_tolerance"]
        if tolerance is None:
            return [c for c in codes if self.products[c]["risk_level"] is None]
        rank = _TOLERANCE_RANK[tolerance]
        return [
            c
            for c in codes
            if self.products[c]["risk_level"] is None
            or _RISK_RANK[self.products[c]["risk_level"]] <= rank
        ]

    def _accounts(self, person: _Person) -> None:
        rng = self.act
        row = person.row
        tier = person.tier_code
        corporate = row["category"] == CustomerCategory.CORPORATE.value
        age = (self.today - row["birth_date"]).days // 365 if row["birth_date"] else 45
        # Asset holdings share the AUM exactly.
        slots: list[str] = ["DEP-DEMAND"]
        if rng.random() < 0.1:
            slots.append("DEP-DEMAND")
        aum_fen = int(row["aum"] * 100)
        if aum_fen >= 5_000_00:
            n_td = {"top": (2, 4), "gold": (1, 3)}.get(tier, (0, 2))
            for _ in range(rng.randint(*n_td)):
                slots.append(
                    rng.choice(
                        ("TD-3M", "TD-6M", "TD-1Y", "TD-1Y", "TD-2Y", "TD-3Y", "TD-3Y", "TD-5Y")
                    )
                )
            cd_chance = {"top": 0.7, "gold": 0.35}.get(tier, 0.0)
            if aum_fen >= 400_000_00 and rng.random() < cd_chance:
                slots.append(rng.choice(("CD-1Y", "CD-3Y")))
            wealth_chance = {"top": 0.9, "gold": 0.65}.get(tier, 0.3)
            if row["risk_tolerance"] and rng.random() < wealth_chance:
                pool = self._suitable(person, ("WM-CASH", "WM-R2-90D", "WM-R2-180D", "WM-R3-1Y"))
                slots.extend(rng.sample(pool, min(len(pool), rng.randint(1, 3))))
            fund_chance = {"top": 0.6, "gold": 0.4}.get(tier, 0.15)
            if row["risk_tolerance"] and rng.random() < fund_chance:
                pool = self._suitable(person, ("FD-BOND", "FD-MIX", "FD-EQ", "FD-QDII"))
                slots.extend(rng.sample(pool, min(len(pool), rng.randint(1, 2))))
            if not corporate:
                if rng.random() < 0.25:
                    stage = person.stage
                    slots.append(
                        "INS-EDU"
                        if stage == "family_with_children"
                        else "INS-ANN"
                        if stage in ("pre_retirement", "retired")
                        else "INS-CI"
                    )
                if 30 <= age < 60 and rng.random() < 0.15:
                    slots.append("PEN-ACCT")
                if rng.random() < 0.04 and row["risk_tolerance"] not in (None, "C1", "C2"):
                    slots.append("GOLD-ACC")
                if aum_fen >= 12_000_000_00 and rng.random() < 0.35:
                    slots.extend(self._suitable(person, ("TRUST-FAM",)))
        shares = self._split(aum_fen, slots)  # may drop holdings that do not fit
        for code, share in zip(slots, shares, strict=True):
            if code == "DEP-DEMAND":
                self._account(person, code, share, self._opened_between(person, 30, 8000))
            else:
                self._term_account(person, code, share)
        # History: matured deposits and redeemed products with nothing left in them.
        for _ in range(rng.randint(0, 3 if tier in ("top", "gold") else 1)):
            code = rng.choice(self._suitable(person, ("TD-1Y", "TD-3Y", "TD-6M", "WM-R2-90D")))
            term = self.products[code]["term_months"]
            matured = self._opened_between(person, 30, 3000)
            opened = _add_months(matured, -term)
            if opened < row["customer_since"]:
                continue  # the customer was not with the bank yet
            status = AccountStatus.MATURED if rng.random() < 0.6 else AccountStatus.CLOSED
            self._account(person, code, 0, opened, matures=matured, status=status)
        # Liabilities: not part of the AUM.
        if corporate:
            if rng.random() < 0.5:
                self._loan(person, "LN-BIZ", 500_000, 8_000_000, 36)
            return
        stage = person.stage
        if stage in ("new_family", "family_with_children", "young_professional") or (
            stage == "established" and rng.random() < 0.3
        ):
            if rng.random() < 0.4:
                self._loan(person, "LN-MORT", 200_000, 3_000_000, 360)
            if rng.random() < 0.12:
                self._loan(person, "LN-CAR", 50_000, 300_000, rng.choice((36, 60)))
        if stage == "student" and rng.random() < 0.1:
            self._loan(person, "LN-EDU", 50_000, 500_000, 120)
        if row["occupation"] in ("企业主", "个体工商户") and rng.random() < 0.35:
            self._loan(person, "LN-BIZ", 200_000, 3_000_000, 36)
        if rng.random() < 0.55:
            card = "CC-PLAT" if tier in ("top", "gold") else "CC-GOLD"
            self._account(
                person, card, rng.randrange(0, 8_000_000), self._opened_between(person, 30, 4000)
            )

    def _split(self, aum_fen: int, slots: list[str]) -> list[int]:
        """Share the AUM exactly over the holdings, each at least its product's minimum.

        Holdings whose minimum no longer fits are dropped from the end (the demand
        deposit, first, has no minimum and takes whatever is left).
        """
        rng = self.act
        minimums = [int((self.products[c]["min_amount"] or 0) * 100) for c in slots]
        while len(slots) > 1 and sum(minimums) > aum_fen:
            slots.pop()
            minimums.pop()
        spare = aum_fen - sum(minimums)
        weights = [rng.random() + (0.3 if code == "DEP-DEMAND" else 0.0) for code in slots]
        total = sum(weights)
        shares = [m + int(spare * w / total) for m, w in zip(minimums, weights, strict=True)]
        shares[0] += aum_fen - sum(shares)
        return shares

    def _loan(self, person: _Person, code: str, low: int, high: int, term: int) -> None:
        rng = self.act
        opened = self._opened_between(person, 60, min(term * 30, 5400))
        principal = _log_uniform_fen(rng, low, high)
        elapsed = (self.today - opened).days / (term * 30.4)
        outstanding = int(principal * max(0.05, 1 - elapsed))
        self._account(person, code, outstanding, opened, matures=_add_months(opened, term))

    def _needs_and_opportunities(self, person: _Person) -> None:
        rng = self.act
        row = person.row
        key = "potential" if person.profile == "potential" else person.tier_code
        mean = _ACTIVITY_RATES[key][2]
        count = int(mean * rng.uniform(0.3, 1.7) + rng.random())
        categories = _STAGE_NEEDS.get(person.stage, _STAGE_NEEDS[None])
        if row["category"] == CustomerCategory.CORPORATE.value:
            categories = _STAGE_NEEDS[None]
        since = row["customer_since"].toordinal()
        for _ in range(count):
            category = rng.choice(categories)
            summaries, codes = _NEEDS[category]
            started = date.fromordinal(
                rng.randint(max(since, self.today_ord - 1100), self.today_ord - 1)
            )
            age_days = self.today_ord - started.toordinal()
            if age_days > 365:
                status = rng.choice((NeedStatus.MET, NeedStatus.MET, NeedStatus.CLOSED))
            elif age_days > 90:
                status = rng.choice((NeedStatus.IN_PROGRESS, NeedStatus.MET, NeedStatus.OPEN))
            else:
                status = rng.choice((NeedStatus.OPEN, NeedStatus.OPEN, NeedStatus.IN_PROGRESS))
            closed = status in (NeedStatus.MET, NeedStatus.CLOSED)
            ends = (
                date.fromordinal(rng.randint(started.toordinal(), self.today_ord - 1))
                if closed
                else None
            )
            summary = rng.choice(summaries)
            content = f"{summary}。{rng.choice(_VISIT_FINDINGS)}" if rng.random() < 0.6 else None
            n = self._next("need")
            created = self._at(started, rng.randint(9 * 60, 18 * 60))
            need = self._stamp(
                {
                    "id": self._uid(rng),
                    "need_no": f"N{started:%Y%m%d}{n:07d}",
                    "customer_id": row["id"],
                    "category": category.value,
                    "started_on": started,
                    "ends_on": ends,
                    "summary": summary,
                    "content": content,
                    "status": status.value,
                    "sub_status": "已推荐产品" if status == NeedStatus.IN_PROGRESS else None,
                    "severity": rng.choice(_SEVERITIES).value,
                    "urgency": rng.choice(_URGENCIES).value,
                },
                created,
                self._at(ends, 17 * 60) if ends else created,
            )
            self.tables["need"].append(need)
            if rng.random() < 0.6:
                self._opportunity(
                    person, rng.choice(self._suitable(person, codes) or ["DEP-DEMAND"]), need
                )
        if person.tier_code in ("top", "gold") and rng.random() < 0.5:
            pool = self._suitable(person, ("CD-3Y", "WM-R2-180D", "WM-R3-1Y", "FD-MIX", "INS-UL"))
            if pool:
                self._opportunity(person, rng.choice(pool), None)

    def _opportunity(self, person: _Person, code: str, need: Row | None) -> None:
        rng = self.act
        product = self.products[code]
        if need is not None:
            started = need["started_on"]
        else:
            since = person.row["customer_since"].toordinal()
            started = date.fromordinal(
                rng.randint(max(since, self.today_ord - 720), self.today_ord - 1)
            )
        old = self.today_ord - started.toordinal() > 180
        stage = rng.choice(
            (SalesStage.WON, SalesStage.WON, SalesStage.LOST) if old else tuple(SalesStage)
        )
        ends = (
            date.fromordinal(rng.randint(started.toordinal(), self.today_ord - 1))
            if stage in (SalesStage.WON, SalesStage.LOST)
            else date.fromordinal(self.today_ord + rng.randint(7, 120))
        )
        minimum = int(product["min_amount"] * 100) if product["min_amount"] else 1_000_00
        value = max(minimum, _log_uniform_fen(rng, 10_000, 2_000_000))
        n = self._next("opportunity")
        created = self._at(started, rng.randint(9 * 60, 18 * 60))
        self.tables["opportunity"].append(
            self._stamp(
                {
                    "id": self._uid(rng),
                    "opportunity_no": f"OP{started:%Y%m%d}{n:07d}",
                    "customer_id": person.row["id"],
                    "product_id": product["id"],
                    "need_id": need["id"] if need else None,
                    "started_on": started,
                    "ends_on": ends,
                    "probability": _STAGE_PROBABILITY[stage],
                    "sales_method": rng.choice(_SALES_METHODS),
                    "sales_stage": stage.value,
                    "summary": f"推荐{product['name']}",
                    "content": (need["summary"] + "，" if need else "")
                    + f"建议配置{product['name']}。",
                    "expected_value": _fen(value),
                },
                created,
                self._at(min(ends, self._day(1)), 17 * 60),
            )
        )

    def _history_span(self, person: _Person) -> tuple[int, int] | None:
        """Ordinal days between which past activity happened, or None without contact."""
        if person.last_contact is None:
            return None
        start = max(person.row["customer_since"].toordinal(), self.today_ord - 5 * 365)
        end = person.last_contact.toordinal()
        return (min(start, end), end)

    def _visits(self, person: _Person) -> None:
        rng = self.act
        row = person.row
        key = "potential" if person.profile == "potential" else person.tier_code
        per_year, planned_chance = _ACTIVITY_RATES[key][1], _ACTIVITY_RATES[key][3]
        corporate = row["category"] == CustomerCategory.CORPORATE.value
        span = self._history_span(person)
        if span is not None:
            years = (span[1] - span[0]) / 365
            count = int(per_year * years * rng.uniform(0.5, 1.5) + rng.random())
            for i in range(count):
                day = span[1] if i == 0 else rng.randint(span[0], span[1])
                self._visit(person, date.fromordinal(day), corporate, future=False)
        if person.row["lifecycle_status"] != LifecycleStatus.LOST.value and (
            rng.random() < planned_chance
        ):
            self._visit(person, self._day(-rng.randint(0, 14)), corporate, future=True)

    def _visit(self, person: _Person, day: date, corporate: bool, *, future: bool) -> None:
        rng = self.act
        row = person.row
        if corporate:
            category = rng.choice(
                (VisitCategory.COMPANY, VisitCategory.COMPANY, VisitCategory.BRANCH)
            )
        else:
            category = rng.choice(
                (
                    VisitCategory.HOME,
                    VisitCategory.BRANCH,
                    VisitCategory.BRANCH,
                    VisitCategory.BRANCH,
                    VisitCategory.EVENT,
                    VisitCategory.PHONE,
                )
            )
        start_minute = rng.choice((9, 10, 10, 11, 14, 14, 15, 16, 19)) * 60 + rng.choice((0, 30))
        planned_start = self._at(day, start_minute)
        planned_end = planned_start + timedelta(minutes=rng.choice((30, 45, 60, 90)))
        if future:
            status = VisitStatus.PLANNED
        elif self.today_ord - day.toordinal() <= 10 and rng.random() < 0.3:
            status = VisitStatus.PLANNED  # done but not yet written up
        else:
            status = VisitStatus.CANCELLED if rng.random() < 0.1 else VisitStatus.DONE
        place = {
            VisitCategory.HOME: row["address"],
            VisitCategory.COMPANY: row["address"],
            VisitCategory.BRANCH: person.branch_name,
            VisitCategory.EVENT: f"{person.branch_name}贵宾室",
            VisitCategory.PHONE: None,
        }[category]
        purpose = rng.choice(_CORPORATE_PURPOSES if corporate else _VISIT_PURPOSES)
        actual_start = actual_end = None
        report = outcome = None
        follow_up = None
        cost = None
        if status == VisitStatus.DONE:
            actual_start = planned_start + timedelta(minutes=rng.randint(-10, 20))
            actual_end = actual_start + timedelta(minutes=rng.randint(20, 120))
            report = (
                rng.choice(_VISIT_OPENINGS)
                + rng.choice(_VISIT_FINDINGS)
                + rng.choice(_VISIT_NEXT_STEPS)
            )
            outcome = rng.choice(_VISIT_OUTCOMES)
            if rng.random() < 0.3:
                follow_up = date.fromordinal(day.toordinal() + rng.randint(7, 45))
            if category in (VisitCategory.HOME, VisitCategory.EVENT) and rng.random() < 0.5:
                cost = _fen(rng.choice((8800, 12800, 19900, 29800, 49900)))
        elif status == VisitStatus.CANCELLED:
            report = rng.choice(_CANCEL_REASONS)
        planned_on = date.fromordinal(day.toordinal() - rng.randint(1, 14))
        created = self._at(min(planned_on, self._day(1)), rng.randint(9 * 60, 18 * 60))
        updated = actual_end + timedelta(hours=rng.randint(1, 30)) if actual_end else created
        n = self._next("visit")
        priority = Priority.HIGH if person.tier_code == "top" else Priority.NORMAL
        self.tables["visit"].append(
            self._stamp(
                {
                    "id": self._uid(rng),
                    "visit_no": f"V{day:%Y%m%d}{n:07d}",
                    "customer_id": row["id"],
                    "rm_id": row["rm_id"],
                    "planned_start": planned_start,
                    "planned_end": planned_end,
                    "actual_start": actual_start,
                    "actual_end": actual_end,
                    "place": place,
                    "purpose": purpose,
                    "category": category.value,
                    "status": status.value,
                    "priority": priority.value,
                    "cost": cost,
                    "attendees": rng.choice(_ATTENDEES) if status == VisitStatus.DONE else None,
                    "outcome": outcome,
                    "report": report,
                    "follow_up_due": follow_up,
                },
                created,
                min(updated, self.now),
            )
        )

    def _contacts(self, person: _Person) -> None:
        span = self._history_span(person)
        if span is None:
            return
        rng = self.act
        row = person.row
        key = "potential" if person.profile == "potential" else person.tier_code
        years = max(span[1] - span[0], 30) / 365
        count = int(_ACTIVITY_RATES[key][0] * years * rng.uniform(0.6, 1.4)) + 1
        rm_user = self.rm_users.get(row["rm_id"])
        contact_rows = self.tables["contact_log"]
        for i in range(count):
            day = span[1] if i == 0 else rng.randint(span[0], span[1])
            channel: ContactChannel = self.channels.pick(rng)
            started = datetime(1, 1, 1, tzinfo=UTC) + timedelta(
                days=day - 1, minutes=rng.randint(8 * 60 + 30, 20 * 60) - 480
            )
            ended = (
                started + timedelta(minutes=rng.randint(2, 40))
                if channel in (ContactChannel.PHONE, ContactChannel.BRANCH, ContactChannel.VISIT)
                else None
            )
            n = self._next("contact")
            contact_rows.append(
                {
                    "id": self._uid(rng),
                    "contact_no": f"CT{n:010d}",
                    "customer_id": row["id"],
                    "rm_id": row["rm_id"],
                    "started_at": started,
                    "ended_at": ended,
                    "channel": channel.value,
                    "call_made": channel == ContactChannel.PHONE,
                    "summary": rng.choice(_CONTACT_SUMMARIES[channel]),
                    "content": rng.choice(_CONTACT_CONTENTS) if rng.random() < 0.45 else None,
                    "user_name": rm_user,
                    "version": None,
                    "deleted": False,
                    "created_at": ended or started,
                    "updated_at": ended or started,
                }
            )


def _resolve_size(size: str | BookSize) -> BookSize:
    if isinstance(size, BookSize):
        if size.rms < 1 or size.customers_per_rm < 20:
            raise ValueError("a book needs at least 1 RM and 20 customers per RM")
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown book size {size!r}; choose one of {sorted(SIZES)}") from None


def generate_book(
    size: str | BookSize = "default",
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    with_activity: bool = True,
) -> DemoBook:
    """Generate the central CRM's demo book, identical for the same arguments.

    ``size`` is a key of :data:`SIZES` or a :class:`BookSize`. ``today`` (default
    2026-11-22) anchors maturities, agendas and lifecycle states. Without activity the
    book holds only branches, RMs, products, customers and groups (fast enough for a
    50,000-customer search benchmark); the customer rows are the same either way.
    """
    builder = _BookBuilder(_resolve_size(size), seed, today or DEFAULT_TODAY, with_activity)
    return builder.build()
