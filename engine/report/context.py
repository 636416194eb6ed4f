"""The template context: everything a report template may use (docs/templates.md).

Context version 3 (2 had no leader summary, grade decisions, places or display
units; 1 had no diagnostics, history trends or charts).  Templates get plain
dicts and lists only (no ORM objects), so a region's template cannot reach
into kaohe's internals.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kaohe.engine.i18n import Lang, text
from kaohe.engine.report.decisions import decide, quota_use
from kaohe.engine.report.diagnostics import category_stats, flat_rule
from kaohe.engine.report.followup import followup_context, unit_followup
from kaohe.engine.report.history import unit_trend
from kaohe.engine.report.labels import labels
from kaohe.engine.report.metrics import add_metrics
from kaohe.engine.report.ordering import ORDERS, order_units, rankings
from kaohe.engine.report.record import record_context, unit_record
from kaohe.engine.report.render import format_number
from kaohe.engine.report.summary import leader_summary
from kaohe.engine.results import LIGHTS, UnitResult
from kaohe.engine.ruleset.model import RulesetModel
from kaohe.engine.store import RunInfo
from kaohe.engine.wording import PERCENT, Name, effect_text, read_label, read_text, value_text

if TYPE_CHECKING:
    from kaohe.engine.details import MetricRecord

CONTEXT_VERSION = 3

SYMBOLS = {"green": "●", "yellow": "▲", "red": "■", "none": "○"}

CHART_UNIT_LIMIT = 100
"""Above this many units, unit cards carry no charts (each card chart costs ~40 ms in matplotlib)."""

__all__ = ["CONTEXT_VERSION", "ORDERS", "build_context", "unit_context"]


def build_context(info: RunInfo, units: list[UnitResult], *, lang: Lang,
                  history: dict[str, Any] | None = None, charts: bool = False,
                  chart_unit_limit: int = CHART_UNIT_LIMIT, order: str | None = None,
                  details: Mapping[str, MetricRecord] | None = None,
                  sources: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The context of the run report (see docs/templates.md, context version 3).

    ``history`` is :func:`engine.report.history.load_history`'s result (or
    None); ``charts`` draws the SVG charts (HTML and PDF only); ``order``
    (``category``, ``rank`` or ``facts``) overrides the ruleset's ``report.order``;
    ``details`` is what the run's plugin metrics recorded (``Store.load_details``);
    ``sources`` (``store_inputs.report_sources``) lists where each unit's facts came from.
    """
    model = RulesetModel.model_validate(json.loads(info.ruleset_json)) if info.ruleset_json else None
    record = record_context((history or {}).get("record"), lang)
    followup = followup_context((history or {}).get("followup"), lang)
    history = history if history and history.get("periods") else {"periods": [], "units": {}}
    indicators = _indicator_meta(model, units)
    ids = [i["id"] for i in indicators]
    categories = {k: c.label for k, c in model.categories.items()} if model else {}
    names = _names(model)
    grade_names = [g.name for g in model.grades] if model else []
    unit_docs = [_unit(u, indicators, categories, model, names, grade_names, lang) for u in units]
    for result, doc in zip(units, unit_docs, strict=True):
        doc["trend"] = unit_trend(result, history, ids, info.period)
        doc["sources"] = list((sources or {}).get(result.unit, []))
    decide(unit_docs, model, info.ties, categories, lang)
    wanted = order or (model.report.order if model is not None else "category")
    unit_docs, used_order = order_units(unit_docs, wanted, categories, info)
    stats = category_stats(unit_docs, categories, ids)
    means = {c["category"]: c["indicator_means"] for c in stats}
    for u in unit_docs:
        for row in u["indicators"]:
            row["category_mean"] = means.get(u["category"], {}).get(row["id"])
            row["category_mean_text"] = format_number(row["category_mean"])
    show_ranking = model is None or model.report.ranking
    t = labels(lang)
    rule = flat_rule()
    for c in stats:
        c["warning"] = (text("report.flat_warning", lang, label=c["label"], share=round(rule["share"] * 100),
                             points=format_number(rule["points"])) if c["flat"] else None)
    grades = _grades(model, unit_docs)
    overall = model is not None and model.quota_scope == "all"
    context: dict[str, Any] = {
        "context_version": CONTEXT_VERSION,
        "lang": lang,
        "t": t,
        "run": {**info.as_json(), "name": info.ruleset_name, "created_at": str(info.created_at)[:19]},
        "indicators": indicators,
        "categories": categories,
        "grades": grades,
        "light_counts": _light_counts(units, indicators),
        "summary": leader_summary(unit_docs, grades, indicators, history, lang),
        "order": {"name": used_order, "text": text("report.order_caption", lang,
                                                   order=text(f"report.order.{used_order}", lang))},
        "units": unit_docs,
        "rankings": rankings(unit_docs, categories, overall=overall, overall_label=t["overall"])
        if show_ranking else [],
        "show_ranking": show_ranking,
        "overall_ranking": show_ranking and overall,
        "alerts": _alerts(unit_docs, lang),
        "ties": list(info.ties),
        "symbols": SYMBOLS,
        "diagnostics": {"categories": stats, "flat_rule": rule,
                        "flat_rule_text": text("report.flat_rule", lang, min_units=rule["min_units"],
                                               points=format_number(rule["points"])),
                        "any_flat": any(c["flat"] for c in stats),
                        **_relations(units, indicators, lang)},
        "history": {"periods": list(history["periods"]), "available": bool(history["periods"])},
        "record": record,
        "followup": followup,
        "per_unit": False,
        "charts": {"enabled": False, "unit_limit": chart_unit_limit,
                   "units_omitted": len(units) > chart_unit_limit,
                   "omitted_text": text("report.charts_omitted", lang, limit=chart_unit_limit),
                   "grades": None, "histograms": [], "units": {}},
    }
    add_metrics(context, details, lang)
    if charts:
        from kaohe.engine.report.figures import draw_charts

        draw_charts(context)
    return context


