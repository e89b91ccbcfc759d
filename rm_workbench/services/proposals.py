"""Bundle proposals: what to propose to a customer, recording it, accepting it.

:meth:`ProposalService.recommend` gathers the customer's facts and the synced catalog
from the cache and ranks them with :func:`rm_workbench.domain.recommend.recommend`.
The RM adjusts a suggestion (products, amounts) and records it; recording checks
every product again (catalog, on sale, suitability, not held, minimum amount), so a
proposal the rules would refuse is never written, whatever the screen let through.

Writes go through the outbox (:mod:`rm_workbench.sync.outbox`) in one transaction
each and return a :class:`~rm_workbench.services.changes.Change`; an accepted
proposal becomes an opportunity in the same transaction. Prices are the catalog's,
with the template's pricing for the customer's tier applied when the proposal came
from a bundle template.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import AccountStatus, CustomerCategory, ProposalStatus, SalesStage
from rm_workbench.config import BankConfig, bank_config
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_date, format_money, format_wan
from rm_workbench.domain.masking import mask
from rm_workbench.domain.recommend import (
    PERSONAL_TYPES,
    PRODUCT_TYPE_LABELS,
    CatalogBundle,
    CatalogProduct,
    CustomerFacts,
    HeldProduct,
    OpenNeed,
    Recommendation,
    TierPricing,
    priced,
    recommend,
    suitability_text,
    unsuitable_reason,
)
from rm_workbench.domain.reminders import local_date, local_today
from rm_workbench.domain.segmentation import age_on, life_stage
from rm_workbench.errors import ValidationError
from rm_workbench.models import (
    Account,
    Branch,
    BundleProposal,
    BundleTemplate,
    Customer,
    Need,
    Product,
    RelationshipManager,
)
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.needs import OPEN_NEED_STATUSES
from rm_workbench.services.records import in_book, new_number, now_or
from rm_workbench.services.scope import ScopedService
from rm_workbench.sync.outbox import insert_row, update_row

log = logging.getLogger(__name__)

PROPOSAL_STATUS_LABELS: Final = EnumLabels(ProposalStatus)
# How long a proposal stays valid when it was not made from a template.
DEFAULT_VALID_DAYS: Final = 30
# An accepted proposal is an opportunity being closed: the customer said yes, the
# products still have to be bought.
ACCEPTED_STAGE: Final = SalesStage.NEGOTIATION
ACCEPTED_PROBABILITY: Final = 70
SALES_METHOD: Final = "组合套餐"
_OPEN_STATUSES: Final = (ProposalStatus.DRAFT, ProposalStatus.RECORDED)


@dataclass(frozen=True)
class ProposalItem:
    """What the RM puts in a proposal: a product of the catalog and an amount (yuan)."""

    product_code: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class ProposalLine:
    """One product of a recorded proposal, ready to show or print."""

    product_code: str
    product_name: str
    product_type_label: str  # 定期存款 / 理财 / 保险 …
    amount: Decimal | None
    amount_text: str  # "50.00万元" or "—"
    rate: Decimal | None  # priced for the customer's tier
    fee_rate: Decimal | None
    term_months: int | None
    risk_level: str | None  # R1..R5, None outside the suitability regime
    suitability: str  # "R2 ≤ C3 适合" / "非风险产品"
    disclosure: str | None


@dataclass(frozen=True)
class ProposalSummary:
    id: str
    proposal_no: str
    title: str
    status: str  # ProposalStatus value
    status_label: str
    created_on: date
    valid_until: date | None
    total_amount: Decimal
    opportunity_id: str | None


@dataclass(frozen=True)
class ProposalView:
    """A recorded proposal with everything a printed proposal shows. Identifiers are
    masked; the documents service asks for clear values separately (audited)."""

    id: str
    proposal_no: str
    status: str
    status_label: str
    title: str
    template_code: str | None
    template_name: str | None
    customer_id: str
    customer_no: str
    customer_name: str
    masked_id_number: str
    masked_mobile_phone: str
    tier: str | None
    risk_tolerance: str | None
    risk_expires_on: date | None
    reasons: tuple[str, ...]
    lines: tuple[ProposalLine, ...]
    total_amount: Decimal
    created_at: datetime
    valid_until: date | None
    rm_name: str | None
    rm_phone: str | None
    rm_email: str | None
    branch_name: str | None
    opportunity_id: str | None


@dataclass(frozen=True)
class _Catalog:
    products: dict[str, CatalogProduct]
    product_ids: dict[str, str]
    bundles: dict[str, CatalogBundle]


class ProposalService(ScopedService):
    """Recommendations and recorded proposals for the customers of the RM's book.

    ``rm_id`` limits the service to one RM's book (None: every customer in the cache);
    a new proposal is stamped with it (else with the customer's RM). ``config`` is
    the bank configuration that names life stages (default: the one in force).
    ``user_name`` is taken like the other services take it; a proposal records the RM,
    not the login.
    """

    # --- reading ----------------------------------------------------------------

    def recommend(self, customer_id: str, *, today: date | None = None) -> Recommendation:
        """Bundles and products to propose, best first, with reasons and exclusions."""
        day = today or local_today(now_or(None))
        with self._cache.engine.connect() as conn:
            customer = self._customer(conn, customer_id)
            facts = self._facts(conn, customer, day)
            catalog = _catalog(conn)
        return recommend(
            facts,
            tuple(catalog.products.values()),
            tuple(catalog.bundles.values()),
            day,
        )

    def list_for(self, customer_id: str) -> tuple[ProposalSummary, ...]:
        """The customer's proposals, newest first."""
        query = (
            select(BundleProposal)
            .where(BundleProposal.customer_id == customer_id, BundleProposal.deleted.is_(False))
            .order_by(BundleProposal.created_at.desc(), BundleProposal.proposal_no.desc())
        )
        with self._cache.engine.connect() as conn:
            self._customer(conn, customer_id)
            return tuple(
                ProposalSummary(
                    id=row.id,
                    proposal_no=row.proposal_no,
                    title=row.title,
                    status=str(row.status),
                    status_label=PROPOSAL_STATUS_LABELS.get(row.status, str(row.status)),
                    created_on=local_date(row.created_at),
                    valid_until=row.valid_until,
                    total_amount=sum(
                        (a for _, a in _items(row.items) if a is not None), Decimal(0)
                    ),
                    opportunity_id=row.opportunity_id,
                )
                for row in conn.execute(query)
            )

    def view(self, proposal_id: str, *, now: datetime | None = None) -> ProposalView:
        """A recorded proposal ready to show or print: priced lines, suitability as of
        today, masked identifiers, the RM's contact details."""
        today = local_today(now_or(now))
        with self._cache.engine.connect() as conn:
            proposal = self._proposal(conn, proposal_id)
            customer = self._customer(conn, proposal.customer_id)
            catalog = _catalog(conn)
            rm = self._rm(conn, proposal.rm_id or customer.rm_id)
        template = catalog.bundles.get(proposal.template_code or "")
        pricing = _pricing(template, customer.tier)
        tolerance = None if customer.risk_tolerance is None else str(customer.risk_tolerance)
        lines = []
        for code, amount in _items(proposal.items):
            product = catalog.products.get(code)
            rate, fee = (None, None) if product is None else priced(product, pricing)
            risk = None if product is None else product.risk_level
            lines.append(
                ProposalLine(
                    product_code=code,
                    product_name=code if product is None else product.name,
                    product_type_label=""
                    if product is None
                    else PRODUCT_TYPE_LABELS.get(product.product_type, product.product_type),
                    amount=amount,
                    amount_text="—" if amount is None else format_wan(amount),
                    rate=rate,
                    fee_rate=fee,
                    term_months=None if product is None else product.term_months,
                    risk_level=risk,
                    suitability="产品已不在目录中"
                    if product is None
                    else suitability_text(
                        risk,
                        risk_tolerance=tolerance,
                        risk_expires_on=customer.risk_expires_on,
                        today=today,
                    ),
                    disclosure=None if product is None else product.disclosure,
                )
            )
        corporate = customer.category == CustomerCategory.CORPORATE
        identifier = (
            mask("credit_code", customer.credit_code or customer.id_number)
            if corporate
            else mask("id_number", customer.id_number)
        )
        return ProposalView(
            id=proposal.id,
            proposal_no=proposal.proposal_no,
            status=str(proposal.status),
            status_label=PROPOSAL_STATUS_LABELS.get(proposal.status, str(proposal.status)),
            title=proposal.title,
            template_code=proposal.template_code,
            template_name=None if template is None else template.name,
            customer_id=customer.id,
            customer_no=customer.customer_no,
            customer_name=customer.name,
            masked_id_number=identifier,
            masked_mobile_phone=mask("phone", customer.mobile_phone),
            tier=customer.tier,
            risk_tolerance=tolerance,
            risk_expires_on=customer.risk_expires_on,
            reasons=tuple(_texts(proposal.reasons)),
            lines=tuple(lines),
            total_amount=sum((line.amount for line in lines if line.amount), Decimal(0)),
            created_at=proposal.created_at,
            valid_until=proposal.valid_until,
            rm_name=None if rm is None else rm.name,
            rm_phone=None if rm is None else rm.phone,
            rm_email=None if rm is None else rm.email,
            branch_name=(None if rm is None else rm.branch_name) or customer.branch_name,
            opportunity_id=proposal.opportunity_id,
        )

    # --- writing ----------------------------------------------------------------

    def record(
        self,
        customer_id: str,
        *,
        title: str,
        items: Sequence[ProposalItem],
        reasons: Sequence[str],
        template_code: str | None = None,
        valid_until: date | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Record a proposal (status ``recorded``) through the outbox; it syncs. Refuses
        (ValidationError, nothing written) an unsuitable or unknown product, an item
        already held, an amount below the product's minimum, an empty proposal."""
        today = local_today(now_or(now))
        heading = check.required_text(title, "方案标题", 100)
        lines = _checked_items(items)
        why = [text for r in reasons if (text := check.optional_text(r, "推荐理由", 200))]
        if valid_until is not None and valid_until < today:
            raise ValidationError(
                f"方案有效期（{format_date(valid_until)}）不能早于今天。",
                f"valid_until {valid_until} < {today}",
            )
        with write_transaction(self._cache) as conn:
            customer = self._customer(conn, customer_id)
            facts = self._facts(conn, customer, today)
            catalog = _catalog(conn)
            template = None
            if template_code is not None and template_code.strip():
                template = _check_template(catalog, template_code.strip(), facts)
            for code, amount in lines:
                _check_item(catalog.products.get(code), code, amount, facts, today)
            days = DEFAULT_VALID_DAYS if template is None else template.valid_days
            proposal_id = insert_row(
                conn,
                "bundle_proposal",
                {
                    "proposal_no": new_number("BP", today),
                    "customer_id": customer_id,
                    "rm_id": self._rm_id or customer.rm_id,
                    "template_code": None if template is None else template.code,
                    "title": heading,
                    "status": ProposalStatus.RECORDED,
                    "items": json.dumps(
                        [
                            {"product_code": code, "amount": None if a is None else f"{a:.2f}"}
                            for code, a in lines
                        ],
                        ensure_ascii=False,
                    ),
                    "reasons": json.dumps(why, ensure_ascii=False),
                    "valid_until": valid_until or today + timedelta(days=days),
                },
            )
        return Change(
            "proposal_recorded", customer_id, (proposal_id,), frozenset({"bundle_proposal"})
        )

    def accept(self, proposal_id: str, *, now: datetime | None = None) -> Change:
        """The customer accepted: status ``accepted`` and a new opportunity linked.

        The opportunity (stage 商谈, expected value the proposal's total, product the
        first item's) and the proposal's change are written in one transaction.
        """
        today = local_today(now_or(now))
        with write_transaction(self._cache) as conn:
            proposal = self._proposal(conn, proposal_id)
            self._customer(conn, proposal.customer_id)
            _check_open(proposal, "接受")
            if proposal.valid_until is not None and proposal.valid_until < today:
                raise ValidationError(
                    f"方案 {proposal.proposal_no} 已于{format_date(proposal.valid_until)}过期，"
                    "产品价格和适当性可能已变化，请重新制作方案。",
                    f"proposal {proposal_id} valid_until {proposal.valid_until} < {today}",
                )
            lines = _items(proposal.items)
            catalog = _catalog(conn)
            amounts = [a for _, a in lines if a is not None]
            content = "；".join(
                f"{_product_name(catalog, code)} {'' if a is None else format_wan(a)}".strip()
                for code, a in lines
            )
            opportunity_id = insert_row(
                conn,
                "opportunity",
                {
                    "opportunity_no": new_number("OP", today),
                    "customer_id": proposal.customer_id,
                    "product_id": catalog.product_ids.get(lines[0][0]) if lines else None,
                    "started_on": today,
                    "ends_on": proposal.valid_until,
                    "probability": ACCEPTED_PROBABILITY,
                    "sales_method": SALES_METHOD,
                    "sales_stage": ACCEPTED_STAGE,
                    "summary": proposal.title,
                    "content": f"客户接受方案 {proposal.proposal_no}：{content}",
                    "expected_value": sum(amounts, Decimal(0)) if amounts else None,
                },
            )
            update_row(
                conn,
                "bundle_proposal",
                proposal_id,
                {"status": ProposalStatus.ACCEPTED, "opportunity_id": opportunity_id},
            )
        return Change(
            "proposal_accepted",
            proposal.customer_id,
            (proposal_id, opportunity_id),
            frozenset({"bundle_proposal", "opportunity"}),
        )

    def decline(self, proposal_id: str, *, now: datetime | None = None) -> Change:
        """The customer declined the proposal (it stays on record)."""
        with write_transaction(self._cache) as conn:
            proposal = self._proposal(conn, proposal_id)
            self._customer(conn, proposal.customer_id)
            _check_open(proposal, "标记为拒绝")
            update_row(conn, "bundle_proposal", proposal_id, {"status": ProposalStatus.DECLINED})
        return Change(
            "proposal_declined",
            proposal.customer_id,
            (proposal_id,),
            frozenset({"bundle_proposal"}),
        )

    # --- parts ------------------------------------------------------------------

    @property
    def _bank(self) -> BankConfig:
        return self._config or bank_config()

    def _customer(self, conn: Connection, customer_id: str) -> Any:
        query = (
            select(Customer, Branch.name.label("branch_name"))
            .outerjoin(Branch, Branch.id == Customer.branch_id)
            .where(Customer.id == customer_id)
        )
        return in_book(conn.execute(query).first(), customer_id, self._rm_id)

    def _proposal(self, conn: Connection, proposal_id: str) -> Any:
        row = conn.execute(select(BundleProposal).where(BundleProposal.id == proposal_id)).first()
        if row is None or row.deleted:
            raise ValidationError(
                "找不到该套餐方案（可能已被删除或随客户移交给其他客户经理），请刷新后重试。",
                f"bundle_proposal {proposal_id} not in the cache",
            )
        return row

    def _rm(self, conn: Connection, rm_id: str | None) -> Any:
        if rm_id is None:
            return None
        return conn.execute(
            select(
                RelationshipManager.name,
                RelationshipManager.phone,
                RelationshipManager.email,
                Branch.name.label("branch_name"),
            )
            .outerjoin(Branch, Branch.id == RelationshipManager.branch_id)
            .where(RelationshipManager.id == rm_id)
        ).first()

    def _facts(self, conn: Connection, customer: Any, today: date) -> CustomerFacts:
        individual = customer.category != CustomerCategory.CORPORATE
        stage = (
            life_stage(
                birth_date=customer.birth_date,
                marital_status=customer.marital_status,
                children_count=customer.children_count,
                today=today,
                config=self._bank,
            )
            if individual
            else None
        )
        holdings = tuple(
            HeldProduct(
                product_code=row.code,
                product_name=row.product_name,
                product_type=str(row.account_type),
                balance=row.balance,
                # Maturing money is talked about in yuan; a holding in another
                # currency still counts as held, but not as yuan to reinvest.
                matures_on=row.matures_on if row.currency == "CNY" else None,
            )
            for row in conn.execute(
                select(
                    Product.code,
                    Account.product_name,
                    Account.account_type,
                    Account.balance,
                    Account.currency,
                    Account.matures_on,
                )
                .outerjoin(Product, Product.id == Account.product_id)
                .where(
                    Account.customer_id == customer.id,
                    Account.deleted.is_(False),
                    Account.status.in_((AccountStatus.OPEN, AccountStatus.FROZEN)),
                )
                .order_by(Account.account_no)
            )
        )
        needs = tuple(
            OpenNeed(category=str(row.category), summary=row.summary, started_on=row.started_on)
            for row in conn.execute(
                select(Need.category, Need.summary, Need.started_on)
                .where(
                    Need.customer_id == customer.id,
                    Need.deleted.is_(False),
                    Need.status.in_(OPEN_NEED_STATUSES),
                )
                .order_by(Need.started_on, Need.need_no)
            )
        )
        return CustomerFacts(
            customer_id=customer.id,
            name=customer.name,
            category=str(customer.category),
            age=None
            if not individual or customer.birth_date is None
            else age_on(customer.birth_date, today),
            life_stage=None if stage is None else stage.name,
            tier=customer.tier,
            aum=customer.aum,
            risk_tolerance=None
            if customer.risk_tolerance is None
            else str(customer.risk_tolerance),
            risk_expires_on=customer.risk_expires_on,
            holdings=holdings,
            open_needs=needs,
        )


# --- catalog and checks -------------------------------------------------------------


def _catalog(conn: Connection) -> _Catalog:
    products: dict[str, CatalogProduct] = {}
    ids: dict[str, str] = {}
    for row in conn.execute(select(Product).where(Product.deleted.is_(False))):
        ids[row.code] = row.id
        products[row.code] = CatalogProduct(
            code=row.code,
            name=row.name,
            product_type=str(row.product_type),
            risk_level=None if row.risk_level is None else str(row.risk_level),
            min_amount=row.min_amount,
            term_months=row.term_months,
            rate=row.rate,
            fee_rate=row.fee_rate,
            target_life_stages=tuple(row.target_life_stages or ()),
            target_tiers=tuple(row.target_tiers or ()),
            description=row.description,
            disclosure=row.disclosure,
            on_sale=bool(row.on_sale),
        )
    bundles = {
        row.code: CatalogBundle(
            code=row.code,
            name=row.name,
            description=row.description,
            target_life_stages=tuple(row.target_life_stages or ()),
            target_tiers=tuple(row.target_tiers or ()),
            need_categories=tuple(row.need_categories or ()),
            product_codes=tuple(row.product_codes or ()),
            min_aum=row.min_aum,
            pricing=_tier_pricing(row.code, row.tier_pricing),
            valid_days=row.valid_days,
            on_sale=bool(row.on_sale),
        )
        for row in conn.execute(select(BundleTemplate).where(BundleTemplate.deleted.is_(False)))
    }
    return _Catalog(products, ids, bundles)


def _tier_pricing(code: str, text: str | None) -> dict[str, TierPricing]:
    """``{"顶级": {"rate_bonus": "0.0020", "fee_discount": "0.5"}}`` → TierPricing by
    tier. The central CRM checks the JSON when it is published; a template that still
    arrives broken is priced at list prices (and logged), never guessed."""
    try:
        raw = json.loads(text or "{}")
        return {
            str(tier): TierPricing(
                rate_bonus=Decimal(str(terms.get("rate_bonus", "0"))),
                fee_discount=Decimal(str(terms.get("fee_discount", "1"))),
            )
            for tier, terms in raw.items()
        }
    except (ValueError, TypeError, AttributeError, InvalidOperation) as exc:
        log.warning("bundle template %s: unreadable tier_pricing %r (%s)", code, text, exc)
        return {}


def _pricing(template: CatalogBundle | None, tier: str | None) -> TierPricing | None:
    if template is None or tier is None:
        return None
    return template.pricing.get(tier)


def _checked_items(items: Sequence[ProposalItem]) -> list[tuple[str, Decimal | None]]:
    if not items:
        raise ValidationError("方案中还没有产品，请至少选择一个产品。", "empty proposal")
    lines: list[tuple[str, Decimal | None]] = []
    for item in items:
        code = (item.product_code or "").strip()
        if not code:
            raise ValidationError("方案中有一项没有选择产品。", "item without product_code")
        if any(code == known for known, _ in lines):
            raise ValidationError(
                f"产品 {code} 在方案中出现了两次，请合并为一项。", f"duplicate item {code}"
            )
        lines.append((code, check.yuan(item.amount, f"产品 {code} 的金额")))
    return lines


def _check_template(catalog: _Catalog, code: str, facts: CustomerFacts) -> CatalogBundle:
    template = catalog.bundles.get(code)
    if template is None:
        raise ValidationError(
            f"套餐模板 {code} 不在产品目录中，请同步后重新选择。", f"bundle_template {code}"
        )
    if not template.on_sale:
        raise ValidationError(
            f"套餐“{template.name}”已停止办理，不能再用它制作方案。",
            f"bundle_template {code} off sale",
        )
    if template.min_aum is not None and facts.aum < template.min_aum:
        raise ValidationError(
            f"套餐“{template.name}”面向金融资产{format_wan(template.min_aum)}以上的客户，"
            f"该客户目前为{format_wan(facts.aum)}。",
            f"aum {facts.aum} < min_aum {template.min_aum}",
        )
    return template


def _check_item(
    product: CatalogProduct | None,
    code: str,
    amount: Decimal | None,
    facts: CustomerFacts,
    today: date,
) -> None:
    if product is None:
        raise ValidationError(
            f"产品 {code} 不在产品目录中，请同步后重新选择。", f"product {code} unknown"
        )
    label = f"“{product.name}”（{code}）"
    if not product.on_sale:
        raise ValidationError(f"产品{label}已停售，不能放入方案。", f"product {code} off sale")
    if any(h.product_code == code for h in facts.holdings):
        raise ValidationError(
            f"客户已持有产品{label}，不要重复推荐。", f"product {code} already held"
        )
    reason = unsuitable_reason(
        product.risk_level,
        risk_tolerance=facts.risk_tolerance,
        risk_expires_on=facts.risk_expires_on,
        today=today,
    )
    if reason is not None:
        raise ValidationError(
            f"产品{label}不适合该客户：{reason}。", f"product {code} unsuitable: {reason}"
        )
    if facts.category == CustomerCategory.CORPORATE and product.product_type in PERSONAL_TYPES:
        raise ValidationError(
            f"产品{label}是个人客户产品，不能推荐给对公客户。", f"product {code} personal"
        )
    if amount is not None and product.min_amount is not None and amount < product.min_amount:
        raise ValidationError(
            f"产品{label}的起购金额为{format_money(product.min_amount)}，"
            f"方案中填写的{format_money(amount)}低于起购金额。",
            f"product {code} amount {amount} < min {product.min_amount}",
        )


def _check_open(proposal: Any, action: str) -> None:
    if proposal.status not in _OPEN_STATUSES:
        label = PROPOSAL_STATUS_LABELS.get(proposal.status, str(proposal.status))
        raise ValidationError(
            f"方案 {proposal.proposal_no} 已是“{label}”状态，不能再{action}。",
            f"proposal {proposal.id} status {proposal.status}",
        )


def _items(text: str | None) -> list[tuple[str, Decimal | None]]:
    """The items JSON of a stored proposal as (product code, amount)."""
    items = []
    for item in json.loads(text or "[]"):
        amount = item.get("amount")
        items.append((str(item["product_code"]), None if amount is None else Decimal(amount)))
    return items


def _texts(text: str | None) -> list[str]:
    return [str(reason) for reason in json.loads(text or "[]")]


def _product_name(catalog: _Catalog, code: str) -> str:
    product = catalog.products.get(code)
    return code if product is None else product.name
