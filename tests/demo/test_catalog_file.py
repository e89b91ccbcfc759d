"""The demo's data files (rm_demo/data): the catalog is what ``central-crm
publish-catalog`` publishes and what the demo book holds, and every file is shipped and
says what it is."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from central_crm import cli as central_cli
from central_crm.app import create_app
from central_crm.schema import SYNCED
from rm_contract.vocabulary import ContactChannel, NeedCategory
from rm_demo.book import generate_book, read_data
from rm_workbench.config import load_config

DATA = resources.files("rm_demo").joinpath("data")
CATALOG = Path(str(DATA.joinpath("catalog.json")))
STAMPS = ("id", "version", "deleted", "created_at", "updated_at")
ROOT = Path(__file__).resolve().parents[2]


def _data_files() -> list[str]:
    return sorted(f.name for f in DATA.iterdir() if f.is_file())


def _published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, list[Any]]:
    """Rows of a fresh central database (migrated as ``central-crm serve`` does) after
    ``central-crm publish-catalog`` of the catalog file, in the order they were written."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    create_app(url).state.engine.dispose()
    assert central_cli.main(["publish-catalog", "--db", url, str(CATALOG)]) == 0
    assert "新增" in capsys.readouterr().out
    engine = central_cli._engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [
                    dict(row._mapping)
                    for row in conn.execute(select(SYNCED[name]).order_by(SYNCED[name].c.version))
                ]
                for name in ("product", "bundle_template")
            }
    finally:
        engine.dispose()


def test_the_book_holds_the_catalog_publish_catalog_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = _published(tmp_path, capsys)
    book = generate_book("default", with_activity=False)
    for table in ("product", "bundle_template"):
        in_book = [{k: v for k, v in r.items() if k not in STAMPS} for r in book.tables[table]]
        # The central table has columns of its own (written_by), unset by a publish.
        loaded = [{k: r[k] for k in in_book[0]} for r in published[table]]
        assert loaded == in_book, table
        assert len(loaded) > 5


def test_publishing_the_catalog_again_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _published(tmp_path, capsys)
    url = f"sqlite:///{tmp_path / 'central.db'}"
    assert central_cli.main(["publish-catalog", "--db", url, str(CATALOG)]) == 0
    assert "新增 0，更新 0" in capsys.readouterr().out


def test_the_catalog_file_is_consistent() -> None:
    document = read_data("catalog.json")
    config = load_config()  # the file names tiers and stages as the shipped bank.toml
    tiers = {t.name for t in config.tiers}
    stages = {s.name for s in config.life_stages}
    codes = [p["code"] for p in document["products"]]
    assert len(set(codes)) == len(codes)
    for row in document["products"] + document["bundles"]:
        # The book makes ids and stamps itself; publish-catalog would ignore the stamps.
        assert not set(row) & set(STAMPS), row["code"]
        assert set(row["target_tiers"]) <= tiers, row["code"]
        assert set(row["target_life_stages"]) <= stages, row["code"]
    for bundle in document["bundles"]:
        assert set(bundle["product_codes"]) <= set(codes), bundle["code"]
        assert set(json.loads(bundle["tier_pricing"])) <= tiers, bundle["code"]
    needs = read_data("needs.json")["categories"]
    assert set(needs) == {c.value for c in NeedCategory}
    for category, entry in needs.items():
        assert entry["summaries"], category
        assert set(entry["products"]) <= set(codes), category
    summaries = read_data("contacts.json")["summaries"]
    assert set(summaries) == {c.value for c in ContactChannel}
    assert all(summaries.values())


@pytest.mark.parametrize("name", _data_files())
def test_every_data_file_says_what_it_is(name: str) -> None:
    assert name.endswith(".json")
    note = read_data(name)["_note"]
    assert isinstance(note, str) and len(note) > 40


def test_the_data_files_are_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "data/*.json" in pyproject["tool"]["setuptools"]["package-data"]["rm_demo"]
