"""Recorded and accepted bundle proposals travel to the real central CRM on loopback
(SQLite and PostgreSQL), with the opportunity an accepted one becomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from rm_workbench.services.proposals import ProposalItem, ProposalService
from tests.central.conftest import Book, Service, fetch, insert_rows, synced_row
from tests.central.test_sync_client import Device


@pytest.fixture
def catalog(svc: Service, book: Book) -> dict[str, str]:
    """Two products and a bundle template published by the bank; ids by code."""
    products = [
        synced_row(
            code="CD-3Y", name="大额存单 3年期", product_type="large_cd",
            min_amount=Decimal("200000.00"), term_months=36, rate=Decimal("0.0215"),
            currency="CNY", target_life_stages=[], target_tiers=["黄金", "顶级"], on_sale=True,
        ),
        synced_row(
            code="INS-CI", name="守护安康重疾险", product_type="insurance",
            min_amount=Decimal("5000.00"), term_months=240, rate=None, currency="CNY",
            target_life_stages=["事业稳定期"], target_tiers=[], on_sale=True,
        ),
    ]  # fmt: skip
    insert_rows(svc.engine, "product", products)
    template = synced_row(
        code="BDL-REINVEST", name="到期资金续配套餐", description="到期资金续作",
        target_life_stages=[], target_tiers=[], need_categories=["investment"],
        product_codes=["CD-3Y", "INS-CI"], min_aum=None,
        tier_pricing=json.dumps({"黄金": {"rate_bonus": "0.0010", "fee_discount": "0.8"}}),
        valid_days=15, on_sale=True,
    )  # fmt: skip
    insert_rows(svc.engine, "bundle_template", [template])
    return {p["code"]: p["id"] for p in products}


@pytest.fixture
def alice(svc: Service, book: Book, catalog: dict[str, str], tmp_path: Path) -> Iterator[Device]:
    device = Device(svc, tmp_path, "alice")
    report = device.sync()
    assert report.converged is True
    yield device
    device.close()


def proposals(device: Device, book: Book) -> ProposalService:
    return ProposalService(device.cache, rm_id=book.rms["a"])


def record(device: Device, book: Book) -> str:
    return (
        proposals(device, book)
        .record(
            book.customers["a1"],
            title="到期资金续配方案",
            items=[
                ProposalItem("CD-3Y", Decimal("500000")),
                ProposalItem("INS-CI", Decimal("6000")),
            ],
            reasons=["定期存款 50万元 将于 1月2日 到期"],
            template_code="BDL-REINVEST",
        )
        .id
    )


def test_the_synced_catalog_feeds_the_recommendation(alice: Device, book: Book) -> None:
    # a1: gold tier, 36 and of unknown marital status (事业稳定期), no risk assessment,
    # a 50万 time deposit (TD3Y) maturing on 2 January 2027.
    result = proposals(alice, book).recommend(book.customers["a1"], today=date(2026, 11, 25))
    (reinvest,) = result.bundles
    assert reinvest.template_code == "BDL-REINVEST"
    assert "定期存款 50万元 将于 1月2日 到期" in reinvest.reasons
    assert [(i.product_code, i.amount, i.rate) for i in reinvest.items] == [
        ("CD-3Y", Decimal("500000.00"), Decimal("0.0225")),
        ("INS-CI", Decimal("5000.00"), None),
    ]
    assert "TD3Y" not in {p.product_code for p in result.products}  # held


def test_a_recorded_then_accepted_proposal_reaches_the_central_crm(
    alice: Device, book: Book, svc: Service, catalog: dict[str, str]
) -> None:
    proposal_id = record(alice, book)
    report = alice.sync()
    assert (report.pushed, report.rejected) == (1, [])
    assert report.converged is True
    row = fetch(svc.engine, "bundle_proposal", proposal_id)
    assert row is not None
    assert (row["status"], row["customer_id"], row["rm_id"], row["owner_rm_id"]) == (
        "recorded",
        book.customers["a1"],
        book.rms["a"],
        book.rms["a"],
    )
    assert json.loads(row["items"]) == [
        {"product_code": "CD-3Y", "amount": "500000.00"},
        {"product_code": "INS-CI", "amount": "6000.00"},
    ]
    assert json.loads(row["reasons"]) == ["定期存款 50万元 将于 1月2日 到期"]

    change = proposals(alice, book).accept(proposal_id)
    opportunity_id = change.ids[1]
    report = alice.sync()
    assert (report.pushed, report.rejected) == (2, [])
    assert report.converged is True
    row = fetch(svc.engine, "bundle_proposal", proposal_id)
    assert row is not None
    assert (row["status"], row["opportunity_id"]) == ("accepted", opportunity_id)
    opportunity = fetch(svc.engine, "opportunity", opportunity_id)
    assert opportunity is not None
    assert opportunity["customer_id"] == book.customers["a1"]
    assert opportunity["expected_value"] == Decimal("506000.00")
    assert opportunity["product_id"] == catalog["CD-3Y"]
    assert opportunity["summary"] == "到期资金续配方案"
    assert opportunity["owner_rm_id"] == book.rms["a"]


def test_a_proposal_recorded_and_accepted_offline_arrives_whole(
    alice: Device, book: Book, svc: Service, tmp_path: Path
) -> None:
    """Recorded and accepted during a visit without network: the proposal refers to
    an opportunity made after it, and one push must still carry both."""
    proposal_id = record(alice, book)
    opportunity_id = proposals(alice, book).accept(proposal_id).ids[1]
    report = alice.sync()
    assert report.rejected == []
    assert report.converged is True
    assert alice.outbox() == 0
    row = fetch(svc.engine, "bundle_proposal", proposal_id)
    assert row is not None
    assert (row["status"], row["opportunity_id"]) == ("accepted", opportunity_id)
    assert fetch(svc.engine, "opportunity", opportunity_id) is not None
    # The RM's other computer receives both.
    desktop = Device(svc, tmp_path, "alice")
    try:
        assert desktop.sync().converged is True
        assert desktop.value("bundle_proposal", proposal_id, "status") == "accepted"
        assert desktop.value("bundle_proposal", proposal_id, "opportunity_id") == opportunity_id
        summaries = proposals(desktop, book).list_for(book.customers["a1"])
        assert [(s.id, s.opportunity_id) for s in summaries] == [(proposal_id, opportunity_id)]
    finally:
        desktop.close()
