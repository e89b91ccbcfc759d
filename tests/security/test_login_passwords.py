"""Issue 13: the API accepted "12345678", "password", eight spaces and the user name
as a password, and ``central-crm create-user --password a --role admin`` created an
admin. One rule (central_crm.passwords) now applies wherever a password is set: the
API's create-user and change-password, the command line's create-user and
set-password, and the demo book (whose printed demo-password passes it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from central_crm.cli import main
from central_crm.schema import app_user
from tests.central.conftest import PASSWORD, Api, Book, Service, assert_error
from tests.support.security_login import db_url, login

WEAK = ["12345678", "password", " " * 8, "carol", "Password2024!", "abcdefghijkl", "x" * 9]


def users(svc: Service) -> int:
    with svc.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(app_user)).scalar_one())


@pytest.mark.parametrize("password", WEAK)
def test_login_api_refuses_weak_passwords(
    svc: Service, book: Book, admin: Api, password: str
) -> None:
    before = users(svc)
    answer = admin.post(
        "/admin/users",
        {"username": "carol", "password": password, "display_name": "c", "rm_id": book.rms["c"]},
    )
    body = assert_error(answer, 422, "weak_password")
    assert body["message"].startswith("密码不符合要求：")
    assert users(svc) == before


def test_login_api_names_the_rule_broken(svc: Service, book: Book, admin: Api) -> None:
    def refused(username: str, password: str) -> str:
        answer = admin.post(
            "/admin/users",
            {"username": username, "password": password, "display_name": "x", "role": "admin"},
        )
        message: str = assert_error(answer, 422, "weak_password")["message"]
        return message

    assert "至少 10 个字符" in refused("root", "short-1")
    assert "空格" in refused("root", " " * 12)
    assert "用户名" in refused("rootadmin", "my-rootadmin-1")
    assert "常见密码" in refused("root", "qwerty123456")
    assert "两类字符" in refused("root", "onlyletters")
    created = admin.post(
        "/admin/users",
        {"username": "root", "password": "长城-Great-Wall", "display_name": "x", "role": "admin"},
    )
    assert created.status_code == 200, created.text


def test_login_cli_refuses_a_weak_admin_password(
    svc: Service, book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    url = db_url(svc.engine)
    before = users(svc)
    assert main(["create-user", "--db", url, "root", "--password", "a", "--role", "admin"]) == 1
    assert "密码不符合要求" in capsys.readouterr().err
    assert main(["create-user", "--db", url, "root", "--password", "root", "--role", "admin"]) == 1
    assert users(svc) == before


def test_login_change_password_follows_the_rule(
    svc: Service, book: Book, admin: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    for password in WEAK[:4]:
        answer = admin.post("/admin/users/carol/password", {"password": password})
        assert_error(answer, 422, "weak_password")
    weak = ["set-password", "--db", db_url(svc.engine), "carol", "--password", "12345678"]
    assert main(weak) == 1
    assert "密码不符合要求" in capsys.readouterr().err
    assert login(svc.base, "carol", PASSWORD, "device-carol-1").status_code == 200
    assert_error(admin.post("/admin/users/nobody/password", {"password": "Fine-Pass-42"}), 404)
