"""Plugin metric benchmarks (not run as tests): DEA, AHP, rating, cluster.

    .venv/bin/python benchmarks/bench_plugins.py

Targets (issue 4): DEA on 1,000 units × 3 inputs × 3 outputs in under 30 s;
AHP and rating with 100k ratings in seconds
(benchmarks/rating_recovery.py measures how well rating's corrections recover the truth).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kaohe.engine.ahp import ahp
from kaohe.plugins.cluster_core import best_k, kmeans
from kaohe.plugins.dea_core import dea_efficiency
from kaohe.plugins.rating_core import Popularity, rate


def timed(label: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<58} {time.perf_counter() - t:8.3f} s")
    return result


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    rng = np.random.default_rng(42)
    n = 1000
    x = rng.uniform(1, 100, (n, 3))
    y = x @ rng.uniform(0.2, 1.0, (3, 3)) * rng.uniform(0.5, 1.0, (n, 1))
    for model in ("ccr", "bcc"):
        scores = timed(f"DEA {model.upper()} input, {n} units × 3 inputs × 3 outputs", dea_efficiency,
                       x, y, model=model, orientation="input")
        assert np.all((scores > 0) & (scores <= 1 + 1e-9))
    timed(f"DEA CCR input super-efficiency, {n} units", dea_efficiency, x, y, model="ccr",
          orientation="input", super=True)

    def many_ahp() -> None:
        for size in range(3, 16):
            for _ in range(100):
                w = rng.uniform(1, 9, size)
                a = np.outer(w, 1 / w) * rng.uniform(0.9, 1.1, (size, size))
                a = np.triu(a, 1) + np.tril(1 / a.T, -1) + np.eye(size)
                ahp(a.tolist())

    timed("AHP, 1,300 matrices of 3..15 criteria", many_ahp)

    ratings = 100_000
    units = [f"u{i:05d}" for i in range(5000)]
    raters = rng.integers(0, 2000, ratings).astype(str)
    roles = rng.choice(["上级", "同级", "下级", "服务对象"], ratings)
    ratees = np.array(units)[rng.integers(0, len(units), ratings)]
    scores = np.clip(rng.normal(80, 8, ratings) + rng.normal(0, 5, 2000)[raters.astype(int)], 0, 100)
    seniority = rng.uniform(0, 30, (len(units), 1))
    weights = {"上级": 0.4, "同级": 0.3, "下级": 0.1, "服务对象": 0.2}
    timed("rating, 100k ratings, 5,000 ratees, standardise + adjust", rate, raters.tolist(), roles.tolist(),
          ratees.tolist(), scores, units, weights, method="standardise", covariates=seniority,
          covariate_names=["seniority"])
    timed("rating, 100k ratings, 2,000 raters, rater effects + popularity", rate, raters.tolist(),
          roles.tolist(), ratees.tolist(), scores, units, weights,
          popularity=Popularity(seniority, ["seniority"], ["同级"]))

    import tempfile
    from pathlib import Path

    from kaohe.plugins.rating import _read

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratings.csv"
        lines = ["period,rater,rater_role,ratee,score"]
        lines += [f"2025Q1,r{a},{b},{c},{d:.1f}" for a, b, c, d in zip(raters, roles, ratees, scores, strict=True)]
        path.write_text("\n".join(lines), encoding="utf-8")
        timed("rating file read, 100k rows (CSV)", _read, str(path), 0, 0)

    profiles = rng.normal(0, 1, (2000, 4)) + np.repeat(rng.normal(0, 4, (4, 4)), 500, axis=0)
    timed("cluster k-means, 2,000 units × 4, k = 4", kmeans, profiles, 4)
    timed("cluster k chosen by silhouette in 2..6, 2,000 units", best_k, profiles, 2, 6)


if __name__ == "__main__":
    main()
