"""Compute every indicator's value column: formulas (columnar) and plugin metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kaohe.engine.details import MetricRecord, record
from kaohe.engine.errors import FactsError, Problem, RunError
from kaohe.engine.evaluate.metrics import call_metric, plugin_boundary, read_only, read_only_context
from kaohe.engine.evaluate.numbers import round_to
from kaohe.engine.facts import FactTable
from kaohe.engine.i18n import register
from kaohe.engine.plugins import registry
from kaohe.engine.results import FloatArray
from kaohe.engine.ruleset.compiled import Ruleset

register(
    {
        "run.plugin_missing": (
            "指标 `{indicator}` 使用的插件 `{metric}` 未安装",
            "plugin `{metric}` used by indicator `{indicator}` is not installed",
        ),
        "run.missing_value": (
            "单位 {units} 缺少指标 `{indicator}`（{label}）的值，该指标设置为 on_missing: error",
            "units {units} have no value for indicator `{indicator}` ({label}), which has on_missing: error",
        ),
    }
)


def fact_environment(facts: FactTable) -> dict[str, np.ndarray]:
    """The columns formulas may read: numeric facts, string facts and ``category``."""
    env: dict[str, np.ndarray] = dict(facts.numbers)
    for name, col in facts.strings.items():
        env[name] = np.asarray(col, dtype=object)
    env["category"] = np.asarray(facts.categories, dtype=object)
    return env


def previous_columns(ruleset: Ruleset, units: Sequence[str],
                     previous: Mapping[str, Mapping[str, float | str | None]]) -> dict[str, np.ndarray]:
    """The ``previous.`` names formulas read, as columns (missing: NaN, or None for text)."""
    from kaohe.engine.ruleset.formulas import previous_types

    names = sorted({n for expr in ruleset.formulas.values() for n in expr.names if n.startswith(PREVIOUS)})
    if not names:
        return {}
    types = previous_types(ruleset.model)
    rows = [previous.get(u, {}) for u in units]
    out: dict[str, np.ndarray] = {}
    for name in names:
        key = name[len(PREVIOUS):]
        if types.get(name) == "string":
            out[name] = np.asarray([r.get(key) for r in rows], dtype=object)
        else:
            out[name] = np.asarray([_number(r.get(key)) for r in rows], dtype=np.float64)
    return out


PREVIOUS = "previous."


def _number(value: object) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    return np.nan


def compute_indicators(
    ruleset: Ruleset,
    facts: FactTable,
    env: dict[str, np.ndarray],
    history: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
    records: dict[str, MetricRecord] | None = None,
) -> dict[str, FloatArray]:
    """Values of every indicator, in dependency order, rounded to the ruleset's precision.

    Computed indicators are added to ``env`` so later formulas can read them;
    what each plugin metric did is added to ``records`` when given.
    """
    precision = ruleset.model.precision
    values: dict[str, FloatArray] = {}
    for ind_id in ruleset.order:
        indicator = ruleset.model.indicators[ind_id]
        if indicator.metric is not None:
            raw = _compute_metric(ruleset, facts, env, ind_id, indicator.metric, history, records)
        else:
            raw = _as_numbers(ruleset.formulas[ind_id].evaluate(env), len(facts))
        col = round_to(raw, precision)
        values[ind_id] = col
        env[ind_id] = col
    _check_required(ruleset, facts, values)
    return values


def _as_numbers(result: np.ndarray, n: int) -> FloatArray:
    arr = np.asarray(result)
    if arr.dtype == object:  # a string-valued formula has no numeric value
        return np.full(n, np.nan)
    out = np.asarray(arr, dtype=np.float64)
    if out.shape != (n,):
        out = np.broadcast_to(out, (n,)).copy()
    out[~np.isfinite(out)] = np.nan  # inf from overflow is missing, like division by zero
    return out


def _compute_metric(
    ruleset: Ruleset,
    facts: FactTable,
    env: Mapping[str, np.ndarray],
    ind_id: str,
    metric_name: str,
    history: Mapping[str, Mapping[str, Mapping[str, float]]] | None,
    records: dict[str, MetricRecord] | None = None,
) -> FloatArray:
    metric = registry.get(metric_name)
    if metric is None:
        raise RunError(Problem("run.plugin_missing", {"metric": metric_name, "indicator": ind_id}))
    ctx = read_only_context(
        units=facts.units,
        categories=facts.categories,
        columns={k: v for k, v in env.items() if v.dtype != object},
        period=str(facts.period) if facts.period else "",
        parents=facts.parents,
        history=history,
    )
    params = ruleset.metric_params[ind_id]
    where = ruleset.locate(f"indicators.{ind_id}.metric")
    result = call_metric(metric, ctx, params, ind_id, where)
    if records is not None:
        with plugin_boundary(metric, ind_id, where):  # the details hook is plugin code too
            records[ind_id] = record(metric, params, ctx, read_only(result), ind_id)
    return result


def _check_required(ruleset: Ruleset, facts: FactTable, values: Mapping[str, FloatArray]) -> None:
    problems = []
    for ind_id, col in values.items():
        indicator = ruleset.model.indicators[ind_id]
        if indicator.on_missing != "error":
            continue
        missing = np.flatnonzero(np.isnan(col))
        if len(missing):
            shown = ", ".join(facts.units[i] for i in missing[:10])
            if len(missing) > 10:
                shown += f" … (+{len(missing) - 10})"
            problems.append(
                Problem(
                    "run.missing_value",
                    {"indicator": ind_id, "label": indicator.label, "units": shown},
                    ruleset.locate(f"indicators.{ind_id}.on_missing"),
                )
            )
    if problems:
        raise FactsError(problems)
