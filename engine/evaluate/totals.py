"""Weighted base score per unit: ``Σ weight·score / Σ weight`` over scored indicators.

``on_missing: exclude`` drops a missing indicator from both sums (re-weighting),
``zero`` counts it as score 0 with its full weight.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from kaohe.engine.results import FloatArray
from kaohe.engine.ruleset.model import IndicatorModel


def weight_columns(
    weights: Mapping[str, Mapping[str, float]],
    categories: npt.NDArray[np.object_],
    indicators: Mapping[str, IndicatorModel],
) -> dict[str, FloatArray]:
    """Per indicator, the weight each unit's category gives it (0 when not in the table)."""
    cats = sorted(set(categories.tolist()))
    masks = {c: categories == c for c in cats}
    out: dict[str, FloatArray] = {}
    for ind_id in indicators:
        col = np.zeros(len(categories))
        for c in cats:
            col[masks[c]] = float(weights.get(c, {}).get(ind_id, 0.0))
        out[ind_id] = col
    return out


def effective_scores(
    scores: FloatArray, indicator: IndicatorModel
) -> FloatArray:
    """Scores as they enter the total: missing stays missing (exclude) or becomes 0 (zero)."""
    if indicator.on_missing == "zero":
        return np.where(np.isnan(scores), 0.0, scores)
    return scores


def base_scores(
    scores: Mapping[str, FloatArray],
    weights: Mapping[str, FloatArray],
    n: int,
) -> FloatArray:
    """The weighted mean of the counted scores; NaN when a unit has no counted indicator.

    Summation runs in the fixed order of the ruleset's indicators, so results
    do not depend on anything but the ruleset and the unit's own values.
    """
    num = np.zeros(n)
    den = np.zeros(n)
    for ind_id, s in scores.items():
        w = weights[ind_id]
        counted = ~np.isnan(s) & (w > 0)
        num += np.where(counted, w * np.nan_to_num(s), 0.0)
        den += np.where(counted, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
