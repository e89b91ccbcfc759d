"""The bank's configuration: tiers, lifecycle rules, life stages, the bank's name.

Loaded once from a TOML file (the shipped default is ``resources/bank.toml``; a bank
points ``RM_WORKBENCH_BANK_CONFIG`` at its own). Validated with pydantic so a typo in
the file gives a clear message naming the field, not a crash later.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rm_contract.vocabulary import MaritalStatus
from rm_workbench.errors import ConfigError

CONFIG_ENV = "RM_WORKBENCH_BANK_CONFIG"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BankInfo(_Strict):
    name: str
    short_name: str
    logo: str = ""


class TierRule(_Strict):
    code: str
    name: str
    min_aum: Decimal | None = None
    min_contribution: Decimal | None = None
    visit_cadence_days: int = Field(default=0, ge=0)


class LifecycleRules(_Strict):
    dormant_after_days: int = Field(gt=0)
    lost_after_days: int = Field(gt=0)
    lost_max_aum: Decimal

    @model_validator(mode="after")
    def _lost_after_dormant(self) -> LifecycleRules:
        if self.lost_after_days <= self.dormant_after_days:
            raise ValueError("lost_after_days must be greater than dormant_after_days")
        return self


class LifeStageRule(_Strict):
    code: str
    name: str
    min_age: int | None = None
    max_age: int | None = None
    # Checked against the vocabulary: a typo would otherwise silently never match.
    marital: list[MaritalStatus] | None = None
    min_children: int | None = None
    max_children: int | None = None


class BankConfig(_Strict):
    bank: BankInfo
    tiers: list[TierRule] = Field(min_length=1)
    lifecycle: LifecycleRules
    life_stages: list[LifeStageRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_tier_catches_all(self) -> BankConfig:
        last = self.tiers[-1]
        if last.min_aum is not None or last.min_contribution is not None:
            raise ValueError("the last tier must have no thresholds: it catches everyone else")
        codes = [t.code for t in self.tiers]
        if len(set(codes)) != len(codes):
            raise ValueError("tier codes must be unique")
        return self

    def tier_by_name(self, name: str) -> TierRule | None:
        return next((t for t in self.tiers if t.name == name), None)


def load_config(path: Path | None = None) -> BankConfig:
    """Read and validate a bank configuration file; ConfigError says what is wrong."""
    if path is None:
        text = resources.files("rm_workbench.resources").joinpath("bank.toml").read_text("utf-8")
        source = "resources/bank.toml"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"无法读取银行配置文件 {path}", str(exc)) from exc
        source = str(path)
    try:
        return BankConfig.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"银行配置文件 {source} 格式错误", str(exc)) from exc
    except ValidationError as exc:
        raise ConfigError(f"银行配置文件 {source} 内容有误", str(exc)) from exc


@cache
def bank_config() -> BankConfig:
    """The configuration in force: $RM_WORKBENCH_BANK_CONFIG, else the shipped default."""
    override = os.environ.get(CONFIG_ENV)
    return load_config(Path(override) if override else None)
