"""Tests of the example metric: the function alone, and through a ruleset."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
from kaohe_per_judge import PER_JUDGE, PerJudgeParams, per_judge

from engine.plugins import MetricContext


def test_per_judge_by_hand():
    ctx = MetricContext(units=["a", "b", "c"], categories=np.array(["x"] * 3, dtype=object),
                        columns={"closed": np.array([100.0, 30.0, 5.0]), "judges": np.array([4.0, 0.0, np.nan])},
                        period="2025Q1")
    got = per_judge(ctx, PerJudgeParams())
    assert got[0] == 25 and math.isnan(got[1]) and math.isnan(got[2])


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError):
        PerJudgeParams(min_judges=0)
    with pytest.raises(ValueError):
        PerJudgeParams(min_judge=2)  # misspelt key


def test_metric_object():
    assert PER_JUDGE.name == "per_judge" and PER_JUDGE.inputs(PerJudgeParams()) == ["closed", "judges"]


RULESET = """
kaohe: 1
id: per-judge-demo
name: 人均结案
period: quarter
categories: {civil: {label: 民事审判庭}}
facts:
  closed: {label: 结案数, type: integer, min: 0}
  judges: {label: 员额法官数, type: integer, min: 0}
indicators:
  per_judge:
    label: 人均结案数
    metric: per_judge
    with: {min_judges: 1}
    score: {linear: {worst: 10, best: 30}}
weights:
  default: {per_judge: 100}
grades:
  - {name: 优秀, min: 90}
  - {name: 称职}
"""


def test_through_a_ruleset(tmp_path):
    """Needs the package installed (pip install -e .) so kaohe finds the entry point."""
    from engine.run import run

    (tmp_path / "r.yaml").write_text(textwrap.dedent(RULESET), encoding="utf-8")
    (tmp_path / "q.csv").write_text("unit,category,closed,judges\na,civil,120,4\nb,civil,40,4\n", encoding="utf-8")
    outcome = run(tmp_path / "r.yaml", tmp_path / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    got = {u.unit: u.indicators["per_judge"].value for u in outcome.units}
    assert got == {"a": 30, "b": 10}
