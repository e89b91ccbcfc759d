"""Segmentation rules against the shipped bank.toml, and config validation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rm_contract.vocabulary import LifecycleStatus, MaritalStatus
from rm_workbench.config import BankConfig, load_config
from rm_workbench.domain.segmentation import age_on, assign_tier, life_stage, lifecycle_status
from rm_workbench.errors import ConfigError

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def config() -> BankConfig:
    return load_config()


# --- tiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aum", "contribution", "tier"),
    [
        ("6000000", "0", "top"),
        ("5999999.99", "49999.99", "gold"),
        ("0", "50000", "top"),
        ("500000", "0", "gold"),
        ("499999.99", "4999.99", "general"),
        ("0", "5000", "gold"),
        ("1000", "0", "general"),
        ("0", "100", "general"),
        ("999.99", "99.99", "exit"),
        ("0", "0", "exit"),
        ("-10", "-5", "exit"),
    ],
)
def test_assign_tier_boundaries(aum: str, contribution: str, tier: str, config: BankConfig) -> None:
    assert assign_tier(Decimal(aum), Decimal(contribution), config).code == tier


def test_tier_names_come_from_config(config: BankConfig) -> None:
    assert assign_tier(Decimal("6000000"), Decimal(0), config).name == "顶级"
    assert config.tier_by_name("淘汰") is not None
    assert config.tier_by_name("VIP") is None


# --- lifecycle ------------------------------------------------------------------------------


def status(
    config: BankConfig,
    *,
    idle_days: int | None,
    aum: str = "0",
    has_holdings: bool = True,
    contact_idle_days: int | None = None,
) -> LifecycleStatus:
    return lifecycle_status(
        today=TODAY,
        aum=Decimal(aum),
        has_holdings=has_holdings,
        last_transaction_on=None if idle_days is None else TODAY - timedelta(days=idle_days),
        last_contact_on=(
            None if contact_idle_days is None else TODAY - timedelta(days=contact_idle_days)
        ),
        config=config,
    )


def test_potential_until_first_holding_or_transaction(config: BankConfig) -> None:
    assert status(config, idle_days=None, has_holdings=False) == LifecycleStatus.POTENTIAL
    # A contact alone does not make a customer.
    assert (
        status(config, idle_days=None, has_holdings=False, contact_idle_days=3)
        == LifecycleStatus.POTENTIAL
    )
    assert status(config, idle_days=3, has_holdings=False) == LifecycleStatus.ACTIVE


def test_holdings_without_any_sign_of_life_are_dormant(config: BankConfig) -> None:
    assert status(config, idle_days=None) == LifecycleStatus.DORMANT


@pytest.mark.parametrize(
    ("idle_days", "aum", "expected"),
    [
        (0, "0", LifecycleStatus.ACTIVE),
        (179, "0", LifecycleStatus.ACTIVE),
        (180, "0", LifecycleStatus.DORMANT),
        (539, "0", LifecycleStatus.DORMANT),
        (540, "100", LifecycleStatus.LOST),
        (540, "100.01", LifecycleStatus.DORMANT),
        (2000, "50000", LifecycleStatus.DORMANT),
    ],
)
def test_lifecycle_day_boundaries(
    idle_days: int, aum: str, expected: LifecycleStatus, config: BankConfig
) -> None:
    assert status(config, idle_days=idle_days, aum=aum) == expected


def test_latest_sign_of_life_counts(config: BankConfig) -> None:
    # An old transaction but a recent visit: still active.
    assert status(config, idle_days=600, contact_idle_days=10) == LifecycleStatus.ACTIVE
    assert status(config, idle_days=10, contact_idle_days=600) == LifecycleStatus.ACTIVE
    assert status(config, idle_days=600, contact_idle_days=200) == LifecycleStatus.DORMANT


# --- age and life stage -------------------------------------------------------------------


def test_age_on_ordinary_birthday() -> None:
    assert age_on(date(1990, 6, 1), date(2026, 5, 31)) == 35
    assert age_on(date(1990, 6, 1), date(2026, 6, 1)) == 36


def test_age_on_29_february() -> None:
    leapling = date(2000, 2, 29)
    assert age_on(leapling, date(2023, 2, 28)) == 22
    assert age_on(leapling, date(2023, 3, 1)) == 23
    assert age_on(leapling, date(2024, 2, 28)) == 23
    assert age_on(leapling, date(2024, 2, 29)) == 24


def born(age: int) -> date:
    return TODAY.replace(year=TODAY.year - age)


@pytest.mark.parametrize(
    ("age", "marital", "children", "stage"),
    [
        (20, MaritalStatus.SINGLE, 0, "student"),
        (22, None, None, "student"),
        (23, MaritalStatus.SINGLE, 0, "young_professional"),
        (22, MaritalStatus.MARRIED, 0, "new_family"),
        (20, MaritalStatus.SINGLE, 1, "family_with_children"),
        (60, MaritalStatus.MARRIED, 2, "retired"),
        (75, None, None, "retired"),
        (59, MaritalStatus.MARRIED, 2, "pre_retirement"),
        (50, MaritalStatus.SINGLE, 0, "pre_retirement"),
        (49, MaritalStatus.MARRIED, 1, "family_with_children"),
        (30, MaritalStatus.MARRIED, 0, "new_family"),
        (30, "married", None, "new_family"),
        (35, MaritalStatus.SINGLE, 0, "young_professional"),
        (36, MaritalStatus.SINGLE, 0, "established"),
        (45, MaritalStatus.DIVORCED, None, "established"),
    ],
)
def test_life_stage_for_each_configured_stage(
    age: int,
    marital: MaritalStatus | str | None,
    children: int | None,
    stage: str,
    config: BankConfig,
) -> None:
    result = life_stage(
        birth_date=born(age),
        marital_status=marital,
        children_count=children,
        today=TODAY,
        config=config,
    )
    assert result is not None
    assert result.code == stage


def test_every_configured_stage_is_reachable(config: BankConfig) -> None:
    reached = {
        stage.code
        for age in range(0, 100)
        for marital in MaritalStatus
        for children in range(3)
        if (
            stage := life_stage(
                birth_date=born(age),
                marital_status=marital,
                children_count=children,
                today=TODAY,
                config=config,
            )
        )
        is not None
    }
    assert reached == {rule.code for rule in config.life_stages}


def test_life_stage_unknown_without_birth_date(config: BankConfig) -> None:
    assert (
        life_stage(
            birth_date=None, marital_status=None, children_count=None, today=TODAY, config=config
        )
        is None
    )


def test_life_stage_29_february_birthday(config: BankConfig) -> None:
    # Born 2003-02-29 does not exist; 2004-02-29 does: 22 until 1 March 2027.
    leapling = date(2004, 2, 29)
    stage = life_stage(
        birth_date=leapling,
        marital_status=MaritalStatus.SINGLE,
        children_count=0,
        today=date(2027, 2, 28),
        config=config,
    )
    assert stage is not None and stage.code == "student"
    stage = life_stage(
        birth_date=leapling,
        marital_status=MaritalStatus.SINGLE,
        children_count=0,
        today=date(2027, 3, 1),
        config=config,
    )
    assert stage is not None and stage.code == "young_professional"


# --- configuration ------------------------------------------------------------------------

GOOD = """
[bank]
name = "测试银行"
short_name = "测试"

