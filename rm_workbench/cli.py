"""``rm-workbench``: launch the workbench (and, later, sync from the command line)."""

from __future__ import annotations

import argparse
import logging
import sys

from rm_workbench.errors import WorkbenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rm-workbench", description="客户经理工作台 / RM Workbench"
    )
    parser.add_argument("--profile", default=None, help="profile name (one cache per profile)")
    parser.add_argument(
        "--demo", action="store_true", help="open the demo profile, filled with a demo book"
    )
    parser.add_argument(
        "--no-encrypt", action="store_true", help="create a new cache without SQLCipher"
    )
    parser.add_argument("--lang", default="zh_CN", help="zh_CN (default) or en")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    profile = args.profile or ("demo" if args.demo else "default")
    try:
        from rm_workbench.ui.app import run
    except ImportError as exc:  # Qt's system libraries missing: say which
        print(f"无法启动图形界面（Qt 缺少系统库）：{exc}", file=sys.stderr)
        return 2
    try:
        return run(profile, demo=args.demo, encrypt=not args.no_encrypt, language=args.lang)
    except WorkbenchError as exc:
        print(exc.user_message, file=sys.stderr)
        if exc.details:
            print(exc.details, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
