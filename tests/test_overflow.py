"""A formula that overflows (issue 8 #14): a missing value handled by ``on_missing``, with a
warning located at the formula; the unit still gets a grade, or with ``on_missing: error``
the run fails naming the formula and the units."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from kaohe.engine.errors import FactsError
from kaohe.engine.evaluate import evaluate
from kaohe.engine.expr import compile_expression
from kaohe.engine.expr.columnar import watch_overflow
from kaohe.engine.facts import load_facts
from kaohe.engine.ruleset import load_ruleset
from tests.samples import MINI, Q1


def _evaluate(tmp_path: Path, formula: str, expert: str, on_missing: str = "exclude"):  # type: ignore[no-untyped-def]
    text = textwrap.dedent(MINI).lstrip("\n").replace(", max: 100}", "}").replace(
        "    formula: expert\n", f"    formula: {formula}\n    on_missing: {on_missing}\n")
    (tmp_path / "mini.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "q1.csv").write_text(Q1.replace("c03,刑三庭,criminal,100,70,72.6", f"c03,刑三庭,criminal,100,70,{expert}"),
                                     encoding="utf-8")
    rs = load_ruleset(tmp_path / "mini.yaml")
    facts = load_facts(tmp_path / "q1.csv", rs.model.facts, rs.model.categories, period_kind="quarter",
                       period="2025Q1")
    return rs, evaluate(rs, facts)


def test_watch_overflow_sees_overflow_and_not_division_by_zero():
    env = {"x": np.array([1e308, 2.0, 0.0]), "y": np.array([10.0, 0.0, -1.0])}
    with watch_overflow() as seen:
        product = compile_expression("x * y").evaluate(env)
        quotient = compile_expression("x / y").evaluate(env)
        power = compile_expression("x ** y").evaluate(env)
    assert np.isnan(product[0]) and product[1] == 0.0
    assert np.isnan(quotient[1]) and np.isnan(power[0]) and np.isnan(power[2])
    # 1e308 * 10 and 1e308 ** 10 overflow; 2 / 0 and 0 ** -1 are missing values, not overflows
    assert [m.tolist() for m in seen] == [[True, False, False], [True, False, False]]


def test_outside_a_watch_an_overflow_is_only_a_missing_value():
    out = compile_expression("x * 10").evaluate({"x": np.array([1e308, 1.0])})
    assert np.isnan(out[0]) and out[1] == 10.0


def test_an_overflowing_unit_keeps_its_grade_and_the_run_warns(tmp_path):
    rs, ev = _evaluate(tmp_path, "expert * 10 / 10", "1e308")
    c03 = ev.unit(ev.units.index("c03"))
    assert c03.indicators["expert_score"].value is None
    assert c03.grade == "不称职" and c03.score == pytest.approx(28.5714285714)  # closure_rate alone, re-weighted
    assert [w.code for w in ev.warnings] == ["run.overflow"]
    warning = ev.warnings[0]
    assert warning.severity == "warning" and warning.params["units"] == "c03"
    assert warning.location is not None and warning.location.path == "indicators.expert_score.formula"
    assert warning.location.line == 22
    assert "on_missing: exclude" in warning.message("en")


def test_an_overflow_in_a_branch_not_taken_changes_nothing(tmp_path):
    _rs, ev = _evaluate(tmp_path, "81 if expert > 1000 else expert * 10", "1e308")
    assert ev.warnings == []
    assert ev.unit(ev.units.index("c03")).indicators["expert_score"].value == 81


def test_a_huge_value_that_does_not_overflow_is_kept(tmp_path):
    _rs, ev = _evaluate(tmp_path, "expert / 10", "1e308")
    assert ev.warnings == [] and ev.unit(ev.units.index("c03")).indicators["expert_score"].value == 1e307


def test_on_missing_zero_scores_the_overflowing_unit_zero(tmp_path):
    _rs, ev = _evaluate(tmp_path, "expert * 10", "1e308", on_missing="zero")
    c03 = ev.unit(ev.units.index("c03"))
    assert c03.indicators["expert_score"].score is None  # no score of its own, counted as 0 in the total
    assert c03.score == pytest.approx(0.6 * 28.5714285714) and c03.grade == "不称职"
    assert "on_missing: zero" in ev.warnings[0].message("en")


def test_on_missing_error_fails_at_the_formula_naming_the_units(tmp_path):
    with pytest.raises(FactsError) as caught:
        _evaluate(tmp_path, "expert * 10", "1e308", on_missing="error")
    [problem] = caught.value.problems
    assert problem.code == "run.overflow" and problem.severity == "error"
    assert problem.params["units"] == "c03"
    assert problem.location is not None and problem.location.path == "indicators.expert_score.formula"
