"""What every part of the server's sync uses: table labels and JSON for messages and
stored values, the refusal of one mutation, the check that a token is the device's.

Kept tiny on purpose: anything that belongs to scope, reads, pushes or conflicts lives
in that module of :mod:`central_crm.sync`.
"""

from __future__ import annotations

import json
from typing import Any

from central_crm.auth import Principal
from central_crm.errors import ApiError
from rm_contract.labels import table_label


def label(table: str) -> str:
    return table_label(table)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Refused(Exception):
    """A mutation that cannot be applied: answered "rejected" with this message."""


def check_device(principal: Principal, device_id: str) -> None:
    if device_id != principal.device_id:
        raise ApiError(
            403,
            "device_mismatch",
            "访问令牌属于另一台设备，请在本机重新登录。 "
            "/ The token was issued to another device; log in on this one.",
        )
