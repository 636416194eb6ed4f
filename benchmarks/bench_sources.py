"""Several departments' files joined by unit, and the previous-period comparison, at scale.

For each size, seeded facts for rulesets/huojia-county/towns.yaml are written
(not timed) once as one CSV and once split into three departments' CSVs; then
this prints the best of three:

- reading the one file (``load_facts``: the columnar reader);
- reading the three files joined by unit (each row by row in partial mode, then the join);
- reading the previous period's stored facts and comparing (``suspicious_ratio``).

    .venv/bin/python benchmarks/bench_sources.py                 # 10k and 100k units
    .venv/bin/python benchmarks/bench_sources.py --sizes 50000
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kaohe.engine.facts import load_facts
from kaohe.engine.facts.quality import compared_facts, suspicious
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.store import Store
from kaohe.engine.store_inputs import previous_facts

RULESET = Path(__file__).resolve().parent.parent / "rulesets" / "huojia-county" / "towns.yaml"
COLUMNS = ["letters", "letters_solved", "satisfaction", "revenue", "revenue_target", "hazards", "hazards_fixed",
           "accidents"]
SPLIT = {"letters.csv": ["name", "category", "letters", "letters_solved", "satisfaction"],
         "finance.csv": ["revenue", "revenue_target"], "safety.csv": ["hazards", "hazards_fixed", "accidents"]}


def write(folder: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        letters, hazards = rng.randint(10, 60), rng.randint(10, 40)
        rows.append({"unit": f"u{i:07d}", "name": f"镇{i}", "category": "plain", "letters": letters,
                     "letters_solved": letters - rng.randint(0, 3), "satisfaction": round(rng.uniform(0.8, 0.99), 4),
                     "revenue": rng.randint(500, 900), "revenue_target": 800, "hazards": hazards,
                     "hazards_fixed": hazards - rng.randint(0, 2), "accidents": 0})
    header = ["unit", "name", "category", *COLUMNS]
    (folder / "all.csv").write_text(",".join(header) + "\n" + "".join(
        ",".join(str(r[h]) for h in header) + "\n" for r in rows), encoding="utf-8")
    for name, cols in SPLIT.items():
        (folder / name).write_text(",".join(["unit", *cols]) + "\n" + "".join(
            ",".join(str(r[h]) for h in ["unit", *cols]) + "\n" for r in rows), encoding="utf-8")


def best(f: Callable[[], object], times: int = 3) -> float:
    out = []
    for _ in range(times):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return min(out)


def measure(n: int) -> str:
    """The figures for ``n`` units, as one line."""
    rs = load_ruleset(RULESET)
    m = rs.model
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder, n, seed=n)
        one = best(lambda: load_facts(folder / "all.csv", m.facts, m.categories, period_kind=m.period,
                                      period="2025Q1"))
        three = best(lambda: load_facts([folder / f for f in SPLIT], m.facts, m.categories,
                                        period_kind=m.period, period="2025Q1"))
        db = f"sqlite:///{folder / 'k.db'}"
        run(RULESET, folder / "all.csv", period="2025Q1", db=db)
        facts = load_facts(folder / "all.csv", m.facts, m.categories, period_kind=m.period, period="2025Q2")
        store = Store(db)
        before = store.current_run(m.family_id, "2025Q1")
        before_id = before.id if before is not None else None
        read = best(lambda: previous_facts(store, before_id, facts.units, compared_facts(m)))
        earlier = previous_facts(store, before_id, facts.units, compared_facts(m))
        compare = best(lambda: suspicious(rs, facts, earlier))
    return (f"{n:>8} units: one file {one:6.2f} s | three files joined {three:6.2f} s ({three / one:.1f}×) | "
            f"previous facts read {read:5.2f} s, compared {compare:5.3f} s")


def main() -> None:
    """Command line: ``--sizes N …``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    for n in args.sizes:
        print(measure(n))


if __name__ == "__main__":
    main()
