"""How fast does ``load_book`` fill an empty cache, against plain sqlite3?

    .venv/bin/python bench/bench_load.py [--size 5k] [--repeat 3]

The demo book is generated once (not timed). Then, best of ``--repeat`` runs each,
every run on a fresh cache file migrated by ``open_cache``:

* baseline: the standard library's ``sqlite3`` ``executemany`` of plain INSERTs, the
  rows converted beforehand (not timed) to what the cache stores (fen, UTC ISO text,
  enum values, ISO dates), with the cache's pragmas (foreign keys on);
* upsert baseline (for context): the same, with ``ON CONFLICT (id) DO UPDATE`` SQL;
* ours: ``load_book`` in one transaction, from the generated Python values.

Timings include the commit. The first run of ours is checked cell by cell against the
baseline's file, so a fast but wrong loader cannot pass. Figures are printed and
written to ``bench/out/load.json``. The target is a ratio (ours / baseline) <= 2.0.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, Table
from sqlalchemy import Enum as SAEnum

from rm_contract.types import JSONList, Money, Rate, UTCDateTime, decimal_to_fen, utc_iso
from rm_demo.book import SIZES, generate_book
from rm_workbench.db.bulk import load_book
from rm_workbench.db.cache import open_cache
from rm_workbench.models import Base

OUT = Path(__file__).resolve().parent / "out" / "load.json"
Prepared = list[tuple[str, list[str], list[tuple[Any, ...]]]]


def _stored(table: Table, name: str) -> Callable[[Any], Any]:
    """The stored form of a column's value, written independently of bulk.py."""
    kind = table.c[name].type
    if isinstance(kind, Money):
        return lambda v: None if v is None else decimal_to_fen(v)
    if isinstance(kind, Rate):
        return lambda v: None if v is None else format(Decimal(v).normalize(), "f")
    if isinstance(kind, UTCDateTime):
        return lambda v: None if v is None else utc_iso(v)
    if isinstance(kind, JSONList):
        return lambda v: (
            None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        )
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else int(v)
    if isinstance(kind, SAEnum):
        return lambda v: v.value if isinstance(v, Enum) else v
    return lambda v: v


def prepare(tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> Prepared:
    prepared: Prepared = []
    for table in Base.metadata.sorted_tables:
        rows = tables.get(table.name)
        if not rows:
            continue
        columns = list(rows[0].keys())
        converters = [_stored(table, c) for c in columns]
        data = [tuple(f(row[c]) for c, f in zip(columns, converters, strict=True)) for row in rows]
        prepared.append((table.name, columns, data))
    return prepared


def fresh_cache_file(directory: Path, name: str) -> Path:
    path = directory / name
    open_cache(path).dispose()  # the real migrated schema
    return path


def run_sqlite3(path: Path, prepared: Prepared, *, upsert: bool) -> float:
    db = sqlite3.connect(path)
    try:
        # The same pragmas as rm_workbench.db.engine sets on every connection.
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA synchronous = NORMAL")
        started = time.perf_counter()
        for name, columns, data in prepared:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"
            if upsert:
                updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
                sql += f" ON CONFLICT (id) DO UPDATE SET {updates}"
            db.executemany(sql, data)
        db.commit()
        return time.perf_counter() - started
    finally:
        db.close()


def run_ours(path: Path, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> float:
    cache = open_cache(path)
    try:
        started = time.perf_counter()
        with cache.engine.begin() as conn:
            load_book(conn, tables)
        return time.perf_counter() - started
    finally:
        cache.dispose()


def assert_same_content(a: Path, b: Path, prepared: Prepared) -> None:
    with sqlite3.connect(a) as left, sqlite3.connect(b) as right:
        for name, _columns, data in prepared:
            query = f"SELECT * FROM {name} ORDER BY id"
            rows_a = left.execute(query).fetchall()
            rows_b = right.execute(query).fetchall()
            if rows_a != rows_b or len(rows_a) != len(data):
                raise SystemExit(f"load_book and the baseline disagree on table {name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="5k")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    book = generate_book(args.size)
    generated = time.perf_counter() - started
    rows = book.row_count()
    print(f"book {args.size}: {rows:,} rows generated in {generated:.2f} s")
    prepared = prepare(book.tables)

    baseline: list[float] = []
    upsert_baseline: list[float] = []
    ours: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        directory = Path(tmp)
        for run in range(args.repeat):
            base_path = fresh_cache_file(directory, f"baseline-{run}.db")
            baseline.append(run_sqlite3(base_path, prepared, upsert=False))
            upsert_path = fresh_cache_file(directory, f"upsert-{run}.db")
            upsert_baseline.append(run_sqlite3(upsert_path, prepared, upsert=True))
            our_path = fresh_cache_file(directory, f"ours-{run}.db")
            ours.append(run_ours(our_path, book.tables))
            if run == 0:
                assert_same_content(base_path, our_path, prepared)
            for path in (base_path, upsert_path, our_path):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            print(
                f"  run {run + 1}: baseline {baseline[-1]:.2f} s, "
                f"upsert baseline {upsert_baseline[-1]:.2f} s, load_book {ours[-1]:.2f} s"
            )

    best_base, best_upsert, best_ours = min(baseline), min(upsert_baseline), min(ours)
    ratio = best_ours / best_base
    print()
    print(f"{'':<28}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
    for label, seconds in (
        ("sqlite3 executemany INSERT", best_base),
        ("sqlite3 executemany upsert", best_upsert),
        ("load_book", best_ours),
    ):
        print(f"{label:<28}{rows:>10,}{seconds:>10.2f}{rows / seconds:>12,.0f}")
    print(f"ratio load_book / baseline: {ratio:.2f} (target <= 2.0)")

    OUT.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "size": args.size,
        "seed": book.seed,
        "rows": rows,
        "tables": book.counts(),
        "generate_seconds": round(generated, 3),
        "repeat": args.repeat,
        "baseline_seconds": round(best_base, 3),
        "baseline_rows_per_second": round(rows / best_base),
        "upsert_baseline_seconds": round(best_upsert, 3),
        "load_book_seconds": round(best_ours, 3),
        "load_book_rows_per_second": round(rows / best_ours),
        "ratio": round(ratio, 3),
        "target_ratio": 2.0,
        "runs": {"baseline": baseline, "upsert_baseline": upsert_baseline, "load_book": ours},
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "today": date.isoformat(book.today),
    }
    OUT.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
