"""Does the `rating` metric's correction recover the truth?  A seeded simulation (issue 13).

    .venv/bin/python benchmarks/rating_recovery.py [--seeds 30]

A simulated 机关 whose true performance is known: 6 departments × 10 staff;
department quality differs (sd 4), people within a department too (sd 5);
每人 is rated by the other 9 staff of the department (同级), by the
department head (上级, one rater per department) and by 20 service users who
rate 15 random staff each (服务对象).  Every rater has a leniency offset (sd
6); peers add a popularity bonus of 0.6 points per year of seniority (人缘竞赛);
true performance itself rises 0.15 (scenario A) or 0.5 (scenario B) points a
year; each rating has noise (sd 4) and is rounded to 0.1.  In the no-bias
scenario there is no leniency and no popularity bonus (slope 0.15).  Role
weights 上级 0.4, 同级 0.4, 服务对象 0.2.

Each method is an indicator of one ruleset, evaluated through the public
interface (``kaohe.load_ruleset`` + ``kaohe.evaluate_facts``); the figure is
the Spearman correlation of the indicator with the true performance, mean
over the seeds.  tests/test_rating_recovery.py runs a small version of this.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

DEPARTMENTS, STAFF, USERS, PER_USER = 6, 10, 20, 15
SCENARIOS = {"A": (0.15, True), "B": (0.5, True), "no bias": (0.15, False)}
METHODS = {
    "raw": ("raw role-weighted means", "method: mean"),
    "standardise": ("standardise (per-rater z-scores)", "method: standardise"),
    "standardise_adjust": ("standardise + adjust: [seniority]", "method: standardise, adjust: [seniority]"),
    "rater_effects": ("rater effects (least squares)", "method: rater_effects"),
    "default": ("rater effects + popularity (default)",
                "method: rater_effects, popularity: {covariates: [seniority], roles: [同级]}"),
}
RULESET = """\
kaohe: 1
id: rating-recovery
name: 民主测评校正的模拟检验
period: year
categories: {staff: {label: 工作人员}}
facts:
  seniority: {label: 工作年限, type: integer, min: 0}
indicators:
  years: {label: 工作年限, formula: seniority, score: {linear: {worst: 0, best: 30}}}
%s
weights:
  default: {years: 100}
grades:
  - {name: 称职}
"""


@dataclass(frozen=True)
class Simulated:
    """One simulated 机关: the rating rows, each person's seniority and true performance."""

    ratings: list[dict[str, object]]
    seniority: dict[str, int]
    truth: dict[str, float]


def simulate(seed: int, slope: float, biased: bool) -> Simulated:
    """One seeded 机关 (see module doc)."""
    rng = np.random.default_rng(seed)
    staff = [f"d{d + 1}s{i + 1:02d}" for d in range(DEPARTMENTS) for i in range(STAFF)]
    dept = np.repeat(np.arange(DEPARTMENTS), STAFF)
    years = rng.integers(1, 31, len(staff))
    centred = years - years.mean()
    truth = (75 + rng.normal(0, 4, DEPARTMENTS)[dept] + rng.normal(0, 5, len(staff)) + slope * centred)
    spread, bonus = (6.0, 0.6) if biased else (0.0, 0.0)
    peer_bias = rng.normal(0, spread, len(staff))
    head_bias = rng.normal(0, spread, DEPARTMENTS)
    user_bias = rng.normal(0, spread, USERS)
    rows: list[dict[str, object]] = []

    def add(rater: str, role: str, i: int, offset: float) -> None:
        score = truth[i] + offset + rng.normal(0, 4)
        rows.append({"period": "2025", "rater": rater, "rater_role": role, "ratee": staff[i],
                     "score": f"{score:.1f}"})

    for i in range(len(staff)):
        for j in np.flatnonzero(dept == dept[i]):
            if j != i:
                add(staff[j], "同级", i, peer_bias[j] + bonus * centred[i])
        add(f"head{dept[i] + 1}", "上级", i, head_bias[dept[i]])
    for k in range(USERS):
        for i in sorted(rng.choice(len(staff), PER_USER, replace=False)):
            add(f"user{k + 1:02d}", "服务对象", int(i), user_bias[k])
    return Simulated(rows, dict(zip(staff, map(int, years), strict=True)),
                     dict(zip(staff, map(float, truth), strict=True)))


def recovery(sim: Simulated, folder: Path, name: str, methods: Sequence[str] = tuple(METHODS)) -> dict[str, float]:
    """Spearman ρ of each method's indicator with the truth, through the public ruleset interface."""
    import kaohe

    ratings = folder / f"{name}.csv"
    with ratings.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, ["period", "rater", "rater_role", "ratee", "score"])
        writer.writeheader()
        writer.writerows(sim.ratings)
    indicators = "\n".join(
        f"  {m}:\n    label: {json.dumps(METHODS[m][0])}\n    metric: rating\n"
        f"    with: {{file: {ratings.name}, roles: {{上级: 0.4, 同级: 0.4, 服务对象: 0.2}}, {METHODS[m][1]}}}"
        for m in methods)
    path = folder / f"{name}.yaml"
    path.write_text(RULESET % indicators, encoding="utf-8")
    ruleset = kaohe.load_ruleset(path)
    model = ruleset.model
    facts = kaohe.facts_from_records(
        [{"unit": u, "category": "staff", "seniority": y} for u, y in sim.seniority.items()],
        model.facts, model.categories, period_kind=model.period, period="2025")
    evaluation = kaohe.evaluate_facts(ruleset, facts)
    truth = [sim.truth[u] for u in evaluation.units]
    return {m: float(stats.spearmanr(evaluation.indicators[m].value, truth).statistic) for m in methods}


def table(seeds: Sequence[int], methods: Sequence[str] = tuple(METHODS)) -> dict[str, dict[str, float]]:
    """Scenario -> method -> mean Spearman ρ over ``seeds``."""
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, (slope, biased) in SCENARIOS.items():
            runs = [recovery(simulate(seed, slope, biased), Path(tmp), f"{scenario.replace(' ', '')}-{seed}", methods)
                    for seed in seeds]
            out[scenario] = {m: float(np.mean([r[m] for r in runs])) for m in methods}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    args = parser.parse_args(argv)
    result = table(range(args.seeds))
    print(textwrap.dedent(f"""\
        Spearman correlation with the true performance, mean over {args.seeds} seeds
        | method | {' | '.join(SCENARIOS)} |
        |---|{'---|' * len(SCENARIOS)}"""))
    for m, (label, _) in METHODS.items():
        print(f"| {label} | " + " | ".join(f"{result[s][m]:.3f}" for s in SCENARIOS) + " |")


if __name__ == "__main__":
    main()
