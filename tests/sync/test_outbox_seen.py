"""update_row's ``seen``: the base of an edit is what the RM saw when the form opened,
not what the cache holds at save time (B5); a field left as seen is not an edit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from rm_workbench.db.engine import Cache
from rm_workbench.models import Need
from rm_workbench.sync.outbox import update_row
from tests.services.helpers import Book, outbox


def _pulled(cache: Cache, need_id: str, **values: object) -> None:
    """A pull changed the row (no outbox entry, as the sync engine writes it)."""
    with cache.engine.begin() as conn:
        conn.execute(update(Need).where(Need.id == need_id).values(**values))


def _value(cache: Cache, need_id: str, field: str) -> object:
    with cache.engine.connect() as conn:
        return (
            conn.execute(
                Need.__table__.select().where(Need.id == need_id)  # type: ignore[attr-defined]
            )
            .mappings()
            .one()[field]
        )


def test_the_base_is_what_the_rm_saw_and_a_field_left_as_seen_is_not_an_edit(
    cache: Cache,
) -> None:
    book = Book(cache)
    need = book.need(book.customer("周敏"), summary="留学资金", urgency="normal")
    seen = {"summary": "留学资金", "urgency": "normal"}
    _pulled(cache, need, summary="留学资金（总行）", urgency="high")
    with cache.engine.begin() as conn:
        assert update_row(
            conn, "need", need, {"summary": "留学资金：美国", "urgency": "normal"}, seen
        )
    [entry] = outbox(cache)
    assert entry.fields == {"summary": {"base": "留学资金", "new": "留学资金：美国"}}
    assert _value(cache, need, "summary") == "留学资金：美国"
    assert _value(cache, need, "urgency") == "high"  # what the pull brought stays


def test_fields_not_seen_take_their_base_from_the_cache(cache: Cache) -> None:
    book = Book(cache)
    need = book.need(book.customer("周敏"), summary="留学资金", ends_on=date(2027, 6, 30))
    _pulled(cache, need, summary="留学资金（总行）")
    with cache.engine.begin() as conn:
        update_row(conn, "need", need, {"summary": "新概要", "ends_on": date(2027, 9, 1)}, {"x": 1})
    [entry] = outbox(cache)
    assert entry.fields["summary"] == {"base": "留学资金（总行）", "new": "新概要"}
    assert entry.fields["ends_on"] == {"base": "2027-06-30", "new": "2027-09-01"}


def test_nothing_to_save_when_every_field_is_as_seen(cache: Cache) -> None:
    book = Book(cache)
    need = book.need(book.customer("周敏"), summary="留学资金")
    _pulled(cache, need, summary="留学资金（总行）")
    with cache.engine.begin() as conn:
        assert not update_row(conn, "need", need, {"summary": "留学资金"}, {"summary": "留学资金"})
    assert outbox(cache) == []
    assert _value(cache, need, "summary") == "留学资金（总行）"


def test_an_unsent_edit_keeps_its_first_base(cache: Cache) -> None:
    """A second edit of a field still waiting to be sent folds into the first: the
    base stays what the server had, whatever the second form saw (the first edit)."""
    book = Book(cache)
    need = book.need(book.customer("周敏"), summary="留学资金")
    with cache.engine.begin() as conn:
        update_row(conn, "need", need, {"summary": "第一次"}, {"summary": "留学资金"})
        update_row(conn, "need", need, {"summary": "第二次"}, {"summary": "第一次"})
    [entry] = outbox(cache)
    assert entry.fields == {"summary": {"base": "留学资金", "new": "第二次"}}
    with cache.engine.begin() as conn:  # and back to what the server has: nothing to send
        update_row(conn, "need", need, {"summary": "留学资金"}, {"summary": "第二次"})
    assert outbox(cache) == []
