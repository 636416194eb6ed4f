"""Compute every indicator's value column: formulas (columnar) and plugin metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kaohe.engine.details import MetricRecord, record
from kaohe.engine.errors import FactsError, Hint, Problem, RunError
from kaohe.engine.evaluate.metrics import call_metric, plugin_boundary, read_only, read_only_context
from kaohe.engine.evaluate.numbers import round_to
from kaohe.engine.expr.columnar import watch_overflow
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
        "run.overflow": ("指标 `{indicator}`（{label}）的公式 `{formula}` 对单位 {units} 算出的数超出数值范围（溢出），"
                         "按缺失值处理（on_missing: {mode}）",
                         "the formula `{formula}` of indicator `{indicator}` ({label}) overflows for units {units}; "
                         "the value is missing (on_missing: {mode})"),
        "hint.overflow": ("检查这些单位的事实数据（如 1e308 这样的数）；可给事实声明 max 以便在读入时拦下",
                          "check these units' facts (a number like 1e308); a `max:` on the fact stops it when the facts are read"),
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
    warnings: list[Problem] | None = None,
) -> dict[str, FloatArray]:
    """Values of every indicator, in dependency order, rounded to the ruleset's precision.

    Computed indicators are added to ``env`` so later formulas can read them;
    what each plugin metric did is added to ``records`` when given.  A formula
    that overflows for some units (``1e308 * 10``) leaves them without a value,
    handled by the indicator's ``on_missing`` like a division by zero; a
    warning naming the formula and the units is added to ``warnings``, and with
    ``on_missing: error`` it is the error.
    """
    problems: list[Problem] = []
    precision = ruleset.model.precision
    values: dict[str, FloatArray] = {}
    for ind_id in ruleset.order:
        indicator = ruleset.model.indicators[ind_id]
        if indicator.metric is not None:
            raw = _compute_metric(ruleset, facts, env, ind_id, indicator.metric, history, records)
        else:
            with watch_overflow() as overflows:
                raw = _as_numbers(ruleset.formulas[ind_id].evaluate(env), len(facts))
            if overflows and (problem := _overflowed(ruleset, facts, ind_id, overflows, raw)) is not None:
                problems.append(problem)
        col = round_to(raw, precision)
        values[ind_id] = col
        env[ind_id] = col
    errors = [p for p in problems if p.severity == "error"]
    _check_required(ruleset, facts, values, errors)
    if warnings is not None:
        warnings += problems
    return values


def _overflowed(ruleset: Ruleset, facts: FactTable, ind_id: str, masks: list[np.ndarray],
                raw: FloatArray) -> Problem | None:
    """The overflow of a formula for some units, located at the formula: a warning (the
    values are missing, ``on_missing`` decides), an error under ``on_missing: error``."""
    n = len(facts)
    hit = np.zeros(n, dtype=bool)
    for mask in masks:
        hit |= np.broadcast_to(mask, (n,))
    hit &= np.isnan(raw)  # an overflow in a branch not taken (``x if c else y``) changed nothing
    if not hit.any():
        return None
    indicator = ruleset.model.indicators[ind_id]
    mode = indicator.on_missing
    return Problem("run.overflow", {"indicator": ind_id, "label": indicator.label, "formula": indicator.formula,
                                    "units": _unit_list(facts, np.flatnonzero(hit)), "mode": mode},
                   ruleset.locate(f"indicators.{ind_id}.formula"), Hint("hint.overflow"),
                   severity="error" if mode == "error" else "warning")


def _unit_list(facts: FactTable, rows: np.ndarray) -> str:
    shown = ", ".join(facts.units[i] for i in rows[:10])
    return shown + (f" … (+{len(rows) - 10})" if len(rows) > 10 else "")


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


def _check_required(ruleset: Ruleset, facts: FactTable, values: Mapping[str, FloatArray],
                    problems: list[Problem]) -> None:
    """Units without a value for an ``on_missing: error`` indicator fail the run, with ``problems``
    (overflows of such indicators, which say more than "missing")."""
    overflowed = {str(p.params["indicator"]) for p in problems}
    for ind_id, col in values.items():
        indicator = ruleset.model.indicators[ind_id]
        if indicator.on_missing != "error" or ind_id in overflowed:
            continue
        missing = np.flatnonzero(np.isnan(col))
        if len(missing):
            problems.append(
                Problem(
                    "run.missing_value",
                    {"indicator": ind_id, "label": indicator.label, "units": _unit_list(facts, missing)},
                    ruleset.locate(f"indicators.{ind_id}.on_missing"),
                )
            )
    if problems:
        raise FactsError(problems)
