"""Closed vocabularies of the bank's data model.

Tier names are *not* here: they are bank configuration (``resources/bank.toml``).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def enum_column(enum_cls: type[StrEnum], length: int = 16) -> Enum:
    """Stored as the enum's value text, no database CHECK (vocabularies may grow)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class CustomerCategory(StrEnum):
    INDIVIDUAL = "individual"
    CORPORATE = "corporate"


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
    CREDIT_CODE = "credit_code"  # 统一社会信用代码 (corporate)
    OTHER = "other"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"
    UNKNOWN = "unknown"


class Education(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    COLLEGE = "college"  # 大专
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"
    UNKNOWN = "unknown"


class RiskTolerance(StrEnum):
    """Assessed risk tolerance of a customer (C1 conservative … C5 aggressive)."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class RiskLevel(StrEnum):
    """Risk level of a product (R1 lowest … R5 highest)."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class LifecycleStatus(StrEnum):
    POTENTIAL = "potential"  # 潜在
    ACTIVE = "active"  # 活跃
    DORMANT = "dormant"  # 沉寂
    LOST = "lost"  # 流失


class GroupKind(StrEnum):
    HOUSEHOLD = "household"  # 家庭
    CORPORATE_GROUP = "corporate_group"  # 集团


class GroupRole(StrEnum):
    HEAD = "head"  # 户主 / 母公司
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    OTHER_RELATIVE = "relative"
    SUBSIDIARY = "subsidiary"
    CONTROLLER = "controller"  # 实际控制人
    LEGAL_REPRESENTATIVE = "legal_rep"
    MEMBER = "member"


class ProductType(StrEnum):
    DEMAND_DEPOSIT = "demand_deposit"  # 活期
    TIME_DEPOSIT = "time_deposit"  # 定期
    LARGE_CD = "large_cd"  # 大额存单
    WEALTH = "wealth"  # 理财
    FUND = "fund"  # 基金
    INSURANCE = "insurance"  # 保险
    MORTGAGE = "mortgage"  # 房贷
    CONSUMER_LOAN = "consumer_loan"  # 消费贷 / 车贷
    EDUCATION_LOAN = "education_loan"  # 助学 / 留学贷
    BUSINESS_LOAN = "business_loan"
    CREDIT_CARD = "credit_card"
    PENSION = "pension"  # 个人养老金
    GOLD = "gold"
    TRUST = "trust"  # 家族信托


class AccountStatus(StrEnum):
    OPEN = "open"
    MATURED = "matured"
    CLOSED = "closed"
    FROZEN = "frozen"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class VisitCategory(StrEnum):
    HOME = "home"  # 上门拜访
    BRANCH = "branch"  # 网点面谈
    COMPANY = "company"  # 企业走访
    EVENT = "event"  # 客户活动
    PHONE = "phone"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ContactChannel(StrEnum):
    PHONE = "phone"
    WECHAT = "wechat"
    SMS = "sms"
    EMAIL = "email"
    BRANCH = "branch"
    VISIT = "visit"


class NeedStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    MET = "met"
    CLOSED = "closed"


class NeedCategory(StrEnum):
    EDUCATION = "education"
    HOUSING = "housing"
    CAR = "car"
    RETIREMENT = "retirement"
    INSURANCE = "insurance"
    INVESTMENT = "investment"
    WEALTH_TRANSFER = "wealth_transfer"
    FINANCING = "financing"
    SETTLEMENT = "settlement"
    OTHER = "other"


class SalesStage(StrEnum):
    LEAD = "lead"  # 线索
    QUALIFIED = "qualified"  # 已确认
    PROPOSAL = "proposal"  # 方案
    NEGOTIATION = "negotiation"  # 商谈
    WON = "won"
    LOST = "lost"


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    RECORDED = "recorded"
    ACCEPTED = "accepted"
    DECLINED = "declined"
