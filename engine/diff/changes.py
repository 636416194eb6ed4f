"""What changed in the rules, in plain words, computed on the two loaded models.

The models are compared after ``extends`` was merged and weights resolved
(AHP included), so a change made in a parent file shows like one made in the
child, and reformatting YAML shows nothing.  Each change has a YAML-like
``path``, the ``old`` and ``new`` values (``None`` = absent) and a message
code that renders as one sentence in Chinese or English.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.ruleset.model import IndicatorModel, RuleModel, RulesetModel

register(
    {
        "diff.setting": ("{field}：{old} → {new}", "{field}: {old} → {new}"),
        "diff.category_added": ("新增类别「{label}」（{id}）", "category {label} ({id}) added"),
        "diff.category_removed": ("删除类别「{label}」（{id}）", "category {label} ({id}) removed"),
        "diff.category_label": ("类别 {id} 名称：{old} → {new}", "category {id} label: {old} → {new}"),
        "diff.fact_added": ("新增事实「{label}」（{id}）", "fact {label} ({id}) added"),
        "diff.fact_removed": ("删除事实「{label}」（{id}）", "fact {label} ({id}) removed"),
        "diff.fact_field": ("事实「{label}」{field}：{old} → {new}", "fact {label}: {field} {old} → {new}"),
        "diff.indicator_added": ("新增指标「{label}」（{id}）：{how}", "indicator {label} ({id}) added: {how}"),
        "diff.indicator_removed": ("删除指标「{label}」（{id}）", "indicator {label} ({id}) removed"),
        "diff.indicator_field": ("指标「{label}」{field}：{old} → {new}", "indicator {label}: {field} {old} → {new}"),
        "diff.weight": ("{category} {indicator} 权重 {old} → {new}", "{category} {indicator} weight {old} → {new}"),
        "diff.rule_added": ("新增规则「{label}」：当 {when} 时 {then}", "rule {label} added: when {when} then {then}"),
        "diff.rule_removed": ("删除规则「{label}」（原为：当 {when} 时 {then}）",
                              "rule {label} removed (was: when {when} then {then})"),
        "diff.rule_field": ("规则「{label}」{field}：{old} → {new}", "rule {label}: {field} {old} → {new}"),
        "diff.grade_added": ("新增等次「{name}」", "grade {name} added"),
        "diff.grade_removed": ("删除等次「{name}」", "grade {name} removed"),
        "diff.grade_field": ("等次「{name}」{field}：{old} → {new}", "grade {name}: {field} {old} → {new}"),
        "diff.grade_order": ("等次顺序：{old} → {new}", "grade order: {old} → {new}"),
        "diff.none": ("无", "none"),
        "diff.field.period": ("考核周期", "period"),
        "diff.field.precision": ("计算精度（小数位）", "precision (decimals)"),
        "diff.field.bonus_limit": ("加分上限", "bonus limit"),
        "diff.field.quota_scope": ("名额计算范围", "quota scope"),
        "diff.field.tie_break": ("并列决胜指标", "tie-break indicators"),
        "diff.field.label": ("名称", "label"),
        "diff.field.type": ("类型", "type"),
        "diff.field.min": ("最小值", "min"),
        "diff.field.max": ("最大值", "max"),
        "diff.field.required": ("是否必填", "required"),
        "diff.field.default": ("默认值", "default"),
        "diff.field.formula": ("公式", "formula"),
        "diff.field.metric": ("插件指标", "plugin metric"),
        "diff.field.with": ("插件参数", "plugin parameters"),
        "diff.field.better": ("方向", "direction"),
        "diff.field.score": ("计分方法", "scoring"),
        "diff.field.lights.green": ("绿灯条件", "green condition"),
        "diff.field.lights.yellow": ("黄灯条件", "yellow condition"),
        "diff.field.on_missing": ("缺失值处理", "on_missing"),
        "diff.field.when": ("条件", "condition"),
        "diff.field.then": ("效果", "effect"),
        "diff.field.quota": ("名额", "quota"),
        "diff.field.grade_min": ("分数线", "minimum score"),
    }
)


@dataclass(frozen=True)
class Change:
    """One difference between the two rulesets."""

    path: str
    old: Any
    new: Any
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang) -> str:
        """The change as one sentence in ``lang``."""
        params = {k: show(v, lang) if k in ("old", "new") else v for k, v in self.params.items()}
        if "field" in params:
            params["field"] = text(f"diff.field.{params['field']}", lang)
        return text(self.code, lang, **params)


def show(value: Any, lang: Lang = "zh") -> str:
    """A value as people write it in a ruleset: 35, 0.85, ">= 0.9", {linear: {worst: 0.6, best: 0.95}}."""
    if value is None:
        return text("diff.none", lang)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        f = float(value)
        return str(int(f)) if f.is_integer() else f"{f:.6g}"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(show(v, lang) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, lang)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return value


def rule_changes(old: RulesetModel, new: RulesetModel, old_weights: Mapping[str, Mapping[str, float]],
                 new_weights: Mapping[str, Mapping[str, float]]) -> list[Change]:
    """Every difference that can change a result, in the order of the ruleset format."""
    return [*_settings(old, new), *_categories(old, new), *_facts(old, new), *_indicators(old, new),
            *_weights(old, new, old_weights, new_weights), *_rules(old, new), *_grades(old, new)]


def _settings(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    for key in ("period", "precision", "bonus_limit", "quota_scope", "tie_break"):
        a, b = getattr(old, key), getattr(new, key)
        if a != b:
            yield Change(key, a, b, "diff.setting", {"field": key, "old": a, "new": b})


def _categories(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    for cid in _union(old.categories, new.categories):
        a, b = old.categories.get(cid), new.categories.get(cid)
        path = f"categories.{cid}"
        if a is None and b is not None:
            yield Change(path, None, b.label, "diff.category_added", {"id": cid, "label": b.label})
        elif b is None and a is not None:
            yield Change(path, a.label, None, "diff.category_removed", {"id": cid, "label": a.label})
        elif a is not None and b is not None and a.label != b.label:
            yield Change(f"{path}.label", a.label, b.label, "diff.category_label",
                         {"id": cid, "old": a.label, "new": b.label})


def _facts(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    for fid in _union(old.facts, new.facts):
        a, b = old.facts.get(fid), new.facts.get(fid)
        path = f"facts.{fid}"
        if a is None and b is not None:
            yield Change(path, None, _dump(b), "diff.fact_added", {"id": fid, "label": b.label})
        elif b is None and a is not None:
            yield Change(path, _dump(a), None, "diff.fact_removed", {"id": fid, "label": a.label})
        elif a is not None and b is not None:
            da, db = _dump(a), _dump(b)
            for key in _FACT_FIELDS:
                if da.get(key) != db.get(key):
                    yield Change(f"{path}.{key}", da.get(key), db.get(key), "diff.fact_field",
                                 {"label": b.label, "field": key, "old": da.get(key), "new": db.get(key)})


_FACT_FIELDS = ("type", "min", "max", "required", "default")
_INDICATOR_FIELDS = ("formula", "metric", "with", "better", "score", "lights.green", "lights.yellow",
                     "on_missing")


def _indicator_fields(ind: IndicatorModel) -> dict[str, Any]:
    d = _dump(ind)
    lights = d.get("lights") or {}
    return {"formula": d.get("formula"), "metric": d.get("metric"), "with": d.get("with"),
            "better": d.get("better"), "score": d.get("score"), "lights.green": lights.get("green"),
            "lights.yellow": lights.get("yellow"), "on_missing": d.get("on_missing")}


def _how(ind: IndicatorModel, lang: Lang = "zh") -> str:
    source = ind.formula if ind.formula is not None else f"metric: {ind.metric}"
    return source if ind.score is None else f"{source}; score: {show(_dump(ind.score), lang)}"


def _indicators(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    for iid in _union(old.indicators, new.indicators):
        a, b = old.indicators.get(iid), new.indicators.get(iid)
        path = f"indicators.{iid}"
        if a is None and b is not None:
            yield Change(path, None, _dump(b), "diff.indicator_added", {"id": iid, "label": b.label, "how": _how(b)})
        elif b is None and a is not None:
            yield Change(path, _dump(a), None, "diff.indicator_removed", {"id": iid, "label": a.label})
        elif a is not None and b is not None:
            if a.label != b.label:
                yield Change(f"{path}.label", a.label, b.label, "diff.indicator_field",
                             {"label": b.label, "field": "label", "old": a.label, "new": b.label})
            fa, fb = _indicator_fields(a), _indicator_fields(b)
            for key in _INDICATOR_FIELDS:
                if fa[key] != fb[key]:
                    yield Change(f"{path}.{key}", fa[key], fb[key], "diff.indicator_field",
                                 {"label": b.label, "field": key, "old": fa[key], "new": fb[key]})


def _weights(old: RulesetModel, new: RulesetModel, old_w: Mapping[str, Mapping[str, float]],
             new_w: Mapping[str, Mapping[str, float]]) -> Iterator[Change]:
    labels = {**{k: c.label for k, c in old.categories.items()}, **{k: c.label for k, c in new.categories.items()}}
    ind_labels = {**{k: i.label for k, i in old.indicators.items()}, **{k: i.label for k, i in new.indicators.items()}}
    for cat in _union(old.categories, new.categories):
        if cat not in old.categories or cat not in new.categories:
            continue  # the category change says it; its weights are new or gone with it
        a, b = old_w.get(cat, {}), new_w.get(cat, {})
        for iid in _union(a, b):
            wa, wb = _round(a.get(iid, 0.0)), _round(b.get(iid, 0.0))
            if wa != wb:
                yield Change(f"weights.{cat}.{iid}", wa, wb, "diff.weight",
                             {"category": labels.get(cat, cat), "indicator": ind_labels.get(iid, iid),
                              "old": wa, "new": wb})


def _round(w: float) -> float:
    # AHP weights are irrational; six decimals is finer than anyone reads a weight
    return round(float(w), 6)


def _then(rule: RuleModel) -> dict[str, Any]:
    return dict(rule.then.model_dump(mode="json", exclude_none=True))


def _rules(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    a_rules = {r.id: r for r in old.rules}
    b_rules = {r.id: r for r in new.rules}
    for rid in _union(a_rules, b_rules):
        a, b = a_rules.get(rid), b_rules.get(rid)
        path = f"rules.{rid}"
        if a is None and b is not None:
            yield Change(path, None, {"when": b.when, "then": _then(b)}, "diff.rule_added",
                         {"label": b.label or rid, "when": b.when, "then": show(_then(b))})
        elif b is None and a is not None:
            yield Change(path, {"when": a.when, "then": _then(a)}, None, "diff.rule_removed",
                         {"label": a.label or rid, "when": a.when, "then": show(_then(a))})
        elif a is not None and b is not None:
            for key, va, vb in (("when", a.when, b.when), ("then", _then(a), _then(b))):
                if va != vb:
                    yield Change(f"{path}.{key}", va, vb, "diff.rule_field",
                                 {"label": b.label or rid, "field": key, "old": va, "new": vb})


def _grades(old: RulesetModel, new: RulesetModel) -> Iterator[Change]:
    a = {g.name: g for g in old.grades}
    b = {g.name: g for g in new.grades}
    for name in _union(a, b):
        ga, gb = a.get(name), b.get(name)
        path = f"grades.{name}"
        if ga is None and gb is not None:
            yield Change(path, None, _dump(gb), "diff.grade_added", {"name": name})
        elif gb is None and ga is not None:
            yield Change(path, _dump(ga), None, "diff.grade_removed", {"name": name})
        elif ga is not None and gb is not None:
            if ga.min != gb.min:
                yield Change(f"{path}.min", ga.min, gb.min, "diff.grade_field",
                             {"name": name, "field": "grade_min", "old": ga.min, "new": gb.min})
            if ga.quota_fraction != gb.quota_fraction:
                yield Change(f"{path}.quota", ga.quota, gb.quota, "diff.grade_field",
                             {"name": name, "field": "quota", "old": ga.quota, "new": gb.quota})
    order_a = [g for g in a if g in b]
    order_b = [g for g in b if g in a]
    if order_a != order_b:
        yield Change("grades", list(a), list(b), "diff.grade_order", {"old": list(a), "new": list(b)})


def _union(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Keys of ``a`` in its order, then keys only ``b`` has, in ``b``'s order."""
    return list(dict.fromkeys([*a, *b]))
