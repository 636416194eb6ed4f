"""Tests for plugins.dea_core against published and hand-derived DEA scores."""

from __future__ import annotations

import numpy as np
import pytest

from kaohe.plugins.dea_core import Model, Orientation, dea_efficiency, valid_rows

TOL = 1e-4

# ---------------------------------------------------------------------------
# Published example 1: Cooper, Seiford & Tone, "Data Envelopment Analysis",
# 2nd ed. (Springer 2007), Table 1.1: eight branch stores, one input (employees)
# and one output (sales). CCR efficiency = (y/x) / max(y/x), which is also
# verifiable by hand: B (3 employees, 3 sales) is the only efficient store.
# ---------------------------------------------------------------------------
STORE_X = np.array([[2], [3], [3], [4], [5], [5], [6], [8]], dtype=float)
STORE_Y = np.array([[1], [3], [2], [3], [4], [2], [3], [5]], dtype=float)
STORE_CCR = np.array([0.5, 1.0, 2 / 3, 0.75, 0.8, 0.4, 0.5, 0.625])

# ---------------------------------------------------------------------------
# Published example 2: Cooper, Seiford & Tone (2nd ed.), Table 1.5 hospital
# data (12 hospitals A..L; inputs doctors, nurses; outputs outpatients,
# inpatients) with the CCR scores reported in the book (Chapter 3, hospital
# example). The book prints three decimals, hence the tolerance 5e-4.
# ---------------------------------------------------------------------------
HOSP_X = np.array(
    [
        [20, 151], [19, 131], [25, 160], [27, 168], [22, 158], [55, 255],
        [33, 235], [31, 206], [30, 244], [50, 268], [53, 306], [38, 284],
    ],
    dtype=float,
)  # fmt: skip
HOSP_Y = np.array(
    [
        [100, 90], [150, 50], [160, 55], [180, 72], [94, 66], [230, 90],
        [220, 88], [152, 80], [190, 100], [250, 100], [260, 147], [250, 120],
    ],
    dtype=float,
)  # fmt: skip
HOSP_CCR = np.array([1.0, 1.0, 0.883, 1.0, 0.763, 0.835, 0.902, 0.796, 0.960, 0.871, 0.955, 0.958])

# ---------------------------------------------------------------------------
# Hand-derived example (not from a book): one input, one output,
# A(2,2) B(4,5) C(6,6) D(4,3).
# CCR: y/x = 1, 1.25, 1, 0.75  ->  0.8, 1, 0.8, 0.6.
# BCC frontier: A-B-C. For D: input side, y=3 on A-B needs x = 2 + (3-2)*2/3 = 8/3,
#   θ = (8/3)/4 = 2/3; output side, x=4 reaches y=5 (B), 1/φ = 3/5.
# BCC super-efficiency (unit removed from its reference set):
#   A input: every other unit uses x >= 4 -> θ = 4/2 = 2; A output: no unit with
#   x <= 2 remains -> infeasible -> inf.
#   B input: y >= 5 on A-C needs t = 3/4, x = 5 -> θ = 5/4; B output: x <= 4 on A-C
#   gives y = 4 -> φ = 4/5 -> 1/φ = 5/4.
#   C input: no remaining unit reaches y = 6 -> inf; C output: x <= 6 gives y = 5
#   (B) -> φ = 5/6 -> 1/φ = 6/5.
# CCR super: B = 1.25 / max(other ratios = 1) = 1.25 in both orientations.
# ---------------------------------------------------------------------------
HAND_X = np.array([[2], [4], [6], [4]], dtype=float)
HAND_Y = np.array([[2], [5], [6], [3]], dtype=float)

# ---------------------------------------------------------------------------
# Hand-derived example: two inputs, one unit output (data in the style of CST
# Table 1.3, scores derived here by hand). Efficient frontier E(2,4)-D(4,2)-C(8,1).
# A(4,3): ray meets D-E at (24/7, 18/7) -> θ = 6/7.
# B(7,3): ray meets C-D at (7*12/19, 36/19) -> θ = 12/19.
# F(10,1): θ = 1 (dominated by C only through an input slack: weakly efficient).
# ---------------------------------------------------------------------------
TWO_X = np.array([[4, 3], [7, 3], [8, 1], [4, 2], [2, 4], [10, 1]], dtype=float)
TWO_Y = np.ones((6, 1))
TWO_CCR = np.array([6 / 7, 12 / 19, 1.0, 1.0, 1.0, 1.0])


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_store_example_ccr(orientation: Orientation) -> None:
    got = dea_efficiency(STORE_X, STORE_Y, model="ccr", orientation=orientation)
    np.testing.assert_allclose(got, STORE_CCR, atol=TOL)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_hospital_example_ccr_published(orientation: Orientation) -> None:
    got = dea_efficiency(HOSP_X, HOSP_Y, model="ccr", orientation=orientation)
    np.testing.assert_allclose(got, HOSP_CCR, atol=5e-4)


def test_hand_example_ccr() -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="ccr", orientation="input")
    np.testing.assert_allclose(got, [0.8, 1.0, 0.8, 0.6], atol=TOL)


def test_hand_example_bcc_input() -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="bcc", orientation="input")
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 2 / 3], atol=TOL)


def test_hand_example_bcc_output() -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="bcc", orientation="output")
    np.testing.assert_allclose(got, [1.0, 1.0, 1.0, 0.6], atol=TOL)


