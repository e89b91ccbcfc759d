"""Soak of the sync: the fault-injection rounds of tests/support/harness.py, many of them.

    .venv/bin/python bench/soak_sync.py [--rounds 10000] [--seed N] [--postgresql URL]

Starts the central CRM on loopback over a fresh SQLite file (or an empty PostgreSQL
schema it creates and drops), seeds a small book and plays ``--rounds`` seeded rounds
with three devices behind fault proxies: edits, server-side changes, broken
connections, killed clients; after every round all replicas must converge, no
acknowledged edit may be lost and nothing may be duplicated. Progress is printed every
``--every`` rounds; the final counts go to ``bench/out/soak.json``. A failure prints
the seed and round that replay it and exits 1.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness lives in the tests package

from central_crm import db  # noqa: E402
from central_crm.app import create_app  # noqa: E402
from central_crm.server import run_in_thread  # noqa: E402
from tests.central.conftest import FAST_HASHER  # noqa: E402
from tests.support.harness import HarnessFailure, HarnessResult, run_rounds  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--every", type=int, default=100, help="print progress every N rounds")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run against PostgreSQL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "soak.json")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="soak-sync-"))
    schema = None
    if args.postgresql:
        schema = f"soak_{uuid.uuid4().hex[:12]}"
        admin = db.make_engine(args.postgresql)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        admin.dispose()
        url = f"{args.postgresql}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{work / 'central.db'}"
    app = create_app(url, password_hasher=FAST_HASHER)
    server = run_in_thread(app)
    backend = app.state.engine.dialect.name
    print(f"soak: {args.rounds} rounds, seed {args.seed}, {backend}, work in {work}", flush=True)

    def progress(result: HarnessResult) -> None:
        print(f"  {time.strftime('%H:%M:%S')} {result.summary()}", flush=True)

    status = 0
    result: HarnessResult | None = None
    failure: str | None = None
    started = time.perf_counter()
    try:
        result = run_rounds(
            server.root,
            app.state.engine,
            rounds=args.rounds,
            seed=args.seed,
            devices=args.devices,
            workdir=work / "devices",
            progress=progress,
            progress_every=args.every,
        )
    except HarnessFailure as exc:
        failure = str(exc)
        print(f"FAILED: {failure}", flush=True)
        status = 1
    finally:
        server.stop()
        app.state.engine.dispose()
        if schema is not None:
            admin = db.make_engine(args.postgresql)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    report = {
        "rounds_requested": args.rounds,
        "seed": args.seed,
        "backend": backend,
        "devices": args.devices,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "failure": failure,
        "result": result.as_dict() if result is not None else None,
    }
    if result is not None:
        print(result.summary())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
