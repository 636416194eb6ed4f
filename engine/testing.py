"""``kaohe test``: run the examples policy staff write in a ruleset's ``tests:``.

A case with ``facts:`` evaluates one unit on its own (no quotas); a case with
``units:`` evaluates them together and its ``expect`` is keyed by unit id.
``previous:`` gives what ``previous.`` reads (growth rates, "red twice"),
``history:`` earlier periods' indicator values for trend metrics, ``period:``
the case's period (default: the one after the last history period).
Numbers match within 1e-6, or against a comparison such as ``">= 90"``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaohe.engine.errors import KaoheError
from kaohe.engine.evaluate import evaluate
from kaohe.engine.facts import facts_from_records
from kaohe.engine.i18n import Lang, register
from kaohe.engine.period import parse_period
from kaohe.engine.results import UnitResult
from kaohe.engine.ruleset import Ruleset
from kaohe.engine.ruleset.model import TestCaseModel

TOLERANCE = 1e-6
_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
SINGLE_UNIT = "case"

register(
    {
        "test.error": ("运行出错：{error}", "evaluation failed: {error}"),
        "test.no_unit": ("结果中没有单位 `{unit}`", "no unit `{unit}` in the result"),
    }
)


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold."""

    unit: str | None
    key: str
    expected: object
    got: object


@dataclass
class CaseOutcome:
    """The result of one test case."""

    ruleset: str
    name: str
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None  # the failure in English; `failure` renders it in any language
    fired: set[str] = field(default_factory=set)
    failure: KaoheError | None = None

    def error_text(self, lang: Lang = "zh") -> str | None:
        """Why the case could not be evaluated, in ``lang`` (``None`` when it could)."""
        return self.failure.render(lang) if self.failure is not None else self.error

    @property
    def passed(self) -> bool:
        """True when every expectation held and nothing failed."""
        return not self.mismatches and self.error is None


def number_matches(expected: object, got: float | None) -> bool:
    """``expected`` is a number (within 1e-6), a comparison text like ``">= 90"``, or null."""
    if expected is None:
        return got is None
    if got is None or (isinstance(got, float) and math.isnan(got)):
        return False
    if isinstance(expected, bool):
        return float(expected) == got
    if isinstance(expected, int | float):
        return abs(float(expected) - got) <= TOLERANCE
    from kaohe.engine.ruleset.thresholds import normalise

    m = _COMPARISON.match(normalise(str(expected)))
    if not m:
        return False
    op, rhs = m.group(1), float(m.group(2))
    return {
        ">=": got >= rhs - TOLERANCE,
        "<=": got <= rhs + TOLERANCE,
        ">": got > rhs,
        "<": got < rhs,
        "==": abs(got - rhs) <= TOLERANCE,
        "!=": abs(got - rhs) > TOLERANCE,
    }[op]


def check_unit(unit: UnitResult, expect: Mapping[str, Any]) -> list[Mismatch]:
    """Compare one unit's result with its expectations."""
    out: list[Mismatch] = []
    uid = unit.unit if unit.unit != SINGLE_UNIT else None

    def miss(key: str, exp: object, got: object) -> None:
        out.append(Mismatch(uid, key, exp, got))

    for key in ("score", "base_score", "points"):
        if key in expect and not number_matches(expect[key], getattr(unit, key)):
            miss(key, expect[key], getattr(unit, key))
    if "grade" in expect and expect["grade"] != unit.grade:
        miss("grade", expect["grade"], unit.grade)
    if "rank" in expect and expect["rank"] != unit.rank:
        miss("rank", expect["rank"], unit.rank)
    for ind, colour in (expect.get("lights") or {}).items():
        got = unit.indicators[ind].light if ind in unit.indicators else None
        if got != colour:
            miss(f"lights.{ind}", colour, got)
    for ind, value in (expect.get("indicators") or {}).items():
        got_v = unit.indicators[ind].value if ind in unit.indicators else None
        if not number_matches(value, got_v):
            miss(f"indicators.{ind}", value, got_v)
    if "fired" in expect:
        got_f = sorted(f.rule_id for f in unit.fired)
        if sorted(expect["fired"] or []) != got_f:
            miss("fired", sorted(expect["fired"] or []), got_f)
    for key in ("alerts", "notes"):
        if key in expect and sorted(expect[key] or []) != sorted(getattr(unit, key)):
            miss(key, sorted(expect[key] or []), sorted(getattr(unit, key)))
    return out


