"""Inputs Schemathesis found that once made the service answer 500."""

from __future__ import annotations

import requests

from tests.central.conftest import Api, Book, Service, assert_error


def test_a_nul_character_in_text_is_a_422_not_a_database_error(svc: Service, book: Book):
    answer = requests.post(
        svc.url("/auth/login"),
        json={"username": "\x00", "password": "x", "device_id": "device-0001"},
        timeout=30,
    )
    assert_error(answer, 422)


def test_an_absurd_cursor_is_a_422_not_an_overflow(alice: Api) -> None:
    assert_error(alice.get("/sync/pull", cursor=2**70), 422)
    assert_error(alice.hello(cursor=2**70), 422)
