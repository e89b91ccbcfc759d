"""Opportunities (商机): sales opportunities, linked to a need and a catalog product.

An opportunity recorded by mistake may be deleted, unless a bundle proposal the
customer accepted opened it (the proposal points at it): that one is marked lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, select

from rm_contract.labels import EnumLabels
from rm_contract.vocabulary import SalesStage
from rm_workbench.domain import validation as check
from rm_workbench.domain.formatting import format_wan
from rm_workbench.domain.reminders import local_today
from rm_workbench.errors import ValidationError
from rm_workbench.models import BundleProposal, Need, Opportunity, Product
from rm_workbench.services.changes import Change, write_transaction
from rm_workbench.services.records import (
    UNSET,
    RecordService,
    _Unset,
    book_customer,
    new_number,
    not_found,
    now_or,
)
from rm_workbench.sync.outbox import delete_row, insert_row, update_row

SALES_STAGE_LABELS: Final = EnumLabels(SalesStage)

OPEN_SALES_STAGES: Final = (
    SalesStage.LEAD,
    SalesStage.QUALIFIED,
    SalesStage.PROPOSAL,
    SalesStage.NEGOTIATION,
)
DEFAULT_PROBABILITY: Final = 10


@dataclass(frozen=True)
class ProductChoice:
    """A catalog product an opportunity may be linked to."""

    id: str
    code: str
    name: str
    product_type: str
    risk_level: str | None


@dataclass(frozen=True)
class OpportunityItem:
    id: str
    opportunity_no: str
    customer_id: str
    summary: str
    content: str | None
    started_on: date
    ends_on: date | None
    probability: int
    sales_method: str | None
    sales_stage: str
    stage_label: str
    expected_value: Decimal | None
    expected_value_text: str  # 万元, "" when unknown
    need_id: str | None
    product_id: str | None
    product_name: str | None
    is_open: bool


class OpportunityService(RecordService):
    """The opportunities of the customers in the RM's book, and the catalog products
    they may be linked to."""

    # --- reading ----------------------------------------------------------------

    def opportunities(self, customer_id: str, *, open_only: bool = False) -> list[OpportunityItem]:
        """The customer's opportunities, open ones first, then newest first."""
        query = (
            select(Opportunity, Product.name)
            .outerjoin(Product, Product.id == Opportunity.product_id)
            .where(Opportunity.customer_id == customer_id, Opportunity.deleted.is_(False))
        )
        if open_only:
            query = query.where(Opportunity.sales_stage.in_(OPEN_SALES_STAGES))
        with self._cache.session() as session:
            items = [_opportunity_item(o, name) for o, name in session.execute(query)]
        items.sort(key=lambda o: (not o.is_open, -o.started_on.toordinal(), o.opportunity_no))
        return items

    def opportunity(self, opportunity_id: str) -> OpportunityItem:
        query = (
            select(Opportunity, Product.name)
            .outerjoin(Product, Product.id == Opportunity.product_id)
            .where(Opportunity.id == opportunity_id, Opportunity.deleted.is_(False))
        )
        with self._cache.session() as session:
            row = session.execute(query).first()
            if row is None:
                raise not_found("商机", opportunity_id)
            return _opportunity_item(row[0], row[1])

    def products(self) -> list[ProductChoice]:
        """The catalog's products on sale, by type then name, for linking to an
        opportunity."""
        query = (
            select(Product.id, Product.code, Product.name, Product.product_type, Product.risk_level)
            .where(Product.deleted.is_(False), Product.on_sale.is_(True))
            .order_by(Product.product_type, Product.name, Product.code)
        )
        with self._cache.engine.connect() as conn:
            return [
                ProductChoice(
                    id=row.id,
                    code=row.code,
                    name=row.name,
                    product_type=str(row.product_type),
                    risk_level=None if row.risk_level is None else str(row.risk_level),
                )
                for row in conn.execute(query)
            ]

    # --- recording --------------------------------------------------------------

    def add_opportunity(
        self,
        customer_id: str,
        *,
        summary: str,
        content: str | None = None,
        started_on: date | None = None,
        ends_on: date | None = None,
        probability: int | str | None = None,
        sales_stage: SalesStage | str = SalesStage.LEAD,
        sales_method: str | None = None,
        expected_value: Decimal | int | str | None = None,
        need_id: str | None = None,
        product_id: str | None = None,
        now: datetime | None = None,
    ) -> Change:
        """Record a sales opportunity, optionally linked to a need and a product.

        ``expected_value`` is in yuan (Decimal or text, at most 2 decimals). Without
        a ``probability`` a new lead gets 10%, a won one 100%, a lost one 0%.
        """
        start = started_on or local_today(now_or(now))
        stage = check.choice(SalesStage, sales_stage, "销售阶段")
        given = None if probability is None else check.probability(probability)
        implied = _stage_probability(stage, given)
        values: dict[str, Any] = {
            "summary": check.required_text(summary, "商机概要", 200),
            "content": check.optional_text(content, "商机内容"),
            "started_on": start,
            "ends_on": ends_on,
            "probability": DEFAULT_PROBABILITY if implied is None else implied,
            "sales_stage": stage,
            "sales_method": check.optional_text(sales_method, "销售方式", 32),
            "expected_value": check.yuan(expected_value, "预期金额"),
            "need_id": need_id,
            "product_id": product_id,
        }
        check.dates_in_order(start, ends_on, "商机开始日期", "预计结束日期")
        with write_transaction(self._cache) as conn:
            book_customer(conn, customer_id, self._rm_id)
            self._check_links(conn, customer_id, need_id, product_id)
            opportunity_id = insert_row(
                conn,
                "opportunity",
                {
                    **values,
                    "customer_id": customer_id,
                    "opportunity_no": new_number("OP", start),
                },
            )
        return Change(
            "opportunity_added", customer_id, (opportunity_id,), frozenset({"opportunity"})
        )

    def edit_opportunity(
        self,
        opportunity_id: str,
        *,
        summary: str | _Unset = UNSET,
        content: str | _Unset | None = UNSET,
        started_on: date | _Unset = UNSET,
        ends_on: date | _Unset | None = UNSET,
        probability: int | str | _Unset = UNSET,
        sales_stage: SalesStage | str | _Unset = UNSET,
        sales_method: str | _Unset | None = UNSET,
        expected_value: Decimal | int | str | _Unset | None = UNSET,
        need_id: str | _Unset | None = UNSET,
        product_id: str | _Unset | None = UNSET,
        seen: Mapping[str, Any] | None = None,
    ) -> Change:
        """Change an opportunity: stage, probability, expected value, links, dates.

        Arguments left out stay as they are. Moving to 已成交 sets the probability to
        100 and to 已丢单 sets it to 0, unless a probability is given (which must then
        agree with the stage). ``seen``: as for
        :meth:`~rm_workbench.services.needs.NeedService.edit_need`.
        """
        changes: dict[str, Any] = {}
        if not isinstance(summary, _Unset):
            changes["summary"] = check.required_text(summary, "商机概要", 200)
        if not isinstance(content, _Unset):
            changes["content"] = check.optional_text(content, "商机内容")
        if not isinstance(started_on, _Unset):
            changes["started_on"] = started_on
        if not isinstance(ends_on, _Unset):
            changes["ends_on"] = ends_on
        given_probability = None
        if not isinstance(probability, _Unset):
            given_probability = check.probability(probability)
            changes["probability"] = given_probability
        if not isinstance(sales_stage, _Unset):
            stage = check.choice(SalesStage, sales_stage, "销售阶段")
            changes["sales_stage"] = stage
            implied = _stage_probability(stage, given_probability)
            if implied is not None:
                changes["probability"] = implied
        if not isinstance(sales_method, _Unset):
            changes["sales_method"] = check.optional_text(sales_method, "销售方式", 32)
        if not isinstance(expected_value, _Unset):
            changes["expected_value"] = check.yuan(expected_value, "预期金额")
        if not isinstance(need_id, _Unset):
            changes["need_id"] = need_id
        if not isinstance(product_id, _Unset):
            changes["product_id"] = product_id
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Opportunity, opportunity_id, "商机")
            check.dates_in_order(
                changes.get("started_on", current.started_on),
                changes.get("ends_on", current.ends_on),
                "商机开始日期",
                "预计结束日期",
            )
            if "probability" in changes and "sales_stage" not in changes:
                _stage_probability(current.sales_stage, changes["probability"])
            self._check_links(
                conn,
                current.customer_id,
                changes.get("need_id"),
                changes.get("product_id"),
            )
            update_row(conn, "opportunity", opportunity_id, changes, seen)
        return Change(
            "opportunity_edited",
            current.customer_id,
            (opportunity_id,),
            frozenset({"opportunity"}),
        )

    # --- deleting what was recorded by mistake --------------------------------------

    def delete_opportunity(self, opportunity_id: str) -> Change:
        """Delete an opportunity recorded by mistake. One opened by accepting a bundle
        proposal is refused (the proposal points at it): mark it lost instead."""
        with write_transaction(self._cache) as conn:
            current = self._owned(conn, Opportunity, opportunity_id, "商机")
            proposal = conn.execute(
                select(BundleProposal.proposal_no)
                .where(BundleProposal.opportunity_id == opportunity_id)
                .limit(1)
            ).scalar()
            if proposal is not None:
                raise ValidationError(
                    f"该商机由客户接受的方案 {proposal} 生成，不能删除；"
                    "如客户改变主意，请把商机标记为“已丢单”。",
                    f"opportunity {opportunity_id} referenced by proposal {proposal}",
                )
            delete_row(conn, "opportunity", opportunity_id)
        return Change(
            "opportunity_deleted",
            current.customer_id,
            (opportunity_id,),
            frozenset({"opportunity"}),
        )

    # --- checks -------------------------------------------------------------------

    def _check_links(
        self, conn: Connection, customer_id: str, need_id: str | None, product_id: str | None
    ) -> None:
        if need_id is not None:
            need = conn.execute(
                select(Need.customer_id, Need.deleted).where(Need.id == need_id)
            ).first()
            if need is None or need.deleted or need.customer_id != customer_id:
                raise ValidationError(
                    "所选的客户需求不属于该客户（或已被删除），不能关联。",
                    f"need {need_id} for customer {customer_id}",
                )
        if product_id is not None:
            product = conn.execute(select(Product.deleted).where(Product.id == product_id)).first()
            if product is None or product.deleted:
                raise ValidationError(
                    "所选产品不在产品目录中，不能关联；请同步后重新选择。",
                    f"product {product_id}",
                )


