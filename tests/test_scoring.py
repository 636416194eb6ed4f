"""Scoring methods and the rounding that keeps boundaries where a person expects them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.evaluate.numbers import round_scalar, round_to
from kaohe.engine.evaluate.scoring import bands, linear, rank, target
from kaohe.engine.ruleset.model import Band, LinearScore, RankScore, TargetScore


def arr(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float64)


def test_linear_is_designs_formula():
    got = linear(arr(0.93, 0.5, 1.0, np.nan), LinearScore(worst=0.6, best=0.95))
    assert got[0] == pytest.approx(100 * (0.93 - 0.6) / (0.95 - 0.6))
    assert got[1] == 0 and got[2] == 100 and np.isnan(got[3])


def test_linear_worst_above_best_means_lower_is_better():
    got = linear(arr(30, 60, 45), LinearScore(worst=60, best=30))
    assert got.tolist() == [100, 0, 50]


def test_design_boundary_example_72_6_is_exactly_60():
    # docs/ruleset.md "Numbers": 72.6 on linear {worst: 60, best: 81} is 60, never 59.999…
    raw = linear(arr(72.6), LinearScore(worst=60, best=81))
    assert round_to(raw, 10)[0] == 60.0


@pytest.mark.parametrize(
    "value, expected", [(2.5, 3.0), (-2.5, -3.0), (0.125, 0.13), (1.005, 1.01)],
    ids=["half-up", "half-away-negative", "three-decimals", "binary-1.005"],
)
def test_round_half_away_from_zero(value, expected):
    digits = 0 if abs(value) == 2.5 else 2
    assert round_scalar(value, digits) == expected


def test_round_keeps_nan_and_removes_negative_zero():
    got = round_to(arr(np.nan, -0.0, -1e-12), 10)
    assert np.isnan(got[0]) and str(got[1]) == "0.0" and str(got[2]) == "0.0"


def test_bands_first_match_wins_and_no_match_scores_zero():
    spec = [Band(min=0.95, score=100), Band(min=0.85, max=0.95, score=80), Band(max=0.5, score=10)]
    got = bands(arr(0.97, 0.95, 0.9, 0.7, 0.3, np.nan), spec)
    assert got[:5].tolist() == [100, 100, 80, 0, 10] and np.isnan(got[5])


def test_bands_catch_all():
    got = bands(arr(0.1), [Band(min=0.9, score=100), Band(score=40)])
    assert got.tolist() == [40]


def test_rank_percentile_within_category_with_ties_and_missing():
    cats = np.array(["a", "a", "a", "a", "b", "a"], dtype=object)
    got = rank(arr(10, 20, 20, 30, 5, np.nan), RankScore(), "higher", cats)
    # a: n = 4 -> 10: 0 worse -> 0; 20: 1 worse + 0.5 -> 50; 30: 3 worse -> 100
    assert got[:5].tolist() == [0, 50, 50, 100, 100] and np.isnan(got[5])
    low = rank(arr(10, 20, 20, 30, 5, np.nan), RankScore(), "lower", cats)
    assert low[:4].tolist() == [100, 50, 50, 0]


def test_rank_within_all():
    cats = np.array(["a", "b", "c"], dtype=object)
    got = rank(arr(1, 2, 3), RankScore(within="all"), "higher", cats)
    assert got.tolist() == [0, 50, 100]


def test_target_higher_and_lower():
    assert target(arr(45, 90, 100), TargetScore(value=90), "higher").tolist() == [50, 100, 100]
    got = target(arr(20, 40, 0), TargetScore(value=20), "lower")
    assert got.tolist() == [100, 50, 100]


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
       st.floats(-100, 100), st.floats(-100, 100))
def test_every_method_stays_in_0_100(values, w, b):
    x = np.array(values)
    cats = np.array(["a"] * len(values), dtype=object)
    outs = [rank(x, RankScore(), "higher", cats), target(x, TargetScore(value=7), "higher"),
            target(x, TargetScore(value=7), "lower"), bands(x, [Band(min=0, score=90), Band(score=5)])]
    if w != b:
        outs.append(linear(x, LinearScore(worst=w, best=b)))
    for out in outs:
        finite = out[~np.isnan(out)]
        assert ((finite >= 0) & (finite <= 100)).all()
