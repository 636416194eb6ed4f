"""Analytic Hierarchy Process (AHP): priority weights and consistency of one matrix.

AHP weights are part of the ruleset format (``weights: {default: {ahp: …}}``,
checked when the ruleset loads by engine/ruleset/checks.py), so they live in
the engine, not among the plugin metrics.

Pure numeric functions, no project imports. The priority vector is the principal
right eigenvector of a positive reciprocal pairwise-comparison matrix
(Saaty, T. L., 1980, *The Analytic Hierarchy Process*, McGraw-Hill; Saaty, T. L.,
1990, "How to make a decision: The analytic hierarchy process", European Journal
of Operational Research 48, 9-26).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

__all__ = ["RANDOM_INDEX", "AhpResult", "ahp", "parse_judgement", "random_index"]

RANDOM_INDEX: tuple[float, ...] = (
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
)  # fmt: skip
"""Random consistency index RI(n) for n = 1..15 (``RANDOM_INDEX[n - 1]``).

Source: Saaty, T. L. (1980), *The Analytic Hierarchy Process*, McGraw-Hill, New York:
average consistency index of randomly generated reciprocal matrices
(n = 1..15: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
1.57, 1.59).
"""

_RECIPROCAL_RTOL = 1e-6


@dataclass(frozen=True)
class AhpResult:
    """Outcome of an AHP evaluation of one pairwise-comparison matrix.

    Attributes:
        weights: priority vector (principal right eigenvector), positive, sums to 1.
        lambda_max: principal eigenvalue.
        ci: consistency index ``(lambda_max - n) / (n - 1)`` (0 for n = 1).
        cr: consistency ratio ``ci / ri`` (0 for n <= 2).
        ri: random index used for ``cr``.
        worst: judgement ``(i, j)``, ``i < j``, that deviates most from
            ``w_i / w_j`` (largest ``|log(a_ij * w_j / w_i)|``); ``(0, 0)`` for n = 1.
    """

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    cr: float
    ri: float
    worst: tuple[int, int]


def parse_judgement(x: object) -> float:
    """Convert a judgement to a float.

    Accepts real numbers (not booleans) and strings holding a number or a fraction
    such as ``"1/5"``, ``" 3 "`` or ``"0.5"``.

    Raises:
        ValueError: for anything else, including division by zero and non-finite values.
    """
    if isinstance(x, bool):
        raise ValueError(f"judgement must be a number or fraction string, got bool {x!r}")
    if isinstance(x, numbers.Real):
        value = float(x)
    elif isinstance(x, str):
        value = _parse_string(x)
    else:
        raise ValueError(
            f"judgement must be a number or fraction string like '1/5', "
            f"got {type(x).__name__} {x!r}"
        )
    if not math.isfinite(value):
        raise ValueError(f"judgement must be finite, got {x!r}")
    return value


def _parse_string(text: str) -> float:
    """Parse ``"a"`` or ``"a/b"`` (a, b decimal numbers) into a float."""
    s = text.strip()
    try:
        if "/" in s:
            num, den = s.split("/", 1)
            return float(Fraction(_decimal(num)) / Fraction(_decimal(den)))
        return float(s)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(
            f"cannot parse judgement {text!r}: expected a number or a fraction like '1/5'"
        ) from exc


def _decimal(text: str) -> float:
    """Parse one side of a fraction; it must be a plain decimal number."""
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError(f"non-finite number {text!r}")
    return value


def random_index(n: int) -> float:
    """Saaty's random index RI(n) for 1 <= n <= 15 (see :data:`RANDOM_INDEX`)."""
    if not 1 <= n <= len(RANDOM_INDEX):
        raise ValueError(f"random index is tabulated for n = 1..{len(RANDOM_INDEX)}, got {n}")
    return RANDOM_INDEX[n - 1]


def _to_matrix(matrix: Sequence[Sequence[float | str]]) -> np.ndarray:
    """Parse and validate a square, positive, reciprocal comparison matrix."""
    n = len(matrix)
    if n < 1:
        raise ValueError("comparison matrix must have at least one row")
    for i, row in enumerate(matrix):
        if len(row) != n:
            raise ValueError(f"comparison matrix must be square: row {i} has {len(row)} of {n}")
    a = np.empty((n, n))
    for i, row in enumerate(matrix):
        for j, cell in enumerate(row):
            try:
                a[i, j] = parse_judgement(cell)
            except ValueError as exc:
                raise ValueError(f"cell ({i}, {j}): {exc}") from exc
            if a[i, j] <= 0:
                raise ValueError(f"cell ({i}, {j}) must be positive, got {cell!r}")
    for i in range(n):
        if not math.isclose(a[i, i], 1.0, rel_tol=_RECIPROCAL_RTOL):
            raise ValueError(f"diagonal cell ({i}, {i}) must be 1, got {matrix[i][i]!r}")
        for j in range(i + 1, n):
            if not math.isclose(a[j, i] * a[i, j], 1.0, rel_tol=_RECIPROCAL_RTOL):
                raise ValueError(
                    f"cell ({j}, {i}) = {matrix[j][i]!r} is not the reciprocal of "
                    f"cell ({i}, {j}) = {matrix[i][j]!r}"
                )
    return a


def _principal_eigen(a: np.ndarray) -> tuple[float, np.ndarray]:
    """Return (lambda_max, positive eigenvector summing to 1) of a positive matrix."""
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    vec = vectors[:, k].real
    vec = vec / vec.sum()  # Perron vector: one sign, so this also makes it positive
    return float(values[k].real), vec


def _worst_judgement(a: np.ndarray, w: np.ndarray) -> tuple[int, int]:
    """Upper-triangle cell with the largest ``|log(a_ij * w_j / w_i)|``."""
    n = a.shape[0]
    if n < 2:
        return (0, 0)
    dev = np.abs(np.log(a * w[np.newaxis, :] / w[:, np.newaxis]))
    iu = np.triu_indices(n, k=1)
    k = int(np.argmax(dev[iu]))
    return (int(iu[0][k]), int(iu[1][k]))


def ahp(matrix: Sequence[Sequence[float | str]]) -> AhpResult:
    """Evaluate a pairwise-comparison matrix with the eigenvector method.

    Args:
        matrix: n×n judgements; entries are numbers or fraction strings ("1/5").
            ``matrix[i][j]`` states how much more important item i is than item j.

    Returns:
        :class:`AhpResult` with weights, lambda_max, CI, CR, RI and the worst judgement.

    Raises:
        ValueError: if the matrix is not square, is empty, has a non-positive or
            unparsable entry, is not reciprocal (relative tolerance 1e-6), or n > 15.
    """
    a = _to_matrix(matrix)
    n = a.shape[0]
    ri = random_index(n)
    lam, w = _principal_eigen(a)
    ci = 0.0 if n == 1 else (lam - n) / (n - 1)
    cr = 0.0 if n <= 2 else ci / ri
    return AhpResult(
        weights=tuple(float(v) for v in w),
        lambda_max=lam,
        ci=ci,
        cr=cr,
        ri=ri,
        worst=_worst_judgement(a, w),
    )
