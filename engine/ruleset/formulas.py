"""Stage 3a: indicators — formulas, lights and plugin metrics — and their order.

Every formula is parsed when the ruleset loads; names must resolve to facts,
earlier-or-later indicators or ``category``; a formula that depends on itself
(directly or through others) is an error naming the cycle.  Plugin parameters
are validated with the plugin's own model.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kaohe.engine.errors import Hint, Location, Problem, did_you_mean
from kaohe.engine.expr import (
    Expression,
    ExpressionError,
    compile_condition,
    compile_expression,
    infer_type,
)
from kaohe.engine.i18n import register
from kaohe.engine.ruleset import thresholds
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.metrics import check_metric
from kaohe.engine.ruleset.model import RulesetModel

register(
    {
        "check.unknown_name": ("未知名称 `{name}`", "unknown name `{name}`"),
        "check.cycle": ("指标公式循环引用：{cycle}", "indicator formulas refer to each other in a cycle: {cycle}"),
        "check.self_reference": ("指标 `{name}` 的公式引用了它自己", "the formula of indicator `{name}` refers to itself"),
        "check.light_name": ("亮灯条件只能使用 value（指标值）和 score（得分），`{name}` 不可用",
                             "light conditions may only use value and score; `{name}` is not available"),
        "check.band_order": ("分档的 min 大于 max", "the band's min is greater than its max"),
        "hint.light_names": ("例如 green: \">= 0.85\" 或 \"0.85 <= value <= 0.98\"",
                             "e.g. green: \">= 0.85\" or \"0.85 <= value <= 0.98\""),
    }
)


@dataclass
class IndicatorPlan:
    """What evaluation needs about indicators, checked."""

    order: list[str] = field(default_factory=list)
    formulas: dict[str, Expression] = field(default_factory=dict)
    lights: dict[str, tuple[Expression | None, Expression | None]] = field(default_factory=dict)
    metric_params: dict[str, BaseModel] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def expr_location(smap: SourceMap, path: tuple[str | int, ...], offset: int) -> Location:
    """Where character ``offset`` of the expression at ``path`` is (quotes accounted for)."""
    loc = smap.locate(path)
    if loc.file is None or loc.line is None or loc.column is None:
        return loc
    line = _source_line(loc.file, loc.line)
    col = loc.column
    if line is not None and 0 < col <= len(line):
        ch = line[col - 1]
        if ch in "|>":
            return loc
        if ch in "\"'":
            col += 1
    return Location(loc.file, loc.line, col + offset, loc.path)


def _source_line(file: str, line: int) -> str | None:
    try:
        stat = Path(file).stat()
    except OSError:
        return None
    lines = _source_lines(file, stat.st_mtime_ns, stat.st_size)
    return lines[line - 1] if 0 < line <= len(lines) else None


@functools.lru_cache(maxsize=64)
def _source_lines(file: str, _mtime_ns: int, _size: int) -> list[str]:
    """The file's lines, cached while it is unchanged (keyed by modification time and size)."""
    from kaohe.engine.facts.readers import decode

    try:
        return decode(Path(file).read_bytes()).splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def name_types(model: RulesetModel) -> dict[str, str]:
    """Type of each name a formula may read: facts, indicators, ``category``, and what the
    previous period's current run holds (``previous.<fact or indicator>``, ``previous.score``,
    ``previous.light.<indicator>`` …)."""
    types = {fid: ("string" if f.type == "string" else "number") for fid, f in model.facts.items()}
    types.update({iid: "number" for iid in model.indicators})
    types["category"] = "string"
    types.update(previous_types(model))
    return types


def previous_types(model: RulesetModel) -> dict[str, str]:
    """Every ``previous.`` name and its type."""
    types: dict[str, str] = {}
    for iid in model.indicators:
        types[f"previous.{iid}"] = "number"
        types[f"previous.score.{iid}"] = "number"
        types[f"previous.light.{iid}"] = "string"
    for fid, f in model.facts.items():
        types.setdefault(f"previous.{fid}", "string" if f.type == "string" else "number")
    for name in ("score", "base_score", "points", "rank"):
        types[f"previous.{name}"] = "number"
    types["previous.grade"] = "string"
    types["previous.category"] = "string"
    return types


