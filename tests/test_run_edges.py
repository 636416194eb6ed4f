"""Run-level behaviour: versions in force, failing plugins, rule engine isolation, explain."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from pydantic import BaseModel

from kaohe.engine.errors import RulesetError, RunError
from kaohe.engine.plugins import Metric, registry
from kaohe.engine.run import run
from kaohe.engine.store import Store
from tests.samples import MINI, Q1


def _versions(project):
    v2024 = MINI.replace("id: mini-court", "id: mini-court\neffective: {from: 2024-01-01, to: 2024-12-31}")
    v2025 = MINI.replace("id: mini-court", "id: mini-court\neffective: {from: 2025-01-01}").replace(
        "then: {add: 2}", "then: {add: 1}")
    return project({"region/v2024.yaml": v2024, "region/v2025.yaml": v2025, "q.csv": Q1})


def test_region_folder_picks_the_version_in_force(project, tmp_path):
    root = _versions(project)
    db = f"sqlite:///{tmp_path / 'k.db'}"
    old = run(root / "region", root / "q.csv", period="2024Q3", db=db)
    new = run(root / "region", root / "q.csv", period="2025Q1", db=db)
    assert old.ruleset.path.name == "v2024.yaml" and new.ruleset.path.name == "v2025.yaml"
    points = {u.unit: u.points for u in new.units}
    assert points["c01"] == 1 and {u.unit: u.points for u in old.units}["c01"] == 2


def test_region_folder_without_a_version_in_force_is_a_ruleset_error(project, tmp_path):
    root = _versions(project)
    with pytest.raises(RulesetError) as e:
        run(root / "region", root / "q.csv", period="2023Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    assert "v2024.yaml" in e.value.render("en")


class _Params(BaseModel):
    of: str


def _explode(ctx, params):
    raise ZeroDivisionError("boom")


@pytest.fixture
def exploding_metric():
    registry.register(Metric("explode", _Params, _explode, lambda p: [p.of]))
    yield
    registry.unregister("explode")


def test_a_plugin_that_raises_fails_the_run_cleanly(project, tmp_path, exploding_metric):
    ruleset = MINI.replace(
        "weights:",
        "  boom:\n    label: 爆炸\n    metric: explode\n    with: {of: closed}\nweights:",
    )
    root = project({"r.yaml": ruleset, "q.csv": Q1})
    db = f"sqlite:///{tmp_path / 'k.db'}"
    with pytest.raises(RunError) as e:
        run(root / "r.yaml", root / "q.csv", period="2025Q1", db=db)
    message = e.value.render("en")
    assert "explode" in message and "boom" in message and "r.yaml" in message
    assert Store(db).list_runs() == []


def test_bad_plugin_parameters_are_a_load_error_naming_the_plugin(project, tmp_path):
    ruleset = MINI.replace(
        "weights:",
        "  eff:\n    label: 效率\n    metric: dea\n    with: {inputs: [received], outputs: [closed], model: xyz}\nweights:",
    )
    root = project({"r.yaml": ruleset, "q.csv": Q1})
    with pytest.raises(RulesetError) as e:
        run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    problem = e.value.problems[0]
    assert "dea" in problem.message("en") and problem.location.line is not None
    assert problem.location.path.startswith("indicators.eff.with")


def test_rank_metric_through_a_ruleset(project, tmp_path):
    ruleset = MINI.replace(
        "weights:",
        "  closure_rank:\n    label: 结案率排名\n    metric: rank\n    with: {of: closure_rate}\nweights:",
    )
    root = project({"r.yaml": ruleset, "q.csv": Q1})
    outcome = run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    ranks = {u.unit: u.indicators["closure_rank"].value for u in outcome.units}
    # criminal closure rates 0.95, 0.99, 0.70, 0.90, 0.88 -> percentiles 75, 100, 0, 50, 25; civil alone -> 100
    assert ranks == {"c01": 75.0, "c02": 100.0, "c03": 0.0, "c04": 50.0, "c05": 25.0, "d01": 100.0}
    assert np.isclose(outcome.units[0].score, 102)


def test_remove_that_breaks_inherited_weights_points_at_the_remove(project):
    from kaohe.engine.ruleset import load_ruleset

    child = """
    kaohe: 1
    id: child
    name: 子规则集
    extends: mini.yaml
    remove: [expert_score]
    """
    root = project({"mini.yaml": MINI, "child.yaml": child})
    with pytest.raises(RulesetError) as e:
        load_ruleset(root / "child.yaml")
    problem = e.value.problems[0]
    assert problem.location.file.endswith("child.yaml") and problem.location.path == "remove"
    assert "restate weights" in problem.render("en")


def test_test_case_previous_is_checked_and_per_unit(project):
    from kaohe.engine.ruleset import load_ruleset
    from kaohe.engine.testing import run_tests

    case = """
    tests:
      - name: typo in previous
        category: criminal
        facts: {received: 100, closed: 70, expert: 70}
        previous: {light.closure_rat: red}
        expect: {fired: []}
    """
    root = project({"a.yaml": MINI + textwrap.dedent(case)})
    with pytest.raises(RulesetError) as e:
        load_ruleset(root / "a.yaml")
    assert "light.closure_rate" in e.value.render("en")

    per_unit = """
    tests:
      - name: only the unit red last period is escalated
        units:
          - {unit: a, category: criminal, facts: {received: 100, closed: 70, expert: 70},
             previous: {light.closure_rate: red}}
          - {unit: b, category: criminal, facts: {received: 100, closed: 70, expert: 70}}
        expect:
          a: {alerts: [督办]}
          b: {alerts: []}
    """
    root = project({"b.yaml": MINI + textwrap.dedent(per_unit)})
    outcomes = run_tests(load_ruleset(root / "b.yaml"))
    assert [o.passed for o in outcomes] == [True], outcomes


def test_run_reports_each_stage_as_it_finishes(project, tmp_path):
    root = project({"r.yaml": MINI, "q.csv": Q1})
    seen: list[str] = []
    run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}",
        progress=seen.append)
    assert seen == ["load_ruleset", "load_facts", "indicators", "scores", "rules", "grades", "store"]


def test_undeclared_columns_are_warned_about_on_stderr(project, kaohe):
    lines = Q1.strip().splitlines()
    csv = "\n".join([lines[0] + ",备注", *(line + ",无" for line in lines[1:])]) + "\n"
    root = project({"r.yaml": MINI, "q.csv": csv})
    r = kaohe("run", root / "r.yaml", "--facts", root / "q.csv", "--period", "2025Q1", "--json")
    assert r.exit_code == 0 and r.json()["run"]["units"] == 6
    assert "备注" in r.stderr and "q.csv:1:" in r.stderr


def test_a_ruleset_saved_as_gbk_loads(project, tmp_path):
    from kaohe.engine.ruleset import load_ruleset

    path = tmp_path / "gbk.yaml"
    path.write_bytes(textwrap.dedent(MINI).encode("gbk"))
    assert load_ruleset(path).model.name == "迷你法院"


@pytest.mark.parametrize(
    "expect, wanted",
    [("{grdae: 优秀}", "grade"), ("{c9: {grade: 优秀}}", "c1")],
    ids=["misspelt-key", "unknown-unit"],
)
def test_a_misspelt_expectation_is_an_error_not_a_silent_pass(project, expect, wanted):
    from kaohe.engine.ruleset import load_ruleset

    if expect.startswith("{c9"):
        case = f"""
        tests:
          - name: 拼写错误
            units:
              - {{unit: c1, category: criminal, facts: {{received: 100, closed: 95, expert: 81}}}}
            expect: {expect}
        """
    else:
        case = f"""
        tests:
          - name: 拼写错误
            category: criminal
            facts: {{received: 100, closed: 95, expert: 81}}
            expect: {expect}
        """
    root = project({"r.yaml": MINI + textwrap.dedent(case)})
    with pytest.raises(RulesetError) as e:
        load_ruleset(root / "r.yaml")
    assert wanted in e.value.render("en") and "r.yaml:" in e.value.render("en")


def test_a_scored_indicator_no_category_weighs_is_a_warning(project):
    from kaohe.engine.ruleset import load_ruleset

    text = MINI.replace("weights:", "  extra:\n    label: 附加\n    formula: closed\n"
                        "    score: {linear: {worst: 0, best: 100}}\nweights:")
    root = project({"r.yaml": text})
    ruleset = load_ruleset(root / "r.yaml")
    assert [w.code for w in ruleset.warnings] == ["check.unweighted"]
    assert "extra" in ruleset.warnings[0].render("en")
    with pytest.raises(RulesetError):
        load_ruleset(root / "r.yaml", strict=True)
