"""The two sides of a diff: evaluated now (nothing stored) or read from a stored run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kaohe.engine.diff.impact import Side
from kaohe.engine.errors import Problem, RulesetError
from kaohe.engine.facts import facts_from_records, load_facts
from kaohe.engine.facts.table import FactTable
from kaohe.engine.i18n import register
from kaohe.engine.period import parse_period
from kaohe.engine.results import Evaluation, UnitResult
from kaohe.engine.rollup import file_facts
from kaohe.engine.ruleset import Ruleset, load_ruleset
from kaohe.engine.ruleset.access import ExtendsPolicy
from kaohe.engine.ruleset.checks import resolve_weights
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.model import RulesetModel
from kaohe.engine.ruleset.versions import select_version
from kaohe.engine.store import RunInfo, Store

register({"diff.stored_ruleset": ("运行 {run} 保存的规则集无法读取：{error}",
                                  "the ruleset stored with run {run} cannot be read: {error}")})


def side_of_evaluation(ruleset: Ruleset, evaluation: Evaluation, source: str, *, period: str = "") -> Side:
    """A side evaluated just now (the evaluation's columns, not copied per unit)."""
    ev = evaluation
    names = ev.grade_names

    def grade(codes: np.ndarray) -> list[str | None]:
        return [names[c] if c >= 0 else None for c in codes.tolist()]

    cols = ev.indicators
    return Side(
        model=ruleset.model, weights=ruleset.weights, units=list(ev.units), names=list(ev.names),
        categories=list(ev.categories), score=np.asarray(ev.score, dtype=np.float64), grade=grade(ev.grade),
        rank=np.asarray(ev.rank, dtype=np.int64), cap_grade=grade(ev.cap_grade),
        quota_note=[ev.quota_notes.get(u) for u in ev.units],
        values={k: c.value for k, c in cols.items()}, scores={k: c.score for k, c in cols.items()},
        weight={k: c.weight for k, c in cols.items()},
        fired={u: [f.rule_id for f in fs] for u, fs in ev.firings.items()},
        source=source, run_id=None, period=period,
    )


def side_of_units(model: RulesetModel, weights: dict[str, dict[str, float]], units: Sequence[UnitResult],
                  source: str, *, run_id: str | None = None, period: str = "") -> Side:
    """A side from per-unit results (any order)."""
    ordered = sorted(units, key=lambda u: u.unit)
    ids = [iid for iid in dict.fromkeys(k for u in ordered for k in u.indicators)]

    def column(get) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
        return {iid: np.array([_nan(get(u.indicators[iid])) if iid in u.indicators else np.nan for u in ordered],
                              dtype=np.float64) for iid in ids}

    return Side(
        model=model, weights=weights, units=[u.unit for u in ordered], names=[u.name for u in ordered],
        categories=[u.category for u in ordered], score=np.array([_nan(u.score) for u in ordered], dtype=np.float64),
        grade=[u.grade for u in ordered], rank=np.array([u.rank or 0 for u in ordered], dtype=np.int64),
        cap_grade=[u.cap_grade for u in ordered], quota_note=[u.quota_note for u in ordered],
        values=column(lambda r: r.value), scores=column(lambda r: r.score),
        weight={iid: np.nan_to_num(col) for iid, col in column(lambda r: r.weight).items()},
        fired={u.unit: [f.rule_id for f in u.fired] for u in ordered if u.fired},
        source=source, run_id=run_id, period=period,
    )


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def stored_model(info: RunInfo) -> tuple[RulesetModel, dict[str, dict[str, float]]]:
    """The merged ruleset a run kept, with its weight tables resolved (AHP included)."""
    try:
        model = RulesetModel.model_validate(json.loads(info.ruleset_json))
    except ValueError as e:
        raise RulesetError(Problem("diff.stored_ruleset", {"run": info.id, "error": str(e)[:200]})) from e
    problems: list[Problem] = []
    weights = resolve_weights(model, SourceMap(), problems)
    return model, weights


def side_of_run(store: Store, info: RunInfo) -> Side:
    """A stored run as a side, read as plain rows (no object per unit)."""
    model, weights = stored_model(info)
    unit_rows, indicator_rows, firing_rows = store.result_rows(info.id)
    units = [r[0] for r in unit_rows]
    where = {u: i for i, u in enumerate(units)}
    n = len(units)
    ids = list(dict.fromkeys([*model.indicators, *(r[1] for r in indicator_rows)]))
    values = {iid: np.full(n, np.nan) for iid in ids}
    scores = {iid: np.full(n, np.nan) for iid in ids}
    weight = {iid: np.zeros(n) for iid in ids}
    for unit, iid, value, score, w in indicator_rows:
        i = where.get(unit)
        if i is None:
            continue
        if value is not None:
            values[iid][i] = value
        if score is not None:
            scores[iid][i] = score
        weight[iid][i] = w
    fired: dict[str, list[str]] = {}
    for unit, rule_id in firing_rows:
        fired.setdefault(unit, []).append(rule_id)
    return Side(
        model=model, weights=weights, units=units, names=[r[1] for r in unit_rows],
        categories=[r[2] for r in unit_rows], score=np.array([_nan(r[3]) for r in unit_rows], dtype=np.float64),
        grade=[r[4] for r in unit_rows], rank=np.array([r[5] or 0 for r in unit_rows], dtype=np.int64),
        cap_grade=[r[6] for r in unit_rows], quota_note=[r[7] for r in unit_rows],
        values=values, scores=scores, weight=weight, fired=fired,
        source=f"run {info.id}", run_id=info.id, period=info.period,
    )


def load_for(ruleset_path: str | Path, period: str | None, *, strict: bool = False,
             extends: ExtendsPolicy | None = None) -> Ruleset:
    """A ruleset file, or the version of a region folder in force for ``period`` (``extends``: where
    its ``extends:`` may read, engine/ruleset/access.py)."""
    path = Path(ruleset_path)
    if path.is_dir():
        path = select_version(path, parse_period(period) if period else None)
    return load_ruleset(path, strict=strict, extends=extends)


def facts_for(ruleset: Ruleset, facts_path: str | Path, period: str | None, sheet: str | None) -> FactTable:
    """The facts file read under ``ruleset``'s declarations."""
    model = ruleset.model
    return load_facts(facts_path, file_facts(model), model.categories, period_kind=model.period, period=period,
                      sheet=sheet)


def same_facts_declarations(a: Ruleset, b: Ruleset) -> bool:
    """Whether a facts file reads the same under both rulesets (then it is read once)."""
    ma, mb = a.model, b.model
    return (ma.facts == mb.facts and ma.period == mb.period
            and {k: c.label for k, c in ma.categories.items()} == {k: c.label for k, c in mb.categories.items()})


def stored_facts_for(ruleset: Ruleset, store: Store, info: RunInfo) -> FactTable:
    """A stored run's input facts read again under another ruleset's declarations.

    A fact the new ruleset requires but the run never had is a facts error
    (exit 2), reported like a missing column.
    """
    model = ruleset.model
    records = store.unit_inputs(info.id)
    return facts_from_records(records, file_facts(model), model.categories, period_kind=model.period,
                              source=f"run {info.id}", period=info.period or None)
