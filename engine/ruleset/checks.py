"""Stage 3b: cross-references — weights, grades, rules, tie-break and test cases.

Each check appends :class:`Problem` records (all are reported together);
the loader raises once at the end.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from kaohe.engine.ahp import ahp
from kaohe.engine.errors import Hint, Problem, did_you_mean
from kaohe.engine.expr import ExpressionError, compile_expression, infer_type, walk
from kaohe.engine.expr.nodes import Compare, Name, Str
from kaohe.engine.i18n import register
from kaohe.engine.period import EXAMPLES, parse_period
from kaohe.engine.results import LIGHTS
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.formulas import expr_location, name_types
from kaohe.engine.ruleset.model import AhpWeights, ExpectModel, RulesetModel
from kaohe.engine.visible import invisible

WEIGHT_TOTAL = 100.0
TOLERANCE = 1e-6
DEFAULT = "default"

register(
    {
        "check.fact_range": ("事实的 min（{min}）大于 max（{max}）", "the fact's min ({min}) is above its max ({max})"),
        "check.fact_default": ("默认值 {default} 不在 min/max 范围内", "the default {default} lies outside min/max"),
        "check.fact_indicator_clash": ("`{name}` 既是事实又是指标，公式和规则无法区分，请改名其中一个",
                                       "`{name}` is both a fact and an indicator; formulas and rules cannot tell "
                                       "them apart, rename one"),
        "check.weights_sum": ("类别 `{category}` 的权重合计为 {total}，应为 100",
                              "the weights of `{category}` add up to {total}, not 100"),
        "hint.remove_weights": ("remove 删除了 {removed}，继承的权重表不再合计为 100：请在本文件中重写 weights.{category}",
                                "remove dropped {removed}, so the inherited weight table no longer adds up "
                                "to 100: restate weights.{category} in this file"),
        "check.test_expect_key": ("测试用例期望中的 `{name}` 不是可检查的项（可用：grade、score、base_score、points、rank、lights、indicators、fired、alerts、notes）",
                                  "`{name}` is not something a test case can expect (grade, score, base_score, points, "
                                  "rank, lights, indicators, fired, alerts, notes)"),
        "check.test_unit": ("测试用例期望中的 `{name}` 不是该用例 units 中的单位", "`{name}` in expect is not a unit of this case"),
        "check.test_previous": ("测试用例 previous 中的 `{name}` 不是规则可读取的上期值",
                                "`{name}` under a test case's previous is not a previous-period value rules can read"),
        "check.test_period": ("`{value}` 不是本规则集的考核期（应为 {example} 这样的期间）",
                              "`{value}` is not a period of this ruleset (expected one like {example})"),
        "check.test_history_name": ("history 中的 `{name}` 不是指标（历史只保存指标值）",
                                    "`{name}` in history is not an indicator (history keeps indicator values)"),
        "check.test_history_value": ("history 中 `{name}` 的值 `{value}` 应为数字或 null",
                                     "the value `{value}` of `{name}` in history must be a number or null"),
        "check.test_previous_value": ("`{name}` 不可能等于 `{value}`", "`{name}` can never be `{value}`"),
        "check.unweighted": ("指标 `{name}` 有 score，但没有任何类别给它权重，它不影响总分",
                             "indicator `{name}` has a score but no category weighs it, so it never counts"),
        "hint.unweighted": ("在 weights 中加入它，或去掉 score 作为监测指标",
                            "add it to weights, or drop its score to keep it as a monitoring indicator"),
        "check.weights_unknown_category": ("weights 中的 `{name}` 不是类别（也不是 default）",
                                           "`{name}` under weights is not a category (nor default)"),
        "check.weights_unknown_indicator": ("权重表中的 `{name}` 不是指标", "`{name}` in a weight table is not an indicator"),
        "check.weights_unscored": ("指标 `{name}` 没有 score，不能有权重", "indicator `{name}` has no score, so it cannot be weighted"),
        "check.weights_negative": ("权重不能为负数", "a weight cannot be negative"),
        "check.weights_missing": ("类别 `{category}` 没有权重表，也没有 default",
                                  "category `{category}` has no weight table and there is no default"),
        "check.ahp_shape": ("AHP 判断矩阵应为 {n}×{n}（与 criteria 个数相同）",
                            "the AHP matrix must be {n}×{n} (one row and column per criterion)"),
        "check.ahp_value": ("AHP 判断矩阵有误：{detail}", "bad AHP matrix: {detail}"),
        "check.ahp_cr": ("AHP 一致性比率 CR = {cr}，应小于 0.1；最不一致的判断是 {a} 对 {b}（{value}，按权重应约为 {implied}）",
                         "AHP consistency ratio CR = {cr}, must be below 0.1; the most inconsistent judgement is "
                         "{a} vs {b} ({value}; the weights imply about {implied})"),
        "check.grades_last_min": ("最后一个等级不应有 min（它接住其余所有单位）",
                                  "the last grade must not have a min (it takes every remaining unit)"),
        "check.grades_min_missing": ("除最后一个外，每个等级都需要 min", "every grade but the last needs a min"),
        "check.grades_order": ("等级应从高到低排列：`{name}` 的 min（{min}）应小于上一等级的 min（{prev}）",
                               "grades go highest first: the min of `{name}` ({min}) must be below the previous one ({prev})"),
        "check.grades_duplicate": ("等级名称 `{name}` 重复", "grade name `{name}` appears twice"),
        "check.rule_duplicate": ("规则 id `{id}` 重复", "rule id `{id}` appears twice"),
        "check.cap_grade": ("cap_grade 中的 `{name}` 不是已定义的等级", "`{name}` in cap_grade is not a grade"),
        "check.bad_literal": ("`{name}` 不可能等于 `{value}`", "`{name}` can never equal `{value}`"),
        "check.tie_break": ("tie_break 中的 `{name}` 不是指标", "`{name}` in tie_break is not an indicator"),
        "check.test_category": ("测试用例的类别 `{name}` 不存在", "test case category `{name}` does not exist"),
        "check.test_fact": ("测试用例中的 `{name}` 不是事实", "`{name}` in a test case is not a fact"),
        "check.test_indicator": ("测试用例期望中的 `{name}` 不是指标", "`{name}` in a test expectation is not an indicator"),
        "check.test_rule": ("测试用例期望中的 `{name}` 不是规则 id", "`{name}` in a test expectation is not a rule id"),
        "check.test_grade": ("测试用例期望的等级 `{name}` 不存在", "the expected grade `{name}` does not exist"),
        "check.invisible_id": ("`{id}` 含有不可见字符 {codes}（双向控制符、零宽字符或控制字符）",
                               "`{id}` holds invisible characters {codes} (bidi controls, zero-width or control characters)"),
        "check.test_light": ("`{name}` 不是灯色（green、yellow、red、none）", "`{name}` is not a light (green, yellow, red, none)"),
    }
)


def check_ids(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    """Ids are ASCII slugs or visible text: no bidi override, zero-width or control character."""
    keyed: list[tuple[str, dict[str, Any]]] = [
        ("categories", dict(model.categories)), ("facts", dict(model.facts)), ("indicators", dict(model.indicators))]
    for section, table in keyed:
        for key in table:
            if codes := invisible(key):
                problems.append(Problem("check.invisible_id", {"id": key, "codes": ", ".join(codes)},
                                        smap.locate((section, key), key=True), Hint("hint.visible_id")))
    named = [(("rules", i, "id"), r.id) for i, r in enumerate(model.rules)]
    named += [(("grades", i, "name"), g.name) for i, g in enumerate(model.grades)]
    for path, value in named:
        if codes := invisible(value):
            problems.append(Problem("check.invisible_id", {"id": value, "codes": ", ".join(codes)},
                                    smap.locate(path), Hint("hint.visible_id")))


def check_facts(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    """Fact ranges are possible, defaults lie in them, and no fact shares an indicator's id."""
    for fid, fact in model.facts.items():
        path = ("facts", fid)
        if fact.min is not None and fact.max is not None and fact.min > fact.max:
            problems.append(Problem("check.fact_range", {"min": fmt(fact.min), "max": fmt(fact.max)},
                                    smap.locate((*path, "min"))))
        d = fact.default
        if isinstance(d, int | float) and not isinstance(d, bool) and (
                (fact.min is not None and d < fact.min) or (fact.max is not None and d > fact.max)):
            problems.append(Problem("check.fact_default", {"default": fmt(d)}, smap.locate((*path, "default"))))
        if fid in model.indicators:
            problems.append(Problem("check.fact_indicator_clash", {"name": fid}, smap.locate(("indicators", fid), key=True)))


