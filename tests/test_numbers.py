"""Rounding never moves a value that is already exact at the precision (issue 8 #3).

The old rounding multiplied by ``1 + 8·eps`` before the half-up step, which
turned 50000 into 50000.0000000001 at 10 decimals (a green light became
yellow) and integers in facts into 10000000001.00002.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.evaluate.numbers import round_scalar, round_to
from kaohe.engine.expr import compile_expression

PRECISION = st.integers(min_value=0, max_value=15)


def by_hand(value: float, precision: int) -> float:
    """What a person gets: the decimal written for ``value``, rounded half away from zero."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP))


@given(n=st.integers(min_value=-(2**53), max_value=2**53), precision=PRECISION)
def test_integers_up_to_2_to_the_53_never_change(n, precision):
    assert round_scalar(float(n), precision) == float(n)


@settings(max_examples=300)
@given(digits=st.integers(min_value=-(10**15), max_value=10**15), data=st.data(), precision=PRECISION)
def test_decimals_with_at_most_precision_places_never_change(digits, data, precision):
    places = data.draw(st.integers(min_value=0, max_value=precision))
    value = float(Decimal(digits).scaleb(-places))
    assert round_scalar(value, precision) == value


@settings(max_examples=300)
@given(value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), precision=PRECISION)
def test_rounding_agrees_with_rounding_the_written_decimal_by_hand(value, precision):
    if abs(value) * 10.0**precision >= 2.0**52:
        # no binary digits below 10^-precision are left: the value is kept as it is
        assert round_scalar(value, precision) == value
    else:
        assert round_scalar(value, precision) == by_hand(value, precision)


@given(whole=st.integers(min_value=-(10**9), max_value=10**9), precision=st.integers(min_value=0, max_value=5))
def test_a_written_half_rounds_away_from_zero(whole, precision):
    written = Decimal(whole).scaleb(-precision) + Decimal(5).scaleb(-precision - 1) * (1 if whole >= 0 else -1)
    expected = float(written.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP))
    assert round_scalar(float(written), precision) == expected


def test_the_reported_cases():
    assert round_to(np.array([50000.0, 10000000001.0, 72.6, 0.3]), 10).tolist() == [
        50000.0, 10000000001.0, 72.6, 0.3]
    assert round_scalar(59.99999999999999, 10) == 60.0
    assert round_scalar(1.005, 2) == 1.01 and round_scalar(2.675, 2) == 2.68 and round_scalar(-2.5, 0) == -3.0
    got = round_to(np.array([np.nan, np.inf, -np.inf, -0.0]), 10)
    assert np.isnan(got[0]) and got[1] == np.inf and got[2] == -np.inf and str(got[3]) == "0.0"


def test_the_round_function_of_formulas_rounds_the_same_way():
    e = compile_expression("round(x, d)")
    env = {"x": np.array([50000.0, 1.005, 1234.5, 2.675, np.nan]), "d": np.array([10, 2, -2, 2, 1.0])}
    assert e.evaluate(env).tolist()[:4] == [50000.0, 1.01, 1200.0, 2.68]
    assert np.isnan(e.evaluate(env)[4])
    assert e.evaluate_row({"x": 50000.0, "d": 10.0}) == 50000.0


def test_a_value_equal_to_its_threshold_gets_that_light(project, kaohe):
    root = project({
        "r.yaml": """
            kaohe: 1
            id: exact
            name: 精确
            period: year
            categories: {all: {label: 全部}}
            facts:
              n: {label: 数量, type: integer}
            indicators:
              count:
                label: 数量
                formula: n
                score: {linear: {worst: 0, best: 100000}}
                lights: {green: "value <= 50000", yellow: "value <= 60000"}
            weights: {default: {count: 100}}
            grades: [{name: 合格, min: 0}]
            """,
        "f.csv": "unit,name,n\na,甲,50000\nb,乙,10000000001\n",
    })
    r = kaohe("run", root / "r.yaml", "--facts", root / "f.csv", "--period", "2025", "--json")
    assert r.exit_code == 0, r.stderr
    units = {u["unit"]: u for u in r.json()["units"]}
    assert units["a"]["indicators"]["count"] == {"value": 50000, "score": 50, "light": "green", "weight": 100}
    assert units["b"]["indicators"]["count"]["value"] == 10000000001
