"""Command line of the central CRM (the ``central-crm`` console script).

Each subcommand is a ``add_*`` function registering its parser and a handler, so a
new one is one more function and one more line in :func:`build_parser`:

* ``serve``: migrate the database, then run the HTTP service (uvicorn), over TLS
  (``--tls-cert``/``--tls-key``) or plain HTTP on loopback or behind a TLS proxy;
* ``create-user``: add a login (an RM's or an administrator's; the password rule of
  :mod:`central_crm.passwords` applies);
* ``disable-user``, ``enable-user``, ``revoke-tokens``, ``set-password``, ``unlock``:
  an administrator's actions on a login (disabling and a new password revoke its
  tokens; unlock lifts the lockout after too many wrong passwords);
* ``assign``: hand customers to another RM (evictions, pull for the new RM);
* ``gc``: purge old tombstones (devices behind the horizon re-bootstrap);
* ``audit-alarms``: list the breaks of the devices' audit chains (exit status 3 when
  there is one, for a monitoring job).

The demo's commands (``load-demo``, ``demo-book``, and ``serve`` with the demo's
endpoint) are ``central-crm-demo``'s (:mod:`rm_demo.cli`), built on
:func:`build_parser`.

Database commands take ``--db URL`` (default ``sqlite:///central.db``, or the
``CENTRAL_CRM_DB`` environment variable).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from central_crm.errors import ApiError

if TYPE_CHECKING:
    from sqlalchemy import Engine

_DB_HELP = "database URL: sqlite:///central.db or postgresql+psycopg://user:pw@host/db"


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=os.environ.get("CENTRAL_CRM_DB", "sqlite:///central.db"), help=_DB_HELP
    )


def _engine(url: str) -> Engine:
    """An engine over ``url`` with the schema migrated to the newest revision."""
    from central_crm import db

    engine = db.make_engine(url)
    db.migrate(engine)
    return engine


# --- serve ----------------------------------------------------------------------------


# TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 has its own, all good);
# uvicorn's default ("TLSv1") admits CBC and RSA key exchange. Python's server
# context refuses TLS below 1.2 already.
TLS_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def _is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (the workbench's rm_workbench.sync.address has the
    same rule for the addresses it accepts plain HTTP to)."""
    import ipaddress

    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _transport_problem(args: argparse.Namespace) -> str | None:
    """Why ``serve`` must not start with these transport options, or None."""
    if bool(args.tls_cert) != bool(args.tls_key):
        return "--tls-cert 与 --tls-key 须同时给出。 / Give both --tls-cert and --tls-key."
    for option, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if path and not os.path.isfile(path):
            return f"找不到 {option} 指定的文件 {path}。 / {option}: no such file {path}."
    if args.tls_cert and args.behind_proxy:
        return (
            "--behind-proxy 用于由反向代理终止 TLS 的部署，不能与 --tls-cert 同时使用。 "
            "/ --behind-proxy is for a TLS-terminating proxy; not with --tls-cert."
        )
    if args.behind_proxy and not args.forwarded_allow_ips:
        return (
            "使用 --behind-proxy 时须以 --forwarded-allow-ips 指明反向代理的地址。 "
            "/ --behind-proxy needs --forwarded-allow-ips (the proxy's address)."
        )
    if not args.tls_cert and not args.behind_proxy and not _is_loopback(args.host):
        return (
            f"拒绝在非本机地址 {args.host} 上以明文 HTTP 提供服务：密码和客户数据会以明文传输。"
            "请用 --tls-cert 和 --tls-key 启用 TLS，或在 TLS 反向代理之后运行并给出 "
            "--behind-proxy --forwarded-allow-ips 代理地址"
            "（见 docs/deploy/nginx-central-crm.conf）。 "
            f"/ Refusing plain HTTP on the non-loopback address {args.host}: use --tls-cert and "
            "--tls-key, or run behind a TLS proxy with --behind-proxy --forwarded-allow-ips."
        )
    return None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from central_crm.app import create_app

    problem = _transport_problem(args)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    extra = {} if args.threads is None else {"threads": args.threads}
    if args.push_lanes is not None:
        extra["push_lanes"] = args.push_lanes
    # ``central-crm-demo serve`` makes the app with the demo's endpoint (rm_demo.cli).
    factory = getattr(args, "app_factory", None) or create_app
    app = factory(args.db, gzip_level=args.gzip_level, **extra)
    tls: dict[str, str] = {}
    if args.tls_cert:
        tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key}
        tls["ssl_ciphers"] = TLS_CIPHERS
        password = os.environ.get(args.tls_key_password_env or "", "")
        if password:
            tls["ssl_keyfile_password"] = password
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        workers=None,
        log_level=args.log_level,
        # X-Forwarded-Proto/-For are believed only from these addresses (a TLS proxy's);
        # the security headers' HSTS follows the scheme they give.
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips or "127.0.0.1",
        timeout_keep_alive=args.keep_alive,
        **tls,  # type: ignore[arg-type]
    )
    return 0


