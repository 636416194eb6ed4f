"""Property: the causes of each unit's score change add up to the change.

Two random rulesets (weights, scoring thresholds, a missing-value policy,
bonus and deduction rules, a bonus limit, a veto and a quota) are evaluated
on the same random facts; for every unit on both sides the causes that
``kaohe diff`` reports must sum to ``new score − old score``.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaohe.engine.diff import compare
from kaohe.engine.diff.sides import side_of_evaluation
from kaohe.engine.evaluate import evaluate
from kaohe.engine.facts import facts_from_records
from kaohe.engine.ruleset import load_ruleset

TOLERANCE = 1e-6


def ruleset_text(p: dict) -> str:  # type: ignore[type-arg]
    third = (f"""
  c:
    label: 第三
    formula: z / y
    score: {{linear: {{worst: 0, best: 2}}}}
    on_missing: {p['on_missing']}""" if p["third"] else "")
    weights_a = f"a: {p['wa'][0]}, b: {p['wa'][1]}" + (f", c: {p['wa'][2]}" if p["third"] else "")
    weights_b = f"a: {p['wb'][0]}, b: {p['wb'][1]}" + (f", c: {p['wb'][2]}" if p["third"] else "")
    limit = f"bonus_limit: {p['limit']}" if p["limit"] is not None else ""
    return textwrap.dedent(f"""
kaohe: 1
id: prop-{p['tag']}
name: 性质测试
period: year
categories:
  k1: {{label: 甲类}}
  k2: {{label: 乙类}}
facts:
  x: {{label: X, type: number, min: 0}}
  y: {{label: Y, type: number, min: 1}}
  z: {{label: Z, type: number, min: 0, required: false}}
  award: {{label: 奖, type: integer, min: 0, required: false, default: 0}}
  fault: {{label: 过, type: integer, min: 0, required: false, default: 0}}
indicators:
  a:
    label: 甲
    formula: x / y
    score: {{linear: {{worst: {p['worst']}, best: {p['best']}}}}}
  b:
    label: 乙
    formula: x
    score: {{linear: {{worst: 0, best: {p['b_best']}}}}}{third}
weights:
  k1: {{{weights_a}}}
  k2: {{{weights_b}}}
rules:
  - id: bonus1
    when: award >= 1
    then: {{add: {p['add1']}}}
  - id: bonus2
    when: award >= {p['award2']}
    then: {{add: {p['add2']}}}
  - id: penalty
    when: fault >= 1
    then: {{add: -{p['penalty']}}}
  - id: veto
    when: fault >= {p['veto_at']}
    then: {{cap_grade: 差}}
{limit}
grades:
  - {{name: 优, min: {p['top']}, quota: {p['quota']}%}}
  - {{name: 中, min: 40}}
  - {{name: 差}}
""")


def _weights(third: bool) -> st.SearchStrategy[list[int]]:
    if third:
        return st.tuples(st.integers(0, 100), st.integers(0, 100)).filter(lambda t: t[0] + t[1] <= 100).map(
            lambda t: [t[0], t[1], 100 - t[0] - t[1]])
    return st.integers(0, 100).map(lambda a: [a, 100 - a])


@st.composite
def params(draw: st.DrawFn, tag: str, third: bool) -> dict:  # type: ignore[type-arg]
    worst = draw(st.sampled_from([0.0, 0.5, 1.0]))
    return {
        "tag": tag, "third": third, "on_missing": draw(st.sampled_from(["exclude", "zero"])),
        "wa": draw(_weights(third)), "wb": draw(_weights(third)),
        "worst": worst, "best": worst + draw(st.sampled_from([1.0, 2.5, 4.0])),
        "b_best": draw(st.sampled_from([50, 100, 200])),
        "add1": draw(st.integers(0, 4)), "add2": draw(st.integers(0, 4)), "award2": draw(st.integers(1, 3)),
        "penalty": draw(st.integers(0, 5)), "veto_at": draw(st.integers(1, 3)),
        "limit": draw(st.one_of(st.none(), st.integers(0, 5))),
        "top": draw(st.sampled_from([60, 75, 90])), "quota": draw(st.sampled_from([0, 20, 50])),
    }


units_strategy = st.lists(
    st.fixed_dictionaries({
        "category": st.sampled_from(["k1", "k2"]),
        "x": st.integers(0, 300),
        "y": st.integers(1, 100),
        "z": st.one_of(st.none(), st.integers(0, 200)),
        "award": st.integers(0, 3),
        "fault": st.integers(0, 3),
    }),
    min_size=1, max_size=12,
)


def _evaluate(text: str, records: list[dict]):  # type: ignore[no-untyped-def, type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(text, encoding="utf-8")
        rs = load_ruleset(path)
    facts = facts_from_records(records, rs.model.facts, rs.model.categories, period_kind="year", period="2025")
    return rs, evaluate(rs, facts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(third_old=st.booleans(), third_new=st.booleans(), data=st.data(), rows=units_strategy)
def test_causes_add_up_to_the_score_change(third_old: bool, third_new: bool, data: st.DataObject,
                                           rows: list[dict]) -> None:  # type: ignore[type-arg]
    old_p = data.draw(params("old", third_old))
    new_p = data.draw(params("new", third_new))
    records = [{"unit": f"u{i:02d}", **{k: v for k, v in r.items() if v is not None}} for i, r in enumerate(rows)]
    old_rs, old_ev = _evaluate(ruleset_text(old_p), records)
    new_rs, new_ev = _evaluate(ruleset_text(new_p), records)
    result = compare(side_of_evaluation(old_rs, old_ev, "old"), side_of_evaluation(new_rs, new_ev, "new"))
    listed = {u.unit for u in result.impact.units}
    for u in result.impact.units:
        assert u.old is not None and u.new is not None
        if u.delta is None:
            assert u.old.score is None or u.new.score is None
            continue
        total = sum(c.delta for c in u.causes)
        assert abs(total - u.delta) <= TOLERANCE, (u, total)
        if u.grade_changed and u.delta == 0 and old_p["top"] == new_p["top"]:
            # same score, same bands: the grade moved because of a veto or a quota, and says so
            assert any(c.kind in ("veto", "quota") for c in u.causes), u
    for unit in old_ev.units:
        if unit not in listed:
            i, j = list(old_ev.units).index(unit), list(new_ev.units).index(unit)
            assert old_ev.score[i] == new_ev.score[j] or (old_ev.score[i] != old_ev.score[i])
    doc = result.as_json()
    assert sum(t["count"] for t in doc["transitions"]) == len(records)
