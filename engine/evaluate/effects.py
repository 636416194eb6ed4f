"""Combine the effects of fired rules; the result never depends on firing order.

Points add up (positive ``add`` effects capped by ``bonus_limit``, deductions
in full), caps take the lowest grade, alerts and notes follow rule order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kaohe.engine.results import Firing, FloatArray, IntArray
from kaohe.engine.ruleset.model import RuleModel


@dataclass
class CombinedEffects:
    """Per-unit outcome of all fired rules."""

    points: FloatArray
    caps: IntArray
    alerts: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def combine(
    units: Sequence[str],
    firings: Mapping[str, Sequence[Firing]],
    rules: Sequence[RuleModel],
    grade_names: Sequence[str],
    bonus_limit: float | None,
) -> CombinedEffects:
    """Fold firings into points, caps, alerts and notes (rule order, not firing order)."""
    n = len(units)
    by_id = {r.id: r for r in rules}
    order = {r.id: i for i, r in enumerate(rules)}
    grade_index = {g: i for i, g in enumerate(grade_names)}
    points = np.zeros(n)
    caps = np.full(n, -1, dtype=np.int64)
    alerts: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    position = {u: i for i, u in enumerate(units)} if firings else {}
    for unit, fired in firings.items():
        i = position[unit]
        bonus = 0.0
        deduction = 0.0
        for f in sorted(fired, key=lambda f: order[f.rule_id]):
            then = by_id[f.rule_id].then
            if then.add is not None:
                if then.add >= 0:
                    bonus += float(then.add)
                else:
                    deduction += float(then.add)
            if then.cap_grade is not None:
                caps[i] = max(caps[i], grade_index[then.cap_grade])
            if then.alert is not None:
                alerts.setdefault(unit, []).append(then.alert)
            if then.note is not None:
                notes.setdefault(unit, []).append(then.note)
        if bonus_limit is not None:
            bonus = min(bonus, float(bonus_limit))
        points[i] = bonus + deduction
    return CombinedEffects(points=points, caps=caps, alerts=alerts, notes=notes)
