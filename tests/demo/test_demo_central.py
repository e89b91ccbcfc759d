"""The demo's central CRM: the demo book through ``POST /admin/demo-book``, which only a
service made for a demo has (``create_demo_app``, ``central-crm-demo serve``), never
the production one (``create_app``, ``central-crm serve``)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from central_crm.app import create_app
from central_crm.errors import ApiError
from central_crm.passwords import check_password
from central_crm.schema import app_user
from central_crm.server import run_in_thread
from rm_contract.rows import ROW_MODELS
from rm_contract.wire import API_PREFIX, row_digest
from rm_demo.central import DemoBookRequest, create_demo_admin, create_demo_app, load_demo_book
from tests.central.conftest import FAST_HASHER, PASSWORD, Api, Service, assert_error, reset, seed


@pytest.fixture(scope="module")
def demo_svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-central') / 'central.db'}"
    app = create_demo_app(url, password_hasher=FAST_HASHER)
    running = run_in_thread(app)
    try:
        yield Service("sqlite", running.base_url, app.state.engine, running.root)
    finally:
        running.stop()
        app.state.engine.dispose()


def test_a_production_service_has_no_demo_endpoint() -> None:
    production = create_app("sqlite://")
    demo = create_demo_app("sqlite://")
    try:
        assert f"{API_PREFIX}/admin/demo-book" not in production.openapi()["paths"]
        assert f"{API_PREFIX}/admin/demo-book" in demo.openapi()["paths"]
    finally:
        production.state.engine.dispose()
        demo.state.engine.dispose()


def test_central_crm_serve_makes_the_production_app_and_the_demo_serve_the_demo_app() -> None:
    from central_crm import cli as central_cli
    from rm_demo import cli as demo_cli

    args = central_cli.build_parser().parse_args(["serve"])
    assert getattr(args, "app_factory", None) is None  # create_app
    parser = central_cli.build_parser("central-crm-demo", extra=(demo_cli.add_load_demo,))
    parser.set_defaults(app_factory=create_demo_app)
    assert parser.parse_args(["serve"]).app_factory is create_demo_app
    with pytest.raises(SystemExit):
        central_cli.build_parser().parse_args(["load-demo"])


def test_the_demo_endpoint_needs_the_admin_role(demo_svc: Service) -> None:
    reset(demo_svc.engine)
    seed(demo_svc.engine)
    alice = Api(demo_svc, "alice", "device-alice-1")
    answer = alice.post("/admin/demo-book", {})
    assert answer.status_code == 403 and answer.json()["code"] == "admin_only"


def test_demo_book_loads_with_one_login_per_rm(demo_svc: Service) -> None:
    svc = demo_svc
    reset(svc.engine)
    seed_book = seed(svc.engine)
    # The demo book needs an empty database: start again with only an admin.
    reset(svc.engine)
    create_demo_admin(svc.engine, FAST_HASHER, "root", PASSWORD)
    root = Api(svc, "root", "device-root-1")
    answer = root.ok(root.post("/admin/demo-book", {"size": "default", "password": PASSWORD}))
    assert answer["tables"]["customer"] == 1500 and len(answer["users"]) == 5
    assert answer["server_seq"] == sum(answer["tables"].values())
    assert_error(root.post("/admin/demo-book", {"password": PASSWORD}), 409, "already_loaded")
    rm = Api(svc, answer["users"][0], "device-demo-rm-1")
    hello = rm.ok(rm.hello())
    total = 0
    for table in hello["tables"]:
        rows = rm.snapshot_all(table, limit=5000)
        total += len(rows)
        checksum = rm.ok(rm.get("/sync/checksums"))["tables"][table]
        assert checksum == row_digest((r["id"], r["version"]) for r in rows).model_dump()
    customers = rm.snapshot_all("customer")
    assert {c["rm_id"] for c in customers} == {rm.login["user"]["rm_id"]}
    assert len(customers) == 300 and total > 10_000
    assert json.dumps(customers[0], ensure_ascii=False)  # plain JSON values
    assert seed_book.customers  # the seeded book was replaced


def test_demo_book_keeps_its_password_and_refuses_weak_ones(demo_svc: Service) -> None:
    svc = demo_svc
    reset(svc.engine)
    check_password(DemoBookRequest().password)  # the printed demo-password passes
    with pytest.raises(ApiError) as refused:
        load_demo_book(svc.engine, FAST_HASHER, DemoBookRequest(password="12345678"))
    assert refused.value.code == "weak_password"
    with svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(app_user)).scalar_one() == 0


def test_every_row_the_service_sends_fits_its_row_model(demo_svc: Service) -> None:
    """The row models of the OpenAPI document (rm_contract.rows) against real rows of
    every table the demo book fills: snapshot pages of both protocols and a pull."""
    svc = demo_svc
    reset(svc.engine)
    loaded = load_demo_book(svc.engine, FAST_HASHER, DemoBookRequest(password=PASSWORD))
    rm = Api(svc, loaded.users[0], "device-demo-rm-2")
    hello = rm.ok(rm.hello())
    checked: dict[str, int] = {}
    for table in hello["tables"]:
        model = ROW_MODELS[table]
        for row in rm.snapshot_all(table, limit=5000):
            model.model_validate_json(json.dumps(row))
            checked[table] = checked.get(table, 0) + 1
        page = rm.ok(rm.get("/sync/snapshot", table=table, limit=500, protocol=2))
        for values in page["rows"]:
            model.model_validate_json(json.dumps(dict(zip(page["columns"], values, strict=True))))
    items, _ = rm.pull_all(0)
    for item in items:
        if item["kind"] == "row":
            ROW_MODELS[item["table"]].model_validate_json(json.dumps(item["row"]))
    filled = {name for name, count in loaded.tables.items() if count}
    assert filled - {"audit_log"} <= set(checked), filled - set(checked)
    assert sum(checked.values()) > 10_000
