"""Tests of the example metric: the function alone, and through a ruleset."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from kaohe_per_judge import PER_JUDGE, PerJudgeParams, per_judge

from kaohe import MetricContext


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


EXAMPLE = Path(__file__).resolve().parent.parent / "example"  # a ruleset and facts using the metric


def test_through_a_ruleset(tmp_path):
    """Needs the package installed (pip install -e .) so kaohe finds the entry point."""
    from kaohe import run_and_store as run

    outcome = run(EXAMPLE / "per_judge.yaml", EXAMPLE / "facts.csv", period="2025Q1",
                  db=f"sqlite:///{tmp_path / 'k.db'}")
    got = {u.unit: u.indicators["per_judge"].value for u in outcome.units}
    assert got == {"a": 30, "b": 10, "c": None}  # c has no judges
