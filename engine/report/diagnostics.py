"""Diagnostics: how spread out each category's scores are, and the flatness (扁平化) warning.

The flatness rule (docs/templates.md): a category with at least
``FLAT_MIN_UNITS`` scored units is *flat* when the middle ``FLAT_SHARE`` of
its total scores (from the 10th to the 90th percentile) lies within
``FLAT_POINTS`` points.  Then most units are a few points apart and grade
bands, which are usually 10 points wide, barely differentiate them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLAT_MIN_UNITS = 5
FLAT_SHARE = 0.8
FLAT_POINTS = 5.0


def category_stats(units: list[dict[str, Any]], categories: dict[str, str],
                   indicator_ids: list[str]) -> list[dict[str, Any]]:
    """Per category: count, mean, min/max, P10/P90, spread (P90-P10), std, flat, indicator means."""
    by_cat: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        by_cat.setdefault(u["category"], []).append(u)
    order = [c for c in categories if c in by_cat] + sorted(c for c in by_cat if c not in categories)
    lo_q, hi_q = (1 - FLAT_SHARE) / 2 * 100, (1 + FLAT_SHARE) / 2 * 100
    out = []
    for cat in order:
        members = by_cat[cat]
        scores = np.array([u["score"] for u in members if u["score"] is not None], dtype=float)
        n = int(scores.size)
        stats: dict[str, Any] = {"category": cat, "label": categories.get(cat, cat), "n": n,
                                 "mean": None, "min": None, "max": None, "p10": None, "p90": None,
                                 "spread": None, "std": None, "flat": False}
        if n:
            p10, p90 = np.percentile(scores, [lo_q, hi_q])
            stats.update(mean=_r(scores.mean()), min=_r(scores.min()), max=_r(scores.max()),
                         p10=_r(p10), p90=_r(p90), spread=_r(p90 - p10), std=_r(scores.std()),
                         flat=bool(n >= FLAT_MIN_UNITS and (p90 - p10) <= FLAT_POINTS))
        sums: dict[str, list[float]] = {iid: [0.0, 0] for iid in indicator_ids}
        for u in members:
            for row in u["indicators"]:
                acc = sums.get(row["id"])
                if acc is not None and row["score"] is not None:
                    acc[0] += row["score"]
                    acc[1] += 1
        stats["indicator_means"] = {iid: _r(s / c) if c else None for iid, (s, c) in sums.items()}
        out.append(stats)
    return out


def flat_rule() -> dict[str, float | int]:
    """The thresholds of the flatness rule, for templates to print."""
    return {"min_units": FLAT_MIN_UNITS, "share": FLAT_SHARE, "points": FLAT_POINTS}


def _r(x: Any) -> float:
    # Rounded so the JSON context (and its golden file) does not depend on float noise.
    return round(float(x), 6)