def fmt(x: float) -> str:
    """A number as people write it."""
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def resolve_weights(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> dict[str, dict[str, float]]:
    """Each category's weight table (own, else ``default``), AHP resolved, totals checked."""
    scored = {iid for iid, ind in model.indicators.items() if ind.score is not None}
    tables: dict[str, dict[str, float]] = {}
    for key, table in model.weights.items():
        path = ("weights", key)
        if key != DEFAULT and key not in model.categories:
            problems.append(Problem("check.weights_unknown_category", {"name": key}, smap.locate(path, key=True),
                                    did_you_mean(key, [*model.categories, DEFAULT])))
            continue
        resolved: dict[str, float] | None
        if isinstance(table, AhpWeights):
            resolved = _ahp_table(table, path, model, smap, problems)
        else:
            resolved = _plain_table(dict(table), path, model, scored, smap, problems)
        if resolved is not None:
            tables[key] = resolved
    out: dict[str, dict[str, float]] = {}
    for cat in model.categories:
        chosen = tables.get(cat, tables.get(DEFAULT))
        if chosen is None:
            if scored and cat not in model.weights and DEFAULT not in model.weights:
                problems.append(Problem("check.weights_missing", {"category": cat},
                                        smap.locate(("weights",)) if model.weights else smap.locate(("categories", cat))))
            continue
        out[cat] = chosen
    return out


def _plain_table(table: dict[str, Any], path: tuple[str, ...], model: RulesetModel, scored: set[str],
                 smap: SourceMap, problems: list[Problem]) -> dict[str, float] | None:
    ok = True
    for name, w in table.items():
        if name not in model.indicators:
            problems.append(Problem("check.weights_unknown_indicator", {"name": name},
                                    smap.locate((*path, name), key=True), did_you_mean(name, scored)))
            ok = False
        elif name not in scored:
            problems.append(Problem("check.weights_unscored", {"name": name}, smap.locate((*path, name), key=True)))
            ok = False
        if float(w) < 0:
            problems.append(Problem("check.weights_negative", {}, smap.locate((*path, name))))
            ok = False
    total = sum(Fraction(str(float(w))) for w in table.values())
    if ok and abs(float(total) - WEIGHT_TOTAL) > TOLERANCE:
        loc, hint = smap.locate(path), None
        own_file = smap.files[-1] if smap.files else None
        if model.remove and loc.file != own_file:
            # the inherited table no longer adds up because this file removed an indicator
            hint = Hint("hint.remove_weights", {"removed": ", ".join(model.remove), "category": path[1]})
            loc = smap.locate(("remove",))
        problems.append(Problem("check.weights_sum", {"category": path[1], "total": fmt(float(total))},
                                loc, hint))
        ok = False
    return {k: float(v) for k, v in table.items()} if ok else None


def _ahp_table(table: AhpWeights, path: tuple[str, ...], model: RulesetModel, smap: SourceMap,
               problems: list[Problem]) -> dict[str, float] | None:
    spec = table.ahp
    n = len(spec.criteria)
    for i, name in enumerate(spec.criteria):
        if name not in model.indicators:
            problems.append(Problem("check.weights_unknown_indicator", {"name": name},
                                    smap.locate((*path, "ahp", "criteria", i)), did_you_mean(name, model.indicators)))
            return None
    if len(spec.matrix) != n or any(len(row) != n for row in spec.matrix):
        problems.append(Problem("check.ahp_shape", {"n": n}, smap.locate((*path, "ahp", "matrix"))))
        return None
    try:
        result = ahp([list(row) for row in spec.matrix])
    except ValueError as e:
        problems.append(Problem("check.ahp_value", {"detail": str(e)}, smap.locate((*path, "ahp", "matrix"))))
        return None
    if result.cr >= 0.1:
        i, j = result.worst
        problems.append(Problem("check.ahp_cr", {
            "cr": f"{result.cr:.4f}", "a": spec.criteria[i], "b": spec.criteria[j],
            "value": str(spec.matrix[i][j]), "implied": f"{result.weights[i] / result.weights[j]:.2f}",
        }, smap.locate((*path, "ahp", "matrix", i, j))))
        return None
    return {name: float(w) * WEIGHT_TOTAL for name, w in zip(spec.criteria, result.weights, strict=True)}


def unweighted_indicators(model: RulesetModel, weights: dict[str, dict[str, float]],
                          smap: SourceMap) -> list[Problem]:
    """Warnings for scored indicators no category weighs: probably a forgotten weight."""
    out = []
    for iid, ind in model.indicators.items():
        if ind.score is not None and weights and not any(t.get(iid, 0) > 0 for t in weights.values()):
            out.append(Problem("check.unweighted", {"name": iid}, smap.locate(("indicators", iid, "score")),
                               Hint("hint.unweighted"), severity="warning"))
    return out


def check_grades(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    """Grades: unique names, highest first, every but the last with a min."""
    seen: set[str] = set()
    prev: float | None = None
    last = len(model.grades) - 1
    for i, g in enumerate(model.grades):
        path = ("grades", i)
        if g.name in seen:
            problems.append(Problem("check.grades_duplicate", {"name": g.name}, smap.locate((*path, "name"))))
        seen.add(g.name)
        if i == last and g.min is not None and last > 0:
            problems.append(Problem("check.grades_last_min", {}, smap.locate((*path, "min"))))
        if i < last and g.min is None:
            problems.append(Problem("check.grades_min_missing", {}, smap.locate(path)))
        if g.min is not None:
            if prev is not None and g.min >= prev:
                problems.append(Problem("check.grades_order", {"name": g.name, "min": fmt(g.min), "prev": fmt(prev)},
                                        smap.locate((*path, "min"))))
            prev = float(g.min)


def rule_types(model: RulesetModel) -> dict[str, str]:
    """Every name a rule condition may read, with its type."""
    types = name_types(model)
    types["base_score"] = "number"
    for iid in model.indicators:
        types[f"score.{iid}"] = "number"
        types[f"light.{iid}"] = "string"
    return types  # name_types has the previous. names


def allowed_values(model: RulesetModel) -> dict[str, set[str]]:
    """String names whose values come from a closed set (lights, categories, grades)."""
    out: dict[str, set[str]] = {"category": set(model.categories), "previous.category": set(model.categories)}
    for iid in model.indicators:
        out[f"light.{iid}"] = set(LIGHTS)
        out[f"previous.light.{iid}"] = set(LIGHTS)
    out["previous.grade"] = {g.name for g in model.grades}
    return out


def check_rules(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> bool:
    """Rule ids unique, names resolve, literals possible, cap_grade known. True when all parse."""
    types = rule_types(model)
    closed = allowed_values(model)
    grades = [g.name for g in model.grades]
    ids: set[str] = set()
    ok = True
    for i, rule in enumerate(model.rules):
        path = ("rules", i)
        if rule.id in ids:
            problems.append(Problem("check.rule_duplicate", {"id": rule.id}, smap.locate((*path, "id"))))
        ids.add(rule.id)
        if rule.then.cap_grade is not None and rule.then.cap_grade not in grades:
            problems.append(Problem("check.cap_grade", {"name": rule.then.cap_grade},
                                    smap.locate((*path, "then", "cap_grade")), did_you_mean(rule.then.cap_grade, grades)))
        try:
            expr = compile_expression(rule.when)
        except Exception:
            ok = False  # reported with its column by the rule compiler
            continue
        for node in walk(expr.node):
            if isinstance(node, Name) and node.id not in types:
                problems.append(Problem("check.unknown_name", {"name": node.id},
                                        expr_location(smap, (*path, "when"), node.offset),
                                        did_you_mean(node.id, types)))
                ok = False
            if isinstance(node, Compare):
                _check_literals(node, closed, smap, (*path, "when"), problems)
        if ok:
            try:  # durable_rules would silently compare text with numbers ("5" > 1 matches)
                infer_type(expr.node, types)
            except ExpressionError as e:
                problems.extend(Problem(p.code, p.params, expr_location(smap, (*path, "when"), e.offset))
                                for p in e.problems)
                ok = False
    return ok


def _check_literals(node: Compare, closed: dict[str, set[str]], smap: SourceMap, path: tuple[str | int, ...],
                    problems: list[Problem]) -> None:
    ops = node.operands
    for a, b in zip(ops, ops[1:], strict=False):
        for name, lit in ((a, b), (b, a)):
            if (isinstance(name, Name) and isinstance(lit, Str) and name.id in closed
                    and lit.value not in closed[name.id]):
                problems.append(Problem("check.bad_literal", {"name": name.id, "value": lit.value},
                                        expr_location(smap, path, lit.offset),
                                        did_you_mean(lit.value, closed[name.id])))


def check_tie_break(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    for i, name in enumerate(model.tie_break):
        if name not in model.indicators:
            problems.append(Problem("check.tie_break", {"name": name}, smap.locate(("tie_break", i)),
                                    did_you_mean(name, model.indicators)))


def check_tests(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    """Test cases refer to categories, facts, indicators, rules and grades that exist."""
    grades = {g.name for g in model.grades}
    rule_ids = {r.id for r in model.rules}
    for i, case in enumerate(model.tests):
        path = ("tests", i)
        units = [(case.category, case.facts or {}, (*path,))] if case.facts is not None else [
            (u.category, u.facts, (*path, "units", j)) for j, u in enumerate(case.units or [])]
        for category, facts, upath in units:
            if category is not None and category not in model.categories and category not in {
                    c.label for c in model.categories.values()}:
                problems.append(Problem("check.test_category", {"name": category}, smap.locate((*upath, "category")),
                                        did_you_mean(str(category), model.categories)))
            for name in facts:
                if name not in model.facts and name not in {f.label for f in model.facts.values()}:
                    problems.append(Problem("check.test_fact", {"name": name}, smap.locate((*upath, "facts", name), key=True),
                                            did_you_mean(name, model.facts)))
        _check_previous(case.previous, (*path, "previous"), model, smap, problems)
        _check_history(case.history, (*path, "history"), model, smap, problems)
        if case.period is not None and not _period_of(model, case.period):
            problems.append(Problem("check.test_period", {"value": case.period, "example": EXAMPLES[model.period]},
                                    smap.locate((*path, "period"))))
        for j, u in enumerate(case.units or []):
            _check_previous(u.previous, (*path, "units", j, "previous"), model, smap, problems)
            _check_history(u.history, (*path, "units", j, "history"), model, smap, problems)
        expects: list[tuple[Any, tuple[str | int, ...]]] = []
        if case.facts is not None:
            expects.append((case.expect, (*path, "expect")))
        else:
            unit_ids = {u.unit for u in case.units or []}
            for uid, expect in case.expect.items():
                if uid not in unit_ids:
                    problems.append(Problem("check.test_unit", {"name": uid},
                                            smap.locate((*path, "expect", uid), key=True),
                                            did_you_mean(str(uid), unit_ids)))
                expects.append((expect, (*path, "expect", uid)))
        for expect, epath in expects:
            if isinstance(expect, dict):
                _check_expect_keys(expect, smap, epath, problems)
                _check_expect(expect, model, grades, rule_ids, smap, epath, problems)


def _check_previous(previous: dict[str, Any] | None, path: tuple[str | int, ...], model: RulesetModel,
                    smap: SourceMap, problems: list[Problem]) -> None:
    if not previous:
        return
    prefix = "previous."
    names = {n[len(prefix):] for n in rule_types(model) if n.startswith(prefix)}
    closed = {k[len(prefix):]: v for k, v in allowed_values(model).items() if k.startswith(prefix)}
    for name, value in previous.items():
        if name not in names:
            problems.append(Problem("check.test_previous", {"name": name}, smap.locate((*path, name), key=True),
                                    did_you_mean(name, names)))
        elif name in closed and value is not None and value not in closed[name]:
            problems.append(Problem("check.test_previous_value", {"name": name, "value": value},
                                    smap.locate((*path, name)), did_you_mean(str(value), closed[name])))


def _period_of(model: RulesetModel, text: object) -> bool:
    period = parse_period(str(text))
    return period is not None and period.kind == model.period


def _check_history(history: dict[str, dict[str, Any]] | None, path: tuple[str | int, ...], model: RulesetModel,
                   smap: SourceMap, problems: list[Problem]) -> None:
    """History periods are periods of the ruleset's kind; their keys are indicators with numbers."""
    for period, values in (history or {}).items():
        if not _period_of(model, period):
            problems.append(Problem("check.test_period", {"value": period, "example": EXAMPLES[model.period]},
                                    smap.locate((*path, period), key=True)))
        for name, value in (values or {}).items():
            if name not in model.indicators:
                problems.append(Problem("check.test_history_name", {"name": name},
                                        smap.locate((*path, period, name), key=True), did_you_mean(name, model.indicators)))
            elif value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                problems.append(Problem("check.test_history_value", {"name": name, "value": value},
                                        smap.locate((*path, period, name))))


def _check_expect_keys(expect: dict[str, Any], smap: SourceMap, path: tuple[str | int, ...],
                       problems: list[Problem]) -> None:
    """A misspelt expectation (``grdae:``) would silently check nothing: it is an error."""
    known = [f.alias or name for name, f in ExpectModel.model_fields.items()]
    for key in expect:
        if key not in known:
            problems.append(Problem("check.test_expect_key", {"name": key}, smap.locate((*path, key), key=True),
                                    did_you_mean(str(key), known)))


def _check_expect(expect: dict[str, Any], model: RulesetModel, grades: set[str], rule_ids: set[str],
                  smap: SourceMap, path: tuple[str | int, ...], problems: list[Problem]) -> None:
    for key in ("lights", "indicators"):
        for name, value in (expect.get(key) or {}).items():
            if name not in model.indicators:
                problems.append(Problem("check.test_indicator", {"name": name}, smap.locate((*path, key, name), key=True),
                                        did_you_mean(name, model.indicators)))
            elif key == "lights" and value not in LIGHTS:
                problems.append(Problem("check.test_light", {"name": value}, smap.locate((*path, key, name)),
                                        did_you_mean(str(value), LIGHTS)))
    for j, rid in enumerate(expect.get("fired") or []):
        if rid not in rule_ids:
            problems.append(Problem("check.test_rule", {"name": rid}, smap.locate((*path, "fired", j)),
                                    did_you_mean(str(rid), rule_ids)))
    grade = expect.get("grade")
    if grade is not None and grade not in grades:
        problems.append(Problem("check.test_grade", {"name": grade}, smap.locate((*path, "grade")),
                                did_you_mean(str(grade), grades) or Hint("hint.choices", {"choices": ", ".join(grades)})))