def plan_indicators(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> IndicatorPlan:
    """Parse formulas and lights, validate metrics, order indicators; append problems."""
    plan = IndicatorPlan()
    types = name_types(model)
    deps: dict[str, set[str]] = {}
    for iid, ind in model.indicators.items():
        base = ("indicators", iid)
        deps[iid] = set()
        if ind.formula is not None:
            expr = _formula(ind.formula, (*base, "formula"), types, smap, problems)
            if expr is not None:
                plan.formulas[iid] = expr
                deps[iid] = {n for n in expr.names if n in model.indicators}
                if iid in expr.names:
                    problems.append(Problem("check.self_reference", {"name": iid},
                                            smap.locate((*base, "formula"))))
        else:
            deps[iid] = _metric(model, iid, smap, problems, plan)
        plan.lights[iid] = _lights(ind.lights, base, smap, problems, ind.unit)
        if ind.score is not None and ind.score.bands:
            for j, band in enumerate(ind.score.bands):
                if band.min is not None and band.max is not None and band.min > band.max:
                    problems.append(Problem("check.band_order", {},
                                            smap.locate((*base, "score", "bands", j))))
    plan.order = _order(deps, smap, problems)
    return plan


def _formula(text: str, path: tuple[str | int, ...], types: Mapping[str, str], smap: SourceMap,
             problems: list[Problem]) -> Expression | None:
    try:
        expr = compile_expression(text)
    except ExpressionError as e:
        problems.extend(Problem(p.code, p.params, expr_location(smap, path, e.offset), p.hint)
                        for p in e.problems)
        return None
    ok = True
    for node_name, offset in _name_offsets(expr):
        if node_name not in types:
            ok = False
            problems.append(Problem("check.unknown_name", {"name": node_name},
                                    expr_location(smap, path, offset), did_you_mean(node_name, types)))
    if not ok:
        return None
    try:
        infer_type(expr.node, types)
    except ExpressionError as e:
        problems.extend(Problem(p.code, p.params, expr_location(smap, path, e.offset)) for p in e.problems)
        return None
    return expr


def _name_offsets(expr: Expression) -> list[tuple[str, int]]:
    from kaohe.engine.expr import walk
    from kaohe.engine.expr.nodes import Name

    seen: dict[str, int] = {}
    for node in walk(expr.node):
        if isinstance(node, Name) and node.id not in seen:
            seen[node.id] = node.offset
    return sorted(seen.items(), key=lambda kv: kv[1])


def _lights(lights: Any, base: tuple[str, ...], smap: SourceMap, problems: list[Problem],
            unit: str | None = None) -> tuple[Expression | None, Expression | None]:
    if lights is None:
        return None, None
    out: list[Expression | None] = []
    for colour in ("green", "yellow"):
        text = getattr(lights, colour)
        if text is None:
            out.append(None)
            continue
        path = (*base, "lights", colour)
        text = thresholds.normalise(str(text))
        if thresholds.has_percent(text):
            if unit != "%":
                problems.append(Problem("check.percent_threshold", {"text": text, "indicator": base[-1]},
                                        smap.locate(path)))
                out.append(None)
                continue
            text = thresholds.percent_to_fraction(text)
        try:
            expr = compile_condition(text)
        except ExpressionError as e:
            problems.extend(Problem(p.code, p.params, expr_location(smap, path, e.offset),
                                    p.hint or Hint("hint.light_names")) for p in e.problems)
            out.append(None)
            continue
        bad = sorted(expr.names - {"value", "score"})
        for name in bad:
            problems.append(Problem("check.light_name", {"name": name}, smap.locate(path),
                                    Hint("hint.light_names")))
        out.append(None if bad else expr)
    return out[0], out[1]


def _metric(model: RulesetModel, iid: str, smap: SourceMap, problems: list[Problem],
            plan: IndicatorPlan) -> set[str]:
    ind = model.indicators[iid]
    checked = check_metric(str(ind.metric), iid, ind.with_, set(model.facts) | set(model.indicators), smap,
                           problems, plan.warnings)
    if checked is None:
        return set()
    plan.metric_params[iid] = checked[0]
    return checked[1] & set(model.indicators)


def _order(deps: Mapping[str, set[str]], smap: SourceMap, problems: list[Problem]) -> list[str]:
    graph = {k: {d for d in v if d != k} for k, v in deps.items()}
    try:
        ordered = list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        cycle = list(e.args[1]) if len(e.args) > 1 else []
        problems.append(Problem("check.cycle", {"cycle": " → ".join(map(str, cycle))},
                                smap.locate(("indicators", cycle[0], "formula")) if cycle else None))
        return list(deps)
    position = {k: i for i, k in enumerate(deps)}
    # a stable order: file order, moved only as far as dependencies require
    result: list[str] = []
    done: set[str] = set()
    pending = sorted(ordered, key=lambda k: position[k])
    while pending:
        for k in pending:
            if graph[k] <= done:
                result.append(k)
                done.add(k)
                pending.remove(k)
                break
    return result
