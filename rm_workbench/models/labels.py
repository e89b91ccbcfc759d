"""How the bank's tables are named to a person (in messages from either program)."""

from __future__ import annotations

TABLE_LABELS: dict[str, str] = {
    "branch": "网点",
    "relationship_manager": "客户经理",
    "customer": "客户",
    "customer_group": "客户群",
    "group_membership": "客户群成员",
    "product": "产品",
    "account": "账户",
    "visit": "拜访记录",
    "contact_log": "联系记录",
    "need": "客户需求",
    "opportunity": "商机",
    "bundle_proposal": "套餐方案",
    "audit_log": "审计日志",
}


def table_label(table: str) -> str:
    return TABLE_LABELS.get(table, table)
