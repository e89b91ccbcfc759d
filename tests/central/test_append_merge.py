"""A visit's report merges by appending: every device's text is kept whole, in order.

Found from outside (issue 12, B2): two devices adding notes to the same visit before
either pulled lost words. "客户表示有意向购买理财产品" then "客户表示下月再联系" kept the
second without its first four characters (the prefix the two shared), and "已电话确认
12月8日 面谈" then "已电话确认 8日" dropped the second (its pieces were all in the
first). The merge matched texts by similarity; it now never does.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from central_crm.sync.push import APPEND_SEPARATOR, append_merge
from tests.central.conftest import Api, Book, Service, fetch


def _push_note(device: Api, visit: str, base: str | None, text: str) -> dict:
    return device.update("visit", visit, report=(base, text))


def test_notes_sharing_a_prefix_keep_every_word(svc: Service, book: Book, alice: Api) -> None:
    visit = book.rows["a1"]["visit"]
    laptop = Api(svc, "alice", "device-alice-laptop")
    base = fetch(svc.engine, "visit", visit)["report"]  # type: ignore[index]
    first = _push_note(alice, visit, base, "客户表示有意向购买理财产品")
    second = _push_note(laptop, visit, base, "客户表示下月再联系")
    assert first["status"] == second["status"] == "applied"
    report = fetch(svc.engine, "visit", visit)["report"]  # type: ignore[index]
    assert report == "客户表示有意向购买理财产品" + APPEND_SEPARATOR + "客户表示下月再联系"


def test_a_note_whose_pieces_the_other_contains_is_kept(
    svc: Service, book: Book, alice: Api
) -> None:
    visit = book.rows["a1"]["visit"]
    laptop = Api(svc, "alice", "device-alice-laptop")
    base = fetch(svc.engine, "visit", visit)["report"]  # type: ignore[index]
    _push_note(alice, visit, base, "已电话确认 12月8日 面谈")
    _push_note(laptop, visit, base, "已电话确认 8日")
    report = fetch(svc.engine, "visit", visit)["report"]  # type: ignore[index]
    assert report == "已电话确认 12月8日 面谈" + APPEND_SEPARATOR + "已电话确认 8日"


# --- the property -------------------------------------------------------------------

# Chinese, ASCII, punctuation, spaces and newlines; small alphabets so that shared
# prefixes, containment and equal texts come up often.
_CHARS = st.sampled_from(list("客户表示已电话确认月日面谈下再联系 abc12\n。，"))
TEXT = st.text(_CHARS, max_size=12)


def _addition(base: str | None, yours: str) -> str:
    """What a device's text adds to the base it was written on (the contract)."""
    extra = yours[len(base) :] if base and yours.startswith(base) else yours
    return extra.strip("\n")


@settings(max_examples=2000, deadline=None)
@given(base=st.one_of(st.none(), TEXT), theirs=st.one_of(st.none(), TEXT), yours=TEXT)
def test_theirs_stays_whole_and_first_and_yours_follows_whole(
    base: str | None, theirs: str | None, yours: str
) -> None:
    merged = append_merge(theirs, base, yours)
    if not yours.strip():
        assert merged == theirs  # nothing typed: nothing changes
        return
    if theirs is None or not theirs.strip():
        assert merged == yours  # nothing there: yours as typed
        return
    assert merged is not None
    kept = theirs.rstrip("\n")
    assert merged.startswith(kept), "theirs must stay whole, first"
    extra = _addition(base, yours)
    if not extra.strip():
        assert merged == theirs
        return
    # Yours' addition, whole, after theirs: appended, or already ending theirs.
    assert merged.rstrip("\n").endswith(extra)
    assert merged in (theirs, kept + APPEND_SEPARATOR + extra)
    if merged == theirs:
        assert kept == extra or kept.endswith(APPEND_SEPARATOR + extra)


@settings(max_examples=500, deadline=None)
@given(
    base=st.one_of(st.none(), TEXT),
    notes=st.lists(TEXT.filter(lambda t: t.strip("\n").strip() != ""), min_size=1, max_size=5),
)
def test_devices_appending_to_the_same_base_are_all_kept_in_push_order(
    base: str | None, notes: list[str]
) -> None:
    """Several devices add a note to the same report before any of them pulls; the
    server merges their pushes in arrival order: each note is there, whole, in that
    order (a note equal to the one just before it is the same text sent again)."""
    report = base
    for note in notes:
        yours = (base.rstrip("\n") + APPEND_SEPARATOR if base and base.strip() else "") + note
        report = append_merge(report, base, yours)
    assert report is not None
    position = 0
    for note in notes:
        text = note.strip("\n")
        found = report.find(text, position)
        if found < 0:  # only a repeat of the note before may be folded into it
            found = report.rfind(text, 0, position)
        assert found >= 0, (note, report)
        position = max(position, found)
