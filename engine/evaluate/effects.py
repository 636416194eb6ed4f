"""Combine the effects of fired rules; the result never depends on firing order.

Points add up (positive ``add`` effects capped by ``bonus_limit``, deductions
in full), caps take the lowest grade, alerts and notes follow rule order.
Units that share their firings (engine/grouped.py) share the outcome: it is
folded once per group and spread to the units by their group codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kaohe.engine.grouped import Grouped
from kaohe.engine.results import Firing, FloatArray, IntArray
from kaohe.engine.ruleset.model import RuleModel


@dataclass
class CombinedEffects:
    """Per-unit outcome of all fired rules."""

    points: FloatArray
    caps: IntArray
    alerts: Grouped[list[str]]
    notes: Grouped[list[str]]


def combine(
    firings: Grouped[list[Firing]],
    rules: Sequence[RuleModel],
    grade_names: Sequence[str],
    bonus_limit: float | None,
) -> CombinedEffects:
    """Fold firings into points, caps, alerts and notes (rule order, not firing order)."""
    by_id = {r.id: r for r in rules}
    order = {r.id: i for i, r in enumerate(rules)}
    grade_index = {g: i for i, g in enumerate(grade_names)}
    groups = len(firings.groups)
    points = np.zeros(groups + 1)  # the last entry is for code -1: no firing
    caps = np.full(groups + 1, -1, dtype=np.int64)
    alerts: list[list[str]] = []
    notes: list[list[str]] = []
    for g, fired in enumerate(firings.groups):
        bonus = 0.0
        deduction = 0.0
        alerts.append([])
        notes.append([])
        for f in sorted(fired, key=lambda f: order[f.rule_id]):
            then = by_id[f.rule_id].then
            if then.add is not None:
                if then.add >= 0:
                    bonus += float(then.add)
                else:
                    deduction += float(then.add)
            if then.cap_grade is not None:
                caps[g] = max(caps[g], grade_index[then.cap_grade])
            if then.alert is not None:
                alerts[g].append(then.alert)
            if then.note is not None:
                notes[g].append(then.note)
        if bonus_limit is not None:
            bonus = min(bonus, float(bonus_limit))
        points[g] = bonus + deduction
    codes = firings.codes
    return CombinedEffects(points=points[codes], caps=caps[codes], alerts=Grouped(firings.units, codes, alerts),
                           notes=Grouped(firings.units, codes, notes))
