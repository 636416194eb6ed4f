"""Built-in metrics trend, cluster, per_capita, workload — against published or hand-computed values.

The rating metric has its own modules: tests/test_rating_model.py and tests/test_rating_example.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from kaohe.engine.plugins import MetricContext, registry
from kaohe.plugins.cluster import ClusterParams
from kaohe.plugins.cluster import compute as cluster_compute
from kaohe.plugins.cluster_core import best_k, kmeans, silhouette_samples
from kaohe.plugins.trend import TrendParams
from kaohe.plugins.trend import compute as trend_compute
from kaohe.plugins.trend_core import ols_slope, ols_slopes, theil_sen_slope
from kaohe.plugins.workload import PerCapitaParams, WorkloadParams, per_capita, workload
from tests.samples import ANSCOMBE_X, ANSCOMBE_Y


def ctx(units, columns, categories=None, period="2025Q1", history=None):
    n = len(units)
    return MetricContext(
        units=list(units),
        categories=np.asarray(categories or ["a"] * n, dtype=object),
        columns={k: np.asarray(v, dtype=np.float64) for k, v in columns.items()},
        period=period,
        history=history or {},
    )


# --- trend ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ANSCOMBE_Y))
def test_ols_slope_matches_anscombe(name):
    slope, intercept = ols_slope(ANSCOMBE_X, ANSCOMBE_Y[name])
    assert slope == pytest.approx(0.500, abs=5e-4)
    assert intercept == pytest.approx(3.00, abs=5e-3)


def test_row_wise_slopes_agree_with_the_single_series_fit_and_skip_gaps():
    y = np.array([ANSCOMBE_Y["I"], ANSCOMBE_Y["II"]])
    assert ols_slopes(ANSCOMBE_X, y) == pytest.approx([0.500, 0.500], abs=5e-4)
    # hand: points (0, 1) and (2, 5) -> slope 2; a single point -> missing
    got = ols_slopes([0, 1, 2], np.array([[1, np.nan, 5], [np.nan, np.nan, 3]]))
    assert got[0] == 2 and math.isnan(got[1])


def test_theil_sen_ignores_one_outlying_period():
    # hand-computed: of the 10 pairwise slopes of (1,1) (2,2) (3,3) (4,4) (5,100), six are 1
    # and four are (100 - y)/(5 - x) > 24, so the median is 1; OLS: Sxy = 200, Sxx = 10 -> 20.
    assert theil_sen_slope([1, 2, 3, 4, 5], [1, 2, 3, 4, 100]) == 1.0
    assert ols_slope([1, 2, 3, 4, 5], [1, 2, 3, 4, 100])[0] == pytest.approx(20.0)


def test_trend_uses_history_with_real_period_offsets():
    history = {  # 2024Q3 has no stored run: a gap, not a zero
        "2024Q2": {"u1": {"rate": 0.80}, "u2": {"rate": 0.9}},
        "2024Q4": {"u1": {"rate": 0.88}},
    }
    c = ctx(["u1", "u2", "u3"], {"rate": [0.92, 0.7, 0.5]}, history=history)
    got = trend_compute(c, TrendParams(of="rate", periods=4))
    # u1: x = -3, -1, 0 (mean -4/3); y = .80, .88, .92 (mean .86667):
    # Sxy = (-5/3)(-.06667) + (1/3)(.01333) + (4/3)(.05333) = .18667, Sxx = 42/9 -> slope 0.04
    assert got[0] == pytest.approx(0.04)
    assert got[1] == pytest.approx((0.7 - 0.9) / 3)  # two points, 3 periods apart
    assert math.isnan(got[2])  # only the current period
    yearly = trend_compute(c, TrendParams(of="rate", periods=4, per="year"))
    assert yearly[1] == pytest.approx(4 * (0.7 - 0.9) / 3)
    direction = trend_compute(c, TrendParams(of="rate", output="direction", tolerance=0.05))
    assert direction[0] == 0 and direction[1] == -1 and math.isnan(direction[2])
    # periods: 1 looks back one quarter only: 2024Q4 for u1, nothing for u2
    short = trend_compute(c, TrendParams(of="rate", periods=1))
    assert short[0] == pytest.approx(0.04) and math.isnan(short[1])


# --- cluster -------------------------------------------------------------------------------
# Ruspini, E. H. (1970), "Numerical methods for fuzzy clustering", Information Sciences 2,
# 319-350; the 75 points as shipped in R's `cluster` package (data(ruspini)). Its known
# partition is rows 1-20, 21-43, 44-60, 61-75 (Kaufman & Rousseeuw 1990, *Finding Groups in
# Data*, ch. 2). `summary(silhouette(pam(ruspini, 4)))` in R's cluster package prints the
# cluster average widths 0.7262 0.7548 0.6691 0.8042 and an average width of 0.7376.
RUSPINI = [
    (4, 53), (5, 63), (10, 59), (9, 77), (13, 49), (13, 69), (12, 88), (15, 75), (18, 61), (19, 65),
    (22, 74), (27, 72), (28, 76), (24, 58), (27, 55), (28, 60), (30, 52), (31, 60), (32, 61), (36, 72),
    (28, 147), (32, 149), (35, 153), (33, 154), (38, 151), (41, 150), (38, 145), (38, 143), (32, 143),
    (34, 141), (44, 156), (44, 149), (44, 143), (46, 142), (47, 149), (49, 152), (50, 142), (53, 144),
    (52, 152), (55, 155), (54, 124), (60, 136), (63, 139), (86, 132), (85, 115), (85, 96), (78, 94),
    (74, 96), (97, 122), (98, 116), (98, 124), (99, 119), (99, 128), (101, 115), (108, 111), (110, 111),
    (108, 116), (111, 126), (115, 117), (117, 115), (70, 4), (77, 12), (83, 21), (61, 15), (69, 15),
    (78, 16), (66, 18), (58, 13), (64, 20), (69, 21), (66, 23), (61, 25), (76, 27), (72, 31), (64, 30),
]
RUSPINI_GROUPS = np.repeat([0, 1, 2, 3], [20, 23, 17, 15])


def _same_partition(a, b):
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a)) == len(set(b))


def test_silhouette_matches_the_published_ruspini_widths():
    x = np.array(RUSPINI, dtype=float)
    s = silhouette_samples(x, RUSPINI_GROUPS)
    assert s.mean() == pytest.approx(0.7376, abs=1e-4)
    per_cluster = [s[c == RUSPINI_GROUPS].mean() for c in range(4)]
    assert per_cluster == pytest.approx([0.7262, 0.7548, 0.6691, 0.8042], abs=1e-4)


def test_kmeans_recovers_the_ruspini_partition_and_silhouette_picks_four():
    x = np.array(RUSPINI, dtype=float)
    assert _same_partition(kmeans(x, 4, seed=0).labels, RUSPINI_GROUPS)
    k, widths = best_k(x, 2, 8)
    assert k == 4 and widths[4] == pytest.approx(0.7376, abs=1e-4)


def test_kmeans_is_reproducible_and_unaffected_by_row_order():
    x = np.array(RUSPINI, dtype=float)
    perm = np.random.default_rng(7).permutation(len(x))
    a = kmeans(x, 4, seed=3).labels
    b = kmeans(x[perm], 4, seed=3).labels
    assert np.array_equal(a, kmeans(x, 4, seed=3).labels)
    assert np.array_equal(a[perm], b)  # labels are numbered by centroid, not by start


def test_cluster_metric_standardises_numbers_labels_and_skips_missing():
    units = [f"u{i:02d}" for i in range(len(RUSPINI) + 1)]
    xs = [p[0] for p in RUSPINI] + [np.nan]
    ys = [p[1] * 1000.0 for p in RUSPINI] + [5.0]  # a different unit of measure: standardising copes
    got = cluster_compute(ctx(units, {"x": xs, "y": ys}), ClusterParams(of=["x", "y"]))
    assert math.isnan(got[-1])
    assert set(got[:-1]) == {1.0, 2.0, 3.0, 4.0} and _same_partition(got[:-1], RUSPINI_GROUPS)
    fixed = cluster_compute(ctx(units, {"x": xs, "y": ys}), ClusterParams(of=["x", "y"], k=2))
    assert set(fixed[:-1]) == {1.0, 2.0}


# --- per_capita / workload -----------------------------------------------------------------
def test_per_capita_and_workload_by_hand():
    c = ctx(["a", "b", "c", "d", "e"],
            {"closed": [100, 120, 120, 60, 10], "judges": [5, 4, 3, 2, 0]},
            categories=["criminal", "criminal", "criminal", "civil", "civil"])
    pc = per_capita(c, PerCapitaParams(of="closed", per="judges"))
    assert pc[:4] == pytest.approx([20, 30, 40, 30]) and math.isnan(pc[4])
    # criminal per-judge 20, 30, 40 -> median 30; civil 30 with coefficient 1.5 -> 20, its own median
    wl = workload(c, WorkloadParams(of="closed", staff="judges", coefficient={"criminal": 1, "civil": 1.5}))
    assert wl[:4] == pytest.approx([2 / 3, 1, 4 / 3, 1]) and math.isnan(wl[4])
    overall = workload(c, WorkloadParams(of="closed", staff="judges", within="all"))
    assert overall[:4] == pytest.approx([20 / 30, 1, 4 / 3, 1])


def test_every_new_metric_is_registered_through_its_entry_point():
    for name in ("trend", "cluster", "rating", "per_capita", "workload"):
        metric = registry.get(name)
        assert metric is not None and metric.name == name
    assert registry.get("trend").uses_history
