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
    "bundle_template": "套餐模板",
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
    "customer_id": "客户",
    "rm_id": "客户经理",
    "visit_no": "拜访编号",
    "need_no": "需求编号",
    "opportunity_no": "商机编号",
    "contact_no": "联系记录编号",
    "proposal_no": "方案编号",
    "category": "类别",
    "started_on": "开始日期",
    "started_at": "开始时间",
    "ended_at": "结束时间",
    "actual_start": "实际开始时间",
    "actual_end": "实际结束时间",
    "cost": "费用",
    "sub_status": "子状态",
    "channel": "联系方式",
    "call_made": "已拨打电话",
    "sales_method": "销售方式",
    "user_name": "记录人",
    "title": "方案名称",
    "valid_until": "有效期至",
    "risk_assessed_on": "风险评估日期",
    "risk_expires_on": "风险评估到期日",
    "group_id": "客户群",
    "role": "成员角色",
    "valid_from": "起始日期",
    "valid_to": "终止日期",
    "template_code": "套餐模板",
    "items": "方案内容",
    "reasons": "推荐理由",
    "opportunity_id": "关联商机",
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field, field)