MAX_CORRELATIONS = 10
SIGNIFICANCE = 0.05


def _relations(units: list[UnitResult], indicators: list[dict[str, Any]], lang: Lang) -> dict[str, Any]:
    """Indicators that move together (``kaohe analyze``) and indicators that never differentiate."""
    from kaohe.engine.analyze import analyze

    labels = {i["id"]: i["label"] for i in indicators}
    result = analyze([units])
    pairs = sorted((c for c in result.correlations
                    if c.pearson_p == c.pearson_p and c.pearson_p < SIGNIFICANCE),
                   key=lambda c: (-abs(c.pearson_r), c.a, c.b))[:MAX_CORRELATIONS]
    return {
        "correlations": [{"a": c.a, "b": c.b, "a_label": labels.get(c.a, c.a), "b_label": labels.get(c.b, c.b),
                          "n": c.n, "r": round(c.pearson_r, 6), "p": round(c.pearson_p, 6),
                          "effect": text(f"report.effect.{c.effect}", lang)} for c in pairs],
        "non_differentiating": [{"indicator": f.indicator, "label": labels.get(f.indicator, f.indicator),
                                 "reason": text(f"report.flag.{f.code}", lang)} for f in result.flags],
    }


def unit_context(context: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
    """The context of one unit's own card: no other unit's lights, scores, ranks or alerts."""
    charts = context["charts"]
    own = charts["units"].get(unit["unit"])
    lit = {i["id"] for i in context["indicators"] if i["lit"]}
    return {
        **context,
        "units": [unit],
        "light_counts": {k: sum(1 for r in unit["indicators"] if r["light"] == k and r["id"] in lit)
                         for k in LIGHTS},
        "grades": [],
        "summary": _own_summary(context["summary"], unit),
        "rankings": [],
        "show_ranking": False,
        "overall_ranking": False,
        "alerts": [a for a in context["alerts"] if a["unit"] == unit["unit"]],
        "ties": [tie for tie in context["ties"] if unit["unit"] in tie.get("units", [])],
        "diagnostics": {**context["diagnostics"],
                        "categories": [c for c in context["diagnostics"]["categories"]
                                       if c["category"] == unit["category"]],
                        "correlations": [], "non_differentiating": []},
        "metrics": [],
        "per_unit": True,
        "record": unit_record(context.get("record"), unit["unit"]),
        "followup": unit_followup(context.get("followup"), unit["unit"]),
        "charts": {**charts, "grades": None, "histograms": [],
                   "units": {unit["unit"]: own} if own else {}},
    }


def _own_summary(summary: dict[str, Any], unit: dict[str, Any]) -> dict[str, Any]:
    """The leader summary cut down to one unit (a unit's own card shows nobody else)."""
    mine = unit["unit"]
    movers = summary["movers"]
    lit = {r["id"] for r in unit["indicators"] if r["lit"]}
    reds = [r["label"] for r in unit["indicators"] if r["light"] == "red" and r["id"] in lit]
    return {**summary, "headline": "",
            "vetoes": [v for v in summary["vetoes"] if v["unit"] == mine],
            "quota": [v for v in summary["quota"] if v["unit"] == mine],
            "red_lights": len(reds),
            "red_units": [{"unit": mine, "name": unit["name"], "indicators": reds}] if reds else [],
            "red_more": 0, "red_more_text": None, "alerts": len(unit["alerts"]),
            "decisions_more": 0, "decisions_more_text": None,
            "grade_lists": [{**g, "names": [n for n in g["names"] if n == unit["name"]], "more": 0, "more_text": None}
                            for g in summary["grade_lists"]],
            "movers": {**movers, "up": [m for m in movers["up"] if m["unit"] == mine],
                       "down": [m for m in movers["down"] if m["unit"] == mine]}}


def _names(model: RulesetModel | None) -> dict[str, Name]:
    """Labels and units of the facts and indicators rules read."""
    if model is None:
        return {}
    return {**{k: Name(f.label, f.unit) for k, f in model.facts.items()},
            **{k: Name(i.label, i.unit) for k, i in model.indicators.items()}}


def _indicator_meta(model: RulesetModel | None, units: list[UnitResult]) -> list[dict[str, Any]]:
    if model is not None:
        return [{"id": k, "label": i.label, "unit": i.unit or "", "percent": i.unit == PERCENT, "better": i.better,
                 "lit": i.lights is not None and (i.lights.green is not None or i.lights.yellow is not None)}
                for k, i in model.indicators.items()]
    ids = list(dict.fromkeys(k for u in units for k in u.indicators))
    return [{"id": k, "label": k, "unit": "", "percent": False, "better": "higher", "lit": True} for k in ids]


def _unit(u: UnitResult, indicators: list[dict[str, Any]], categories: dict[str, str], model: RulesetModel | None,
          names: dict[str, Name], grades: list[str], lang: Lang) -> dict[str, Any]:
    rows = []
    total_weight = sum(r.weight for r in u.indicators.values() if r.score is not None) or 0.0
    for meta in indicators:
        r = u.indicators.get(meta["id"])
        if r is None:
            continue
        contribution = (r.weight * r.score / total_weight) if (r.score is not None and total_weight) else None
        rows.append({"id": meta["id"], "label": meta["label"], "value": r.value, "score": r.score,
                     "light": r.light, "lit": meta["lit"], "weight": r.weight, "contribution": contribution,
                     "value_text": value_text(r.value, meta["unit"] or None), "score_text": format_number(r.score)})
    rules = {r.id: r for r in model.rules} if model is not None else {}
    fired = []
    for f in u.fired:
        rule = rules.get(f.rule_id)
        effect = rule.then.model_dump(exclude_none=True) if rule is not None else {}
        fired.append({"id": f.rule_id, "label": (rule.label if rule is not None else None) or f.rule_id,
                      "then": effect, "effect": effect_text(effect, grades, lang),
                      "values": {k: format_number(v, 4) if not isinstance(v, str) else v for k, v in f.values.items()},
                      "reads": [{"name": k, "label": read_label(k, names, lang),
                                 "text": read_text(k, v, names, lang)} for k, v in f.values.items()]})
    return {
        "unit": u.unit, "name": u.name, "category": u.category,
        "category_label": categories.get(u.category, u.category), "parent": u.parent,
        "base_score": u.base_score, "points": u.points, "score": u.score, "grade": u.grade, "rank": u.rank,
        "band_grade": u.band_grade, "cap_grade": u.cap_grade, "quota_note": u.quota_note,
        "indicators": rows, "lights": {row["id"]: row["light"] for row in rows},
        "fired": fired, "alerts": list(u.alerts), "notes": list(u.notes),
    }


def _alerts(units: list[dict[str, Any]], lang: Lang) -> list[dict[str, Any]]:
    """Vetoes and quota decisions first, then the rules' alerts with the rule that raised each."""
    out = [{"unit": u["unit"], "name": u["name"], "kind": d["kind"], "alert": text(f"report.kind.{d['kind']}", lang),
            "text": d["text"]} for kind in ("veto", "quota") for u in units for d in u["decisions"]
           if d["kind"] == kind]
    for u in units:
        for a in u["alerts"]:
            why = [f["label"] for f in u["fired"] if f["then"].get("alert") == a]
            out.append({"unit": u["unit"], "name": u["name"], "kind": "alert", "alert": a,
                        "text": "、".join(why) if lang == "zh" else ", ".join(why)})
    return out


def _grades(model: RulesetModel | None, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts = Counter(u["grade"] for u in units)
    names = [g.name for g in model.grades] if model else sorted(g for g in counts if g)
    quotas = {g.name: g for g in model.grades} if model else {}
    places = quota_use(model, units)
    out = []
    for n in names:
        g = quotas.get(n)
        quota = g.quota if g is not None else None
        out.append({"name": n, "count": counts.get(n, 0),
                    "quota": f"{quota}" if quota is not None and n in places else None,
                    "quota_fraction": g.quota_fraction if g is not None and n in places else None,
                    "places": places.get(n),
                    "share": round(counts.get(n, 0) / len(units), 6) if units else 0.0})
    return out


def _light_counts(units: list[UnitResult], indicators: list[dict[str, Any]]) -> dict[str, int]:
    lit = {i["id"] for i in indicators if i["lit"]}
    counts = Counter(r.light for u in units for k, r in u.indicators.items() if k in lit)
    return {light: counts.get(light, 0) for light in LIGHTS}
