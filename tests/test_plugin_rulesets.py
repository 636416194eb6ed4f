"""New metrics used from rulesets: history, ratings files, load-time and run-time errors."""

from __future__ import annotations

import pytest

from kaohe.engine.errors import RulesetError, RunError
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.store import Store
from tests.samples import MINI, Q1


def with_indicator(block: str) -> str:
    """MINI with one more (unweighted) indicator before ``weights:``."""
    return MINI.replace("weights:", block.rstrip("\n") + "\nweights:", 1)


TREND = """
  closure_trend:
    label: 结案率趋势
    metric: trend
    with: {of: closure_rate, periods: 4}
    lights: {green: ">= 0", yellow: ">= -0.02"}   # red: falling more than 2 points a quarter
"""


def test_trend_reads_stored_periods_and_lights_a_decline(project, tmp_path):
    q = {"2024Q3": Q1.replace("c01,刑一庭,criminal,100,95", "c01,刑一庭,criminal,100,85")
                     .replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,90"),
         "2024Q4": Q1.replace("c01,刑一庭,criminal,100,95", "c01,刑一庭,criminal,100,90")
                     .replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,80"),
         "2025Q1": Q1}
    root = project({"r.yaml": with_indicator(TREND), **{f"{p}.csv": t for p, t in q.items()}})
    db = f"sqlite:///{tmp_path / 'k.db'}"
    first = run(root / "r.yaml", root / "2024Q3.csv", period="2024Q3", db=db)
    assert first.units[0].indicators["closure_trend"].light == "none"  # no history yet: grey
    run(root / "r.yaml", root / "2024Q4.csv", period="2024Q4", db=db)
    outcome = run(root / "r.yaml", root / "2025Q1.csv", period="2025Q1", db=db)
    got = {u.unit: u.indicators["closure_trend"] for u in outcome.units}
    # c01: .85, .90, .95 -> +0.05 a quarter; c03: .90, .80, .70 -> -0.10; c02 unchanged
    assert got["c01"].value == pytest.approx(0.05) and got["c01"].light == "green"
    assert got["c03"].value == pytest.approx(-0.10) and got["c03"].light == "red"
    assert got["c02"].value == pytest.approx(0.0) and got["c02"].light == "green"


RATINGS = """\
period,rater,rater_role,ratee,score
2025Q1,A,上级,c01,90
2025Q1,A,上级,c02,80
2025Q1,A,上级,c03,70
2025Q1,B,同级,c01,100
2025Q1,B,同级,c02,96
2025Q1,B,同级,c03,92
2025Q1,C,同级,c01,60
2025Q1,C,同级,c02,70
2025Q1,C,同级,c03,50
2024Q4,A,上级,c03,100
"""


def test_rating_from_a_ratings_file_relative_to_the_working_folder(project, tmp_path, monkeypatch):
    block = """
  review:
    label: 民主测评
    metric: rating
    with: {file: ratings.csv, roles: {上级: 0.6, 同级: 0.4}, method: standardise, scale: z}
"""
    root = project({"r.yaml": with_indicator(block), "q.csv": Q1, "ratings.csv": RATINGS})
    monkeypatch.chdir(root)
    outcome = run(root / "r.yaml", root / "q.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    got = {u.unit: u.indicators["review"].value for u in outcome.units}
    z = 1.5 ** 0.5  # the hand-computed example of tests/test_plugin_metrics.py; the 2024Q4 row is ignored
    assert got["c01"] == pytest.approx(0.8 * z) and got["c02"] == pytest.approx(0.2 * z)
    assert got["c03"] == pytest.approx(-z) and got["d01"] is None


@pytest.mark.parametrize(
    ("block", "metric", "path", "detail"),
    [
        ("metric: trend\n    with: {of: closure_rate, periods: 0}", "trend", "indicators.x.with.periods",
         "`periods` for plugin `trend`: `0` is out of range: >= 1"),
        ("metric: cluster\n    with: {of: [closed], k_range: [5, 2]}", "cluster", "indicators.x.with",
         "k_range must be [min, max]"),
        ("metric: rating\n    with: {file: nowhere.csv}", "rating", "indicators.x.with.file",
         "nowhere.csv not found"),
        ("metric: workload\n    with: {of: closed, staff: received, coefficient: -1}", "workload",
         "indicators.x.with.coefficient", "must be > 0"),
        ("metric: per_capita\n    with: {of: closed, per: judges}", "per_capita", "indicators.x.with",
         "`judges` read by plugin `per_capita` is not a fact or indicator"),
    ],
    ids=["trend-periods", "cluster-range", "rating-file", "workload-coefficient", "per-capita-input"],
)
def test_bad_parameters_are_load_errors_naming_the_plugin(project, block, metric, path, detail):
    root = project({"r.yaml": with_indicator(f"  x:\n    label: X\n    {block}\n")})
    with pytest.raises(RulesetError) as e:
        load_ruleset(root / "r.yaml")
    problem = e.value.problems[0]
    message = problem.message("en")
    assert f"`{metric}`" in message and detail in message
    assert problem.location.path.startswith(path) and problem.location.line is not None


def test_a_metric_that_raises_fails_the_run_naming_plugin_and_indicator(project, tmp_path, monkeypatch):
    block = """
  review:
    label: 民主测评
    metric: rating
    with: {file: ratings.csv, roles: {上级: 0.6}}
"""
    root = project({"r.yaml": with_indicator(block), "q.csv": Q1, "ratings.csv": RATINGS})
    monkeypatch.chdir(root)
    db = f"sqlite:///{tmp_path / 'k.db'}"
    with pytest.raises(RunError) as e:
        run(root / "r.yaml", root / "q.csv", period="2025Q1", db=db)
    message = e.value.render("en")
    assert "plugin `rating` failed for indicator `review`" in message and "'同级'" in message
    assert Store(db).list_runs() == []