def test_two_input_ccr() -> None:
    got = dea_efficiency(TWO_X, TWO_Y, model="ccr", orientation="input")
    np.testing.assert_allclose(got, TWO_CCR, atol=TOL)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_super_ccr_efficient_unit_above_one(orientation: Orientation) -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="ccr", orientation=orientation, super=True)
    # Only B is CCR-efficient; its super-efficiency is 1.25 / 1; others unchanged.
    np.testing.assert_allclose(got, [0.8, 1.25, 0.8, 0.6], atol=TOL)


def test_super_bcc_input() -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="bcc", orientation="input", super=True)
    np.testing.assert_allclose(got[[0, 1, 3]], [2.0, 1.25, 2 / 3], atol=TOL)
    assert got[2] == np.inf


def test_super_bcc_output() -> None:
    got = dea_efficiency(HAND_X, HAND_Y, model="bcc", orientation="output", super=True)
    np.testing.assert_allclose(got[1:], [1.25, 1.2, 0.6], atol=TOL)
    assert got[0] == np.inf


def test_super_two_input_ccr() -> None:
    # Hand-derived: without E(2,4) every remaining unit uses at least 4 of input 1, so
    # any combination with Σλ >= 1 needs θ * 2 >= 4; D(4,2) attains θ = 2.
    got = dea_efficiency(TWO_X, TWO_Y, model="ccr", orientation="input", super=True)
    assert got[4] == pytest.approx(2.0, abs=TOL)
    np.testing.assert_allclose(got[[0, 1]], TWO_CCR[[0, 1]], atol=TOL)


def test_output_equals_input_under_ccr_random() -> None:
    rng = np.random.default_rng(12345)
    x = rng.uniform(1, 100, (60, 3))
    y = rng.uniform(1, 100, (60, 2))
    e_in = dea_efficiency(x, y, model="ccr", orientation="input")
    e_out = dea_efficiency(x, y, model="ccr", orientation="output")
    np.testing.assert_allclose(e_in, e_out, atol=1e-6)
    assert np.all((e_in > 0) & (e_in <= 1))
    assert np.isclose(e_in.max(), 1.0)


def test_bcc_at_least_ccr() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(1, 10, (40, 2))
    y = rng.uniform(1, 10, (40, 2))
    ccr = dea_efficiency(x, y, model="ccr", orientation="input")
    bcc = dea_efficiency(x, y, model="bcc", orientation="input")
    assert np.all(bcc >= ccr - 1e-9)


def test_units_invariance() -> None:
    scale_x = np.array([1000.0, 0.001])
    scale_y = np.array([1e6, 1e-3])
    base = dea_efficiency(HOSP_X, HOSP_Y, model="bcc", orientation="output")
    scaled = dea_efficiency(HOSP_X * scale_x, HOSP_Y * scale_y, model="bcc", orientation="output")
    np.testing.assert_allclose(scaled, base, atol=1e-6)


@pytest.mark.parametrize("model", ["ccr", "bcc"])
@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize("super_", [False, True])
def test_invalid_rows_are_nan_and_excluded(
    model: Model, orientation: Orientation, super_: bool
) -> None:
    # Each bad row would dominate every unit if it were used as a reference.
    bad_x = np.array([[np.nan], [0.0], [-1.0], [1.0]])
    bad_y = np.array([[100.0], [100.0], [100.0], [np.nan]])
    x = np.vstack([HAND_X[:2], bad_x, HAND_X[2:]])
    y = np.vstack([HAND_Y[:2], bad_y, HAND_Y[2:]])
    expected = dea_efficiency(HAND_X, HAND_Y, model=model, orientation=orientation, super=super_)
    got = dea_efficiency(x, y, model=model, orientation=orientation, super=super_)
    assert np.isnan(got[2:6]).all()
    np.testing.assert_allclose(np.delete(got, range(2, 6)), expected, atol=TOL)


def test_all_invalid_gives_all_nan() -> None:
    got = dea_efficiency(np.zeros((3, 2)), np.ones((3, 1)))
    assert got.shape == (3,)
    assert np.isnan(got).all()


def test_valid_rows_mask() -> None:
    x = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, np.inf], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [-1.0]])
    assert valid_rows(x, y).tolist() == [True, False, False, False]


def test_zero_output_unit_scores_zero() -> None:
    x = np.array([[1.0], [2.0]])
    y = np.array([[1.0], [0.0]])
    for orientation in ("input", "output"):
        got = dea_efficiency(x, y, model="ccr", orientation=orientation)
        np.testing.assert_allclose(got, [1.0, 0.0], atol=TOL)


def test_single_unit_is_efficient() -> None:
    got = dea_efficiency(np.array([[3.0, 4.0]]), np.array([[5.0]]), model="bcc")
    np.testing.assert_allclose(got, [1.0])


@pytest.mark.parametrize(
    ("x", "y", "kwargs"),
    [
        (np.ones((3, 2)), np.ones((4, 1)), {}),
        (np.ones(3), np.ones((3, 1)), {}),
        (np.ones((3, 0)), np.ones((3, 1)), {}),
        (np.ones((3, 1)), np.ones((3, 1)), {"model": "drs"}),
        (np.ones((3, 1)), np.ones((3, 1)), {"orientation": "both"}),
    ],
)
def test_bad_arguments(x: np.ndarray, y: np.ndarray, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        dea_efficiency(x, y, **kwargs)  # type: ignore[arg-type]
