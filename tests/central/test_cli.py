"""The ``central-crm`` command line: serve, create-user, assign, gc, publish-catalog
(on SQLite)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from central_crm import db
from central_crm.cli import main
from central_crm.schema import SYNCED, app_user, eviction
from tests.central.conftest import seed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "central_crm.cli", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("serve did not start")
                time.sleep(0.1)
        assert answer.json() == {"ok": True, "server_seq": 0}
        assert requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).ok
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_create_user_assign_gc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    book = seed(engine, admin=False)
    assert (
        main(["create-user", "--db", url, "root", "--role", "admin", "--password", "pw-12345678"])
        == 0
    )
    assert "root" in capsys.readouterr().out
    again = ["create-user", "--db", url, "root", "--role", "admin", "--password", "x-12345678"]
    assert main(again) == 1
    assert "已被使用" in capsys.readouterr().err
    with engine.connect() as conn:
        assert (
            conn.execute(select(app_user.c.role).where(app_user.c.username == "root")).scalar()
            == "admin"
        )
    a1 = book.customers["a1"]
    assert main(["assign", "--db", url, book.rms["c"], a1]) == 0
    assert "已移交 1 个客户" in capsys.readouterr().out
    customers = SYNCED["customer"]
    with engine.connect() as conn:
        owner = conn.execute(select(customers.c.owner_rm_id).where(customers.c.id == a1)).scalar()
        evicted = conn.execute(select(eviction.c.rm_id)).scalars().all()
    assert owner == book.rms["c"] and evicted == [book.rms["a"]]
    assert main(["gc", "--db", url, "--before-seq", "5"]) == 0
    assert "同步位置低于 4" in capsys.readouterr().out
    engine.dispose()


def test_publish_catalog(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    catalog = tmp_path / "catalog.json"
    bundle = {"code": "BDL-X", "name": "养老套餐", "product_codes": ["PEN-ACCT"]}
    product = {"code": "PEN-ACCT", "name": "个人养老金资金账户", "product_type": "pension"}
    catalog.write_text(
        json.dumps({"products": [product], "bundles": [bundle]}, ensure_ascii=False), "utf-8"
    )
    assert main(["publish-catalog", "--db", url, str(catalog)]) == 0
    assert "新增 2" in capsys.readouterr().out
    with engine.connect() as conn:
        names = conn.execute(select(SYNCED["bundle_template"].c.name)).scalars().all()
    assert names == ["养老套餐"]
    catalog.write_text(json.dumps({"bundles": [dict(bundle, valid_days="x")]}), "utf-8")
    assert main(["publish-catalog", "--db", url, str(catalog)]) == 2
    assert "第 1 个套餐模板数据不正确" in capsys.readouterr().err
    catalog.write_text("{not json", "utf-8")
    assert main(["publish-catalog", "--db", url, str(catalog)]) == 2
    assert "无法读取产品目录文件" in capsys.readouterr().err
    engine.dispose()
