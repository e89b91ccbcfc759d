"""``--lang en``: the services' labels come from the one vocabulary (rm_contract.labels)
in the language in force."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rm_contract.labels import set_language


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    try:
        yield
    finally:
        set_language("zh_CN")


def test_the_services_read_the_one_vocabulary(english: None) -> None:
    from rm_workbench.domain.recommend import NEED_CATEGORY_LABELS
    from rm_workbench.services.customer360 import PRODUCT_TYPE_LABELS
    from rm_workbench.services.visits import VISIT_STATUS_LABELS

    assert PRODUCT_TYPE_LABELS["time_deposit"] == "Time deposit"
    assert VISIT_STATUS_LABELS["planned"] == "Planned"
    assert NEED_CATEGORY_LABELS["retirement"] == "Retirement"
