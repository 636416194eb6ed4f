"""``previous.`` in formulas, ruleset families, and ``previous:`` / ``history:`` in test cases."""

from __future__ import annotations

import pytest

GROWTH = """
kaohe: 1
id: town-2025
name: 镇财政
period: quarter
categories:
  town: {label: 镇}
facts:
  revenue: {label: 财政收入, type: number, min: 0}
indicators:
  revenue_growth:
    label: 财政收入增长率
    formula: revenue / previous.revenue - 1
    score: {linear: {worst: 0, best: 0.2}}
    lights: {green: ">= 0.05", yellow: ">= 0"}
    on_missing: {on_missing}
  level:
    label: 收入规模
    formula: revenue
    score: {linear: {worst: 0, best: 200}}
weights:
  default: {revenue_growth: 50, level: 50}
grades:
  - {name: 好, min: 60}
  - {name: 差}
"""


def _files(project, on_missing="exclude", ruleset_id="town-2025", extra=""):  # type: ignore[no-untyped-def]
    text = GROWTH.replace("{on_missing}", on_missing).replace("town-2025", ruleset_id) + extra
    return project({f"{ruleset_id}.yaml": text,
                    "q1.csv": "unit,name,category,revenue\nt1,甲镇,town,100\nt2,乙镇,town,80\n",
                    "q2.csv": "unit,name,category,revenue\nt1,甲镇,town,110\nt2,乙镇,town,80\nt3,丙镇,town,50\n"})