def _records(case: TestCaseModel) -> list[dict[str, Any]]:
    if case.facts is not None:
        return [{"unit": SINGLE_UNIT, "category": case.category, **case.facts}]
    assert case.units is not None
    return [
        {"unit": u.unit, "name": u.name or u.unit, "category": u.category,
         **({"parent": u.parent} if u.parent else {}), **u.facts}
        for u in case.units
    ]


def _previous(case: TestCaseModel) -> dict[str, dict[str, Any]] | None:
    """What ``previous.`` reads per unit: a unit's own ``previous``, else the case's."""
    if case.facts is not None:
        return {SINGLE_UNIT: case.previous} if case.previous else None
    out = {u.unit: (u.previous if u.previous is not None else case.previous) for u in case.units or []}
    return {k: v for k, v in out.items() if v} or None


def _history(case: TestCaseModel) -> dict[str, dict[str, dict[str, float]]]:
    """What trend metrics read: period → unit → indicator → value (a unit's own history, else the case's)."""
    per_unit: dict[str, dict[str, dict[str, Any]]] = {}
    if case.facts is not None:
        per_unit[SINGLE_UNIT] = case.history or {}
    else:
        for u in case.units or []:
            per_unit[u.unit] = u.history if u.history is not None else (case.history or {})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for unit, history in per_unit.items():
        for period, values in history.items():
            key = str(parse_period(str(period)) or period)
            out.setdefault(key, {})[unit] = {k: float(v) for k, v in (values or {}).items() if v is not None}
    return dict(sorted(out.items()))


def _period(case: TestCaseModel, history: dict[str, Any]) -> str | None:
    """The case's ``period``, else the one after its last history period (trends need one)."""
    if case.period is not None:
        return str(case.period)
    latest = max((p for p in map(parse_period, history) if p is not None), default=None)
    return str(latest.next()) if latest is not None else None


def run_case(ruleset: Ruleset, case: TestCaseModel) -> CaseOutcome:
    """Evaluate one case and compare; evaluation errors become a failed outcome."""
    outcome = CaseOutcome(ruleset.model.id, case.name)
    model = ruleset.model
    try:
        history = _history(case)
        facts = facts_from_records(
            _records(case), model.facts, model.categories,
            period_kind=model.period, source=f"tests[{case.name}]", period=_period(case, history),
        )
        previous = _previous(case)
        result = evaluate(ruleset, facts, previous=previous, history=history, quotas=case.units is not None)
    except KaoheError as e:
        outcome.error, outcome.failure = e.render("en"), e
        return outcome
    units = {u.unit: u for u in result.iter_units()}
    for u in units.values():
        outcome.fired.update(f.rule_id for f in u.fired)
    if case.facts is not None:
        outcome.mismatches = check_unit(units[SINGLE_UNIT], case.expect)
        return outcome
    for uid, expect in case.expect.items():
        if uid not in units:
            outcome.mismatches.append(Mismatch(uid, "unit", uid, None))
            continue
        outcome.mismatches.extend(check_unit(units[uid], expect or {}))
    return outcome


def run_tests(ruleset: Ruleset) -> list[CaseOutcome]:
    """Run every case of ``ruleset`` in file order."""
    return [run_case(ruleset, case) for case in ruleset.model.tests]


def unfired_rules(ruleset: Ruleset, outcomes: Sequence[CaseOutcome]) -> list[str]:
    """Rules that no test case made fire (worth an example each)."""
    fired: set[str] = set().union(*(o.fired for o in outcomes)) if outcomes else set()
    return [r.id for r in ruleset.model.rules if r.id not in fired]
