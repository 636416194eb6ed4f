"""Checks that catch what people get wrong when they fill in the data.

* ``checks:`` of the ruleset, per unit: an ``error`` fails the run (exit 2)
  naming the file, row and unit; a ``warning`` is listed and stored with the run.
* Suspicious values: a fact more than ``suspicious_ratio`` times (or under
  1/``suspicious_ratio`` of) the unit's own value in the previous period is a
  warning naming unit, fact and both values.  Zero is never suspicious
  (events that simply did not happen this period); a fact may set its own
  ratio, ``0`` turning the comparison off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from kaohe.engine.errors import FactsError, Problem
from kaohe.engine.facts.table import FactTable
from kaohe.engine.i18n import register
from kaohe.engine.ruleset.compiled import Ruleset
from kaohe.engine.ruleset.model import RulesetModel

register(
    {
        "facts.check": ("单位 {unit}（{name}）：{message}（{values}）", "unit {unit} ({name}): {message} ({values})"),
        "facts.suspicious_up": (
            "单位 {unit}（{name}）的{label}为 {value}，是上期 {previous} 的 {times} 倍，请核实",
            "unit {unit} ({name}): {label} is {value}, {times} times last period's {previous}; please check"),
        "facts.suspicious_down": (
            "单位 {unit}（{name}）的{label}为 {value}，不足上期 {previous} 的 1/{ratio}，请核实",
            "unit {unit} ({name}): {label} is {value}, under 1/{ratio} of last period's {previous}; please check"),
    }
)


def _shown(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    return "—" if value is None else str(value)


def run_checks(ruleset: Ruleset, table: FactTable) -> list[Problem]:
    """The warnings of ``checks:``; raise :class:`FactsError` listing every unit an error check caught."""
    if not ruleset.checks or not len(table):
        return []
    env: dict[str, np.ndarray] = dict(table.numbers)
    for name, col in table.strings.items():
        env[name] = np.asarray(col, dtype=object)
    env["category"] = np.asarray(table.categories, dtype=object)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for compiled in ruleset.checks:
        hit = np.asarray(compiled.condition.evaluate(env), dtype=np.float64)
        names = sorted(n for n in compiled.condition.names if n != "category")
        for i in np.flatnonzero(np.nan_to_num(hit, nan=0.0) != 0):
            values = ", ".join(f"{n}={_shown(_value(table, n, int(i)))}" for n in names)
            problem = Problem("facts.check", {"unit": table.units[i], "name": table.names[i],
                                              "message": compiled.check.message, "values": values},
                              table.locate(int(i), names, table.units[i]), severity=compiled.check.level)
            (errors if compiled.check.level == "error" else warnings).append(problem)
    if errors:
        raise FactsError([*errors, *warnings])
    return warnings


def _value(table: FactTable, name: str, i: int) -> object:
    if name in table.numbers:
        return float(table.numbers[name][i])
    if name in table.strings:
        return table.strings[name][i]
    return None


def compared_facts(model: RulesetModel) -> list[str]:
    """The facts compared with the previous period (numeric, with a ratio in force)."""
    return [fid for fid, fact in model.facts.items() if fact.type in ("integer", "number")
            and (model.suspicious_ratio if fact.suspicious_ratio is None else fact.suspicious_ratio)]


def suspicious(ruleset: Ruleset, table: FactTable, previous: Mapping[str, np.ndarray]) -> list[Problem]:
    """Warnings for values far from the unit's previous period (see the module doc).

    ``previous`` holds each compared fact's previous-period column, aligned with
    ``table.units`` (NaN where the unit had no value).
    """
    model = ruleset.model
    out: list[Problem] = []
    for fid in compared_facts(model):
        fact = model.facts[fid]
        ratio = float(model.suspicious_ratio if fact.suspicious_ratio is None else fact.suspicious_ratio)
        if fid not in table.numbers or fid not in previous:
            continue
        now, before = table.numbers[fid], previous[fid]
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.abs(now / before)
        comparable = np.isfinite(now) & np.isfinite(before) & (now != 0) & (before != 0) & ((now > 0) == (before > 0))
        for i in np.flatnonzero(comparable & ((change > ratio) | (change < 1 / ratio))).tolist():
            unit = table.units[i]
            params: dict[str, object] = {"unit": unit, "name": table.names[i], "label": fact.label,
                                         "value": _shown(float(now[i])), "previous": _shown(float(before[i]))}
            where = table.locate(i, [fid], f"{unit}.{fid}")
            if change[i] > ratio:
                out.append(Problem("facts.suspicious_up", {**params, "times": f"{change[i]:.3g}"}, where,
                                   severity="warning"))
            else:
                out.append(Problem("facts.suspicious_down", {**params, "ratio": _shown(ratio)}, where,
                                   severity="warning"))
    return out
