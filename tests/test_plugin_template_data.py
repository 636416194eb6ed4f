"""A ruleset and facts that use the template plugin's ``per_judge`` metric."""

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

FACTS = "unit,category,closed,judges\na,civil,120,4\nb,civil,40,4\nc,civil,10,0\n"
