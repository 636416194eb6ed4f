"""``kaohe explain``: every number of one unit, with the inputs that produced it.

Works from the stored run alone (the run keeps the merged ruleset and the
unit's facts), so a result can be explained after the ruleset file changed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kaohe.engine.details import MetricRecord, explain_lines, warning_texts
from kaohe.engine.errors import Problem, RunError, did_you_mean
from kaohe.engine.expr import compile_expression
from kaohe.engine.grades import quota_fraction
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.results import UnitResult
from kaohe.engine.ruleset.model import IndicatorModel, RulesetModel
from kaohe.engine.store import RunInfo, Store
from kaohe.engine.store_inputs import UnitInputs, unit_inputs
from kaohe.engine.wording import PERCENT, Name, effect_text, read_text, value_text

register(
    {
        "explain.no_unit": ("运行 {run} 中没有单位 `{unit}`", "run {run} has no unit `{unit}`"),
        "explain.header": ("{name}（{unit}）· {category} · {period} · 规则集 {ruleset}",
                           "{name} ({unit}) · {category} · {period} · ruleset {ruleset}"),
        "explain.indicator": ("指标 {label}（{id}）", "indicator {label} ({id})"),
        "explain.formula": ("公式：{formula}", "formula: {formula}"),
        "explain.metric": ("插件指标：{metric} {params}", "plugin metric: {metric} {params}"),
        "explain.inputs": ("代入：{inputs}", "inputs: {inputs}"),
        "explain.value": ("值 = {value}", "value = {value}"),
        "explain.score": ("得分：{how} = {score}", "score: {how} = {score}"),
        "explain.no_score": ("不计分", "not scored"),
        "explain.light": ("亮灯：{light}（{why}）", "light: {light} ({why})"),
        "explain.no_lights": ("亮灯：不设灯", "light: none set (the indicator has no lights)"),
        "explain.weight": ("权重 {weight}，贡献 {contribution} 分", "weight {weight}, contributes {contribution}"),
        "explain.missing": ("无数据（on_missing: {mode}）", "no data (on_missing: {mode})"),
        "explain.base": ("基础分 = Σ权重×得分 / Σ权重 = {num} / {den} = {base}",
                         "base score = Σ weight×score / Σ weight = {num} / {den} = {base}"),
        "explain.rule": ("规则 {label}（{id}）触发：{when}；取值 {values}；效果 {effects}",
                         "rule {label} ({id}) fired: {when}; values {values}; effects {effects}"),
        "explain.no_rules": ("没有规则触发", "no rule fired"),
        "explain.points": ("加减分 = {points}{limit}", "points = {points}{limit}"),
        "explain.limit": ("（加分上限 {limit}）", " (bonus limit {limit})"),
        "explain.total": ("总分 = 基础分 {base} + 加减分 {points} = {score}",
                          "score = base {base} + points {points} = {score}"),
        "explain.band": ("等次：总分 {score} 落在「{grade}」档{min}", "grade: score {score} falls in band {grade}{min}"),
        "explain.cap": ("规则限定最高为「{grade}」（一票否决）", "capped at {grade} by a rule (veto)"),
        "explain.quota": ("「{grade}」名额已满，降为下一等次", "no quota place left in {grade}; moved down one grade"),
        "explain.quota_places": (
            "「{grade}」名额上限 floor({quota} × {n} 个单位) = {places} 个，已由总分更高的单位占用，降为下一等次",
            "{grade} has floor({quota} × {n} units) = {places} place(s), taken by higher scores; moved down one grade"),
        "explain.quota_tie": (
            "与 {others} 并列在「{grade}」名额线上，tie_break 无法区分，均不占名额，降为下一等次（并列已报告）",
            "tied with {others} at the {grade} cut-off and tie_break could not decide: none takes the place; "
            "moved down one grade (the tie is reported)"),
        "explain.rollup_source": ("事实 {fact} 由 {family} 各期的 {of} 汇总（{agg}），用到的运行：{runs}",
                                  "fact {fact} rolls up {of} of {family} ({agg}) from runs: {runs}"),
        "explain.rollup_missing": ("；没有运行的期间：{periods}", "; periods without a run: {periods}"),
        "explain.previous_label": ("上期{label}", "previous {label}"),
        "explain.previous_source": ("previous. 的取值来自运行 {run}（{period}，当时有效的一次）",
                                    "previous. values come from run {run} ({period}, the current run then)"),
        "explain.final": ("最终等次：{grade}；类别内排名 {rank}", "final grade: {grade}; rank in category {rank}"),
        "explain.source": ("来源：{sources}", "source: {sources}"),
        "explain.source_facts": ("{where}（{facts}）", "{where} ({facts})"),
        "explain.data_warning": ("数据提示：{message}", "data warning: {message}"),
        "light.green": ("绿灯", "green"),
        "light.yellow": ("黄灯", "yellow"),
        "light.red": ("红灯", "red"),
        "light.none": ("无数据", "no data"),
        "explain.first_match": ("满足 {colour} 条件 `{cond}`", "meets the {colour} condition `{cond}`"),
        "explain.otherwise_red": ("不满足绿灯与黄灯条件", "meets neither the green nor the yellow condition"),
    }
)


def _n(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.6g}" if abs(x) < 1e6 else f"{x:.2f}"


def _score_how(ind: IndicatorModel, value: float | None) -> str:
    spec = ind.score
    assert spec is not None
    v = _n(value)
    if spec.linear is not None:
        w, b = spec.linear.worst, spec.linear.best
        return f"100 × clip(({v} − {_n(w)}) / ({_n(b)} − {_n(w)}), 0, 1)"
    if spec.bands is not None:
        for band in spec.bands:
            lo = band.min is None or (value is not None and value >= band.min)
            hi = band.max is None or (value is not None and value <= band.max)
            if lo and hi:
                bounds = " ".join(
                    s for s in (f"≥ {_n(band.min)}" if band.min is not None else "",
                                f"≤ {_n(band.max)}" if band.max is not None else "") if s
                ) or "*"
                return f"bands[{bounds}] → {_n(band.score)}"
        return "bands → 0"
    if spec.rank is not None:
        return f"percentile({v}, within={spec.rank.within}, better={ind.better})"
    assert spec.target is not None
    t = _n(spec.target.value)
    return f"100 × clip({v} / {t}, 0, 1)" if ind.better == "higher" else f"100 × clip({t} / {v}, 0, 1)"


def _light_why(ind: IndicatorModel, light: str, lang: Lang) -> str:
    if ind.lights is None or light == "none":
        return text("light.none", lang)
    if light in ("green", "yellow"):
        cond = getattr(ind.lights, light)
        return text("explain.first_match", lang, colour=text(f"light.{light}", lang), cond=cond)
    return text("explain.otherwise_red", lang)


def _quota_line(model: RulesetModel, info: RunInfo, unit: UnitResult, population: Sequence[UnitResult],
                lang: Lang) -> str:
    """Why a unit lost its place: the scope's places, or a tie nobody could break."""
    grade = next((g for g in model.grades if g.name == unit.quota_note), None)
    for tie in info.ties:
        if unit.unit in tie.get("units", []) and tie.get("grade") == unit.quota_note:
            others = ", ".join(u for u in tie["units"] if u != unit.unit)
            return text("explain.quota_tie", lang, grade=unit.quota_note, others=others)
    fraction = quota_fraction(grade) if grade is not None else None
    if grade is None or fraction is None or not population:
        return text("explain.quota", lang, grade=unit.quota_note)
    scope = model.quota_scope

    def key(u: UnitResult) -> object:
        return "*" if scope == "all" else (u.parent or "") if scope == "parent" else u.category

    n = sum(1 for u in population if key(u) == key(unit))
    places = math.floor(fraction * n)
    return text("explain.quota_places", lang, grade=grade.name, quota=str(grade.quota), n=n, places=places)


