"""``rm-workbench sync`` from a terminal: first login, then syncs with the stored token."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rm_workbench.cli import main
from tests.central.conftest import PASSWORD, Book, Service


def test_first_sync_logs_in_then_the_token_is_reused(
    svc: Service,
    book: Book,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    memory_keyring,
) -> None:
    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["--profile", "alice", "sync", "--server", svc.root, "--user", "alice"]
    assert main([*args, "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert "初始化下载" in out and "校验一致" in out
    assert any(name.startswith("token:alice@") for _, name in memory_keyring.store)

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no password needed now
    assert main(["--profile", "alice", "sync"]) == 0
    out = capsys.readouterr().out
    assert "上传修改 0 条，下载变更 0 条" in out and "待上传修改 0 条" in out


def test_no_password_is_a_clear_message(
    svc: Service,
    book: Book,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    memory_keyring,
) -> None:
    monkeypatch.setenv("RM_WORKBENCH_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    code = main(["sync", "--server", svc.root, "--user", "alice", "--password-stdin"])
    assert code == 1
    assert "没有输入密码" in capsys.readouterr().err
