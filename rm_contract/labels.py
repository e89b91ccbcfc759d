"""How the bank's words are named to a person, in Chinese or English, in one place.

* :data:`ENUM_LABELS`: every closed vocabulary's values (:mod:`rm_contract.vocabulary`)
  with their Chinese and English labels; :class:`EnumLabels` reads one vocabulary in
  the language in force, as a mapping (``PRODUCT_TYPE_LABELS[value]``), so a screen,
  a document or an export never keeps a copy of its own.
* :func:`set_language`: the language in force (``zh_CN`` unless the RM chose ``en``);
  the workbench sets it at start-up (``--lang``), no Qt needed.
* :func:`table_label` and :func:`field_label`: tables and fields in messages from
  either program (conflicts, refusals).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum

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
    ProposalStatus,
    SalesStage,
    VisitCategory,
    VisitStatus,
)

_language = "zh"


def set_language(code: str) -> None:
    """``en…``: English labels; anything else: Simplified Chinese."""
    global _language
    _language = "en" if code.lower().startswith("en") else "zh"


def language() -> str:
    """``zh`` or ``en``."""
    return _language


# value -> (Chinese, English), per vocabulary.
ENUM_LABELS: dict[type[StrEnum], dict[str, tuple[str, str]]] = {
    CustomerCategory: {
        CustomerCategory.INDIVIDUAL: ("个人客户", "Individual"),
        CustomerCategory.CORPORATE: ("对公客户", "Corporate"),
    },
    Gender: {
        Gender.MALE: ("男", "Male"),
        Gender.FEMALE: ("女", "Female"),
        Gender.UNKNOWN: ("未知", "Unknown"),
    },
    IdType: {
        IdType.RESIDENT_ID: ("居民身份证", "Resident ID card"),
        IdType.PASSPORT: ("护照", "Passport"),
        IdType.HK_MACAO_PERMIT: ("港澳居民来往内地通行证", "Hong Kong/Macao travel permit"),
        IdType.TAIWAN_PERMIT: ("台湾居民来往大陆通行证", "Taiwan travel permit"),
        IdType.FOREIGN_PERMANENT: ("外国人永久居留身份证", "Foreign permanent resident ID"),
        IdType.CREDIT_CODE: ("统一社会信用代码", "Unified social credit code"),
        IdType.OTHER: ("其他证件", "Other document"),
    },
    Education: {
        Education.PRIMARY: ("小学", "Primary school"),
        Education.SECONDARY: ("中学", "Secondary school"),
        Education.COLLEGE: ("大专", "Junior college"),
        Education.BACHELOR: ("本科", "Bachelor's"),
        Education.MASTER: ("硕士", "Master's"),
        Education.DOCTORATE: ("博士", "Doctorate"),
        Education.UNKNOWN: ("未知", "Unknown"),
    },
    MaritalStatus: {
        MaritalStatus.SINGLE: ("未婚", "Single"),
        MaritalStatus.MARRIED: ("已婚", "Married"),
        MaritalStatus.DIVORCED: ("离异", "Divorced"),
        MaritalStatus.WIDOWED: ("丧偶", "Widowed"),
        MaritalStatus.UNKNOWN: ("未知", "Unknown"),
    },
    LifecycleStatus: {
        LifecycleStatus.POTENTIAL: ("潜在", "Potential"),
        LifecycleStatus.ACTIVE: ("活跃", "Active"),
        LifecycleStatus.DORMANT: ("沉寂", "Dormant"),
        LifecycleStatus.LOST: ("流失", "Lost"),
    },
    GroupKind: {
        GroupKind.HOUSEHOLD: ("家庭", "Household"),
        GroupKind.CORPORATE_GROUP: ("集团", "Corporate group"),
    },
    GroupRole: {
        GroupRole.HEAD: ("户主", "Head"),
        GroupRole.SPOUSE: ("配偶", "Spouse"),
        GroupRole.CHILD: ("子女", "Child"),
        GroupRole.PARENT: ("父母", "Parent"),
        GroupRole.OTHER_RELATIVE: ("亲属", "Relative"),
        GroupRole.SUBSIDIARY: ("子公司", "Subsidiary"),
        GroupRole.CONTROLLER: ("实际控制人", "Actual controller"),
        GroupRole.LEGAL_REPRESENTATIVE: ("法定代表人", "Legal representative"),
        GroupRole.MEMBER: ("成员", "Member"),
    },
    ProductType: {
        ProductType.DEMAND_DEPOSIT: ("活期存款", "Demand deposit"),
        ProductType.TIME_DEPOSIT: ("定期存款", "Time deposit"),
        ProductType.LARGE_CD: ("大额存单", "Large-denomination CD"),
        ProductType.WEALTH: ("理财产品", "Wealth management product"),
        ProductType.FUND: ("基金", "Fund"),
        ProductType.INSURANCE: ("保险", "Insurance"),
        ProductType.MORTGAGE: ("住房贷款", "Mortgage"),
        ProductType.CONSUMER_LOAN: ("消费贷款", "Consumer loan"),
        ProductType.EDUCATION_LOAN: ("助学贷款", "Education loan"),
        ProductType.BUSINESS_LOAN: ("经营贷款", "Business loan"),
        ProductType.CREDIT_CARD: ("信用卡", "Credit card"),
        ProductType.PENSION: ("个人养老金", "Private pension"),
        ProductType.GOLD: ("贵金属", "Precious metals"),
        ProductType.TRUST: ("家族信托", "Family trust"),
    },
    AccountStatus: {
        AccountStatus.OPEN: ("正常", "Open"),
        AccountStatus.MATURED: ("已到期", "Matured"),
        AccountStatus.CLOSED: ("已销户", "Closed"),
        AccountStatus.FROZEN: ("冻结", "Frozen"),
    },
    VisitStatus: {
        VisitStatus.PLANNED: ("计划中", "Planned"),
        VisitStatus.DONE: ("已完成", "Done"),
        VisitStatus.CANCELLED: ("已取消", "Cancelled"),
    },
    VisitCategory: {
        VisitCategory.HOME: ("上门拜访", "Home visit"),
        VisitCategory.BRANCH: ("网点面谈", "Branch meeting"),
        VisitCategory.COMPANY: ("企业走访", "Company visit"),
        VisitCategory.EVENT: ("客户活动", "Customer event"),
        VisitCategory.PHONE: ("电话拜访", "Phone call"),
    },
    Priority: {
        Priority.LOW: ("低", "Low"),
        Priority.NORMAL: ("普通", "Normal"),
        Priority.HIGH: ("高", "High"),
        Priority.URGENT: ("紧急", "Urgent"),
    },
    ContactChannel: {
        ContactChannel.PHONE: ("电话", "Phone"),
        ContactChannel.WECHAT: ("微信", "WeChat"),
        ContactChannel.SMS: ("短信", "SMS"),
        ContactChannel.EMAIL: ("邮件", "Email"),
        ContactChannel.BRANCH: ("网点面谈", "At the branch"),
        ContactChannel.VISIT: ("拜访", "Visit"),
    },
    NeedStatus: {
        NeedStatus.OPEN: ("待跟进", "Open"),
        NeedStatus.IN_PROGRESS: ("跟进中", "In progress"),
        NeedStatus.MET: ("已满足", "Met"),
        NeedStatus.CLOSED: ("已关闭", "Closed"),
    },
    NeedCategory: {
        NeedCategory.EDUCATION: ("子女教育", "Children's education"),
        NeedCategory.HOUSING: ("住房", "Housing"),
        NeedCategory.CAR: ("购车", "Car"),
        NeedCategory.RETIREMENT: ("养老规划", "Retirement"),
        NeedCategory.INSURANCE: ("保险保障", "Insurance cover"),
        NeedCategory.INVESTMENT: ("投资理财", "Investment"),
        NeedCategory.WEALTH_TRANSFER: ("财富传承", "Wealth transfer"),
        NeedCategory.FINANCING: ("融资", "Financing"),
        NeedCategory.SETTLEMENT: ("结算", "Settlement"),
        NeedCategory.OTHER: ("其他", "Other"),
    },
    SalesStage: {
        SalesStage.LEAD: ("线索", "Lead"),
        SalesStage.QUALIFIED: ("已确认", "Qualified"),
        SalesStage.PROPOSAL: ("方案", "Proposal"),
        SalesStage.NEGOTIATION: ("商谈", "Negotiation"),
        SalesStage.WON: ("已成交", "Won"),
        SalesStage.LOST: ("已丢单", "Lost"),
    },
    ProposalStatus: {
        ProposalStatus.DRAFT: ("草稿", "Draft"),
        ProposalStatus.RECORDED: ("待客户答复", "Awaiting the customer"),
        ProposalStatus.ACCEPTED: ("客户已接受", "Accepted"),
        ProposalStatus.DECLINED: ("客户已拒绝", "Declined"),
    },
}


class EnumLabels(Mapping[str, str]):
    """One vocabulary's labels in the language in force, read at each lookup (the
    language is set after modules are imported). Keys are the values (a member or
    its text); iteration follows the vocabulary's order."""

    def __init__(self, vocabulary: type[StrEnum]) -> None:
        self.vocabulary = vocabulary
        self._labels = ENUM_LABELS[vocabulary]

    def __getitem__(self, value: str) -> str:
        zh, en = self._labels[value]
        return en if _language == "en" else zh

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def label(value: StrEnum) -> str:
    """One value's label in the language in force."""
    return EnumLabels(type(value))[value]


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