def _units(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert result.exit_code == 0, result.stderr
    return {u["unit"]: u for u in result.json()["units"]}


def test_a_growth_rate_reads_the_previous_period_and_explain_names_the_run(project, kaohe):
    root = _files(project)
    q1 = kaohe("run", root / "town-2025.yaml", "--facts", root / "q1.csv", "--period", "2025Q1", "--json")
    q1_units = _units(q1)
    assert q1_units["t1"]["indicators"]["revenue_growth"]["value"] is None  # nothing earlier: missing
    q2 = kaohe("run", root / "town-2025.yaml", "--facts", root / "q2.csv", "--period", "2025Q2", "--json")
    units = _units(q2)
    assert units["t1"]["indicators"]["revenue_growth"]["value"] == pytest.approx(0.1)
    assert units["t1"]["indicators"]["revenue_growth"]["light"] == "green"
    assert units["t2"]["indicators"]["revenue_growth"]["value"] == 0
    assert units["t3"]["indicators"]["revenue_growth"]["value"] is None  # t3 is new: exclude re-weights
    assert units["t3"]["base_score"] == pytest.approx(25)
    explained = kaohe("explain", q2.json()["run"]["id"], "t1")
    assert explained.exit_code == 0, explained.stderr
    q1_id = q1.json()["run"]["id"]
    assert f"previous. 的取值来自运行 {q1_id}（2025Q1" in explained.stdout
    assert "上期财政收入(previous.revenue) = 100，财政收入(revenue) = 110" in explained.stdout


def test_a_missing_previous_value_follows_on_missing(project, kaohe):
    root = _files(project, on_missing="zero")
    kaohe("run", root / "town-2025.yaml", "--facts", root / "q1.csv", "--period", "2025Q1")
    units = _units(kaohe("run", root / "town-2025.yaml", "--facts", root / "q2.csv", "--period", "2025Q2", "--json"))
    assert units["t3"]["base_score"] == pytest.approx(12.5)  # growth counts as 0 with its weight
    root2 = _files(project, on_missing="error")
    r = kaohe("run", root2 / "town-2025.yaml", "--facts", root2 / "q2.csv", "--period", "2024Q1", "--lang", "en")
    assert r.exit_code == 2 and "revenue_growth" in r.stderr and "on_missing: error" in r.stderr


def test_next_years_ruleset_reads_this_years_runs_through_the_family(project, kaohe):
    root = _files(project)
    root = _files(project, ruleset_id="town-2026")
    kaohe("run", root / "town-2025.yaml", "--facts", root / "q1.csv", "--period", "2025Q4")
    units = _units(kaohe("run", root / "town-2026.yaml", "--facts", root / "q2.csv", "--period", "2026Q1", "--json"))
    assert units["t1"]["indicators"]["revenue_growth"]["value"] == pytest.approx(0.1)
    runs = kaohe("runs", "--json").json()["runs"]
    assert {r["family"] for r in runs} == {"town"}


def test_an_explicit_family_links_rulesets_whose_ids_differ(project, kaohe):
    old = _files(project, ruleset_id="county-old")
    new = _files(project, ruleset_id="county-new")
    for path in (old / "county-old.yaml", new / "county-new.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("name: 镇财政", "family: county-finance\nname: 镇财政"),
                        encoding="utf-8")
    kaohe("run", old / "county-old.yaml", "--facts", old / "q1.csv", "--period", "2025Q4")
    units = _units(kaohe("run", new / "county-new.yaml", "--facts", new / "q2.csv", "--period", "2026Q1", "--json"))
    assert units["t1"]["indicators"]["revenue_growth"]["value"] == pytest.approx(0.1)


def test_previous_comes_from_the_current_run_of_the_previous_period(project, kaohe):
    root = _files(project)
    kaohe("run", root / "town-2025.yaml", "--facts", root / "q1.csv", "--period", "2025Q1")
    fixed = root / "q1-fixed.csv"
    fixed.write_text("unit,name,category,revenue\nt1,甲镇,town,55\nt2,乙镇,town,80\n", encoding="utf-8")
    kaohe("run", root / "town-2025.yaml", "--facts", fixed, "--period", "2025Q1", "--reason", "甲镇收入更正")
    units = _units(kaohe("run", root / "town-2025.yaml", "--facts", root / "q2.csv", "--period", "2025Q2", "--json"))
    assert units["t1"]["indicators"]["revenue_growth"]["value"] == pytest.approx(1.0)  # 110 / 55 − 1


def test_an_unknown_previous_name_is_a_load_error_with_a_suggestion(project, kaohe):
    root = project({"bad.yaml": GROWTH.replace("{on_missing}", "exclude").replace("previous.revenue", "previous.revenu")})
    r = kaohe("validate", root / "bad.yaml", "--lang", "en")
    assert r.exit_code == 1
    assert "unknown name `previous.revenu`" in r.stderr and "previous.revenue" in r.stderr


def test_cases_give_previous_values_and_history(project, kaohe):
    cases = """
tests:
  - name: 增长 10%
    category: town
    facts: {revenue: 110}
    previous: {revenue: 100}
    expect: {indicators: {revenue_growth: 0.1}, lights: {revenue_growth: green}, score: 52.5}
  - name: 没有上期
    category: town
    facts: {revenue: 110}
    expect: {indicators: {revenue_growth: null}, lights: {revenue_growth: none}}
"""
    root = _files(project, extra=cases)
    r = kaohe("test", root / "town-2025.yaml")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "2 个通过，0 个失败" in r.stdout


TREND = """
kaohe: 1
id: trend-2025
name: 趋势
period: quarter
categories:
  k: {label: 类}
facts:
  x: {label: X, type: number}
indicators:
  level: {label: 水平, formula: x, score: {linear: {worst: 0, best: 1}}}
  slope:
    label: 趋势
    metric: trend
    with: {of: level, periods: 3}
    lights: {green: ">= 0", yellow: ">= -0.05"}
weights:
  default: {level: 100}
rules:
  - id: falling
    when: slope < -0.05
    then: {alert: 督办}
grades:
  - {name: 好, min: 60}
  - {name: 差}
tests:
  - name: 连续下降触发督办
    category: k
    facts: {x: 0.6}
    history: {2025Q1: {level: 0.9}, 2025Q2: {level: 0.8}}
    expect: {indicators: {slope: -0.15}, lights: {slope: red}, fired: [falling], alerts: [督办]}
  - name: 各单位各自的历史
    period: 2025Q3
    history: {2025Q1: {level: 0.5}, 2025Q2: {level: 0.5}}
    units:
      - {unit: a, category: k, facts: {x: 0.6}}
      - {unit: b, category: k, facts: {x: 0.2}, history: {2025Q2: {level: 0.8}}}
    expect:
      a: {indicators: {slope: 0.05}, fired: []}
      b: {indicators: {slope: -0.6}, fired: [falling]}
"""


def test_history_makes_trend_rules_and_trend_lights_testable(project, kaohe):
    root = project({"trend.yaml": TREND})
    r = kaohe("test", root / "trend.yaml")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "2 个通过" in r.stdout and "没有测试用例触发" not in r.stdout
    # without the history the rule cannot fire: the case fails
    plain = project({"plain.yaml": TREND.replace("    history: {2025Q1: {level: 0.9}, 2025Q2: {level: 0.8}}\n", "")})
    assert kaohe("test", plain / "plain.yaml").exit_code == 1


@pytest.mark.parametrize("bad, message", [
    ("history: {2025-03: {level: 0.9}}", "`2025-03` is not a period of this ruleset"),
    ("history: {2025Q1: {levl: 0.9}}", "`levl` in history is not an indicator"),
    ("history: {2025Q1: {level: high}}", "must be a number or null"),
    ("period: 2025", "`2025` is not a period of this ruleset"),
], ids=["month-in-quarterly", "unknown-indicator", "not-a-number", "year-period"])
def test_bad_history_in_a_case_is_a_load_error(project, kaohe, bad, message):
    text = TREND.replace("    history: {2025Q1: {level: 0.9}, 2025Q2: {level: 0.8}}", "    " + bad)
    root = project({"trend.yaml": text})
    r = kaohe("validate", root / "trend.yaml", "--lang", "en")
    assert r.exit_code == 1 and message in r.stderr, r.stderr
