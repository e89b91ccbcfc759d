"""Request and response models of the service's own endpoints (admin, logout, resolve).

The sync protocol's models live in :mod:`rm_contract.wire`, shared with the
workbench; these are only spoken by the bank's administrators and tools, and are
published in the same OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OkResponse(ApiModel):
    ok: bool = True


class CreateUserRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    # The password rule (central_crm.passwords) answers a weak one with its reason.
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=64)
    role: Literal["rm", "admin"] = "rm"
    rm_id: str | None = Field(default=None, max_length=36)


class SetPasswordRequest(ApiModel):
    password: str = Field(min_length=1, max_length=256)


class AccountResponse(ApiModel):
    """A login's state after an administrator's action on it."""

    username: str
    active: bool
    # Locked after too many wrong passwords, until an administrator unlocks it.
    locked: bool
    # Tokens this action revoked (the user must log in again on those devices).
    revoked_tokens: int = 0


class AssignRequest(ApiModel):
    customer_ids: list[str] = Field(min_length=1, max_length=10_000)
    rm_id: str = Field(min_length=1, max_length=36)


class AssignResponse(ApiModel):
    moved: int  # customers that changed owner
    rows: int  # rows re-versioned (customers, their subtrees and groups)
    evictions: int
    unchanged: list[str] = Field(default_factory=list)  # already with that RM


class CatalogRequest(ApiModel):
    # Products and bundle templates in wire form (see wire.encode_row); ``code``
    # identifies each. At least one of the two lists is given.
    products: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    bundles: list[dict[str, Any]] = Field(default_factory=list, max_length=1_000)

    @model_validator(mode="after")
    def _not_empty(self) -> CatalogRequest:
        if not self.products and not self.bundles:
            raise ValueError("give at least one product or bundle template")
        return self


class UpsertResponse(ApiModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    not_found: list[str] = Field(default_factory=list)


class BalanceFeed(ApiModel):
    account_no: str = Field(min_length=1, max_length=32)
    balance: Decimal


class MaturityFeed(ApiModel):
    account_no: str = Field(min_length=1, max_length=32)
    matures_on: date | None


class TierFeed(ApiModel):
    customer_no: str = Field(min_length=1, max_length=20)
    tier: str | None = Field(default=None, max_length=16)
    aum: Decimal | None = None
    contribution: Decimal | None = None


class CoreFeedRequest(ApiModel):
    """Changes from core banking; each reaches the RM who owns the row by pull."""

    balances: list[BalanceFeed] = Field(default_factory=list, max_length=100_000)
    maturities: list[MaturityFeed] = Field(default_factory=list, max_length=100_000)
    tiers: list[TierFeed] = Field(default_factory=list, max_length=100_000)


class GcRequest(ApiModel):
    # Purge tombstones older than this; None: the oldest cursor of any device.
    before_seq: int | None = Field(default=None, ge=0)


class GcResponse(ApiModel):
    purged: dict[str, int]
    # Tombstones up to this sequence number may be gone: a device whose cursor is
    # below it must re-bootstrap.
    horizon: int


class AuditAlarm(ApiModel):
    """A break of a device's audit chain (see :mod:`central_crm.audit`)."""

    id: str
    # "gap" | "altered" | "broken_link" | "reused_seq" | "unchained"
    kind: str
    device_id: str
    user_id: str
    username: str
    mutation_id: int | None = None
    row_id: str | None = None
    expected_seq: int | None = None
    received_seq: int | None = None
    message: str
    created_at: datetime


class AuditAlarmList(ApiModel):
    alarms: list[AuditAlarm]
