"""The format's reference example — the court ruleset format v1 was designed around —
gives what docs/ruleset.md and docs/running.md say.

The YAML below is that example (format v1) with `extends` pointing at a small
parent that declares nothing else, so the example stands on its own.
"""

from __future__ import annotations

import json

import pytest

DESIGN_EXAMPLE = """
kaohe: 1                          # format version, required
id: shunde-court-2025             # unique slug
name: 顺德法院审判质效考核（2025）
extends: ../national/court-core.yaml   # optional; path relative to this file
period: quarter                   # month | quarter | half | year
categories:                       # agency or position types (机构类别/岗位类别)
  criminal: {label: 刑事审判庭}
  civil:    {label: 民事审判庭}
facts:                            # the inputs per unit and period
  received: {label: 收案数, type: integer, min: 0}
  closed:   {label: 结案数, type: integer, min: 0}
  reversed: {label: 发改案件数, type: integer, min: 0, required: false, default: 0}
  judges:   {label: 员额法官数, type: integer, min: 1}
  integrity_violations: {label: 违纪违法件数, type: integer, min: 0, required: false, default: 0}
  innovation_awards:    {label: 改革创新奖项, type: integer, min: 0, required: false, default: 0}
indicators:
  closure_rate:
    label: 结案率
    formula: closed / received        # expression language below
    better: higher                    # higher | lower
    score: {linear: {worst: 0.60, best: 0.95}}   # or bands / rank / target
    lights: {green: ">= 0.85", yellow: ">= 0.75"} # first match wins, otherwise red
    on_missing: exclude               # exclude (re-weight) | zero | error
  efficiency:
    label: 资源利用效率
    metric: dea                       # a plugin metric instead of a formula
    with: {inputs: [judges], outputs: [closed], model: bcc, orientation: input}
    score: {linear: {worst: 0.5, best: 1.0}}
weights:                          # per category, each adds up to 100
  default: {closure_rate: 60, efficiency: 40}
  civil:   {closure_rate: 70, efficiency: 30}
rules:                            # run by the rule engine, after scoring
  - id: integrity_veto
    label: 廉政一票否决
    when: integrity_violations > 0
    then: {cap_grade: 不称职, note: 发生违纪违法问题}
  - id: red_twice
    label: 连续两期亮红灯
    when: light.closure_rate == "red" and previous.light.closure_rate == "red"
    then: {alert: 督办}
  - id: innovation_bonus
    when: innovation_awards >= 1
    then: {add: 2}
grades:                           # highest first; the last has no min
  - {name: 优秀, min: 90, quota: 20%}
  - {name: 称职, min: 70}
  - {name: 基本称职, min: 60}
  - {name: 不称职}
tests:                            # examples policy staff write; `kaohe test` runs them
  - name: 结案率高的民事庭评为优秀
    category: civil
    facts: {received: 100, closed: 98, judges: 5, integrity_violations: 0}
    expect: {grade: 优秀, lights: {closure_rate: green}, fired: []}
"""

PARENT = """
kaohe: 1
id: court-core
name: 法院核心指标
period: quarter
categories:
  criminal: {label: 刑事审判庭}
facts:
  received: {label: 收案数, type: integer, min: 0}
  closed: {label: 结案数, type: integer, min: 0}
indicators:
  closure_rate:
    label: 结案率
    formula: closed / received
    score: {linear: {worst: 0.5, best: 1.0}}
weights:
  default: {closure_rate: 100}
grades:
  - {name: 合格, min: 60}
  - {name: 不合格}
"""

FACTS_Q1 = """unit,name,category,period,收案数,结案数,员额法官数,违纪违法件数,改革创新奖项
c01,刑一庭,criminal,2025Q1,100,95,5,0,1
c02,刑二庭,刑事审判庭,2025Q1,100,70,5,0,0
c03,刑三庭,criminal,2025Q1,100,90,5,1,0
d01,民一庭,civil,2025Q1,100,98,4,0,0
d02,民二庭,civil,2025Q1,120,60,6,0,0
"""


@pytest.fixture
def region(project):
    return project({"national/court-core.yaml": PARENT, "shunde/court.yaml": DESIGN_EXAMPLE,
                    "q1.csv": FACTS_Q1, "q2.csv": FACTS_Q1.replace("2025Q1", "2025Q2")})


def test_the_example_validates_and_its_test_passes(region, kaohe):
    assert kaohe("validate", region / "shunde/court.yaml").exit_code == 0
    r = kaohe("test", region / "shunde/court.yaml")
    assert r.exit_code == 0, r.stdout + r.stderr


def test_run_json_has_exactly_the_documented_shape(region, kaohe):
    r = kaohe("run", region / "shunde/court.yaml", "--facts", region / "q1.csv", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["run", "units", "ties"]
    assert list(doc["run"]) == ["id", "ruleset", "ruleset_sha256", "facts_sha256", "period", "units"]
    assert doc["run"]["ruleset"] == "shunde-court-2025" and doc["run"]["period"] == "2025Q1"
    unit = doc["units"][0]
    assert list(unit) == ["unit", "name", "category", "base_score", "points", "score", "grade", "rank",
                          "indicators", "fired", "alerts", "notes"]
    assert list(unit["indicators"]["closure_rate"]) == ["value", "score", "light", "weight"]
    by_id = {u["unit"]: u for u in doc["units"]}
    # c01: 0.95 -> 100, DEA 1 (its judges produce the most per judge among equals) ; +2 innovation
    assert by_id["c01"]["indicators"]["closure_rate"] == {"value": 0.95, "score": 100.0, "light": "green",
                                                          "weight": 60.0}
    assert by_id["c01"]["points"] == 2 and by_id["c01"]["fired"] == ["innovation_bonus"]
    assert by_id["c01"]["score"] == by_id["c01"]["base_score"] + 2
    # c03 is vetoed; civil units use the civil weight table
    assert by_id["c03"]["grade"] == "不称职" and by_id["c03"]["notes"] == ["发生违纪违法问题"]
    assert by_id["d01"]["indicators"]["closure_rate"]["weight"] == 70.0
    # the inherited indicator-free parent adds nothing the child did not weight
    assert set(unit["indicators"]) == {"closure_rate", "efficiency"}


def test_red_twice_needs_the_previous_quarter(region, kaohe):
    first = kaohe("run", region / "shunde/court.yaml", "--facts", region / "q1.csv", "--json").json()
    assert all("red_twice" not in u["fired"] for u in first["units"])
    second = kaohe("run", region / "shunde/court.yaml", "--facts", region / "q2.csv", "--json").json()
    red = {u["unit"] for u in second["units"] if u["indicators"]["closure_rate"]["light"] == "red"}
    assert red == {"c02", "d02"}
    assert {u["unit"] for u in second["units"] if u["alerts"] == ["督办"]} == red
