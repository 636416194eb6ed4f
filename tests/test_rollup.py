"""Rollup facts: an annual appraisal computed from the current runs of its quarters."""

from __future__ import annotations

import pytest

from tests.samples import MINI, Q1

QUARTERS = {
    "2025Q1": Q1,
    "2025Q2": Q1.replace("c01,刑一庭,criminal,100,95,81", "c01,刑一庭,criminal,100,70,81"),
    "2025Q3": Q1.replace("c02,刑二庭,刑事审判庭,100,99,81", "c02,刑二庭,刑事审判庭,100,70,70"),
    "2025Q4": Q1,
}

ANNUAL = """
kaohe: 1
id: mini-annual-2025
name: 迷你法院年度
period: year
categories:
  criminal: {label: 刑事审判庭}
  civil: {label: 民事审判庭}
facts:
  q_score: {label: 季度平均分, rollup: {ruleset: mini-court, of: score, agg: mean}}
  q_best: {label: 季度最高分, rollup: {ruleset: mini-court, of: score, agg: max}}
  q_red: {label: 红灯季度数, type: integer, rollup: {ruleset: mini-court, of: light.closure_rate, agg: count, value: red}}
  q_top: {label: 优秀季度数, type: integer, rollup: {ruleset: mini-court, of: grade, agg: count, value: 优秀}}
  q_last: {label: 第四季度等次, type: string, rollup: {ruleset: mini-court, of: grade, agg: last}}
  q_closure: {label: 结案率合计, rollup: {ruleset: mini-court, of: closure_rate, agg: sum}}
  survey: {label: 年度测评, type: number, min: 0, max: 100}
indicators:
  quarterly: {label: 季度平均, formula: q_score, score: {linear: {worst: 50, best: 100}}}
  surveyed: {label: 年度测评, formula: survey, score: {linear: {worst: 50, best: 100}}}
weights:
  default: {quarterly: 70, surveyed: 30}
rules:
  - id: red_quarters
    when: q_red >= 2
    then: {cap_grade: 称职}
grades:
  - {name: 优秀, min: 90}
  - {name: 称职, min: 70}
  - {name: 不称职}
"""

ANNUAL_FACTS = "unit,name,category,period,survey\nc01,刑一庭,criminal,2025,90\nc02,刑二庭,criminal,2025,80\n" \
               "c03,刑三庭,criminal,2025,70\nc04,刑四庭,criminal,2025,60\nc05,刑五庭,criminal,2025,85\n" \
               "d01,民一庭,civil,2025,75\n"


@pytest.fixture
def court(project, kaohe):
    files = {"court/mini.yaml": MINI, "annual/annual.yaml": ANNUAL, "annual.csv": ANNUAL_FACTS}
    files.update({f"{p}.csv": text for p, text in QUARTERS.items()})
    root = project(files)
    return root


def _quarters(kaohe, root, periods=("2025Q1", "2025Q2", "2025Q3", "2025Q4")) -> dict:  # type: ignore[no-untyped-def, type-arg]
    out = {}
    for p in periods:
        r = kaohe("run", root / "court/mini.yaml", "--facts", root / f"{p}.csv", "--period", p, "--json")
        assert r.exit_code == 0, r.stderr
        out[p] = r.json()
    return out


def _annual(kaohe, root, *extra):  # type: ignore[no-untyped-def]
    return kaohe("run", root / "annual/annual.yaml", "--facts", root / "annual.csv", "--json", *extra)


def test_the_annual_run_rolls_up_its_four_quarters(court, kaohe):
    quarters = _quarters(kaohe, court)
    r = _annual(kaohe, court)
    assert r.exit_code == 0, r.stderr
    run_id = r.json()["run"]["id"]
    by_quarter = {p: {u["unit"]: u for u in q["units"]} for p, q in quarters.items()}
    for unit in ("c01", "c02", "c03", "d01"):
        scores = [by_quarter[p][unit]["score"] for p in by_quarter]
        lights = [by_quarter[p][unit]["indicators"]["closure_rate"]["light"] for p in by_quarter]
        grades = [by_quarter[p][unit]["grade"] for p in by_quarter]
        closure = [by_quarter[p][unit]["indicators"]["closure_rate"]["value"] for p in by_quarter]
        explained = kaohe("explain", run_id, unit, "--json").json()
        facts = explained["facts"]
        assert facts["q_score"] == pytest.approx(sum(scores) / 4)
        assert facts["q_best"] == pytest.approx(max(scores))
        assert facts["q_red"] == lights.count("red")
        assert facts["q_top"] == grades.count("优秀")
        assert facts["q_last"] == grades[-1]
        assert facts["q_closure"] == pytest.approx(sum(closure))
    text = kaohe("explain", run_id, "c01").stdout
    assert "事实 q_score 由 mini-court 各期的 score 汇总（mean）" in text
    for p, q in quarters.items():
        assert f"{p} {q['run']['id']}" in text


