"""Slopes of short time series: ordinary least squares and Theil–Sen.

Pure numeric functions, no project imports.  ``x`` is the period offset
(0 = the current period, -1 the one before, ...), so the slope is "change per
period"; missing points (``nan``) are left out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ols_slope", "ols_slopes", "theil_sen_slope"]

FloatArray = npt.NDArray[np.float64]


def ols_slope(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Least-squares ``(slope, intercept)`` of ``y`` on ``x``; ``nan`` with fewer than 2 distinct x."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(xs) < 2 or np.ptp(xs) == 0:
        return float("nan"), float("nan")
    xm, ym = xs.mean(), ys.mean()
    slope = float(((xs - xm) * (ys - ym)).sum() / ((xs - xm) ** 2).sum())
    return slope, float(ym - slope * xm)


def ols_slopes(x: npt.ArrayLike, y: npt.ArrayLike, min_points: int = 2) -> FloatArray:
    """Row-wise OLS slope of ``y`` (units × periods, ``nan`` = missing) on the shared ``x``.

    Vectorised over units: each row uses only its own non-missing points; a row
    with fewer than ``min_points`` points (or all at one x) gets ``nan``.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(ys)
    n = ok.sum(axis=1)
    xw = np.where(ok, xs[None, :], 0.0)
    yw = np.where(ok, ys, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = xw.sum(axis=1) / n
        ym = yw.sum(axis=1) / n
        dx = np.where(ok, xs[None, :] - xm[:, None], 0.0)
        dy = np.where(ok, ys - ym[:, None], 0.0)
        sxx = (dx * dx).sum(axis=1)
        slope = (dx * dy).sum(axis=1) / sxx
    slope[(n < max(2, min_points)) | ~(sxx > 0)] = np.nan
    return np.asarray(slope, dtype=np.float64)


def theil_sen_slope(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Theil–Sen slope: the median of the slopes between all pairs of points with distinct x.

    Robust to a single outlying period (Theil 1950; Sen 1968, JASA 63, 1379–1389).
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    i, j = np.triu_indices(len(xs), k=1)
    dx = xs[j] - xs[i]
    keep = dx != 0
    if not keep.any():
        return float("nan")
    return float(np.median((ys[j] - ys[i])[keep] / dx[keep]))
