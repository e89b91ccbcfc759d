"""Benchmark of the printed client brief: one brief, and a day's batch of 100.

    .venv/bin/python bench/bench_briefs.py [--samples 30] [--batch 100] [--out PATH]

Fills a fresh cache with the first RM's share of the demo book
(:func:`~rm_demo.cache.load_demo_book`: 300 customers with their
holdings, ~11,000 contacts, visits, needs), then through the real
:class:`~rm_workbench.services.documents.DocumentService` as that RM:

* **brief**: one customer's brief saved to a file (data gathered from the cache,
  talking points recommended, laid out, written, audit row recorded), for
  ``--samples`` customers, those with the most contacts first. Broken down into
  *data* (everything read from the cache, recommendation included) and *layout*
  (reportlab, from the ready data to the PDF bytes).
* **batch**: ``--batch`` visits planned on one day for as many customers (through
  :class:`VisitService`), then ``briefs_for_day``: one PDF, one page per visit.

Baselines measured in the same run, on the same machine: a minimal one-page PDF in
the same embedded Chinese font (the customer's name and one line, written to a
file), and a minimal PDF of ``--batch`` such pages. The ratios say how much a brief
costs over the floor reportlab and the font subset set.

Prints a table and writes ``bench/out/briefs.json``. Targets: one brief < 300 ms (p95);
the batch of 100 < 20 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from rm_demo.book import DEFAULT_TODAY  # noqa: E402
from rm_demo.cache import load_demo_book  # noqa: E402
from rm_workbench.db.cache import open_cache  # noqa: E402
from rm_workbench.domain.reminders import day_start  # noqa: E402
from rm_workbench.models import ContactLog, Customer, Visit  # noqa: E402
from rm_workbench.reports.brief import brief_pdf  # noqa: E402
from rm_workbench.reports.fonts import register_cjk_font  # noqa: E402
from rm_workbench.services.documents import DocumentService  # noqa: E402
from rm_workbench.services.visits import VisitService  # noqa: E402

TARGET_BRIEF_MS = 300.0
TARGET_BATCH_S = 20.0
OUT = ROOT / "bench" / "out" / "briefs.json"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000, value


def minimal_pdf(path: Path, font: str, pages: list[tuple[str, str]]) -> None:
    """The floor: one line of Chinese per page in the same embedded font, to a file."""
    canvas = Canvas(str(path), pagesize=A4, initialFontName=font)
    for name, line in pages:
        canvas.setFont(font, 16)
        canvas.drawString(72, 760, name)
        canvas.setFont(font, 10)
        canvas.drawString(72, 740, line)
        canvas.showPage()
    canvas.save()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="customers for the one-brief run")
    parser.add_argument("--batch", type=int, default=100, help="visits (briefs) in the batch")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rm-bench-briefs-"))
    cache = open_cache(work / "cache.db")
    try:
        started = time.perf_counter()
        counts = load_demo_book(cache)
        load_s = time.perf_counter() - started
        with cache.engine.connect() as conn:
            rm_id = conn.execute(select(Customer.rm_id).limit(1)).scalar_one()
            by_contacts = [
                row.id
                for row in conn.execute(
                    select(Customer.id)
                    .outerjoin(ContactLog, ContactLog.customer_id == Customer.id)
                    .group_by(Customer.id)
                    .order_by(func.count(ContactLog.id).desc(), Customer.customer_no)
                )
            ]
        print(f"demo book: {counts['customer']} customers, {counts['contact_log']:,} contacts")

        font_ms, font = timed(register_cjk_font)  # first use: finds and parses the font
        documents = DocumentService(cache, rm_id=rm_id, user_name="bench")
        today = DEFAULT_TODAY
        out = work / "pdf"
        out.mkdir()

        # The first brief of the process (first layout, caches cold): reported, not counted.
        first_ms, _ = timed(lambda: documents.brief(by_contacts[-1], out / "warm.pdf", today=today))
        minimal_pdf(out / "warm-min.pdf", font, [("客户", "预热")])

        brief_ms: list[float] = []
        data_ms: list[float] = []
        layout_ms: list[float] = []
        baseline_ms: list[float] = []
        pages: list[int] = []
        imprint = documents._imprint()  # the layout-only timing needs the page's imprint
        for index, customer_id in enumerate(by_contacts[: args.samples]):
            clock = time.perf_counter()
            result = documents.brief(customer_id, out / f"b{index}.pdf", today=today)
            brief_ms.append((time.perf_counter() - clock) * 1000)
            pages.append(result.pages)

            clock = time.perf_counter()
            data = documents._brief_data(customer_id, today=today, reveal=False)
            data_ms.append((time.perf_counter() - clock) * 1000)

            clock = time.perf_counter()
            brief_pdf(data, imprint, font=font)
            layout_ms.append((time.perf_counter() - clock) * 1000)

            clock = time.perf_counter()
            minimal_pdf(
                out / f"m{index}.pdf", font, [(data.customer.name, data.customer.customer_no)]
            )
            baseline_ms.append((time.perf_counter() - clock) * 1000)
        assert set(pages) == {1}, pages

        # The batch: a day with no visits yet, one visit per customer.
        day = today + timedelta(days=45)
        visits = VisitService(cache, rm_id=rm_id)
        with cache.engine.connect() as conn:
            existing = conn.execute(
                select(func.count())
                .select_from(Visit)
                .where(
                    Visit.planned_start >= day_start(day),
                    Visit.planned_start < day_start(day + timedelta(days=1)),
                    Visit.status != "cancelled",
                )
            ).scalar_one()
        batch_customers = by_contacts[: args.batch - existing]
        for index, customer_id in enumerate(batch_customers):
            visits.plan(
                customer_id,
                start=day_start(day) + timedelta(hours=8, minutes=5 * index),
                purpose="批量简报基准",
            )
        batch_ms, batch = timed(lambda: documents.briefs_for_day(day, out / "day.pdf"))
        assert batch.pages == args.batch, (batch.pages, args.batch)
        names = [(c, c) for c in batch.customer_ids]
        batch_base_ms, _ = timed(
            lambda: minimal_pdf(
                out / "day-min.pdf", font, [(n, m) for n, m in names][: batch.pages]
            )
        )

        brief = summary(brief_ms)
        base = summary(baseline_ms)
        rows = [
            ("brief (save, audited)", brief),
            ("  data from the cache", summary(data_ms)),
            ("  layout (reportlab)", summary(layout_ms)),
            ("baseline: 1-page minimal PDF", base),
        ]
        header = f"{'':32} {'n':>4} {'median':>8} {'p95':>8} {'max':>8} {'× base':>7}"
        print(
            f"font registration (first use): {font_ms:.0f} ms; first brief of the process: "
            f"{first_ms:.0f} ms; times in ms"
        )
        print(header)
        print("-" * len(header))
        for label, s in rows:
            ratio = s["median"] / base["median"] if base["median"] else float("nan")
            print(
                f"{label:32} {s['n']:>4} {s['median']:>8.1f} {s['p95']:>8.1f} "
                f"{s['max']:>8.1f} {ratio:>7.1f}"
            )
        batch_ratio = batch_ms / batch_base_ms
        print(
            f"batch of {batch.pages} briefs: {batch_ms / 1000:.2f} s "
            f"({batch_ms / batch.pages:.0f} ms a page); baseline {batch.pages}-page minimal PDF "
            f"{batch_base_ms:.0f} ms; × base {batch_ratio:.0f}"
        )
        brief_ok = brief["p95"] < TARGET_BRIEF_MS
        batch_ok = batch_ms / 1000 < TARGET_BATCH_S
        print(
            f"target one brief p95 < {TARGET_BRIEF_MS:.0f} ms: {'met' if brief_ok else 'MISSED'}; "
            f"target batch < {TARGET_BATCH_S:.0f} s: {'met' if batch_ok else 'MISSED'}"
        )

        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "book": {"customers": counts["customer"], "contacts": counts["contact_log"]},
            "load_demo_book_s": round(load_s, 2),
            "font_registration_ms": round(font_ms, 1),
            "first_brief_ms": round(first_ms, 1),
            "brief_ms": brief,
            "brief_data_ms": summary(data_ms),
            "brief_layout_ms": summary(layout_ms),
            "baseline_minimal_pdf_ms": base,
            "brief_ratio_to_baseline": round(brief["median"] / base["median"], 1),
            "batch": {
                "briefs": batch.pages,
                "seconds": round(batch_ms / 1000, 2),
                "ms_per_brief": round(batch_ms / batch.pages, 1),
                "baseline_minimal_pdf_ms": round(batch_base_ms, 1),
                "ratio_to_baseline": round(batch_ratio, 1),
                "pdf_kb": round((out / "day.pdf").stat().st_size / 1024),
            },
            "targets": {
                "brief_p95_ms": TARGET_BRIEF_MS,
                "brief_met": brief_ok,
                "batch_s": TARGET_BATCH_S,
                "batch_met": batch_ok,
            },
        }
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"written {args.out}")
        return 0 if brief_ok and batch_ok else 1
    finally:
        cache.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