def test_the_annual_run_uses_the_current_run_of_each_quarter(court, kaohe):
    _quarters(kaohe, court)
    first = _annual(kaohe, court).json()
    fixed = court / "fixed.csv"
    fixed.write_text(QUARTERS["2025Q2"].replace("c01,刑一庭,criminal,100,70,81", "c01,刑一庭,criminal,100,95,81"),
                     encoding="utf-8")
    kaohe("run", court / "court/mini.yaml", "--facts", fixed, "--period", "2025Q2", "--reason", "更正")
    second = _annual(kaohe, court).json()
    assert second["run"]["id"] != first["run"]["id"]  # a rolled-up run changed: a new annual run
    c01 = {u["unit"]: u for u in second["units"]}["c01"]
    old = {u["unit"]: u for u in first["units"]}["c01"]
    assert c01["indicators"]["quarterly"]["value"] > old["indicators"]["quarterly"]["value"]


def test_a_missing_quarter_of_a_required_rollup_is_a_facts_error(court, kaohe):
    _quarters(kaohe, court, ("2025Q1", "2025Q2", "2025Q4"))
    r = kaohe("run", court / "annual/annual.yaml", "--facts", court / "annual.csv", "--lang", "en")
    assert r.exit_code == 2
    assert "fact `q_score` (季度平均分) rolls up mini-court over 2025Q3" in r.stderr
    (court / "annual-2024.csv").write_text(ANNUAL_FACTS.replace(",2025,", ",2024,"), encoding="utf-8")
    none = kaohe("run", court / "annual/annual.yaml", "--facts", court / "annual-2024.csv", "--lang", "en")
    assert none.exit_code == 2 and "has no run within 2024" in none.stderr


def test_optional_rollups_use_the_default_or_what_is_there(court, kaohe):
    optional = ANNUAL.replace("q_score: {label: 季度平均分, rollup",
                              "q_score: {label: 季度平均分, required: false, default: 0, rollup")
    for fid in ("q_best", "q_red", "q_top", "q_last", "q_closure"):
        optional = optional.replace(f"  {fid}: {{label:", f"  {fid}: {{required: false, label:")
    (court / "annual/annual.yaml").write_text(optional, encoding="utf-8")
    quarters = _quarters(kaohe, court, ("2025Q1", "2025Q2", "2025Q4"))
    r = _annual(kaohe, court)
    assert r.exit_code == 0, r.stderr
    run_id = r.json()["run"]["id"]
    facts = kaohe("explain", run_id, "c01", "--json").json()["facts"]
    scores = [next(u for u in q["units"] if u["unit"] == "c01")["score"] for q in quarters.values()]
    assert facts["q_score"] == pytest.approx((sum(scores) + 0) / 4)  # the missing Q3 counts as the default 0
    assert facts["q_best"] == pytest.approx(max(scores))  # no default: the three quarters there
    assert "没有运行的期间：2025Q3" in kaohe("explain", run_id, "c01").stdout


@pytest.mark.parametrize("rollup, message", [
    ("{ruleset: mini-court, of: grade, agg: mean}", "`grade` is text (a grade or a light): use agg: count or last"),
    ("{ruleset: mini-court, of: score, agg: mean, value: 3}", "value only applies to agg: count"),
    ("{ruleset: mini-court, of: score.x.y, agg: mean}", "rollup `of` must be score, base_score"),
    ("{ruleset: mini-court, of: score, agg: median}", "`median` is not an allowed value"),
], ids=["text-mean", "value-without-count", "bad-of", "bad-agg"])
def test_rollup_mistakes_are_load_errors(project, kaohe, rollup, message):
    text = ANNUAL.replace("{ruleset: mini-court, of: score, agg: mean}", rollup)
    root = project({"annual.yaml": text})
    r = kaohe("validate", root / "annual.yaml", "--lang", "en")
    assert r.exit_code == 1 and message in r.stderr, r.stderr


def test_a_rollup_type_must_fit(project, kaohe):
    text = ANNUAL.replace("q_last: {label: 第四季度等次, type: string,", "q_last: {label: 第四季度等次, type: number,")
    r = kaohe("validate", project({"annual.yaml": text}) / "annual.yaml", "--lang", "en")
    assert r.exit_code == 1 and "the rollup gives text (a grade or a light): the fact's type must be string" in r.stderr


def test_rolling_up_something_the_runs_do_not_have_is_a_facts_error(court, kaohe):
    (court / "annual/annual.yaml").write_text(
        ANNUAL.replace("of: closure_rate, agg: sum", "of: clsoure_rate, agg: sum"), encoding="utf-8")
    _quarters(kaohe, court)
    r = kaohe("run", court / "annual/annual.yaml", "--facts", court / "annual.csv", "--lang", "en")
    assert r.exit_code == 2 and "`clsoure_rate` rolled up by fact `q_closure` is not in run" in r.stderr


def test_a_test_case_gives_rollup_facts_directly(project, kaohe):
    text = ANNUAL + """
tests:
  - name: 年度
    category: criminal
    facts: {q_score: 90, q_best: 95, q_red: 2, q_top: 1, q_last: 优秀, q_closure: 3.6, survey: 100}
    expect: {score: 86, grade: 称职, fired: [red_quarters]}
"""
    r = kaohe("test", project({"annual.yaml": text}) / "annual.yaml")
    assert r.exit_code == 0, r.stdout + r.stderr
