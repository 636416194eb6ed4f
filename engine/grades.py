"""Grades in the fixed order of docs/ruleset.md (`grades`): bands → caps → quotas → tie-break → reported ties.

Grades are indices into the ruleset's ``grades:`` list (0 = best, -1 = no grade
because the unit has no score).  A quota is a maximum: its places are
``floor(quota × units in scope)``, computed exactly with fractions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from kaohe.engine.results import FloatArray, IntArray, Tie
from kaohe.engine.ruleset.model import GradeModel, parse_quota


@dataclass(frozen=True)
class TieKey:
    """One ``tie_break`` indicator: its values and which direction is better."""

    values: FloatArray
    better: str


def quota_fraction(grade: GradeModel) -> Fraction | None:
    """The grade's quota as an exact fraction (``"20%"`` -> 1/5), or ``None`` (see ``parse_quota``)."""
    return None if grade.quota is None else parse_quota(grade.quota)


def band_grades(scores: FloatArray, grades: Sequence[GradeModel]) -> IntArray:
    """The first grade whose ``min`` the score reaches; -1 when the score is missing."""
    out = np.full(len(scores), -1, dtype=np.int64)
    undecided = ~np.isnan(scores)
    for i, g in enumerate(grades):
        hit = undecided if g.min is None else undecided & (scores >= float(g.min))
        out[hit] = i
        undecided &= ~hit
    return out


def apply_caps(bands: IntArray, caps: IntArray) -> IntArray:
    """A cap (一票否决) lowers the grade to at most the cap; the lowest cap wins upstream."""
    capped = np.where((caps >= 0) & (bands >= 0), np.maximum(bands, caps), bands)
    return capped.astype(np.int64)


def _order_key(i: int, scores: FloatArray, keys: Sequence[TieKey]) -> tuple[float, ...]:
    """Sort key: higher score first, then each tie-break indicator (missing loses)."""
    parts = [-scores[i]]
    for k in keys:
        v = k.values[i]
        if np.isnan(v):
            parts.append(math.inf)
        else:
            parts.append(-v if k.better == "higher" else v)
    return tuple(parts)


def apply_quotas(
    grade: IntArray,
    scores: FloatArray,
    grades: Sequence[GradeModel],
    scopes: npt.NDArray[np.object_],
    units: Sequence[str],
    tie_keys: Sequence[TieKey],
) -> tuple[IntArray, list[Tie], dict[int, str]]:
    """Enforce quotas top-down; units over a quota drop to the next grade.

    Returns the new grades, the unresolved ties at cut-offs, and for each
    demoted unit (by row) the grade it was demoted from.
    """
    grade = grade.copy()
    ties: list[Tie] = []
    demoted: dict[int, str] = {}
    scope_keys = sorted(set(scopes.tolist()), key=str)
    scope_masks = {s: scopes == s for s in scope_keys}
    for g_index, g in enumerate(grades[:-1]):
        frac = quota_fraction(g)
        if frac is None:
            continue
        for scope in scope_keys:
            mask = scope_masks[scope]
            places = math.floor(frac * int(mask.sum()))
            candidates = np.flatnonzero(mask & (grade == g_index)).tolist()
            if len(candidates) <= places:
                continue
            ordered = sorted(candidates, key=lambda i: (_order_key(i, scores, tie_keys), units[i]))
            keep = set(ordered[:places])
            if places > 0:
                cut = _order_key(ordered[places - 1], scores, tie_keys)
                if _order_key(ordered[places], scores, tie_keys) == cut:
                    group = [i for i in ordered if _order_key(i, scores, tie_keys) == cut]
                    keep -= set(group)
                    ties.append(
                        Tie(
                            scope=str(scope),
                            grade=g.name,
                            places=places - sum(1 for i in ordered[:places] if i not in group),
                            units=tuple(sorted(units[i] for i in group)),
                            score=float(scores[group[0]]),
                        )
                    )
            for i in ordered:
                if i not in keep:
                    grade[i] = g_index + 1
                    demoted.setdefault(i, g.name)
    return grade, ties, demoted


def category_ranks(scores: FloatArray, categories: npt.NDArray[np.object_]) -> IntArray:
    """Competition rank within category by score (1, 2, 2, 4); 0 when there is no score."""
    out = np.zeros(len(scores), dtype=np.int64)
    for cat in sorted(set(categories.tolist()), key=str):
        idx = np.flatnonzero((categories == cat) & ~np.isnan(scores))
        if len(idx) == 0:
            continue
        neg = np.sort(-scores[idx])
        out[idx] = np.searchsorted(neg, -scores[idx], side="left") + 1
    return out
