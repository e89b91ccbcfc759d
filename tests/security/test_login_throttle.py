"""Issue 13: "500 wrong passwords in 190 s met no throttle and no lockout".

Wrong passwords for one name are throttled (429 with Retry-After) after a few and
lock the name after ten in a row, until an administrator unlocks it (API or
``central-crm unlock``); a right password on a locked name is refused too. An
unknown name goes through exactly the same answers (no probing of which names
exist), and a spray of one password over many names from one address is throttled.
The tests do not sleep through Retry-After: they end the waits in the database, as
if the attacker had waited.
"""

from __future__ import annotations

import pytest

from central_crm.cli import main
from tests.central.conftest import PASSWORD, Api, Book, Service, assert_error
from tests.support.security_login import db_url, end_waits, login

LOCK_AFTER = 10  # central_crm.throttle.DEFAULT_POLICY.lock_after


def attack(svc: Service, username: str, attempts: int) -> list[tuple[int, str]]:
    """``attempts`` wrong passwords for ``username``, waiting out every 429 (in the
    database); the (status, code) of each answer, 429s included."""
    answers: list[tuple[int, str]] = []
    for number in range(attempts):
        answer = login(svc.base, username, f"guess-{number:04d}-Xy")
        body = answer.json()
        answers.append((answer.status_code, body.get("code", "")))
        assert answer.status_code != 500, answer.text
        if answer.status_code == 429:
            retry = int(answer.headers["Retry-After"])
            assert retry >= 1 and body["details"]["retry_after"] == retry
            assert "秒后再试" in body["message"]
            end_waits(svc.engine)
    return answers


def wrong(answers: list[tuple[int, str]]) -> int:
    return sum(1 for status, _ in answers if status == 401)


def test_login_brute_force_is_throttled_then_locked(svc: Service, book: Book, admin: Api) -> None:
    answers = attack(svc, "alice", 40)
    assert (429, "login_throttled") in answers, "no throttle met"
    # Exactly LOCK_AFTER passwords were checked; every later attempt is refused.
    assert wrong(answers) == LOCK_AFTER, answers
    assert answers[-1] == (403, "account_locked")
    body = assert_error(login(svc.base, "alice", PASSWORD), 403, "account_locked")
    assert "锁定" in body["message"] and "管理员" in body["message"]
    # Other names are not affected.
    assert login(svc.base, "bob", PASSWORD, "device-bob-9").status_code == 200
    # An administrator lifts the lockout; the right password works again.
    state = admin.ok(admin.post("/admin/users/alice/unlock"))
    assert state == {"username": "alice", "active": True, "locked": False, "revoked_tokens": 0}
    assert login(svc.base, "alice", PASSWORD).status_code == 200
    # The count starts again from zero after a success.
    assert wrong(attack(svc, "alice", 3)) == 3


def test_login_unknown_name_is_throttled_and_locked_the_same(svc: Service, book: Book) -> None:
    known = attack(svc, "alice", 20)
    unknown = attack(svc, "no-such-user", 20)
    assert (429, "login_throttled") in known and known[-1] == (403, "account_locked")
    assert unknown == known


def test_login_spray_from_one_address_is_throttled(svc: Service, book: Book) -> None:
    statuses: list[int] = []
    retry: list[str] = []
    for number in range(40):
        answer = login(svc.base, f"rm-{number:03d}", "Spring2026!x")
        assert answer.status_code != 500, answer.text
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            retry.append(answer.headers["Retry-After"])
    assert 429 in statuses, "a spray over 40 names met no throttle"
    assert statuses.index(429) <= 25 and all(int(r) >= 1 for r in retry)
    # The address waits, it is not locked: after the wait a right password works.
    end_waits(svc.engine)
    assert login(svc.base, "alice", PASSWORD).status_code == 200


def test_login_locked_name_is_unlocked_by_the_command_line(
    svc: Service, book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = attack(svc, "bob", 20)
    assert answers[-1] == (403, "account_locked")
    assert main(["unlock", "--db", db_url(svc.engine), "bob"]) == 0
    assert "已解锁账号" in capsys.readouterr().out
    assert login(svc.base, "bob", PASSWORD, "device-bob-2").status_code == 200
    assert main(["unlock", "--db", db_url(svc.engine), "nobody"]) == 1
    assert "不存在" in capsys.readouterr().err


def test_login_unlock_needs_an_admin(svc: Service, alice: Api) -> None:
    assert_error(alice.post("/admin/users/alice/unlock"), 403, "admin_only")
