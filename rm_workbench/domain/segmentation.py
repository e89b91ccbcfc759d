"""Customer segmentation (客户细分): tier, lifecycle status and life stage.

All thresholds come from the bank configuration (:mod:`rm_workbench.config`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rm_contract.vocabulary import LifecycleStatus, MaritalStatus
from rm_workbench.config import BankConfig, LifeStageRule, TierRule, bank_config


def assign_tier(aum: Decimal, contribution: Decimal, config: BankConfig | None = None) -> TierRule:
    """The first tier (highest first) whose AUM or contribution threshold is met."""
    config = config or bank_config()
    for tier in config.tiers:
        if tier.min_aum is None and tier.min_contribution is None:
            return tier
        if tier.min_aum is not None and aum >= tier.min_aum:
            return tier
        if tier.min_contribution is not None and contribution >= tier.min_contribution:
            return tier
    return config.tiers[-1]  # unreachable: config validation requires a catch-all


def lifecycle_status(
    *,
    today: date,
    aum: Decimal,
    has_holdings: bool,
    last_transaction_on: date | None,
    last_contact_on: date | None,
    config: BankConfig | None = None,
) -> LifecycleStatus:
    """Lifecycle status from holdings and the last sign of life (transaction or contact).

    A customer who never held anything is potential; otherwise the days since the
    latest transaction or contact decide active, dormant or lost.
    """
    rules = (config or bank_config()).lifecycle
    if not has_holdings and last_transaction_on is None:
        return LifecycleStatus.POTENTIAL
    signs = [d for d in (last_transaction_on, last_contact_on) if d is not None]
    if not signs:
        return LifecycleStatus.DORMANT
    idle_days = (today - max(signs)).days
    if idle_days >= rules.lost_after_days and aum <= rules.lost_max_aum:
        return LifecycleStatus.LOST
    if idle_days >= rules.dormant_after_days:
        return LifecycleStatus.DORMANT
    return LifecycleStatus.ACTIVE


def age_on(birth_date: date, today: date) -> int:
    """Age in whole years (a 29 February birthday counts on 1 March in other years)."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class LifeStage:
    code: str
    name: str


def _stage_matches(rule: LifeStageRule, age: int, marital: str, children: int) -> bool:
    if rule.min_age is not None and age < rule.min_age:
        return False
    if rule.max_age is not None and age >= rule.max_age:
        return False
    if rule.marital is not None and marital not in rule.marital:
        return False
    if rule.min_children is not None and children < rule.min_children:
        return False
    return not (rule.max_children is not None and children > rule.max_children)


def life_stage(
    *,
    birth_date: date | None,
    marital_status: MaritalStatus | str | None,
    children_count: int | None,
    today: date,
    config: BankConfig | None = None,
) -> LifeStage | None:
    """Life stage from age, marital status and children; None when the age is unknown.

    Unknown marital status and children count are treated as "unknown" and 0, which
    only rules that do not ask about them can match.
    """
    if birth_date is None:
        return None
    config = config or bank_config()
    age = age_on(birth_date, today)
    marital = str(marital_status) if marital_status else MaritalStatus.UNKNOWN.value
    children = children_count or 0
    for rule in config.life_stages:
        if _stage_matches(rule, age, marital, children):
            return LifeStage(rule.code, rule.name)
    return None