def add_serve(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="migrate the database and run the sync service",
        description="Upgrade the database schema to the newest revision, then serve the "
        "sync API under /api/v1 (OpenAPI at /openapi.json, docs at /docs). Run several "
        "processes over one PostgreSQL to scale; the service keeps no state of its own.",
    )
    _add_db(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other needs --tls-cert/--tls-key "
        "or --behind-proxy",
    )
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--tls-cert", default=None, help="PEM certificate (chain) to serve HTTPS")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--tls-key-password-env",
        default=None,
        metavar="VARIABLE",
        help="name of the environment variable holding the password of an encrypted --tls-key "
        "(never on the command line, where ps shows it)",
    )
    parser.add_argument(
        "--behind-proxy",
        action="store_true",
        help="plain HTTP on a non-loopback address, because a TLS-terminating reverse proxy "
        "(docs/deploy/nginx-central-crm.conf) is the only client; needs --forwarded-allow-ips",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="comma-separated addresses of the proxies whose X-Forwarded-Proto/-For are "
        "believed (default 127.0.0.1)",
    )
    parser.add_argument("--gzip-level", type=int, default=1, choices=range(10), metavar="0-9")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="requests this process runs at once (default: central_crm.app.DEFAULT_THREADS, "
        "8); scale with more processes, not more threads",
    )
    parser.add_argument(
        "--push-lanes",
        type=int,
        default=None,
        help="of those, how many may be pushes (default: central_crm.app.DEFAULT_PUSH_LANES, "
        "2); pushes wait for one another on the sequence counter anyway",
    )
    parser.add_argument(
        "--keep-alive",
        type=float,
        default=75.0,
        help="seconds an idle HTTP connection stays open (default 75: longer than the "
        "60 s of common load balancers and clients' pools, so the server never closes "
        "a connection a client is about to reuse)",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    parser.set_defaults(handler=_serve)


# --- users, demo, assignment, gc ------------------------------------------------------


def _password(args: argparse.Namespace) -> str:
    if args.password:
        return str(args.password)
    env = os.environ.get("CENTRAL_CRM_PASSWORD")
    if env:
        return env
    return getpass.getpass("密码 / password: ")


def _create_user(args: argparse.Namespace) -> int:
    from argon2 import PasswordHasher

    from central_crm import auth, db

    hasher = PasswordHasher()
    password = _password(args)
    # The password rule first, and the slow hash before the write transaction.
    password_hash = auth.new_password_hash(hasher, args.username, password)
    engine = _engine(args.db)
    with db.write_begin(engine) as conn:
        user = auth.create_user(
            conn,
            hasher,
            username=args.username,
            password=password,
            display_name=args.display_name or args.username,
            role=args.role,
            rm_id=args.rm_id,
            password_hash=password_hash,
        )
    print(f"已创建用户 {user.username}（{user.role}）")
    return 0


def add_create_user(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("create-user", help="add a login (RM or admin)")
    _add_db(parser)
    parser.add_argument("username")
    parser.add_argument(
        "--password", help="the password (else $CENTRAL_CRM_PASSWORD, else asked for)"
    )
    parser.add_argument("--display-name", default="")
    parser.add_argument("--role", choices=["rm", "admin"], default="rm")
    parser.add_argument("--rm-id", default=None, help="the relationship_manager id of an RM login")
    parser.set_defaults(handler=_create_user)


def _account_action(args: argparse.Namespace) -> int:
    from central_crm import auth, db

    password_hash = None
    if args.command == "set-password":
        from argon2 import PasswordHasher

        password_hash = auth.new_password_hash(PasswordHasher(), args.username, _password(args))
    engine = _engine(args.db)
    with db.write_begin(engine) as conn:
        if args.command == "disable-user":
            result = auth.set_active(conn, args.username, False)
        elif args.command == "enable-user":
            result = auth.set_active(conn, args.username, True)
        elif args.command == "revoke-tokens":
            result = auth.revoke_user_tokens(conn, args.username)
        elif args.command == "unlock":
            result = auth.unlock(conn, args.username)
        else:
            assert password_hash is not None
            result = auth.set_password(conn, args.username, password_hash)
    state = "已停用" if not result.active else ("已锁定" if result.locked else "可登录")
    print(
        f"{_DONE[args.command]}：用户 {result.username}（{state}），"
        f"注销令牌 {result.revoked_tokens} 个"
    )
    return 0


_DONE = {
    "disable-user": "已停用账号",
    "enable-user": "已启用账号",
    "revoke-tokens": "已注销全部登录",
    "set-password": "已修改密码",
    "unlock": "已解锁账号",
}


def add_account_actions(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """disable-user, enable-user, revoke-tokens, set-password, unlock."""
    for name, summary in [
        ("disable-user", "stop a login (its tokens are revoked) until enable-user"),
        ("enable-user", "let a disabled login log in again"),
        ("revoke-tokens", "sign a user out on every device (revoke every live token)"),
        ("set-password", "set a new password (the password rule applies; tokens revoked)"),
        ("unlock", "lift the lockout of a login locked after too many wrong passwords"),
    ]:
        parser = subparsers.add_parser(name, help=summary, description=summary)
        _add_db(parser)
        parser.add_argument("username")
        if name == "set-password":
            parser.add_argument(
                "--password", help="the password (else $CENTRAL_CRM_PASSWORD, else asked for)"
            )
        parser.set_defaults(handler=_account_action)


def _assign(args: argparse.Namespace) -> int:
    from central_crm import admin, db

    engine = _engine(args.db)
    with db.write_begin(engine) as conn:
        result = admin.assign(conn, args.customer_ids, args.rm_id)
    print(
        f"已移交 {result.moved} 个客户（{result.rows} 条记录），"
        f"通知原客户经理 {result.evictions} 次；未变 {len(result.unchanged)} 个"
    )
    return 0


def add_assign(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("assign", help="hand customers to another RM")
    _add_db(parser)
    parser.add_argument("rm_id", help="the new RM's relationship_manager id")
    parser.add_argument("customer_ids", nargs="+", metavar="CUSTOMER_ID")
    parser.set_defaults(handler=_assign)


def _gc(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from central_crm import admin, db

    engine = _engine(args.db)
    with db.write_begin(engine) as conn:
        result = admin.gc(
            conn, args.before_seq, keep_answers=timedelta(days=args.keep_answers_days)
        )
    total = sum(result.purged.values())
    print(f"已清理 {total} 条删除记录；同步位置低于 {result.horizon} 的设备需要重新下载")
    return 0


def _publish_catalog(args: argparse.Namespace) -> int:
    import json

    from central_crm import admin, db

    try:
        with open(args.file, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"无法读取产品目录文件 {args.file}：{exc}", file=sys.stderr)
        return 2
    if not isinstance(document, dict) or not (document.get("products") or document.get("bundles")):
        print(
            f"{args.file} 应为 JSON 对象，含 products 和/或 bundles 列表 "
            "/ expected a JSON object with a products and/or bundles list",
            file=sys.stderr,
        )
        return 2
    engine = _engine(args.db)
    try:
        with db.write_begin(engine) as conn:
            result = admin.upsert_catalog(
                conn, document.get("products") or [], document.get("bundles") or []
            )
    except ApiError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"产品目录已发布：新增 {result.inserted}，更新 {result.updated}，未变 {result.unchanged}")
    return 0


def add_publish_catalog(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "publish-catalog",
        help="publish products and bundle templates from a JSON file",
        description="Insert or update products and bundle templates by code from a JSON "
        'file {"products": [...], "bundles": [...]} of wire-form rows; every RM receives '
        "the changes with the next pull.",
    )
    _add_db(parser)
    parser.add_argument("file", help="the catalog JSON file")
    parser.set_defaults(handler=_publish_catalog)


def add_gc(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gc",
        help="purge old tombstones",
        description="Purge tombstones older than --before-seq (default: the oldest cursor "
        "of any device) and raise the horizon; devices behind it re-bootstrap.",
    )
    _add_db(parser)
    parser.add_argument("--before-seq", type=int, default=None)
    parser.add_argument(
        "--keep-answers-days",
        type=int,
        default=90,
        help="keep the stored answers to pushed edits this long (default: %(default)s)",
    )
    parser.set_defaults(handler=_gc)


def _audit_alarms(args: argparse.Namespace) -> int:
    from central_crm import audit

    alarms = audit.list_alarms(_engine(args.db), limit=args.limit)
    if not alarms:
        print("没有审计日志完整性告警 / no audit-integrity alarms")
        return 0
    for alarm in alarms:
        print(
            f"{alarm['created_at'].isoformat()}  {alarm['kind']:<11}  {alarm['username']}"
            f"  device={alarm['device_id']}  entry={alarm['row_id']}  {alarm['message']}"
        )
    print(f"共 {len(alarms)} 条告警 / {len(alarms)} alarm(s)")
    return 3


def add_audit_alarms(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit-alarms",
        help="list audit-integrity alarms (missing or altered audit entries)",
        description="List the breaks of the devices' audit chains, oldest first; exit "
        "status 3 when there is at least one.",
    )
    _add_db(parser)
    parser.add_argument("--limit", type=int, default=1000, help="the newest N (default 1000)")
    parser.set_defaults(handler=_audit_alarms)


Adder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def build_parser(prog: str = "central-crm", extra: Sequence[Adder] = ()) -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command (``extra``: more commands)."""
    parser = argparse.ArgumentParser(prog=prog, description="示范银行 central CRM")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_serve(subparsers)
    add_create_user(subparsers)
    add_account_actions(subparsers)
    add_assign(subparsers)
    add_gc(subparsers)
    add_publish_catalog(subparsers)
    add_audit_alarms(subparsers)
    for add in extra:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """Run the ``central-crm`` command line (or ``parser``'s); returns the exit status."""
    args = (parser or build_parser()).parse_args(argv)
    try:
        status: int = args.handler(args)
    except ApiError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