def _stage_probability(stage: SalesStage | str, probability: int | None) -> int | None:
    """The probability a stage implies (won 100, lost 0); a given one must agree."""
    implied = {SalesStage.WON: 100, SalesStage.LOST: 0}.get(SalesStage(stage))
    if implied is None:
        return probability
    if probability is not None and probability != implied:
        raise ValidationError(
            f"销售阶段为“{SALES_STAGE_LABELS[stage]}”时，成功概率应为 {implied}%，"
            f"现在是 {probability}%。",
            f"stage {stage} probability {probability}",
        )
    return implied


def _opportunity_item(opportunity: Opportunity, product_name: str | None) -> OpportunityItem:
    value = opportunity.expected_value
    return OpportunityItem(
        id=opportunity.id,
        opportunity_no=opportunity.opportunity_no,
        customer_id=opportunity.customer_id,
        summary=opportunity.summary,
        content=opportunity.content,
        started_on=opportunity.started_on,
        ends_on=opportunity.ends_on,
        probability=opportunity.probability,
        sales_method=opportunity.sales_method,
        sales_stage=str(opportunity.sales_stage),
        stage_label=SALES_STAGE_LABELS.get(opportunity.sales_stage, str(opportunity.sales_stage)),
        expected_value=value,
        expected_value_text="" if value is None else format_wan(value),
        need_id=opportunity.need_id,
        product_id=opportunity.product_id,
        product_name=product_name,
        is_open=opportunity.sales_stage in OPEN_SALES_STAGES,
    )
