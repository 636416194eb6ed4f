"""``kaohe diff`` at scale: each form against one ``kaohe run`` of the same facts.

A seeded synthetic court (benchmarks/bench_stages.py's facts and ruleset, without DEA) is run once,
then compared with a "next year" version (other weights, a stricter closure-rate scale, a smaller
quota) in the three forms, all through the installed CLI with ``--json`` (the full document,
every changed unit with its causes, written to /dev/null):

    .venv/bin/python benchmarks/bench_diff.py                  # 100k units
    .venv/bin/python benchmarks/bench_diff.py --sizes 10000 100000

The target (issue 10): a diff of 100k units in under twice the time of one run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_stages import bench_ruleset, write_facts  # noqa: E402

KAOHE = Path(sys.executable).parent / "kaohe"


def next_year(folder: Path, base: Path) -> Path:
    """The benchmark ruleset with other weights, a stricter scale and a smaller quota."""
    from kaohe.engine.ruleset import load_ruleset

    model = load_ruleset(base).model
    weights: dict[str, dict[str, float]] = {}
    for cat, table in model.weights.items():
        plain = {k: float(v) for k, v in dict(table).items()}  # type: ignore[arg-type]
        keys = list(plain)
        moved = min(5.0, plain[keys[-1]])
        plain[keys[0]] += moved
        plain[keys[-1]] -= moved
        weights[cat] = plain
    grades = [g.model_dump(mode="json", exclude_none=True) for g in model.grades]
    grades[0]["quota"] = "15%"
    child = {"kaohe": 1, "id": model.id.replace("2025", "2026"), "name": model.name + "（2026）",
             "extends": str(base), "weights": weights, "grades": grades,
             "indicators": {"closure_rate": {"score": {"linear": {"worst": 0.65, "best": 0.95}}}}}
    path = folder / "next.yaml"
    path.write_text(json.dumps(child, ensure_ascii=False), encoding="utf-8")
    return path


def timed(*args: str, cwd: Path) -> tuple[float, str]:
    """Seconds one CLI call takes, and its stdout."""
    start = time.perf_counter()
    proc = subprocess.run([str(KAOHE), *args], cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"kaohe {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}{proc.stdout[-2000:]}")
    return seconds, proc.stdout


def bench(n: int, seed: int) -> None:
    """Print one table for ``n`` units."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        facts = folder / "facts.csv"
        write_facts(facts, n, seed, "2025Q1")
        base = bench_ruleset(folder)
        new = next_year(folder, base)
        db = ("--db", f"sqlite:///{folder / 'bench.db'}")
        one_run, out = timed("run", str(base), "--facts", str(facts), "--period", "2025Q1", "--json", *db, cwd=folder)
        run_a = json.loads(out)["run"]["id"]
        rows = [("kaohe run (one run, stored)", one_run, None)]
        secs, out = timed("diff", str(base), str(new), "--facts", str(facts), "--period", "2025Q1", "--json", *db,
                          cwd=folder)
        changed = json.loads(out)["summary"]
        rows.append(("diff OLD NEW --facts F", secs, changed))
        secs, _ = timed("diff", run_a, "--ruleset", str(new), "--json", *db, cwd=folder)
        rows.append(("diff RUN --ruleset NEW", secs, None))
        _, out = timed("run", str(new), "--facts", str(facts), "--period", "2025Q1", "--json", *db, cwd=folder)
        run_b = json.loads(out)["run"]["id"]
        secs, _ = timed("diff", run_a, run_b, "--json", *db, cwd=folder)
        rows.append(("diff RUN_A RUN_B", secs, None))
    print(f"\n== {n:,} units ==")
    print(f"{'command':<30}{'seconds':>10}{'× one run':>12}")
    for name, secs, _ in rows:
        print(f"{name:<30}{secs:>10.2f}{secs / one_run:>12.2f}")
    print(f"changed units: {changed['changed']:,} (grade {changed['grade_changed']:,}, rank {changed['rank_changed']:,})")


def main() -> None:
    """Each size in turn."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=20250101)
    args = ap.parse_args()
    for n in args.sizes:
        bench(n, args.seed)


if __name__ == "__main__":
    main()
