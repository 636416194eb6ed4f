"""The evaluation pipeline for one ruleset × one period × one set of facts.

indicators → scores → lights → weighted base score → rules (durable_rules)
→ points and caps → grades (bands, caps, quotas, tie-break) → ranks.
Each stage is columnar; only the rule engine sees records, one per distinct record
of the units a condition can hold for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kaohe.engine.details import MetricRecord
from kaohe.engine.errors import Problem
from kaohe.engine.evaluate.candidates import candidates, distinct, records, rule_columns
from kaohe.engine.evaluate.effects import combine
from kaohe.engine.evaluate.indicators import compute_indicators, fact_environment, previous_columns
from kaohe.engine.evaluate.lights import light_codes
from kaohe.engine.evaluate.numbers import round_to
from kaohe.engine.evaluate.scoring import score_indicator
from kaohe.engine.evaluate.totals import base_scores, effective_scores, weight_columns
from kaohe.engine.facts import FactTable
from kaohe.engine.grades import TieKey, apply_caps, apply_quotas, band_grades, category_ranks
from kaohe.engine.grouped import Grouped
from kaohe.engine.results import Evaluation, Firing, IndicatorColumns, Tie
from kaohe.engine.rules import CompiledRules, run_rules
from kaohe.engine.ruleset.checks import rule_types
from kaohe.engine.ruleset.compiled import Ruleset

__all__ = ["Timings", "evaluate"]

PreviousValues = Mapping[str, Mapping[str, float | str | None]]
RULE_BATCH = 100_000
"""Candidate units whose records exist at once while the rule engine runs."""
RuleRunner = Callable[[CompiledRules, Sequence[Mapping[str, Any]]], dict[str, list[Firing]]]


@dataclass
class Timings:
    """Seconds spent per stage, for benchmarks and the stored run."""

    stages: dict[str, float] = field(default_factory=dict)
    listener: Callable[[str], None] | None = None

    def measure(self, stage: str, start: float) -> float:
        """Record the time since ``start`` under ``stage``; tell the listener; return now."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - start
        if self.listener is not None:
            self.listener(stage)
        return now


def evaluate(
    ruleset: Ruleset,
    facts: FactTable,
    *,
    previous: PreviousValues | None = None,
    quotas: bool = True,
    history: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    timings: Timings | None = None,
    rule_runner: RuleRunner | None = None,
) -> Evaluation:
    """Evaluate every unit of ``facts`` under ``ruleset``.

    ``previous`` maps unit id to last period's stored values (names as rules
    and formulas read them after ``previous.``); ``quotas=False`` evaluates without
    population quotas (one-unit test cases).  ``rule_runner`` runs the rule
    engine on the candidate records (default: in this process; the Dask engine
    sends chunks to its workers).
    """
    timings = timings or Timings()
    t = time.perf_counter()
    model = ruleset.model
    precision = model.precision
    n = len(facts)
    categories = np.asarray(facts.categories, dtype=object)

    env = fact_environment(facts)
    env.update(previous_columns(ruleset, facts.units, previous or {}))
    records: dict[str, MetricRecord] = {}
    warnings: list[Problem] = []
    values = compute_indicators(ruleset, facts, env, history, records, warnings)
    t = timings.measure("indicators", t)

    weights = weight_columns(ruleset.weights, categories, model.indicators)
    columns: dict[str, IndicatorColumns] = {}
    counted: dict[str, np.ndarray] = {}
    for ind_id, indicator in model.indicators.items():
        value = values[ind_id]
        score = round_to(score_indicator(value, indicator, categories), precision)
        green, yellow = ruleset.lights.get(ind_id, (None, None))
        codes = light_codes(value, score, green, yellow)
        if codes is None:
            codes = np.zeros(n, dtype=np.int8)
        columns[ind_id] = IndicatorColumns(value, score, codes, weights[ind_id])
        if indicator.score is not None:
            counted[ind_id] = effective_scores(score, indicator)
    base = round_to(base_scores(counted, weights, n), precision)
    t = timings.measure("scores", t)

    firings = _fire_rules(ruleset, facts, env, columns, base, previous or {}, rule_runner or run_rules)
    t = timings.measure("rules", t)

    grade_names = [g.name for g in model.grades]
    effects = combine(firings, model.rules, grade_names, model.bonus_limit)
    points = round_to(effects.points, precision)
    score = round_to(base + points, precision)
    bands = band_grades(score, model.grades)
    grade = apply_caps(bands, effects.caps)
    ties: list[Tie] = []
    demoted: dict[int, str] = {}
    if quotas:
        tie_keys = [
            TieKey(values[i], model.indicators[i].better) for i in model.tie_break if i in values
        ]
        grade, ties, demoted = apply_quotas(
            grade, score, model.grades, _quota_scopes(model.quota_scope, facts),
            facts.units, tie_keys,
        )
    ranks = category_ranks(score, categories)
    timings.measure("grades", t)

    return Evaluation(
        units=facts.units,
        names=facts.names,
        categories=[str(c) for c in categories],
        parents=facts.parents,
        indicators=columns,
        base_score=base,
        points=points,
        score=score,
        band_grade=bands,
        cap_grade=effects.caps,
        grade=grade,
        rank=ranks,
        grade_names=grade_names,
        firings=firings,
        alerts=effects.alerts,
        notes=effects.notes,
        quota_notes={facts.units[i]: g for i, g in demoted.items()},
        ties=ties,
        metric_details=records,
        warnings=warnings,
    )


def _quota_scopes(scope: str, facts: FactTable) -> np.ndarray:
    if scope == "all":
        return np.full(len(facts), "*", dtype=object)
    if scope == "parent":
        return np.asarray([p or "" for p in facts.parents], dtype=object)
    return np.asarray(facts.categories, dtype=object)


def _fire_rules(
    ruleset: Ruleset,
    facts: FactTable,
    env: Mapping[str, np.ndarray],
    columns: Mapping[str, IndicatorColumns],
    base: np.ndarray,
    previous: PreviousValues,
    runner: RuleRunner,
) -> Grouped[list[Firing]]:
    """Run the rules on one record per distinct record of the units for which a condition
    can hold (see ``candidates``); every unit of a group gets its record's firings."""
    units = facts.units
    codes = np.full(len(facts), -1, dtype=np.int64)
    rules = ruleset.model.rules
    if not rules:
        return Grouped(units, codes, [])
    names = sorted(set().union(*(r.expression.names for r in ruleset.rules.rules)))
    cols = rule_columns(names, rule_types(ruleset.model), units, env, columns, base, previous)
    rows = np.flatnonzero(candidates(ruleset.rules, cols, len(facts)))
    group, firsts = distinct(cols, rows)
    fired: dict[str, list[Firing]] = {}
    for start in range(0, len(firsts), RULE_BATCH):  # records of one batch at a time: memory stays flat
        fired.update(runner(ruleset.rules, records(units, cols, firsts[start:start + RULE_BATCH])))
    codes[rows] = group
    return Grouped(units, codes, [fired.get(units[i], []) for i in firsts.tolist()])
