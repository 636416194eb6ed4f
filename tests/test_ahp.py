"""Tests for kaohe.engine.ahp (AHP weights, an engine feature) against Saaty's published example and exact cases."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from kaohe.engine.ahp import RANDOM_INDEX, AhpResult, ahp, parse_judgement, random_index

# ---------------------------------------------------------------------------
# Saaty, T. L. (1990), "How to make a decision: The analytic hierarchy process",
# European Journal of Operational Research 48, 9-26: the house-buying example.
# Criteria: size of house, transportation, neighbourhood, age, yard space,
# modern facilities, general condition, financing. The paper reports the
# priority vector (3 decimals) and lambda_max = 9.669, C.I. = 0.238, C.R. = 0.169.
# ---------------------------------------------------------------------------
HOUSE_CRITERIA: list[list[float | str]] = [
    [1, 5, 3, 7, 6, 6, "1/3", "1/4"],
    ["1/5", 1, "1/3", 5, 3, 3, "1/5", "1/7"],
    ["1/3", 3, 1, 6, 3, 4, 6, "1/5"],
    ["1/7", "1/5", "1/6", 1, "1/3", "1/4", "1/7", "1/8"],
    ["1/6", "1/3", "1/3", 3, 1, "1/2", "1/5", "1/6"],
    ["1/6", "1/3", "1/4", 4, 2, 1, "1/5", "1/6"],
    [3, 5, "1/6", 7, 5, 5, 1, "1/2"],
    [4, 7, 5, 8, 6, 6, 2, 1],
]
HOUSE_WEIGHTS = [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333]

# Same paper, comparisons of houses A, B, C under three of the criteria, with the
# published priority vectors and lambda_max (3 decimals).
HOUSE_SUBMATRICES: list[tuple[str, list[list[float | str]], list[float], float]] = [
    ("size of house", [[1, 6, 8], ["1/6", 1, 4], ["1/8", "1/4", 1]], [0.754, 0.181, 0.065], 3.136),
    ("yard space", [[1, 5, 4], ["1/5", 1, "1/3"], ["1/4", 3, 1]], [0.674, 0.101, 0.226], 3.086),
    (
        "modern facilities",
        [[1, 8, 6], ["1/8", 1, "1/5"], ["1/6", 5, 1]],
        [0.747, 0.060, 0.193],
        3.197,
    ),
]

PUBLISHED_TOL = 1e-3


def test_saaty_1990_house_criteria() -> None:
    res = ahp(HOUSE_CRITERIA)
    np.testing.assert_allclose(res.weights, HOUSE_WEIGHTS, atol=PUBLISHED_TOL)
    assert res.lambda_max == pytest.approx(9.669, abs=PUBLISHED_TOL)
    assert res.ci == pytest.approx(0.238, abs=PUBLISHED_TOL)
    assert res.cr == pytest.approx(0.169, abs=PUBLISHED_TOL)
    assert res.ri == pytest.approx(1.41)


@pytest.mark.parametrize(("name", "matrix", "weights", "lam"), HOUSE_SUBMATRICES)
def test_saaty_1990_house_alternatives(
    name: str, matrix: list[list[float | str]], weights: list[float], lam: float
) -> None:
    res = ahp(matrix)
    np.testing.assert_allclose(res.weights, weights, atol=PUBLISHED_TOL, err_msg=name)
    assert res.lambda_max == pytest.approx(lam, abs=PUBLISHED_TOL)
    assert res.cr == pytest.approx(res.ci / 0.58)


def test_consistent_matrix_exact() -> None:
    # Hand-derived: a_ij = w_i / w_j with w = (4, 2, 1, 1) / 8 is perfectly consistent,
    # so the eigenvector is w, lambda_max = n and CI = CR = 0.
    w = [0.5, 0.25, 0.125, 0.125]
    matrix = [[wi / wj for wj in w] for wi in w]
    res = ahp(matrix)
    np.testing.assert_allclose(res.weights, w, atol=1e-12)
    assert res.lambda_max == pytest.approx(4.0, abs=1e-12)
    assert res.ci == pytest.approx(0.0, abs=1e-12)
    assert res.cr == pytest.approx(0.0, abs=1e-12)


def test_weights_positive_and_normalised() -> None:
    res = ahp(HOUSE_CRITERIA)
    assert all(v > 0 for v in res.weights)
    assert math.isclose(sum(res.weights), 1.0, abs_tol=1e-12)
    assert isinstance(res, AhpResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.cr = 0.0  # type: ignore[misc]


def test_fraction_strings_equal_numbers() -> None:
    as_text = ahp([["1", "1/3", "5"], ["3", "1", "7"], ["1/5", "1/7", " 1 "]])
    as_num = ahp([[1, 1 / 3, 5], [3, 1, 7], [1 / 5, 1 / 7, 1]])
    np.testing.assert_allclose(as_text.weights, as_num.weights, atol=1e-12)
    assert as_text.lambda_max == pytest.approx(as_num.lambda_max)


def test_one_and_two_items() -> None:
    one = ahp([[1]])
    assert one.weights == (1.0,)
    assert (one.ci, one.cr, one.ri, one.worst) == (0.0, 0.0, 0.0, (0, 0))
    # Hand-derived: any 2x2 reciprocal matrix is consistent; [[1,3],[1/3,1]] -> (3/4, 1/4).
    two = ahp([[1, 3], ["1/3", 1]])
    np.testing.assert_allclose(two.weights, [0.75, 0.25], atol=1e-12)
    assert two.lambda_max == pytest.approx(2.0)
    assert two.cr == 0.0
    assert two.worst == (0, 1)


def test_worst_judgement_points_at_perturbed_cell() -> None:
    # Start from the consistent matrix for w = (8, 4, 2, 1) and distort cell (1, 3).
    w = [8.0, 4.0, 2.0, 1.0]
    matrix = [[wi / wj for wj in w] for wi in w]
    matrix[1][3] = 1 / 4  # consistent value is 4
    matrix[3][1] = 4.0
    res = ahp(matrix)
    assert res.worst == (1, 3)
    assert res.cr > 0.1


def test_house_criteria_worst_is_upper_triangle() -> None:
    i, j = ahp(HOUSE_CRITERIA).worst
    assert 0 <= i < j < 8


@pytest.mark.parametrize(
    ("text", "value"),
    [("1/5", 0.2), (" 3 ", 3.0), ("0.5", 0.5), ("1 / 9", 1 / 9), ("2.5/5", 0.5)],
)
def test_parse_judgement_strings(text: str, value: float) -> None:
    assert parse_judgement(text) == pytest.approx(value)


def test_parse_judgement_numbers() -> None:
    assert parse_judgement(7) == 7.0
    assert parse_judgement(np.float64(0.25)) == 0.25


@pytest.mark.parametrize("bad", ["", "abc", "1/0", "1/2/3", "nan", None, True, [1], "inf"])
def test_parse_judgement_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_judgement(bad)


def test_rejects_non_reciprocal_and_names_cell() -> None:
    with pytest.raises(ValueError, match=r"\(1, 0\)"):
        ahp([[1, 3], [3, 1]])
    with pytest.raises(ValueError, match=r"\(2, 0\)"):
        ahp([[1, 2, 4], [0.5, 1, 2], [0.3, 0.5, 1]])


def test_reciprocal_tolerance() -> None:
    ahp([[1, 3], [0.3333333334, 1]])  # within 1e-6 relative
    with pytest.raises(ValueError):
        ahp([[1, 3], [0.3334, 1]])


@pytest.mark.parametrize(
    ("matrix", "pattern"),
    [
        ([], "at least one"),
        ([[1, 2], [0.5]], "square"),
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[2]], r"diagonal cell \(0, 0\)"),
        ([[1, -2], [-0.5, 1]], r"cell \(0, 1\) must be positive"),
        ([[1, 0], [0, 1]], r"cell \(0, 1\) must be positive"),
        ([[1, "x"], [1, 1]], r"cell \(0, 1\)"),
    ],
)
def test_rejects_invalid_matrices(matrix: list[list[float | str]], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        ahp(matrix)


def test_random_index_table() -> None:
    # Saaty (1980) values as specified.
    assert RANDOM_INDEX == (
        0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
    )  # fmt: skip
    assert random_index(3) == 0.58
    with pytest.raises(ValueError):
        random_index(16)
    with pytest.raises(ValueError):
        ahp(np.ones((16, 16)).tolist())
