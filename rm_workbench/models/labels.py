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


# Fields an RM edits (and so may see in a conflict), named as on screen.
FIELD_LABELS: dict[str, str] = {
    "name": "名称",
    "mobile_phone": "手机号码",
    "other_phone": "其他电话",
    "email": "电子邮箱",
    "address": "地址",
    "occupation": "职业",
    "employer": "工作单位",
    "income_band": "收入档次",
    "education": "学历",
    "marital_status": "婚姻状况",
    "children_count": "子女人数",
    "notes": "备注",
    "risk_tolerance": "风险承受能力",
    "planned_start": "计划开始时间",
    "planned_end": "计划结束时间",
    "place": "地点",
    "purpose": "目的",
    "status": "状态",
    "priority": "优先级",
    "attendees": "参加人员",
    "outcome": "结果",
    "report": "拜访纪要",
    "follow_up_due": "下次跟进日期",
    "summary": "摘要",
    "content": "内容",
    "ends_on": "截止日期",
    "severity": "严重程度",
    "urgency": "紧急程度",
    "probability": "成功概率",
    "sales_stage": "销售阶段",
    "expected_value": "预计金额",
    "product_id": "产品",
    "need_id": "关联需求",
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)
