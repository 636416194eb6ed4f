"""Asserting only candidate units (a condition true columnar) fires exactly what asserting every unit fires."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine.evaluate.candidates import candidates, records
from kaohe.engine.rules import run_rules
from tests.rules_support import ALLOWED, TYPES, rules, run_isolated
from tests.rules_support import records as unit_records


def _columns(recs: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    for name in ("x", "y", "z", "light.x", "previous.light.x"):
        vals = [r.get(name) for r in recs]
        if TYPES.get(name) == "string":
            cols[name] = np.asarray(vals, dtype=object)
        else:
            cols[name] = np.asarray([math.nan if v is None else float(v) for v in vals], dtype=np.float64)
    return cols


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=unit_records(), picks=st.lists(st.sampled_from(ALLOWED), min_size=1, max_size=5, unique=True))
def test_candidates_fire_what_every_unit_fires(recs: list[dict[str, Any]], picks: list[str]) -> None:
    compiled = rules(*picks)
    cols = _columns(recs)
    units = [r["unit"] for r in recs]
    rows = np.flatnonzero(candidates(compiled, cols, len(recs)))
    everyone = run_isolated(compiled, records(units, cols, np.arange(len(recs))))
    assert run_isolated(compiled, records(units, cols, rows)) == everyone
    assert {units[i] for i in rows} >= set(everyone)


def test_units_no_condition_can_hold_for_are_not_asserted() -> None:
    compiled = rules("x > 1", 'light.x == "red"')
    recs = [{"unit": "a", "x": 2.0, "light.x": "green"}, {"unit": "b", "x": 0.0, "light.x": "green"},
            {"unit": "c", "x": None, "light.x": "red"}, {"unit": "d", "x": None, "light.x": None}]
    cols = _columns(recs)
    rows = np.flatnonzero(candidates(compiled, cols, len(recs)))
    assert rows.tolist() == [0, 2]
    got = run_rules(compiled, records([r["unit"] for r in recs], cols, rows))
    assert {u: [f.rule_id for f in fs] for u, fs in got.items()} == {"a": ["r0"], "c": ["r1"]}
    assert got["c"][0].values == {"light.x": "red"}
