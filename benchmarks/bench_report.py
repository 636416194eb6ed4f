"""Render the HTML report of 10k synthetic units (the MINI ruleset); print seconds and peak RSS.

    .venv/bin/python benchmarks/bench_report.py [UNITS]

Target: under 10 s for 10k units.  Above 200 units the cards carry no charts.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kaohe.engine.report import write_report  # noqa: E402
from kaohe.engine.run import run  # noqa: E402
from tests.samples import MINI  # noqa: E402


def facts_csv(n: int, seed: int = 7) -> str:
    """``n`` units with plausible court numbers (some vetoes, some awards)."""
    rng = random.Random(seed)
    lines = ["unit,name,category,received,closed,expert,integrity_violations,innovation_awards"]
    for i in range(n):
        received = rng.randint(50, 400)
        closed = int(received * rng.uniform(0.6, 1.0))
        lines.append(f"u{i:05d},单位{i:05d},{'criminal' if i % 3 else 'civil'},{received},{closed},"
                     f"{rng.uniform(55, 95):.1f},{int(rng.random() < 0.02)},{int(rng.random() < 0.1)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("units", type=int, nargs="?", default=10_000, help="how many units (default 10000)")
    n = ap.parse_args().units
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "mini.yaml").write_text(MINI.lstrip(), encoding="utf-8")
        (root / "facts.csv").write_text(facts_csv(n), encoding="utf-8")
        outcome = run(root / "mini.yaml", root / "facts.csv", period="2025Q1", db=f"sqlite:///{root / 'k.db'}")
        start = time.perf_counter()
        path = write_report(outcome.info, outcome.units, root / "report.html")
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"HTML report, {n} units: {seconds:.2f} s, {size / 1e6:.1f} MB, peak RSS {peak:.0f} MB (whole process)")


if __name__ == "__main__":
    main()
