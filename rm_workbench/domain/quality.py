"""Data-quality warnings for one customer record, with the reason in plain Chinese.

The records the bank holds are often incomplete or wrong (DOMAIN.md): an ID number with
a bad check digit, no phone at all. These warnings are shown next to the customer so
the RM can fix them during the next visit; nothing is "corrected" automatically.
Possible duplicates need the whole book and come from :mod:`duplicates`.
"""

from __future__ import annotations

from rm_contract.vocabulary import CustomerCategory, IdType
from rm_workbench.domain.identity import check_credit_code, check_resident_id


def record_warnings(
    *,
    category: str,
    id_type: str | None,
    id_number: str | None,
    credit_code: str | None,
    mobile_phone: str | None,
    other_phone: str | None,
) -> list[str]:
    """Warnings for one record, most serious first; [] when nothing is wrong."""
    warnings: list[str] = []
    if category == CustomerCategory.CORPORATE:
        code = credit_code or (id_number if id_type == IdType.CREDIT_CODE else None)
        if not code:
            warnings.append("缺少统一社会信用代码")
        else:
            check = check_credit_code(code)
            if not check.valid:
                warnings.append(f"统一社会信用代码有误：{check.reason}")
    elif id_type in (None, IdType.RESIDENT_ID):
        if not id_number:
            warnings.append("缺少证件号码")
        else:
            resident = check_resident_id(id_number)
            if not resident.valid:
                warnings.append(f"身份证号码有误：{resident.reason}")
            elif resident.converted_from_15:
                warnings.append("仍是旧版15位身份证号码，请在拜访时核对并更新为18位")
    if not mobile_phone and not other_phone:
        warnings.append("缺少联系电话")
    return warnings
