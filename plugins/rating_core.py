"""Multi-rater reviews (360° / 民主测评): rater correction, role weights, popularity, adjustment.

Pure numeric functions (numpy/scipy), no project imports.  Steps:

1. **Rater correction** (``method``):

   - ``mean``: none, the scores as given;
   - ``standardise``: per-rater z-scores ``(s - mean_r) / sd_r`` (population sd),
     put back on the file's scale (``grand_mean + grand_sd × z``) unless
     ``rescale`` is off; a rater with fewer than two ratings or no spread is
     left out.  It assumes every rater rates a random sample of everyone;
   - ``rater_effects`` (default): ``score = ratee effect + rater effect +
     noise`` by least squares over the rater–ratee graph
     (:mod:`kaohe.plugins.rating_fit`); every score minus its rater's
     estimated effect.
2. **Role weights**: per ratee, the mean corrected score from each rater role
   (the per-role ratee effect), combined with the role weights renormalised
   over the roles that rated that ratee.
3. **Popularity** (人缘竞赛, optional): per covariate (e.g. seniority), the slope
   of (the chosen roles' part − the other roles' part) on the covariate, over
   the ratees rated by both; only that *extra* slope is removed from the
   chosen roles' part, around the covariate's mean.  What every role sees
   alike (real performance rising with experience) stays.
4. **Adjustment** (optional, the older and blunter tool): regress the combined
   score on covariates (OLS with intercept) and remove the whole fitted effect
   around the covariates' mean — real performance that rises with the
   covariate is removed with it.

The ratings are sorted first, so the row order of the file never changes a bit
of the result.  Everything is vectorised: 100k ratings take well under a second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kaohe.plugins.rating_fit import fit_rater_effects

__all__ = ["METHODS", "Popularity", "RatingResult", "rate", "role_means", "standardise_by_rater"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
METHODS = ("mean", "standardise", "rater_effects")


@dataclass(frozen=True)
class Popularity:
    """The popularity correction: ``covariates`` is ``n_ratees × len(names)`` (``nan`` = missing)."""

    covariates: npt.ArrayLike
    names: Sequence[str]
    roles: Sequence[str]


@dataclass(frozen=True)
class RatingResult:
    """Per ratee (aligned with ``ratees``) and per rater (aligned with ``raters``).

    ``raw``: role-weighted mean of the scores as given; ``corrected``: after
    the rater correction; ``popular``: after the popularity correction;
    ``final``: after the adjustment (the metric's value).  ``role_raw`` and
    ``role_corrected`` are the per-role means (columns in ``roles`` order,
    ``nan`` = the role did not rate the ratee); ``role_corrected`` includes
    the popularity correction.  ``rater_effect`` is the estimated leniency
    (``rater_effects`` only, 0 where not estimated; ``nan`` for other
    methods).  ``popularity_slopes`` / ``coefficients`` map each covariate
    to the slope removed (empty when off or when too few ratees).
    """

    ratees: tuple[str, ...]
    method: str
    raw: FloatArray
    corrected: FloatArray
    popular: FloatArray
    final: FloatArray
    n_ratings: IntArray
    roles: tuple[str, ...] = ()
    role_raw: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    role_corrected: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    raters: tuple[str, ...] = ()
    rater_n: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rater_roles: tuple[str, ...] = ()
    rater_effect: FloatArray = field(default_factory=lambda: np.zeros(0))
    rater_estimated: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ratee_raters: tuple[tuple[int, ...], ...] = ()
    popularity_slopes: dict[str, float] = field(default_factory=dict)
    popularity_centre: dict[str, float] = field(default_factory=dict)
    popularity_n: int = 0
    coefficients: dict[str, float] = field(default_factory=dict)
    dropped_raters: tuple[str, ...] = ()
    single_raters: tuple[str, ...] = ()
    weak_raters: tuple[tuple[str, ...], ...] = ()
    converged: bool = True

    @property
    def shift(self) -> FloatArray:
        """How much all corrections together moved each ratee: ``final - raw``."""
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


def role_means(ratee_index: npt.ArrayLike, role_index: npt.ArrayLike, values: npt.ArrayLike,
               n_ratees: int, n_roles: int) -> FloatArray:
    """``n_ratees × n_roles`` means of ``values`` (``nan`` where a role gave no finite value).

    Rows whose ``ratee_index`` is ``-1`` (not a ratee of interest) are ignored.
    """
    idx = np.asarray(ratee_index, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    ok = (idx >= 0) & np.isfinite(v)
    key = idx[ok] * n_roles + np.asarray(role_index, dtype=np.int64)[ok]
    size = n_ratees * n_roles
    count = np.bincount(key, minlength=size).reshape(n_ratees, n_roles)
    total = np.bincount(key, weights=v[ok], minlength=size).reshape(n_ratees, n_roles)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan), dtype=np.float64)


def combine(means: FloatArray, weights: FloatArray) -> FloatArray:
    """Σ w·mean / Σ w over the roles present per row (``nan`` when none is)."""
    present = np.isfinite(means) & (weights > 0)
    wsum = (present * weights).sum(axis=1)
    num = (np.where(present, means, 0.0) * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / wsum
    out[wsum <= 0] = np.nan
    return np.asarray(out, dtype=np.float64)


def _adjust(y: FloatArray, covariates: FloatArray, names: Sequence[str]) -> tuple[FloatArray, dict[str, float]]:
    ok = np.isfinite(y) & np.isfinite(covariates).all(axis=1)
    m = covariates.shape[1]
    if ok.sum() < m + 2:
        # too few rated units to estimate the effect (a one-unit test case, a period
        # nobody was rated in): leave the scores as they are; ratees without the
        # covariate values still get no value, as with a full adjustment
        return np.where(ok, y, np.nan), {}
    c = covariates[ok]
    centre = c.mean(axis=0)
    design = np.column_stack([np.ones(len(c)), c - centre])
    beta, *_ = np.linalg.lstsq(design, y[ok], rcond=None)
    out = np.full(len(y), np.nan)
    out[ok] = y[ok] - (c - centre) @ beta[1:]
    return out, {n: float(b) for n, b in zip(names, beta[1:], strict=True)}


def _popularity(means: FloatArray, weights: FloatArray, chosen: npt.NDArray[np.bool_], pop: Popularity
                ) -> tuple[FloatArray, dict[str, float], dict[str, float], int]:
    """Remove the chosen roles' extra slope on the covariates (see module doc, step 3)."""
    cov = np.asarray(pop.covariates, dtype=np.float64).reshape(len(means), -1)
    part = combine(means, weights * chosen)
    rest = combine(means, weights * ~chosen)
    has_cov = np.isfinite(cov).all(axis=1)
    sample = np.isfinite(part) & np.isfinite(rest) & has_cov
    out = means.copy()
    touched = np.isfinite(means[:, chosen]).any(axis=1)
    out[touched & ~has_cov] = np.nan  # the chosen roles' part cannot be corrected without the covariate
    if sample.sum() < cov.shape[1] + 2:
        return out, {}, {}, int(sample.sum())
    centre = cov[sample].mean(axis=0)
    design = np.column_stack([np.ones(int(sample.sum())), cov[sample] - centre])
    beta, *_ = np.linalg.lstsq(design, (part - rest)[sample], rcond=None)
    fix = touched & has_cov
    out[np.ix_(fix, chosen)] -= ((cov[fix] - centre) @ beta[1:])[:, None]
    names = list(pop.names)
    return (out, {n: float(b) for n, b in zip(names, beta[1:], strict=True)},
            {n: float(c) for n, c in zip(names, centre, strict=True)}, int(sample.sum()))


def _codes(values: Sequence[str], rows: IntArray) -> tuple[list[str], IntArray]:
    """The distinct values of ``rows`` (sorted) and each row's position among them."""
    keys = sorted({str(values[int(i)]) for i in rows})
    pos = {k: i for i, k in enumerate(keys)}
    return keys, np.fromiter((pos[str(values[int(i)])] for i in rows), dtype=np.int64, count=len(rows))


def rate(raters: Sequence[str], roles: Sequence[str], ratees_col: Sequence[str], scores: npt.ArrayLike,
         ratees: Sequence[str], weights: Mapping[str, float] | None = None, *, method: str = "rater_effects",
         rescale: bool = True, popularity: Popularity | None = None, covariates: npt.ArrayLike | None = None,
         covariate_names: Sequence[str] = ()) -> RatingResult:
    """Score every ratee in ``ratees`` from the rating rows (see module doc).

    ``weights`` defaults to equal weights for every role in the rows; a role
    without a weight is a ``ValueError``.  ``covariates`` (``len(ratees) × m``,
    ``nan`` = missing: that ratee gets no adjusted value) drive the adjustment.
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")
    s_all = np.asarray(scores, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(s_all))
    rater_ids, rater_ix = _codes(raters, finite)
    role_ids, role_ix = _codes(roles, finite)
    who_ids, who_ix = _codes(ratees_col, finite)
    w = dict(weights) if weights else {r: 1.0 for r in role_ids}
    unknown = sorted(set(role_ids) - set(w))
    if unknown:
        raise ValueError(f"rater_role {', '.join(map(repr, unknown))} has no weight in roles: {', '.join(sorted(w))}")
    s = s_all[finite]
    # a canonical order (rater, ratee, role, score): the file's row order never matters
    order = np.lexsort((s, role_ix, who_ix, rater_ix))
    s, rater_ix, role_ix, who_ix = s[order], rater_ix[order], role_ix[order], who_ix[order]
    role_names = tuple(sorted(w))
    role_of = np.array([role_names.index(r) for r in role_ids], dtype=np.int64)[role_ix] if len(s) else \
        np.zeros(0, dtype=np.int64)
    wvec = np.array([w[r] for r in role_names], dtype=np.float64)
    pos = {u: i for i, u in enumerate(ratees)}
    unit_of = np.array([pos.get(x, -1) for x in who_ids], dtype=np.int64)[who_ix] if len(s) else \
        np.zeros(0, dtype=np.int64)
    n, n_r = len(ratees), len(rater_ids)
    role_raw = role_means(unit_of, role_of, s, n, len(role_names))
    raw = combine(role_raw, wvec)
    effect = np.full(n_r, np.nan)
    estimated = np.zeros(n_r, dtype=bool)
    dropped: tuple[str, ...] = ()
    single: tuple[str, ...] = ()
    weak: tuple[tuple[str, ...], ...] = ()
    converged = True
    values = s
    if method == "standardise" and len(s):
        values, keep = standardise_by_rater(rater_ix, s, rescale=rescale)
        dropped = tuple(rater_ids[int(j)] for j in np.unique(rater_ix[~keep]))
    elif method == "rater_effects":
        fit = fit_rater_effects(rater_ix, who_ix, s, n_r, len(who_ids))
        effect, estimated = fit.effect, fit.estimated
        values = s - effect[rater_ix]
        single = tuple(rater_ids[j] for j in fit.single)
        weak = tuple(tuple(rater_ids[j] for j in comp) for comp in fit.weak)
        converged = fit.converged
    role_corr = role_means(unit_of, role_of, values, n, len(role_names))
    corrected = combine(role_corr, wvec)
    slopes: dict[str, float] = {}
    centre: dict[str, float] = {}
    pop_n = 0
    if popularity is not None and len(popularity.names):
        chosen = np.array([r in set(popularity.roles) for r in role_names], dtype=bool)
        role_corr, slopes, centre, pop_n = _popularity(role_corr, wvec, chosen, popularity)
    popular = combine(role_corr, wvec)
    final, coefs = popular, dict[str, float]()
    if covariates is not None and len(covariate_names):
        final, coefs = _adjust(popular, np.asarray(covariates, dtype=np.float64).reshape(n, -1), covariate_names)
    rated = unit_of >= 0
    n_ratings = np.bincount(unit_of[rated], minlength=n).astype(np.int64)
    pairs = np.unique(unit_of[rated] * max(n_r, 1) + rater_ix[rated])
    by_ratee: list[list[int]] = [[] for _ in range(n)]
    for p in pairs:
        by_ratee[int(p) // max(n_r, 1)].append(int(p) % max(n_r, 1))
    rater_roles: list[list[str]] = [[] for _ in range(n_r)]
    for p in np.unique(rater_ix * len(role_names) + role_of):
        rater_roles[int(p) // len(role_names)].append(role_names[int(p) % len(role_names)])
    return RatingResult(
        tuple(ratees), method, raw, corrected, popular, final, n_ratings, role_names, role_raw, role_corr,
        tuple(rater_ids), np.bincount(rater_ix, minlength=n_r).astype(np.int64),
        tuple("/".join(r) for r in rater_roles), effect, estimated, tuple(tuple(b) for b in by_ratee),
        slopes, centre, pop_n, coefs, dropped, single, weak, converged)
