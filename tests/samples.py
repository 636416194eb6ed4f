"""Sample rulesets and facts shared by several test modules (plain data, no tests).

``MINI`` is a small court ruleset and ``Q1`` its first quarter's facts; tests derive
variants with ``str.replace``.  Every expected number in the tests that use them is
computed by hand in those tests.
"""

import datetime as dt

MINI = """
kaohe: 1
id: mini-court
name: 迷你法院
period: quarter
categories:
  criminal: {label: 刑事审判庭}
  civil: {label: 民事审判庭}
facts:
  received: {label: 收案数, type: integer, min: 0}
  closed: {label: 结案数, type: integer, min: 0}
  expert: {label: 专家评分, type: number, min: 0, max: 100}
  integrity_violations: {label: 违纪违法件数, type: integer, min: 0, required: false, default: 0}
  innovation_awards: {label: 改革创新奖项, type: integer, min: 0, required: false, default: 0}
indicators:
  closure_rate:
    label: 结案率
    formula: closed / received
    score: {linear: {worst: 0.60, best: 0.95}}
    lights: {green: "0.85 <= value <= 0.98", yellow: ">= 0.75"}
  expert_score:
    label: 专家评分
    formula: expert
    score: {linear: {worst: 60, best: 81}}
    lights: {green: ">= 75", yellow: ">= 60"}
weights:
  default: {closure_rate: 60, expert_score: 40}
  civil: {closure_rate: 70, expert_score: 30}
rules:
  - id: integrity_veto
    label: 廉政一票否决
    when: integrity_violations > 0
    then: {cap_grade: 不称职, note: 发生违纪违法问题}
  - id: red_twice
    when: light.closure_rate == "red" and previous.light.closure_rate == "red"
    then: {alert: 督办}
  - id: innovation_bonus
    when: innovation_awards >= 1
    then: {add: 2}
bonus_limit: 3
grades:
  - {name: 优秀, min: 90, quota: 20%}
  - {name: 称职, min: 70}
  - {name: 基本称职, min: 60}
  - {name: 不称职}
tie_break: [closure_rate]
"""

Q1 = """\
unit,name,category,收案数,closed,expert,integrity_violations,改革创新奖项
c01,刑一庭,criminal,100,95,81,0,1
c02,刑二庭,刑事审判庭,100,99,81,0,0
c03,刑三庭,criminal,100,70,72.6,,
c04,刑四庭,criminal,100,90,75,1,0
c05,刑五庭,criminal,100,88,78,0,0
d01,民一庭,civil,100,96,60,0,0
"""

# the second quarter: one unit closes one case more
Q2 = Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,71")

# the creation time given to stored runs whose reports are compared with golden files
FIXED = dt.datetime(2025, 7, 1, 8, 0, 0)


# Anscombe, F. J. (1973), "Graphs in Statistical Analysis", The American Statistician 27(1),
# 17-21: data set I has the fitted line y = 3.00 + 0.500 x (as do II-IV).
ANSCOMBE_X = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
ANSCOMBE_Y = {
    "I": [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68],
    "II": [9.14, 8.14, 8.74, 8.77, 9.26, 8.10, 6.13, 3.10, 9.13, 7.26, 4.74],
    "III": [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73],
}

# each example region's ruleset and its facts files in period order (under rulesets/ and examples/)
REGION_RUNS = {
    "shunde-court/court.yaml": ["shunde-court/2025Q1.csv", "shunde-court/2025Q2.csv",
                                "shunde-court/2025Q3.csv", "shunde-court/2025Q4.csv"],
    "pzhen/units.yaml": ["pzhen/2025Q1.csv", "pzhen/2025Q2.csv", "pzhen/2025Q3.csv", "pzhen/2025Q4.csv"],
    "pzhen/staff.yaml": ["pzhen/2025H1.csv", "pzhen/2025H2.csv"],
    "pzhen/staff-review.yaml": ["pzhen/2025H1.csv", "pzhen/2025H2.csv"],
    "wulate-health/health.yaml": ["wulate-health/2025Q1.csv", "wulate-health/2025Q2.csv",
                                  "wulate-health/2025Q3.csv", "wulate-health/2025Q4.csv"],
    "huojia-county/one-thing.yaml": ["huojia-county/2025Q1.csv", "huojia-county/2025Q2.csv"],
    "qingxi-county/towns.yaml": ["qingxi-county/2024.csv", "qingxi-county/2025.csv"],
    # three departments' files per quarter, joined by unit (信访局.xlsx is a filled `kaohe form`)
    "huojia-county/towns.yaml": [
        tuple(f"huojia-county/towns/{q}/{f}" for f in ("信访局.xlsx", "财政局.csv", "应急局.xlsx"))
        for q in ("2025Q1", "2025Q2")],
}
UNITS_FILES = {"huojia-county/towns/units.csv"}  # the unit list `kaohe form --units` pre-fills