[[tiers]]
code = "vip"
name = "贵宾"
min_aum = "1000000"

[[tiers]]
code = "basic"
name = "基础"

[lifecycle]
dormant_after_days = 90
lost_after_days = 365
lost_max_aum = "0"

[[life_stages]]
code = "any"
name = "全部"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads(config: BankConfig) -> None:
    assert config.bank.name
    assert [t.code for t in config.tiers] == ["top", "gold", "general", "exit"]
    assert config.lifecycle.dormant_after_days < config.lifecycle.lost_after_days


def test_custom_config_is_used(tmp_path: Path) -> None:
    custom = load_config(write(tmp_path, GOOD))
    assert assign_tier(Decimal("1000000"), Decimal(0), custom).name == "贵宾"
    assert assign_tier(Decimal("999999"), Decimal(10**9), custom).name == "基础"
    assert (
        lifecycle_status(
            today=TODAY,
            aum=Decimal(0),
            has_holdings=True,
            last_transaction_on=TODAY - timedelta(days=365),
            last_contact_on=None,
            config=custom,
        )
        == LifecycleStatus.LOST
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace('short_name = "测试"', 'short_name = "测试"\ncolour = "red"'), "colour"),
        (
            GOOD.replace(
                'code = "basic"\nname = "基础"', 'code = "basic"\nname = "基础"\nmin_aum = "1"'
            ),
            "last tier",
        ),
        (GOOD.replace("lost_after_days = 365", "lost_after_days = 90"), "lost_after_days"),
        (GOOD.replace("lost_after_days = 365", "lost_after_days = 30"), "lost_after_days"),
        (GOOD.replace('code = "vip"', 'code = "basic"'), "unique"),
        (GOOD.replace("dormant_after_days = 90", "dormant_after_days = 0"), "dormant_after_days"),
        (GOOD.replace('lost_max_aum = "0"\n', ""), "lost_max_aum"),
        (GOOD.replace('[bank]\nname = "测试银行"', '[bank]\nname = "测试银行'), ""),
        ("not toml at all = = =", ""),
        (GOOD.replace('name = "全部"', 'name = "全部"\nmarital = ["maried"]'), "marital"),
    ],
)
def test_bad_config_raises_config_error(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    error = caught.value
    assert "银行配置文件" in error.user_message
    assert fragment in error.details


def test_invalid_toml_says_format_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="格式错误"):
        load_config(write(tmp_path, "[bank\nname = 1"))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="无法读取"):
        load_config(tmp_path / "nowhere.toml")
