"""Turn indicator values into scores 0..100: linear, bands, rank, target.

Every method takes the whole column so that ``rank`` can see the population;
missing values (NaN) score NaN, and ``on_missing`` is applied by the caller.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kaohe.engine.results import FloatArray
from kaohe.engine.ruleset.model import Band, IndicatorModel, LinearScore, RankScore, TargetScore


def linear(values: FloatArray, spec: LinearScore) -> FloatArray:
    """``100 * clip((value - worst) / (best - worst), 0, 1)`` exactly as docs/ruleset.md ("Scoring methods") writes it."""
    w, b = float(spec.worst), float(spec.best)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values overflow to ±inf, then clip
        return 100.0 * np.clip((values - w) / (b - w), 0.0, 1.0)


def bands(values: FloatArray, spec: list[Band]) -> FloatArray:
    """The score of the first band whose (inclusive) bounds hold; 0 when none does."""
    out = np.where(np.isnan(values), np.nan, 0.0)
    decided = np.isnan(values)
    for band in spec:
        hit = ~decided
        if band.min is not None:
            hit &= values >= float(band.min)
        if band.max is not None:
            hit &= values <= float(band.max)
        out[hit] = float(band.score)
        decided |= hit
    return out


def rank(
    values: FloatArray, spec: RankScore, better: str, groups: npt.NDArray[np.object_]
) -> FloatArray:
    """Percentile within the group: ``100 * (worse + 0.5 * equal others) / (n - 1)``.

    ``n`` counts units of the group that have a value; a unit alone scores 100.
    """
    keys = groups if spec.within == "category" else np.zeros(len(values), dtype=object)
    out = np.full(len(values), np.nan)
    signed = values if better == "higher" else -values
    for key in sorted(set(keys.tolist())):
        idx = np.flatnonzero((keys == key) & ~np.isnan(values))
        n = len(idx)
        if n == 0:
            continue
        if n == 1:
            out[idx] = 100.0
            continue
        v = np.sort(signed[idx])
        lower = np.searchsorted(v, signed[idx], side="left")  # strictly worse
        upper = np.searchsorted(v, signed[idx], side="right")
        equal_others = upper - lower - 1
        out[idx] = 100.0 * (lower + 0.5 * equal_others) / (n - 1)
    return out


def target(values: FloatArray, spec: TargetScore, better: str) -> FloatArray:
    """Completion against a target, capped at 100."""
    t = float(spec.value)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = values / t if better == "higher" else np.where(values <= 0, 1.0, t / values)
    return np.where(np.isnan(values), np.nan, 100.0 * np.clip(ratio, 0.0, 1.0))


def score_indicator(
    values: FloatArray, indicator: IndicatorModel, categories: npt.NDArray[np.object_]
) -> FloatArray:
    """Score one indicator column with its method; no ``score:`` means no score (NaN)."""
    spec = indicator.score
    if spec is None:
        return np.full(len(values), np.nan)
    if spec.linear is not None:
        return linear(values, spec.linear)
    if spec.bands is not None:
        return bands(values, spec.bands)
    if spec.rank is not None:
        return rank(values, spec.rank, indicator.better, categories)
    assert spec.target is not None
    return target(values, spec.target, indicator.better)
