"""The demo's command lines.

* ``rm-workbench-demo``: the workbench over the embedded demo central CRM (what
  ``bash scripts/demo.sh`` runs): :func:`workbench_main` hands
  :func:`rm_workbench.cli.main` a :class:`rm_workbench.launch.Demo`.
* ``central-crm-demo``: the ``central-crm`` commands, plus ``load-demo`` (the demo
  book into an empty database, one login per RM) and ``demo-book`` (its row counts,
  no database); its ``serve`` has the demo's ``POST /admin/demo-book``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from argon2 import PasswordHasher

from central_crm import cli as central_cli
from rm_demo.book import DEFAULT_SEED, SIZES, generate_book
from rm_demo.central import (
    DEMO_PASSWORD,
    DemoBookRequest,
    create_demo_admin,
    create_demo_app,
    load_demo_book,
    start_demo_central,
)
from rm_workbench import cli as workbench_cli
from rm_workbench.launch import Demo


def workbench_main(argv: list[str] | None = None) -> int:
    """``rm-workbench-demo``: ``rm-workbench`` on the demo profile, over the embedded
    demo central CRM."""
    return workbench_cli.main(
        argv, demo=Demo(start_central=start_demo_central, password=DEMO_PASSWORD)
    )


def _load_demo(args: argparse.Namespace) -> int:
    engine = central_cli._engine(args.db)
    hasher = PasswordHasher()
    result = load_demo_book(
        engine,
        hasher,
        DemoBookRequest(size=args.size, seed=args.seed, password=args.password),
    )
    if args.admin:
        create_demo_admin(engine, hasher, args.admin, args.password)
    print(f"示范客户簿已载入（{result.seconds:.1f} s，序号至 {result.server_seq}）")
    for name, count in result.tables.items():
        print(f"  {name:<22} {count:>9,}")
    print(f"客户经理登录名（密码 {args.password}）：{', '.join(result.users) or '（已存在）'}")
    return 0


def add_load_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "load-demo",
        help="load the demo book into an empty database",
        description="Load the generated demo book; every RM gets a login named after the "
        "employee number with the given password.",
    )
    central_cli._add_db(parser)
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--password", default="demo-password")
    parser.add_argument("--admin", default="admin", help="also create this admin login ('' = none)")
    parser.set_defaults(handler=_load_demo)


def _demo_book(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    book = generate_book(args.size, seed=args.seed, with_activity=not args.no_activity)
    elapsed = time.perf_counter() - started
    customers = len(book.tables["customer"])
    print(f"示范客户簿 size={args.size} seed={book.seed} today={book.today.isoformat()}")
    print(f"generated in {elapsed:.2f} s")
    print()
    width = max(len(name) for name in book.tables)
    for name, count in book.counts().items():
        print(f"  {name:<{width}}  {count:>9,}")
    print(f"  {'total':<{width}}  {book.row_count():>9,}")
    print()
    print("deliberate data-quality defects:")
    for kind, ids in book.mess.items():
        print(f"  {kind:<{width}}  {len(ids):>9,}")
    messy = len(book.messy_customer_ids())
    print(f"  {'customers affected':<{width}}  {messy:>9,}  ({messy / customers:.1%})")
    sparse = len(book.sparse_profiles)
    print(f"  {'name + ID only':<{width}}  {sparse:>9,}  ({sparse / customers:.1%})")
    return 0


def add_demo_book(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo-book",
        help="generate the demo book and print its row counts",
        description="Generate the deterministic demo book and print per-table row counts "
        "and the deliberate data-quality defects.",
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="default")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--no-activity",
        action="store_true",
        help="only branches, RMs, products, customers and groups (fast, for search benchmarks)",
    )
    parser.set_defaults(handler=_demo_book)


def central_main(argv: Sequence[str] | None = None) -> int:
    """``central-crm-demo``: ``central-crm`` with the demo's commands and endpoint."""
    parser = central_cli.build_parser("central-crm-demo", extra=(add_load_demo, add_demo_book))
    parser.set_defaults(app_factory=create_demo_app)
    return central_cli.main(argv, parser)


if __name__ == "__main__":
    sys.exit(workbench_main())
