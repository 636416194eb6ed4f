"""Asserting only candidate units (a condition true columnar) fires exactly what asserting every unit fires."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine.evaluate.candidates import candidates, distinct, records
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


@st.composite
def repeated_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Units drawn from a few records, so many units share one (as in real populations)."""
    pool = draw(unit_records(max_size=5))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=16))
    return [{**pool[p], "unit": f"u{i:02d}"} for i, p in enumerate(picks)]


def _content(rec: dict[str, Any]) -> tuple[str, ...]:
    return tuple(repr(rec[k]) for k in sorted(rec) if k != "unit")  # repr: -0.0 is not 0.0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recs=repeated_records(), picks=st.lists(st.sampled_from(ALLOWED), min_size=1, max_size=5, unique=True))
def test_one_record_per_group_fires_what_every_unit_fires(recs: list[dict[str, Any]], picks: list[str]) -> None:
    compiled = rules(*picks)
    cols = _columns(recs)
    units = [r["unit"] for r in recs]
    rows = np.arange(len(recs))
    group, firsts = distinct(cols, rows)
    # a group is exactly the units with equal records, numbered by first appearance
    assert all((group[i] == group[j]) == (_content(recs[i]) == _content(recs[j]))
               for i in range(len(recs)) for j in range(len(recs)))
    assert firsts.tolist() == sorted(firsts.tolist()) and group[firsts].tolist() == list(range(len(firsts)))
    per_group = run_isolated(compiled, records(units, cols, firsts), values=True)
    spread = {units[i]: per_group[units[firsts[g]]] for i, g in enumerate(group.tolist())
              if units[firsts[g]] in per_group}
    assert spread == run_isolated(compiled, records(units, cols, rows), values=True)


def test_groups_tell_apart_what_a_rule_could_tell_apart() -> None:
    cols = {"n": np.asarray([0.0, -0.0, np.nan, np.float64("nan") * -1, 0.0, 1e-300]),
            "t": np.asarray(["a", "a", None, None, "a", "b"], dtype=object),
            "m": np.asarray([1, 1.0, "1", None, 1, True], dtype=object)}
    group, firsts = distinct(cols, np.arange(6))
    # -0.0 differs from 0.0 (a firing reports it); every missing value is alike; 1, 1.0, True, "1" differ
    assert group.tolist() == [0, 1, 2, 3, 0, 4] and firsts.tolist() == [0, 1, 2, 3, 5]
    cols["m"] = np.asarray([1, 1, None, None, 1, 2], dtype=object)
    group, firsts = distinct(cols, np.arange(6))
    assert group.tolist() == [0, 1, 2, 2, 0, 3] and firsts.tolist() == [0, 1, 2, 5]
    none, nothing = distinct(cols, np.arange(0))
    assert none.tolist() == [] and nothing.tolist() == []
