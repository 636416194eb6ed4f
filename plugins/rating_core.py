"""Multi-rater reviews (360° / 群众评议): rater standardisation, role weights, adjustment.

Pure numeric functions (numpy), no project imports.  Steps, each optional
after the first:

1. **Standardise per rater** (lenient and harsh raters): each rater's scores
   become z-scores ``(s - mean_r) / sd_r`` (population sd), then go back to the
   scale of the whole file, ``grand_mean + grand_sd × z``, so results stay on
   the familiar 0–100 scale.  A rater with fewer than two ratings or no spread
   carries no ranking information and is left out of the standardised result.
2. **Role weights**: per ratee, the mean score from each rater role, combined
   with the role weights renormalised over the roles that rated that ratee.
3. **Adjustment** ("人缘竞赛"): regress the ratee scores on covariates such as
   seniority (OLS with intercept) and remove the fitted effect around the
   covariates' mean: ``adjusted = y - (c - mean(c)) · b``.  The mean score is
   unchanged; only the part explained by the covariate is taken out.

Everything is vectorised with ``np.unique``/``np.bincount``: 100k ratings take
well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["RatingResult", "rate", "role_weighted_mean", "standardise_by_rater"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RatingResult:
    """Per ratee (aligned with the ``ratees`` given to :func:`rate`).

    ``raw``: role-weighted mean of the scores as given; ``standardised``: the same
    after per-rater standardisation (equals ``raw`` when it is off); ``final``:
    after the adjustment.  ``coefficients`` maps each covariate to its fitted
    effect per unit of the covariate; ``dropped_raters`` lists raters left out.
    """

    ratees: tuple[str, ...]
    raw: FloatArray
    standardised: FloatArray
    final: FloatArray
    n_ratings: npt.NDArray[np.int64]
    coefficients: dict[str, float] = field(default_factory=dict)
    dropped_raters: tuple[str, ...] = ()

    @property
    def shift(self) -> FloatArray:
        """How much the corrections moved each ratee: ``final - raw``."""
        return np.asarray(self.final - self.raw, dtype=np.float64)


def standardise_by_rater(raters: npt.ArrayLike, scores: npt.ArrayLike, *, rescale: bool = True
                         ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Per-rater z-scores (back on the file's scale when ``rescale``) and which rows were kept."""
    s = np.asarray(scores, dtype=np.float64)
    _, inv = np.unique(np.asarray(raters), return_inverse=True)
    count = np.bincount(inv)
    mean = np.bincount(inv, weights=s) / count
    var = np.bincount(inv, weights=(s - mean[inv]) ** 2) / count
    sd = np.sqrt(var)
    keep = (count[inv] >= 2) & (sd[inv] > 1e-12 * np.maximum(1.0, np.abs(mean[inv])))
    z = np.where(keep, (s - mean[inv]) / np.where(sd[inv] > 0, sd[inv], 1.0), np.nan)
    if rescale:
        z = s.mean() + s.std() * z
    return np.asarray(z, dtype=np.float64), keep


def role_weighted_mean(ratee_index: npt.ArrayLike, roles: Sequence[str], scores: npt.ArrayLike,
                       n_ratees: int, weights: Mapping[str, float]) -> FloatArray:
    """Per ratee: Σ w_role · mean(role's scores) / Σ w_role over the roles present.

    ``ratee_index`` is each row's ratee position (``-1`` = not a ratee of interest);
    rows with a ``nan`` score are ignored.
    """
    idx = np.asarray(ratee_index, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    role_names = sorted(weights)
    role_pos = {r: i for i, r in enumerate(role_names)}
    unknown = sorted({r for r in roles} - set(role_pos))
    if unknown:
        raise ValueError(f"rater_role {', '.join(map(repr, unknown))} has no weight in roles: "
                         f"{', '.join(role_names)}")
    ridx = np.fromiter((role_pos[r] for r in roles), dtype=np.int64, count=len(s))
    ok = (idx >= 0) & np.isfinite(s)
    key = idx[ok] * len(role_names) + ridx[ok]
    size = n_ratees * len(role_names)
    count = np.bincount(key, minlength=size).reshape(n_ratees, len(role_names))
    total = np.bincount(key, weights=s[ok], minlength=size).reshape(n_ratees, len(role_names))
    w = np.array([weights[r] for r in role_names], dtype=np.float64)
    present = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(present, total / np.maximum(count, 1), 0.0)
        wsum = (present * w).sum(axis=1)
        out = (means * w).sum(axis=1) / wsum
    out[wsum <= 0] = np.nan
    return np.asarray(out, dtype=np.float64)


def _adjust(y: FloatArray, covariates: FloatArray, names: Sequence[str]) -> tuple[FloatArray, dict[str, float]]:
    ok = np.isfinite(y) & np.isfinite(covariates).all(axis=1)
    m = covariates.shape[1]
    if ok.sum() < m + 2:
        # too few rated units to estimate the effect (a one-unit test case, a period
        # nobody was rated in): leave the scores as they are; ratees without the
        # covariate values still get no value, as with a full adjustment
        out = np.where(ok, y, np.nan)
        return out, {}
    c = covariates[ok]
    centre = c.mean(axis=0)
    design = np.column_stack([np.ones(len(c)), c - centre])
    beta, *_ = np.linalg.lstsq(design, y[ok], rcond=None)
    out = np.full(len(y), np.nan)
    out[ok] = y[ok] - (c - centre) @ beta[1:]
    return out, {n: float(b) for n, b in zip(names, beta[1:], strict=True)}


def rate(raters: Sequence[str], roles: Sequence[str], ratees_col: Sequence[str], scores: npt.ArrayLike,
         ratees: Sequence[str], weights: Mapping[str, float] | None = None, *, standardise: bool = True,
         rescale: bool = True, covariates: npt.ArrayLike | None = None,
         covariate_names: Sequence[str] = ()) -> RatingResult:
    """Score every ratee in ``ratees`` from the rating rows (see module doc).

    ``weights`` defaults to equal weights for every role in the rows;
    ``covariates`` is ``len(ratees) × m`` (``nan`` = missing: that ratee gets no
    adjusted value).
    """
    s = np.asarray(scores, dtype=np.float64)
    role_list = [str(r) for r in roles]
    w = dict(weights) if weights else {r: 1.0 for r in set(role_list)}
    pos = {u: i for i, u in enumerate(ratees)}
    idx = np.fromiter((pos.get(str(r), -1) for r in ratees_col), dtype=np.int64, count=len(s))
    n = len(ratees)
    raw = role_weighted_mean(idx, role_list, s, n, w)
    n_ratings = np.bincount(idx[idx >= 0], minlength=n).astype(np.int64)
    dropped: tuple[str, ...] = ()
    std = raw
    if standardise and len(s):
        z, keep = standardise_by_rater(raters, s, rescale=rescale)
        std = role_weighted_mean(idx, role_list, z, n, w)
        dropped = tuple(sorted({str(r) for r, k in zip(raters, keep, strict=True) if not k}))
    final, coefs = std, dict[str, float]()
    if covariates is not None and len(covariate_names):
        cov = np.asarray(covariates, dtype=np.float64).reshape(n, -1)
        final, coefs = _adjust(std, cov, covariate_names)
    return RatingResult(tuple(ratees), raw, std, final, n_ratings, coefs, dropped)
