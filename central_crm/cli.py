"""Command line of the central CRM (the ``central-crm`` console script).

Each subcommand is a ``add_*`` function registering its parser and a handler, so a
new one (``serve``) is one more function and one more line in :func:`build_parser`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from central_crm.demo_book import DEFAULT_SEED, SIZES, generate_book


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


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per command."""
    parser = argparse.ArgumentParser(prog="central-crm", description="示范银行 central CRM")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_demo_book(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``central-crm`` command line; returns the process exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
