"""Rule effects combine the same whatever order rules fire in."""

from __future__ import annotations

import itertools

import numpy as np

from kaohe.engine.evaluate.effects import combine
from kaohe.engine.grouped import Grouped
from kaohe.engine.results import Firing
from kaohe.engine.ruleset.model import RuleModel

GRADES = ["优秀", "称职", "基本称职", "不称职"]
RULES = [
    RuleModel(id="bonus_a", when="x > 0", then={"add": 2}),
    RuleModel(id="bonus_b", when="x > 0", then={"add": 3, "alert": "表扬"}),
    RuleModel(id="penalty", when="x > 0", then={"add": -4, "note": "扣分"}),
    RuleModel(id="veto", when="x > 0", then={"cap_grade": "不称职", "alert": "督办"}),
    RuleModel(id="soft_cap", when="x > 0", then={"cap_grade": "称职"}),
]


def test_points_caps_alerts_notes_are_order_independent():
    fired = [Firing(r.id, {}) for r in RULES]
    results = set()
    for perm in itertools.permutations(fired):
        eff = combine(Grouped.from_dict(["u1", "u2"], {"u1": list(perm)}), RULES, GRADES, bonus_limit=None)
        results.add((eff.points.tolist()[0], int(eff.caps[0]), tuple(eff.alerts["u1"]), tuple(eff.notes["u1"])))
    assert results == {(1.0, 3, ("表扬", "督办"), ("扣分",))}


def test_bonus_limit_caps_positive_points_only():
    fired = {"u1": [Firing("bonus_a", {}), Firing("bonus_b", {}), Firing("penalty", {})],
             "u2": [Firing("bonus_a", {}), Firing("bonus_b", {})]}
    eff = combine(Grouped.from_dict(["u1", "u2"], fired), RULES, GRADES, bonus_limit=4)
    assert eff.points.tolist() == [0.0, 4.0]  # u1: min(5, 4) - 4


def test_no_firings_means_zero_points_and_no_cap():
    eff = combine(Grouped.from_dict(["u1"], {}), RULES, GRADES, bonus_limit=None)
    assert eff.points.tolist() == [0.0] and eff.caps.tolist() == [-1]
    assert isinstance(eff.caps, np.ndarray)
