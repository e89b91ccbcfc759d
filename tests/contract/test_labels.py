"""One vocabulary: every value of every closed vocabulary has its Chinese and English
label in rm_contract.labels, and every screen reads them from there."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from enum import StrEnum

import pytest

import rm_contract.vocabulary as vocabulary
from rm_contract.labels import ENUM_LABELS, EnumLabels, label, language, set_language

# Values shown as they are (risk grades C1…C5 and R1…R5 read the same in both).
AS_IS = {vocabulary.RiskTolerance, vocabulary.RiskLevel}


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    try:
        yield
    finally:
        set_language("zh_CN")


def _vocabularies() -> list[type[StrEnum]]:
    return [
        v
        for _, v in inspect.getmembers(vocabulary, inspect.isclass)
        if issubclass(v, StrEnum) and v is not StrEnum and v not in AS_IS
    ]


def test_every_value_of_every_vocabulary_has_both_labels() -> None:
    assert set(_vocabularies()) == set(ENUM_LABELS), set(_vocabularies()) ^ set(ENUM_LABELS)
    for enum, labels in ENUM_LABELS.items():
        assert set(labels) == set(enum), enum
        for value, (zh, en) in labels.items():
            assert zh and not zh.isascii(), (enum, value)
            assert en and en.isascii(), (enum, value)


def test_labels_follow_the_language_in_force(english: None) -> None:
    fund = vocabulary.ProductType.FUND
    assert language() == "en" and label(fund) == "Fund"
    assert EnumLabels(vocabulary.ProductType)["fund"] == "Fund"
    set_language("zh_CN")
    assert label(fund) == "基金"
