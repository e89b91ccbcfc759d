"""``rm-workbench``: launch the workbench; ``sync`` and ``logout`` from the command
line."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys

from rm_workbench.errors import WorkbenchError
from rm_workbench.launch import Demo


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rm-workbench", description="客户经理工作台 / RM Workbench"
    )
    parser.add_argument("--profile", default=None, help="profile name (one cache per profile)")
    parser.add_argument(
        "--no-encrypt",
        action="store_true",
        help="keep a new or plain cache unencrypted (tests only: warns on every start)",
    )
    parser.add_argument("--lang", default="zh_CN", help="zh_CN (default) or en")
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command")
    sync = commands.add_parser("sync", help="run one sync with the central CRM and report")
    sync.add_argument(
        "--server",
        help="central CRM address, e.g. https://crm.example.cn (http:// only for this"
        " machine: localhost, 127.0.0.1, ::1)",
    )
    sync.add_argument("--user", help="user name (asked for a password when needed)")
    sync.add_argument("--ca-bundle", help="CA bundle file for the central CRM's TLS certificate")
    sync.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    checks = sync.add_mutually_exclusive_group()
    checks.add_argument(
        "--verify",
        action="store_true",
        help="compare checksums with the central CRM now (by default: after a first or"
        " repeated download, then every --verify-every hours)",
    )
    checks.add_argument("--no-verify", action="store_true", help="skip the checksum comparison")
    sync.add_argument(
        "--verify-every",
        type=float,
        metavar="HOURS",
        help="keep HOURS as this profile's interval between checksum comparisons (0: every"
        " sync; default 24)",
    )
    logout = commands.add_parser(
        "logout", help="sign out: revoke the login token on the central CRM and forget it"
    )
    logout.add_argument("--ca-bundle", help="CA bundle file for the central CRM's TLS certificate")
    return parser


def run_logout(args: argparse.Namespace, profile: str) -> int:
    """``rm-workbench logout``: revoke the token on the server, forget it here."""
    from rm_workbench.db.cache import open_profile_cache
    from rm_workbench.paths import cache_path
    from rm_workbench.services.sync import SyncService

    opened = open_profile_cache(cache_path(profile), profile, encrypt=not args.no_encrypt)
    try:
        service = SyncService(opened.cache, profile, ca_bundle=args.ca_bundle)
        if service.logout():
            print("已退出登录；未同步的修改仍保留在本机，下次同步需要输入密码。")
            return 0
        print(
            "已在本机退出登录，但无法连接总行系统：原登录令牌在到期前仍然有效。",
            file=sys.stderr,
        )
        return 1
    finally:
        opened.cache.dispose()


def _read_password(args: argparse.Namespace, username: str) -> str:
    from rm_workbench.errors import AuthRequired

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        try:
            password = getpass.getpass(f"{username} 的密码：")
        except (EOFError, KeyboardInterrupt):
            password = ""
    if not password:
        raise AuthRequired("没有输入密码，本次未同步；修改仍保存在本机。", "no password")
    return password


def _print_progress(stage: str, done: int, _total: int | None) -> None:
    print(f"  {stage}: {done}", file=sys.stderr)


def run_sync(args: argparse.Namespace, profile: str) -> int:
    """``rm-workbench sync``: one sync from the command line, printing what it did."""
    from rm_workbench.db.cache import open_profile_cache
    from rm_workbench.errors import AuthRequired, CachePasswordRequired, InsecureServerAddress
    from rm_workbench.paths import cache_path
    from rm_workbench.services.sync import SyncService
    from rm_workbench.sync.address import check_server_url

    if args.server is not None:
        # Before the cache is opened or a password asked for.
        try:
            args.server = check_server_url(args.server)
        except InsecureServerAddress as exc:
            print(exc.user_message, file=sys.stderr)
            return 2
    # Without a keyring the cache's key is wrapped with the login password: asked
    # once, used for the cache and, when needed, the login.
    password: str | None = None
    try:
        opened = open_profile_cache(cache_path(profile), profile, encrypt=not args.no_encrypt)
    except CachePasswordRequired as exc:
        print(exc.user_message, file=sys.stderr)
        password = _read_password(args, args.user or profile)
        opened = open_profile_cache(
            cache_path(profile), profile, encrypt=not args.no_encrypt, password=password
        )
    if opened.warning:
        print(f"注意：{opened.warning}", file=sys.stderr)
    service = SyncService(opened.cache, profile, ca_bundle=args.ca_bundle)

    def ask(username: str) -> str:
        nonlocal password
        if password is None:
            password = _read_password(args, username)
        return password

    try:
        server = args.server or service.configured_server()
        username = args.user or service.status().username
        if server is None or username is None:
            print("第一次同步请给出 --server 和 --user。", file=sys.stderr)
            return 2
        if args.server and args.server.rstrip("/") != service.configured_server():
            service.login(server, username, ask(username))
        if args.verify_every is not None:
            if not args.verify_every >= 0:
                print("--verify-every 须为 0 或更大的小时数。", file=sys.stderr)
                return 2
            service.set_verify_every(args.verify_every)
        progress = _print_progress if args.verbose else None
        verify = True if args.verify else False if args.no_verify else None
        for attempt in range(2):
            try:
                report = service.sync(progress=progress, verify=verify)
                break
            except AuthRequired as exc:
                if attempt:
                    raise
                print(exc.user_message, file=sys.stderr)
                service.login(server, username, ask(username))
        if service.warning and service.warning != opened.warning:
            print(f"注意：{service.warning}", file=sys.stderr)
        for line in report.lines():
            print(line)
        status = service.status()
        print(f"待上传修改 {status.pending_edits} 条，待处理冲突 {status.conflicts} 处")
        return 0
    finally:
        opened.cache.dispose()


def start_early(profile: str) -> None:
    """The window's start, before its imports (0.8 s that need no file): begin the
    cache's integrity check alongside them (rm_workbench.db.integrity), and hold the
    cyclic garbage collector until the window is up. Start-up makes hundreds of
    thousands of objects that live as long as the program; the collections they
    trigger (0.1 s) would only walk them, and ``freeze_startup_objects`` then puts
    them out of its reach and turns it on again."""
    from rm_workbench.db.integrity import start_integrity_check
    from rm_workbench.paths import cache_path

    gc.disable()
    start_integrity_check(cache_path(profile))


def main(argv: list[str] | None = None, *, demo: Demo | None = None) -> int:
    """``demo``: a demo launch (``rm-workbench-demo``, :mod:`rm_workbench.launch`)."""
    # Whatever the workbench writes (cache, its WAL, backups, settings, exports) is
    # the RM's alone; files under the profile are also chmod-ed explicitly.
    previous = os.umask(0o077)
    try:
        return _main(argv, demo)
    finally:
        os.umask(previous)


def _main(argv: list[str] | None, demo: Demo | None) -> int:
    args = build_parser().parse_args(argv)
    # Quiet unless asked: the window and the sync's own summary say what the RM needs
    # (a migration's steps, the demo service's start are INFO, shown with --verbose).
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    profile = args.profile or (demo.profile if demo is not None else "default")
    if args.command in ("sync", "logout"):
        try:
            return (run_sync if args.command == "sync" else run_logout)(args, profile)
        except WorkbenchError as exc:
            print(exc.user_message, file=sys.stderr)
            if args.verbose and exc.details:
                print(exc.details, file=sys.stderr)
            return 1
    start_early(profile)
    try:
        from rm_workbench.ui.app import run
    except ImportError as exc:  # Qt's system libraries missing: say which
        print(f"无法启动图形界面（Qt 缺少系统库）：{exc}", file=sys.stderr)
        return 2
    try:
        return run(profile, demo=demo, encrypt=not args.no_encrypt, language=args.lang)
    except WorkbenchError as exc:
        print(exc.user_message, file=sys.stderr)
        if exc.details:
            print(exc.details, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
