"""Stress the durable_rules adapter: many runs of many units in one process.

durable_rules has crashed under load before (SIGSEGV, error 307 with its
background timer thread; SIGFPE on integer division by zero), and asserted
facts stay in memory unless retracted.  This runs the adapter repeatedly on
seeded records and prints units/s per run and the resident memory, so a crash
or a leak shows up as a dead process or a growing figure.

    .venv/bin/python benchmarks/stress_rules.py                 # 10 runs × 100k units
    .venv/bin/python benchmarks/stress_rules.py --runs 3 --units 20000
"""

from __future__ import annotations

import argparse
import random
import resource
import time


def records(n: int, seed: int) -> list[dict[str, object]]:
    """Seeded unit records with missing values, text lights and zero divisors."""
    rnd = random.Random(seed)
    lights = ["red", "yellow", "green", "none"]
    out: list[dict[str, object]] = []
    for i in range(n):
        out.append({
            "unit": f"u{i:07d}",
            "integrity_violations": float(rnd.random() < 0.01),
            "innovation_awards": float(rnd.randint(0, 2)),
            "closed": float(rnd.randint(0, 400)) if rnd.random() > 0.02 else None,
            "received": float(rnd.randint(0, 400)),
            "light.closure_rate": rnd.choice(lights),
            "previous.light.closure_rate": rnd.choice([*lights, None]),
            "score.closure_rate": rnd.uniform(0, 100),
            "base_score": rnd.uniform(40, 100),
        })
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--units", type=int, default=100_000)
    args = ap.parse_args()

    from kaohe.engine.rules import RuleSource, compile_rules, run_rules

    types = {"light.closure_rate": "string", "previous.light.closure_rate": "string"}
    compiled = compile_rules([
        RuleSource("veto", "integrity_violations > 0"),
        RuleSource("red_twice", 'light.closure_rate == "red" and previous.light.closure_rate == "red"'),
        RuleSource("bonus", "innovation_awards >= 1"),
        RuleSource("backlog", "closed < received * 0.6 or not (score.closure_rate >= 40)"),
        RuleSource("ratio", "base_score > received / closed"),  # closed may be 0 or missing
    ], types)
    print(f"{'run':>4}{'units':>10}{'seconds':>10}{'units/s':>12}{'firings':>10}{'RSS MiB':>10}")
    for k in range(args.runs):
        recs = records(args.units, seed=k)
        start = time.perf_counter()
        fired = run_rules(compiled, recs)
        secs = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{k + 1:>4}{args.units:>10,}{secs:>10.2f}{args.units / secs:>12,.0f}"
              f"{sum(len(v) for v in fired.values()):>10,}{rss:>10,.0f}")


if __name__ == "__main__":
    main()
