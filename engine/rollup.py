"""Facts rolled up from stored runs: the annual 评优 from its four quarters, without re-entry.

A fact with ``rollup: {ruleset: F, of: X, agg: A, value: V}`` is not read from
the facts file: for a run of period P it aggregates X over the sub-periods of P
(the quarters or months of a year, whatever kind family F's runs have),
reading the current run of F for each.  Per unit:

* a sub-period is *missing* when F has no run for it, the run lacks the unit,
  or the unit's X is empty;
* ``required: true`` (the default): a missing sub-period is a facts error (exit 2)
  naming the unit and the periods;
* ``required: false`` with a ``default``: each missing sub-period counts as the
  default; without a default it is left out, and when nothing is left the
  fact is missing (the indicators' ``on_missing`` applies).

``mean``, ``sum``, ``min``, ``max`` aggregate numbers; ``last`` takes the latest
sub-period's value; ``count`` counts sub-periods whose value equals ``value``
(any value when none is given).  Which runs were used is kept with the run
(``explain`` lists them) and is part of the run id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kaohe.engine.errors import FactsError, Location, Problem
from kaohe.engine.facts import FactTable
from kaohe.engine.i18n import register
from kaohe.engine.period import PER_YEAR, Period, parse_period
from kaohe.engine.ruleset.model import FactModel, RollupModel, RulesetModel, default_family
from kaohe.engine.ruleset.rollups import is_text
from kaohe.engine.store import RunInfo, Store

register(
    {
        "facts.rollup_missing": ("事实 `{fact}`（{label}）按 {family} 的 {periods} 汇总，但单位 {units} 缺少这些期间的结果"
                                 "（没有运行或运行中没有该单位）；可设 required: false 与 default",
                                 "fact `{fact}` ({label}) rolls up {family} over {periods}, but units {units} have "
                                 "no result there (no run, or the unit is not in it); set required: false and a default"),
        "facts.rollup_none": ("事实 `{fact}`（{label}）按 {family} 汇总，但 {period} 内没有 {family} 的运行",
                              "fact `{fact}` ({label}) rolls up {family}, but it has no run within {period}"),
        "facts.rollup_unknown": ("事实 `{fact}` 汇总的 `{of}` 不在 {family} 的运行 {run} 中（有：{known}）",
                                 "`{of}` rolled up by fact `{fact}` is not in run {run} of {family} (it has: {known})"),
        "facts.rollup_period": ("事实 `{fact}` 需要考核期才能汇总：请在文件中加 period 列或使用 --period",
                                "fact `{fact}` needs the period to roll up: add a period column or pass --period"),
    }
)

MAX_SHOWN = 10


@dataclass(frozen=True)
class Rollup:
    """One rolled-up fact: a value per unit (aligned with the facts' units) and the runs used."""

    fact: str
    values: np.ndarray
    runs: dict[str, str]
    missing_periods: list[str]

    @property
    def source(self) -> dict[str, Any]:
        """What the run keeps: the family's run per sub-period and the sub-periods without one."""
        return {"runs": dict(self.runs), "missing": list(self.missing_periods)}


def file_facts(model: RulesetModel) -> dict[str, FactModel]:
    """The facts a facts file gives (rollup facts are computed, not read)."""
    return {k: f for k, f in model.facts.items() if f.rollup is None}


def family_of(rollup: RollupModel) -> str:
    """The family a rollup reads (``ruleset:`` may name the family or one of its ruleset ids)."""
    return default_family(rollup.ruleset)


def sub_periods(period: Period, kind: str) -> list[Period]:
    """The periods of ``kind`` inside ``period`` (the quarters of a year), in order."""
    out = []
    for index in range(1, PER_YEAR[kind] + 1):
        p = Period(kind, period.year, index)  # type: ignore[arg-type]
        if period.start() <= p.start() and p.end() <= period.end() and p != period:
            out.append(p)
    return out


def compute_rollups(model: RulesetModel, facts: FactTable, store: Store) -> list[Rollup]:
    """Every rollup fact of ``model`` for the units of ``facts``; raise :class:`FactsError` as documented."""
    specs = {fid: f for fid, f in model.facts.items() if f.rollup is not None}
    if not specs:
        return []
    problems: list[Problem] = []
    out: list[Rollup] = []
    for fid, fact in specs.items():
        assert fact.rollup is not None
        if facts.period is None:
            problems.append(Problem("facts.rollup_period", {"fact": fid}, Location(facts.source)))
            continue
        result = _one(fid, fact, fact.rollup, facts, store, problems)
        if result is not None:
            out.append(result)
    if problems:
        raise FactsError(problems)
    return out


def _one(fid: str, fact: FactModel, spec: RollupModel, facts: FactTable, store: Store,
         problems: list[Problem]) -> Rollup | None:
    period = facts.period
    assert period is not None
    family = family_of(spec)
    runs = _runs_within(store, family, period)
    if not runs:
        if fact.required:
            problems.append(Problem("facts.rollup_none", {"fact": fid, "label": fact.label, "family": family,
                                                          "period": str(period)}, Location(facts.source)))
            return None
        kind = None
    else:
        kind = parse_period(next(iter(runs))).kind  # type: ignore[union-attr]
    expected = [str(p) for p in sub_periods(period, kind)] if kind else []
    key = spec.of
    per_period: dict[str, dict[str, Any]] = {}
    for p in expected:
        info = runs.get(p)
        if info is None:
            continue
        values = store.values_of(info.id, [key])
        if values and not any(key in v for v in values.values()):
            known = sorted({k for v in values.values() for k in v if "." not in k} | {"score", "grade"})
            problems.append(Problem("facts.rollup_unknown", {"fact": fid, "of": key, "family": family, "run": info.id,
                                                             "known": ", ".join(known[:20])}))
            return None
        per_period[p] = {u: v.get(key) for u, v in values.items()}
    text = is_text(key) or fact.type == "string"
    column: list[Any] = []
    lacking: dict[str, list[str]] = {}
    for unit in facts.units:
        series = []
        for p in expected:
            value = per_period.get(p, {}).get(unit)
            if value is None:
                if fact.required:
                    lacking.setdefault(unit, []).append(p)
                    continue
                if fact.default is not None:
                    value = fact.default
                else:
                    continue
            series.append(value)
        column.append(_aggregate(spec, series, text))
    if lacking:
        units = sorted(lacking)
        shown = ", ".join(units[:MAX_SHOWN]) + (f" … (+{len(units) - MAX_SHOWN})" if len(units) > MAX_SHOWN else "")
        periods = sorted({p for ps in lacking.values() for p in ps})
        problems.append(Problem("facts.rollup_missing", {"fact": fid, "label": fact.label, "family": family,
                                                         "periods": ", ".join(periods), "units": shown},
                                Location(facts.source)))
        return None
    if fact.type == "string":
        out = np.asarray(column, dtype=object)
    else:
        out = np.asarray([np.nan if v is None else float(v) for v in column], dtype=np.float64)
    return Rollup(fid, out, {p: runs[p].id for p in expected if p in runs},
                  [p for p in expected if p not in runs])


def _runs_within(store: Store, family: str, period: Period) -> dict[str, RunInfo]:
    """The current run of ``family`` for each shorter period inside ``period``, by period."""
    out: dict[str, RunInfo] = {}
    for text in store.periods_of(family):
        p = parse_period(text)
        if p is None or p.kind == period.kind or not (period.start() <= p.start() and p.end() <= period.end()):
            continue
        info = store.current_run(family, text)
        if info is not None:
            out[str(p)] = info
    kinds = {parse_period(p).kind for p in out}  # type: ignore[union-attr]
    if len(kinds) > 1:  # monthly and quarterly runs both: the finer ones are the sub-periods
        finest = max(kinds, key=lambda k: PER_YEAR[k])
        out = {p: i for p, i in out.items() if parse_period(p).kind == finest}  # type: ignore[union-attr]
    return dict(sorted(out.items(), key=lambda kv: parse_period(kv[0])))  # type: ignore[arg-type, return-value]


def _aggregate(spec: RollupModel, series: Sequence[Any], text: bool) -> Any:
    if spec.agg == "count":
        if spec.value is None:
            return len(series)
        return sum(1 for v in series if _equal(v, spec.value))
    if not series:
        return None
    if spec.agg == "last":
        return series[-1]
    numbers = [float(v) for v in series if isinstance(v, int | float) and not isinstance(v, bool)]
    if text or not numbers:
        return None
    if spec.agg == "mean":
        return sum(numbers) / len(numbers)
    if spec.agg == "sum":
        return sum(numbers)
    return min(numbers) if spec.agg == "min" else max(numbers)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(b, bool):
        return float(a) == float(b)
    return str(a) == str(b)


def with_rollups(facts: FactTable, rollups: Sequence[Rollup]) -> FactTable:
    """``facts`` with the rolled-up columns added (the facts hash stays that of the file)."""
    if not rollups:
        return facts
    numbers = dict(facts.numbers)
    strings = dict(facts.strings)
    for r in rollups:
        if r.values.dtype == object:
            strings[r.fact] = [None if v is None else str(v) for v in r.values.tolist()]
        else:
            numbers[r.fact] = r.values
    return dataclasses.replace(facts, numbers=numbers, strings=strings)


def sources(rollups: Sequence[Rollup], model: RulesetModel) -> dict[str, Any]:
    """Per rollup fact: the family, what and how it rolled up, and the runs used."""
    out: dict[str, Any] = {}
    for r in rollups:
        spec = model.facts[r.fact].rollup
        assert spec is not None
        out[r.fact] = {"family": family_of(spec), "of": spec.of, "agg": spec.agg, **r.source}
    return out
