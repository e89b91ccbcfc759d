"""Render each printed document from the demo book to PNG for the README.

    .venv/bin/python scripts/render_documents.py [--out docs/documents] [--keep DIR]

Loads the first RM's share of the demo book into a throw-away cache, then, as that
RM on the demo book's "today":

* **brief**: the client brief of a customer visited in the coming week: the one holding
  the most kinds of products among those recommended a bundle with a wealth product;
* **visit_report**: that customer's completed visit with the longest notes (else any);
* **proposal**: records that customer's best such bundle through
  :class:`ProposalService` and prints it.

Each PDF goes through the real :class:`DocumentService` (masked identifiers, audit
rows), then ``pdftoppm`` renders its first page to ``<out>/<kind>.png``. The demo
logo (``rm_workbench/resources/demo_logo.png``, drawn with Pillow shapes, no text and
no font) is drawn first if it is missing. ``--keep DIR`` keeps the PDFs there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from rm_demo.book import DEFAULT_TODAY  # noqa: E402
from rm_demo.cache import load_demo_book  # noqa: E402
from rm_workbench.config import bank_config  # noqa: E402
from rm_workbench.db.cache import open_cache  # noqa: E402
from rm_workbench.domain.recommend import BundleSuggestion  # noqa: E402
from rm_workbench.domain.reminders import day_start  # noqa: E402
from rm_workbench.models import Account, Customer, Visit  # noqa: E402
from rm_workbench.services.documents import DocumentService  # noqa: E402
from rm_workbench.services.proposals import ProposalItem, ProposalService  # noqa: E402

LOGO = ROOT / "rm_workbench" / "resources" / "demo_logo.png"


def draw_demo_logo(path: Path) -> None:
    """A square-holed coin (方孔钱) on a navy tile: shapes only, transparent corners."""
    from PIL import Image, ImageDraw

    size = 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, size - 8, size - 8), radius=44, fill=(31, 58, 95, 255))
    gold = (201, 162, 39, 255)
    draw.ellipse((44, 44, size - 44, size - 44), fill=gold)
    draw.ellipse((62, 62, size - 62, size - 62), outline=(31, 58, 95, 255), width=6)
    hole = 30
    centre = size // 2
    draw.rectangle(
        (centre - hole, centre - hole, centre + hole, centre + hole), fill=(31, 58, 95, 255)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def to_png(pdf: Path, png: Path, *, dpi: int = 110) -> None:
    """The first page of ``pdf`` as ``png`` (pdftoppm adds the extension itself)."""
    stem = png.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "documents")
    parser.add_argument("--keep", type=Path, help="keep the PDFs in this folder")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        print("pdftoppm (poppler-utils) is needed", file=sys.stderr)
        return 1
    if not LOGO.exists():
        draw_demo_logo(LOGO)
        print(f"drew {LOGO.relative_to(ROOT)}")

    work = Path(tempfile.mkdtemp(prefix="rm-documents-"))
    pdfs = args.keep or work
    pdfs.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = open_cache(work / "cache.db")
    try:
        load_demo_book(cache)
        today = DEFAULT_TODAY
        tomorrow = today + timedelta(days=1)
        with cache.engine.connect() as conn:
            rm_id = conn.execute(select(Customer.rm_id).limit(1)).scalar_one()
            kinds = (
                select(func.count(func.distinct(Account.account_type)))
                .where(Account.customer_id == Visit.customer_id)
                .scalar_subquery()
            )
            candidates = list(
                conn.execute(
                    select(Visit.customer_id)
                    .where(
                        Visit.planned_start >= day_start(tomorrow),
                        Visit.planned_start < day_start(tomorrow + timedelta(days=7)),
                        Visit.status != "cancelled",
                    )
                    .order_by(kinds.desc(), Visit.planned_start)
                ).scalars()
            )
        base = bank_config()
        config = base.model_copy(update={"bank": base.bank.model_copy(update={"logo": str(LOGO)})})
        user = "E880001"
        documents = DocumentService(cache, rm_id=rm_id, user_name=user, config=config)
        proposals = ProposalService(cache, rm_id=rm_id, user_name=user, config=config)

        # Prefer a customer with a recommended bundle holding a wealth product: the
        # proposal then shows the risk level against the customer's tolerance.
        def bundles_of(customer: str) -> list[BundleSuggestion]:
            return list(proposals.recommend(customer, today=today).bundles)

        chosen = [(c, bundles_of(c)) for c in candidates]
        customer_id, bundles = next(
            (
                (c, [b for b in found if any(i.risk_level for i in b.items)])
                for c, found in chosen
                if any(i.risk_level for b in found for i in b.items)
            ),
            chosen[0],
        )
        if not bundles:
            print("the demo customer has no recommended bundle", file=sys.stderr)
            return 1
        bundle = bundles[0]
        with cache.engine.connect() as conn:
            visit_id = conn.execute(
                select(Visit.id)
                .where(Visit.status == "done", Visit.report.is_not(None))
                .order_by(
                    (Visit.customer_id == customer_id).desc(),
                    func.length(Visit.report).desc(),
                    Visit.actual_start.desc(),
                )
                .limit(1)
            ).scalar_one()
        noon = day_start(today) + timedelta(hours=10)
        recorded = proposals.record(
            customer_id,
            title=bundle.name,
            items=[ProposalItem(item.product_code, item.amount) for item in bundle.items],
            reasons=bundle.reasons,
            template_code=bundle.template_code,
            valid_until=today + timedelta(days=bundle.valid_days),
            now=noon,
        )
        results = [
            documents.brief(customer_id, pdfs / "brief.pdf", today=today),
            documents.visit_report(visit_id, pdfs / "visit_report.pdf"),
            documents.proposal(recorded.id, pdfs / "proposal.pdf"),
        ]
        for result in results:
            png = args.out / f"{result.kind}.png"
            to_png(result.path, png)
            print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: {result.title}")
    finally:
        cache.dispose()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
