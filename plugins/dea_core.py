"""Radial Data Envelopment Analysis (DEA) in envelopment form.

Pure numeric functions, no project imports. One linear programme is solved per
decision-making unit (DMU) with :func:`scipy.optimize.linprog` (HiGHS). The
constraint matrix is built once; per unit only the column of the radial
variable, the right-hand side and (for super-efficiency) the bounds change.

Models (Charnes, Cooper & Rhodes 1978; Banker, Charnes & Cooper 1984;
Andersen & Petersen 1993), for unit ``o`` with inputs ``x_o`` and outputs ``y_o``:

* input orientation:  ``min θ  s.t.  X λ <= θ x_o,  Y λ >= y_o,  λ >= 0``
* output orientation: ``max φ  s.t.  X λ <= x_o,  Y λ >= φ y_o,  λ >= 0``
* BCC adds the convexity constraint ``Σ λ = 1``;
* super-efficiency forces ``λ_o = 0`` (unit ``o`` leaves its own reference set).

The reported score is ``θ`` (input) or ``1/φ`` (output).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.optimize import linprog

__all__ = ["Model", "Orientation", "dea_efficiency", "valid_rows"]

Model = Literal["ccr", "bcc"]
Orientation = Literal["input", "output"]

# HiGHS status codes returned by linprog.
_OK = 0
_INFEASIBLE = 2
_UNBOUNDED = 3


def valid_rows(inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Return a boolean mask of units that may take part in DEA.

    A unit is valid when all its values are finite, every input is strictly
    positive and no output is negative.
    """
    x = np.asarray(inputs, dtype=float)
    y = np.asarray(outputs, dtype=float)
    finite = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
    with np.errstate(invalid="ignore"):
        positive_in = (x > 0).all(axis=1)
        nonneg_out = (y >= 0).all(axis=1)
    return np.asarray(finite & positive_in & nonneg_out, dtype=bool)


def _check_shapes(x: np.ndarray, y: np.ndarray) -> None:
    """Raise ValueError unless ``x`` (n×m) and ``y`` (n×s) are compatible."""
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"inputs and outputs must be 2-D, got {x.ndim}-D and {y.ndim}-D")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"inputs have {x.shape[0]} rows but outputs have {y.shape[0]}")
    if x.shape[1] < 1 or y.shape[1] < 1:
        raise ValueError("at least one input and one output column are required")


def _scale(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide every column by its mean (radial scores are unit-invariant).

    This keeps the LP well conditioned when columns differ by orders of magnitude.
    """
    x_mean = x.mean(axis=0)
    y_mean = y.mean(axis=0)
    y_mean[y_mean == 0] = 1.0
    return x / x_mean, y / y_mean


def _solve_all(
    x: np.ndarray,
    y: np.ndarray,
    *,
    model: Model,
    orientation: Orientation,
    super_: bool,
) -> np.ndarray:
    """Solve one envelopment LP per unit of the (valid, scaled) data set.

    Variables are ``[r, λ_1 … λ_k]`` with ``r`` = θ (input) or φ (output).
    Returns the scores (θ, or 1/φ), ``inf`` for infeasible super-efficiency LPs.
    """
    k, m = x.shape
    s = y.shape[1]
    c = np.zeros(k + 1)
    a_ub = np.zeros((m + s, k + 1))
    a_ub[:m, 1:] = x.T  # X λ  (- θ x_o)    <= 0      | X λ <= x_o
    a_ub[m:, 1:] = -y.T  # -Y λ              <= -y_o   | -Y λ (+ φ y_o) <= 0
    b_ub = np.zeros(m + s)
    if orientation == "input":
        c[0] = 1.0
    else:
        c[0] = -1.0
    a_eq: np.ndarray | None = None
    b_eq: np.ndarray | None = None
    if model == "bcc":
        a_eq = np.ones((1, k + 1))
        a_eq[0, 0] = 0.0
        b_eq = np.ones(1)
    bounds = np.zeros((k + 1, 2))
    bounds[:, 1] = np.inf
    bounds[0, 0] = -np.inf if orientation == "input" else 0.0

    scores = np.empty(k)
    for o in range(k):
        if orientation == "input":
            a_ub[:m, 0] = -x[o]
            b_ub[:m] = 0.0
            b_ub[m:] = -y[o]
        else:
            a_ub[m:, 0] = y[o]
            b_ub[:m] = x[o]
            b_ub[m:] = 0.0
        if super_:
            bounds[o + 1, 1] = 0.0
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if super_:
            bounds[o + 1, 1] = np.inf
        scores[o] = _score(res.status, res.x, orientation, o)
    return scores


def _score(status: int, sol: np.ndarray | None, orientation: Orientation, o: int) -> float:
    """Translate one LP result into an efficiency score."""
    if status == _OK and sol is not None:
        r = float(sol[0])
        if orientation == "input":
            return r
        return np.inf if r <= 0 else 1.0 / r
    if status == _INFEASIBLE:
        return np.inf
    if status == _UNBOUNDED and orientation == "output":
        # φ unbounded only happens when all outputs of the unit are zero.
        return 0.0
    raise RuntimeError(f"DEA linear programme for unit {o} failed with status {status}")


def dea_efficiency(
    inputs: np.ndarray,
    outputs: np.ndarray,
    *,
    model: Model = "ccr",
    orientation: Orientation = "input",
    super: bool = False,  # shadows the builtin; name fixed by the interface
) -> np.ndarray:
    """Radial DEA efficiency for every unit.

    Args:
        inputs: array of shape (n, m); inputs must be strictly positive.
        outputs: array of shape (n, s); outputs must be non-negative.
        model: ``"ccr"`` (constant returns to scale) or ``"bcc"`` (variable).
        orientation: ``"input"`` returns θ, ``"output"`` returns 1/φ.
        super: Andersen–Petersen super-efficiency: the evaluated unit is
            removed from its own reference set, so efficient units score > 1.
            An infeasible super-efficiency LP (possible under BCC) gives ``inf``.

    Returns:
        Array of shape (n,). Without ``super`` scores lie in [0, 1]. Units with a
        NaN/infinite value, a non-positive input or a negative output get NaN
        and are excluded from every reference set.
    """
    if model not in ("ccr", "bcc"):
        raise ValueError(f"model must be 'ccr' or 'bcc', got {model!r}")
    if orientation not in ("input", "output"):
        raise ValueError(f"orientation must be 'input' or 'output', got {orientation!r}")
    x = np.asarray(inputs, dtype=float)
    y = np.asarray(outputs, dtype=float)
    _check_shapes(x, y)

    result = np.full(x.shape[0], np.nan)
    ok = valid_rows(x, y)
    if not ok.any():
        return result
    xs, ys = _scale(x[ok], y[ok])
    scores = _solve_all(xs, ys, model=model, orientation=orientation, super_=super)
    if not super:
        # The unit itself is always feasible, so θ <= 1; remove solver round-off.
        scores = np.minimum(scores, 1.0)
    result[ok] = scores
    return result