def _counted(ind: IndicatorModel, r: Any) -> bool:
    """Whether the indicator enters the unit's weighted total."""
    return ind.score is not None and r.weight > 0 and (r.score is not None or ind.on_missing == "zero")


def _inputs_text(inputs: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    return "，".join(f"{labels.get(n, n)}({n}) = {_n(v) if not isinstance(v, str) else v}" for n, v in inputs.items())


def _metric_block(ind: IndicatorModel, unit: str, env: Mapping[str, Any], labels: Mapping[str, str],
                  rec: MetricRecord | None, lang: Lang, block: list[str]) -> dict[str, Any]:
    """A plugin metric's lines (name, parameters, inputs, the metric's own lines) and its JSON object.

    ``rec`` is what the metric recorded in the run; runs stored before metrics
    recorded anything show the ruleset's ``with:`` and no inputs.
    """
    params = rec.params if rec is not None else dict(ind.with_ or {})
    inputs = {n: env.get(n) for n in (rec.inputs if rec is not None else [])}
    block.append(text("explain.metric", lang, metric=ind.metric, params=json.dumps(params, ensure_ascii=False)))
    if inputs:
        block.append(text("explain.inputs", lang, inputs=_inputs_text(inputs, labels)))
    doc: dict[str, Any] = {"name": ind.metric, "params": params, "inputs": inputs, "details": None, "warnings": []}
    if rec is not None:
        block.extend("  " + line for line in explain_lines(rec, unit, lang))
        doc["warnings"] = warning_texts(rec, lang)
        block.extend("  ⚠ " + w for w in doc["warnings"])
        doc["details"] = rec.units.get(unit)
    return doc


def explain_unit(info: RunInfo, unit: UnitResult, facts: Mapping[str, Any], lang: Lang = "zh",
                 population: Sequence[UnitResult] = (),
                 details: Mapping[str, MetricRecord] | None = None,
                 provenance: UnitInputs | None = None) -> dict[str, Any]:
    """A structured explanation plus its lines of text in ``lang``.

    ``population`` (the run's units) lets the quota step say how many places
    the unit's scope had and who it tied with; ``details`` (what the run's
    plugin metrics recorded, ``Store.load_details``) adds each metric's
    parameters, inputs and own lines; ``provenance`` (``store_inputs.unit_inputs``)
    says which file, sheet and row — or query — the facts came from.
    """
    model = RulesetModel.model_validate(json.loads(info.ruleset_json))
    lines: list[str] = []
    cat_label = model.categories[unit.category].label if unit.category in model.categories else unit.category
    lines.append(text("explain.header", lang, name=unit.name, unit=unit.unit, category=cat_label,
                      period=info.period, ruleset=model.id))
    provenance = provenance or UnitInputs()
    lines.extend(_source_lines(provenance, model, lang))
    lines.extend(source_lines(info, lang))
    env: dict[str, Any] = dict(facts)
    for k, r in unit.indicators.items():
        env[k] = r.value
    num = 0.0
    den = sum(r.weight for k, r in unit.indicators.items()
              if k in model.indicators and _counted(model.indicators[k], r))
    indicators = []
    labels = {**{k: f.label for k, f in model.facts.items()}, **{k: i.label for k, i in model.indicators.items()}}
    labels.update({f"previous.{k}": text("explain.previous_label", lang, label=v) for k, v in list(labels.items())})
    for ind_id, ind in model.indicators.items():
        if ind_id not in unit.indicators:
            continue
        r = unit.indicators[ind_id]
        block = [text("explain.indicator", lang, label=ind.label, id=ind_id)]
        inputs: dict[str, Any] = {}
        metric_doc: dict[str, Any] | None = None
        if ind.formula is not None:
            expr = compile_expression(ind.formula)
            inputs = {n: env.get(n) for n in sorted(expr.names)}
            block.append(text("explain.formula", lang, formula=ind.formula))
            block.append(text("explain.inputs", lang, inputs=_inputs_text(inputs, labels)))
        else:
            metric_doc = _metric_block(ind, unit.unit, env, labels, (details or {}).get(ind_id), lang, block)
        shown = _n(r.value) + (f" = {value_text(r.value, PERCENT)}" if ind.unit == PERCENT else "")
        block.append(text("explain.value", lang, value=shown) if r.value is not None
                     else text("explain.missing", lang, mode=ind.on_missing))
        if ind.score is not None and r.score is not None:
            block.append(text("explain.score", lang, how=_score_how(ind, r.value), score=_n(r.score)))
        elif ind.score is None:
            block.append(text("explain.no_score", lang))
        if ind.lights is None or (ind.lights.green is None and ind.lights.yellow is None):
            block.append(text("explain.no_lights", lang))
        else:
            block.append(text("explain.light", lang, light=text(f"light.{r.light}", lang),
                              why=_light_why(ind, r.light, lang)))
        counted = _counted(ind, r)
        s = (r.score if r.score is not None else 0.0) if counted else 0.0
        num += r.weight * s if counted else 0.0
        contribution = s * r.weight / den if counted and den else 0.0
        if ind.score is not None:
            block.append(text("explain.weight", lang, weight=_n(r.weight), contribution=_n(contribution)))
        if metric_doc is not None:
            inputs = metric_doc["inputs"]
        indicators.append({"id": ind_id, "label": ind.label, "formula": ind.formula, "metric": metric_doc,
                           "inputs": inputs,
                           "value": r.value, "score": r.score, "light": r.light, "weight": r.weight,
                           "counted": counted, "contribution": contribution})
        lines.append(block[0])
        lines.extend("  " + b for b in block[1:])
    lines.append(text("explain.base", lang, num=_n(num), den=_n(den), base=_n(unit.base_score)))
    rules = {r.id: r for r in model.rules}
    names = {**{k: Name(fm.label, fm.unit) for k, fm in model.facts.items()},
             **{k: Name(im.label, im.unit) for k, im in model.indicators.items()}}
    fired = []
    for f in unit.fired:
        rule = rules.get(f.rule_id)
        effects = rule.then.model_dump(exclude_none=True) if rule else {}
        fired.append({"rule": f.rule_id, "values": dict(f.values), "effects": effects})
        lines.append(text("explain.rule", lang, id=f.rule_id, label=(rule.label if rule and rule.label else f.rule_id),
                          when=rule.when if rule else "?",
                          values=text("words.sep", lang).join(read_text(k, v, names, lang) for k, v in f.values.items()),
                          effects=effect_text(effects, [g.name for g in model.grades], lang)))
    if not unit.fired:
        lines.append(text("explain.no_rules", lang))
    limit = text("explain.limit", lang, limit=_n(model.bonus_limit)) if model.bonus_limit is not None else ""
    lines.append(text("explain.points", lang, points=_n(unit.points), limit=limit))
    lines.append(text("explain.total", lang, base=_n(unit.base_score), points=_n(unit.points), score=_n(unit.score)))
    grade_mins = {g.name: g.min for g in model.grades}
    if unit.band_grade is not None:
        gmin = grade_mins.get(unit.band_grade)
        lines.append(text("explain.band", lang, score=_n(unit.score), grade=unit.band_grade,
                          min=f" (≥ {_n(gmin)})" if gmin is not None else ""))
    if unit.cap_grade is not None:
        lines.append(text("explain.cap", lang, grade=unit.cap_grade))
    if unit.quota_note:
        lines.append(_quota_line(model, info, unit, population, lang))
    lines.append(text("explain.final", lang, grade=unit.grade or "—", rank=unit.rank or "—"))
    return {"run": info.id, "unit": unit.unit, "name": unit.name, "category": unit.category,
            "period": info.period, "indicators": indicators, "base_score": unit.base_score,
            "points": unit.points, "score": unit.score, "fired": fired, "band_grade": unit.band_grade,
            "cap_grade": unit.cap_grade, "quota_note": unit.quota_note, "grade": unit.grade,
            "rank": unit.rank, "alerts": unit.alerts, "notes": unit.notes, "facts": dict(facts),
            **provenance.as_json(lang), "lines": lines}


def explain_stored(store: Store, run: str, unit: str, lang: Lang = "zh") -> dict[str, Any]:
    """:func:`explain_unit` for a stored run (id or unique prefix) and a unit id or name."""
    info = store.get_run(run)
    units = store.load_units(info.id)
    u = find_unit(info, units, unit)
    return explain_unit(info, u, stored_inputs(store, info, u.unit), lang, population=units,
                        details=store.load_details(info.id, unit=u.unit),
                        provenance=unit_inputs(store.engine, info.id, u.unit))


def _source_lines(inputs: UnitInputs, model: RulesetModel, lang: Lang) -> list[str]:
    """「来源：信访局.xlsx 第 5 行」 (with the facts each source gave, when there are several) and the
    data warnings stored about the unit."""
    lines: list[str] = []
    if len(inputs.sources) == 1:
        origin, row = inputs.sources[0]
        lines.append(text("explain.source", lang, sources=origin.describe(row, lang)))
    elif inputs.sources:
        parts = []
        for origin, row in inputs.sources:
            given = [f for f in model.facts if f in origin.facts]  # in the ruleset's order
            labels = "、".join(model.facts[f].label for f in given)
            parts.append(text("explain.source_facts", lang, where=origin.describe(row, lang), facts=labels))
        lines.append(text("explain.source", lang, sources="；".join(parts)))
    for warning in inputs.warnings:
        lines.append(text("explain.data_warning", lang, message=warning.message(lang)))
    return lines


def stored_inputs(store: Store, info: RunInfo, unit: str) -> dict[str, Any]:
    """One unit's input facts in a stored run, and the ``previous.`` values it read.

    The previous values are read from the very run the evaluation read
    (recorded in the run's sources), which never changes.
    """
    facts = store.load_facts(info.id, unit)
    source = info.sources.get("previous") if isinstance(info.sources, dict) else None
    if source and source.get("run"):
        for key, value in store.values_of(str(source["run"])).get(unit, {}).items():
            facts.setdefault(f"previous.{key}", value)
    return facts


def source_lines(info: RunInfo, lang: Lang) -> list[str]:
    """Which stored runs the run read: ``previous.`` and rollups (the run's recorded sources)."""
    sources = info.sources if isinstance(info.sources, dict) else {}
    out = []
    previous = sources.get("previous")
    if previous:
        out.append(text("explain.previous_source", lang, run=previous.get("run"), period=previous.get("period")))
    for fact, r in (sources.get("rollups") or {}).items():
        runs = "，".join(f"{p} {run}" for p, run in (r.get("runs") or {}).items()) if lang == "zh" else \
            ", ".join(f"{p} {run}" for p, run in (r.get("runs") or {}).items())
        missing = r.get("missing") or []
        out.append(text("explain.rollup_source", lang, fact=fact, family=r.get("family"), of=r.get("of"),
                        agg=r.get("agg"), runs=runs or "—")
                   + (text("explain.rollup_missing", lang, periods=", ".join(missing)) if missing else ""))
    return out


def find_unit(info: RunInfo, units: list[UnitResult], unit: str) -> UnitResult:
    """The unit by id (or by exact name); a clear error with a suggestion otherwise."""
    for u in units:
        if u.unit == unit or u.name == unit:
            return u
    raise RunError(Problem("explain.no_unit", {"run": info.id, "unit": unit},
                           hint=did_you_mean(unit, [u.unit for u in units])))


__all__ = ["explain_stored", "explain_unit", "find_unit"]
