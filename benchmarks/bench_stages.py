"""End-to-end benchmark: synthetic courts through the example court ruleset.

For each size (default 10k, 100k, 1M units) a fresh subprocess writes a seeded
CSV (not timed), then times each stage — load ruleset, load facts,
indicators+scores, rules, grades, store (SQLite) — and end to end, printing
units per second and the peak resident memory after each stage.

    .venv/bin/python benchmarks/bench_stages.py                 # 10k, 100k, 1M
    .venv/bin/python benchmarks/bench_stages.py --sizes 100000  # one size
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "shunde-court" / "court.yaml"
# the benchmark rulesets are written to a scratch folder and extend the bundled court: let extends read
# the repository's rulesets (as an office lists its national core library; docs/running.md)
os.environ["KAOHE_LIBRARY"] = os.pathsep.join(filter(None, [os.environ.get("KAOHE_LIBRARY"), str(ROOT / "rulesets")]))


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_facts(path: Path, n: int, seed: int, period: str) -> None:
    """Seeded synthetic facts for every fact the court ruleset declares."""
    import numpy as np

    from kaohe.engine.ruleset import load_ruleset

    model = load_ruleset(RULESET).model
    rng = np.random.default_rng(seed)
    cats = list(model.categories)
    cols: dict[str, np.ndarray] = {}
    received = rng.integers(50, 400, n)
    for fid, fact in model.facts.items():
        if fact.type == "string":
            continue
        lo = fact.min if fact.min is not None else 0
        hi = fact.max if fact.max is not None else None
        if "received" in fid or "收案" in fact.label:
            col = received
        elif "closed" in fid or "结案" in fact.label:
            col = np.minimum(received, (received * rng.uniform(0.6, 1.0, n)).astype(int))
        elif fact.type == "boolean" or fact.required is False:
            col = (rng.random(n) < 0.03).astype(int)
        elif fact.type == "integer":
            col = rng.integers(int(lo), int(hi if hi is not None else lo + 200) + 1, n)
        else:
            top = float(hi) if hi is not None else float(lo) + 100.0
            col = np.round(rng.uniform(float(lo), top, n), 4)
        cols[fid] = col
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["unit", "name", "category", "period", *cols])
        for i in range(n):
            w.writerow([f"u{i:07d}", f"单位{i}", cats[i % len(cats)], period,
                         *(int(c[i]) if c.dtype.kind in "iu" else float(c[i]) for c in cols.values())])


def bench_ruleset(folder: Path) -> Path:
    """The court ruleset without its DEA indicator (DEA solves one LP per unit over all
    units of a category, so at 100k+ units it is measured in bench_plugins.py, not here);
    its weight goes to the closure rate."""
    from kaohe.engine.ruleset import load_ruleset

    model = load_ruleset(RULESET).model
    dea = [k for k, ind in model.indicators.items() if ind.metric == "dea"]
    weights = {}
    for cat, table in model.weights.items():
        plain = dict(table) if isinstance(table, dict) else {}
        moved = sum(float(plain.pop(k, 0)) for k in dea)
        first = next(iter(plain))
        plain[first] = float(plain[first]) + moved
        weights[cat] = plain
    child = {"kaohe": 1, "id": model.id, "name": model.name + "（基准测试）",
             "extends": str(RULESET), "remove": dea, "weights": weights}
    path = folder / "bench.yaml"
    path.write_text(json.dumps(child, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    return path


def run_one(n: int, seed: int) -> dict[str, object]:
    """Time one size in this process; return figures as a dict."""
    from kaohe.engine.evaluate import Timings, evaluate
    from kaohe.engine.facts import load_facts
    from kaohe.engine.ruleset import load_ruleset
    from kaohe.engine.run import ruleset_json
    from kaohe.engine.store import RunInfo, Store
    from kaohe.engine.store_rows import FactColumns

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "facts.csv"
        write_facts(csv_path, n, seed, "2025Q1")
        ruleset_path = bench_ruleset(Path(tmp))
        rows: list[tuple[str, float, float]] = []
        start = t = time.perf_counter()
        ruleset = load_ruleset(ruleset_path)
        rows.append(("load ruleset", time.perf_counter() - t, peak_mb()))
        t = time.perf_counter()
        m = ruleset.model
        facts = load_facts(csv_path, m.facts, m.categories, period_kind=m.period, period="2025Q1")
        rows.append(("load facts", time.perf_counter() - t, peak_mb()))
        timings = Timings()
        evaluation = evaluate(ruleset, facts, timings=timings)
        for stage in ("indicators", "scores", "rules", "grades"):
            rows.append((stage, timings.stages.get(stage, 0.0), peak_mb()))
        t = time.perf_counter()
        store = Store(f"sqlite:///{tmp}/bench.db")
        info = RunInfo.new(
            ruleset_id=m.id, ruleset_name=m.name, ruleset_sha256=ruleset.sha256,
            facts_sha256=facts.sha256, period="2025Q1", units=len(facts),
            ruleset_path=str(RULESET), facts_path=str(csv_path), ruleset_json=ruleset_json(ruleset),
            ties=[], timings=timings.stages, kaohe_version="bench",
        )
        store.save_run(info, evaluation, FactColumns(facts.numbers, facts.strings))
        rows.append(("store", time.perf_counter() - t, peak_mb()))
        total = time.perf_counter() - start
    return {"units": n, "stages": rows, "total": total, "peak_mb": peak_mb()}


def print_figures(fig: dict[str, object]) -> None:
    """One table per size."""
    n = int(fig["units"])  # type: ignore[call-overload]
    print(f"\n== {n:,} units ==")
    print(f"{'stage':<14}{'seconds':>10}{'units/s':>14}{'peak RSS MiB':>15}")
    for stage, secs, mb in fig["stages"]:  # type: ignore[attr-defined]
        rate = n / secs if secs > 0 else float("inf")
        print(f"{stage:<14}{secs:>10.2f}{rate:>14,.0f}{mb:>15,.0f}")
    total = float(fig["total"])  # type: ignore[arg-type]
    print(f"{'end to end':<14}{total:>10.2f}{n / total:>14,.0f}{float(fig['peak_mb']):>15,.0f}")  # type: ignore[arg-type]


def main() -> None:
    """Run each size in its own process so peak memory is per size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=20250101)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.seed)))
        return
    for n in args.sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--seed", str(args.seed)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            print(f"{n} units: failed\n{proc.stderr[-3000:]}", file=sys.stderr)
            continue
        print_figures(json.loads(proc.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
