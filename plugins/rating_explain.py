"""What ``metric: rating`` did, in numbers a 考核办 can defend: the plugin's explain hooks.

:func:`describe` turns a :class:`RatingResult` into the details stored with the
run (per ratee: raw → corrected, the per-role means, who rated it; for the
population: each rater's estimated leniency, the popularity slope, warnings).
:func:`explain` renders one unit's stored details for ``kaohe explain`` and
:func:`tables` the population's for ``kaohe analyze`` — both from the stored
run alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kaohe.engine.errors import Problem
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.plugins import DetailTable, MetricDetails, UnitDetails
from kaohe.plugins.rating_core import RatingResult

__all__ = ["describe", "explain", "tables"]

SHOWN_RATERS = 10  # per unit in explain's lines (all are in --json)

register(
    {
        "rating.method.mean": ("原始均分", "raw means"),
        "rating.method.standardise": ("评价人标准化", "per-rater standardisation"),
        "rating.method.rater_effects": ("评价人效应模型", "rater-effects model"),
        "rating.unrated": ("本期无人评价（评分表中没有该单位的评分）", "nobody rated this unit in the period"),
        "rating.summary": ("{method}：{ratings} 条评分；按角色加权的原始均分 {raw} → 校正后 {final}（{shift}）",
                           "{method}: {ratings} rating(s); role-weighted raw mean {raw} → corrected {final} ({shift})"),
        "rating.steps": ("其中：{steps}", "of which: {steps}"),
        "rating.step_rater": ("评价人宽严校正 {x}", "rater correction {x}"),
        "rating.step_popularity": ("人缘校正 {x}", "popularity {x}"),
        "rating.step_adjust": ("整体剔除 {x}", "whole-slope adjustment {x}"),
        "rating.roles": ("各角色均分（原始 → 校正后，权重）：{roles}", "per role (raw → corrected, weight): {roles}"),
        "rating.raters": ("评价过本人的评价人宽严（估计值，正数 = 比评价同一批人的其他评价人打分高）：{raters}",
                          "leniency of the raters who rated this unit (estimated; positive = scores higher than "
                          "the others who rated the same people): {raters}"),
        "rating.more": ("等 {n} 人", "and {n} more"),
        "rating.not_estimated": ("无法估计，按原分计", "not estimable, taken as given"),
        "rating.popularity": (
            "人缘校正：{roles} 的评分比其他角色每 1 {covariate} 多 {slope} 分（{n} 人估计）；本人 {covariate} = {value}"
            "（平均 {centre}），{roles} 部分调整 {amount}",
            "popularity: {roles} ratings rise {slope} more per 1 {covariate} than the other roles' ({n} ratees); "
            "this unit's {covariate} = {value} (mean {centre}), so the {roles} part changes by {amount}"),
        "rating.adjust": ("整体剔除：综合分对 {covariate} 的斜率 {slope}（每 1 {covariate}），全部剔除，也剔除了真实业绩",
                          "whole-slope adjustment: slope {slope} per 1 {covariate}, removed entirely "
                          "(real performance with it)"),
        "rating.table.corrections": ("评议校正：每个被评对象从原始均分到最终得分（按移动幅度排序）",
                                     "rating corrections: each ratee from raw mean to final (largest moves first)"),
        "rating.table.raters": ("评价人宽严（估计值，正数为偏宽松）", "rater leniency (estimated; positive = lenient)"),
        "rating.table.slopes": ("资历等因素的校正斜率", "slopes removed for covariates"),
        "rating.col.unit": ("被评对象", "ratee"), "rating.col.ratings": ("评分数", "ratings"),
        "rating.col.raw": ("原始均分", "raw"), "rating.col.corrected": ("评价人校正后", "rater-corrected"),
        "rating.col.popularity": ("人缘校正", "popularity"), "rating.col.adjust": ("整体剔除", "adjustment"),
        "rating.col.final": ("最终", "final"), "rating.col.shift": ("移动", "shift"),
        "rating.col.rater": ("评价人", "rater"), "rating.col.roles": ("角色", "roles"),
        "rating.col.effect": ("宽严", "leniency"), "rating.col.estimated": ("已估计", "estimated"),
        "rating.col.step": ("校正", "step"), "rating.col.covariate": ("因素", "covariate"),
        "rating.col.slope": ("斜率", "slope"), "rating.col.ratees": ("被评人数", "ratees"),
        "rating.step.popularity": ("人缘校正（仅 {roles}）", "popularity ({roles} only)"),
        "rating.step.adjust": ("整体剔除", "whole-slope adjustment"),
        "rating.yes": ("是", "yes"), "rating.no": ("否", "no"),
        "rating.weak_component": (
            "评价人 {raters} 与其他评价人评过的人重合太少，无法估计其宽严，按原分计（原始均分）",
            "raters {raters} share too few ratees with other raters to estimate their leniency; "
            "their ratings are taken as given (raw means)"),
        "rating.single_raters": ("{count} 名评价人只有 1 条评分，无法估计其宽严，按原分计：{raters}",
                                 "{count} rater(s) gave a single rating; their leniency cannot be estimated and "
                                 "their ratings are taken as given: {raters}"),
        "rating.dropped_raters": ("评价人 {raters} 的评分少于 2 条或没有差异，标准化时不计",
                                  "raters {raters} gave fewer than 2 ratings or no spread and are left out of "
                                  "the standardisation"),
        "rating.popularity_too_few": ("人缘校正需要至少 {need} 名同时有两类角色评分和 {covariates} 的被评对象，"
                                      "本期只有 {n} 名，未校正",
                                      "the popularity correction needs at least {need} ratees rated by both kinds "
                                      "of roles and with {covariates}; only {n}: not applied"),
        "rating.not_converged": ("评价人效应的求解未达到精度要求，结果可能不准确",
                                 "the rater-effects solver did not reach its tolerance; results may be inexact"),
    }
)


def _f(x: Any) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _names(raters: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(raters[:limit])
    return shown + (f" … (+{len(raters) - limit})" if len(raters) > limit else "")


def describe(r: RatingResult, covariates: Mapping[str, np.ndarray], popularity_roles: Sequence[str],
             weights: Mapping[str, float] | None) -> MetricDetails:
    """The details stored with the run (see module doc); ``covariates`` are the popularity covariates' columns."""
    w = dict(weights) if weights else {role: 1.0 for role in r.roles}
    raters = {rid: {"roles": r.rater_roles[j], "ratings": int(r.rater_n[j]), "effect": _f(r.rater_effect[j]),
                    "estimated": bool(r.rater_estimated[j])} for j, rid in enumerate(r.raters)}
    summary: dict[str, Any] = {"method": r.method, "weights": {role: w[role] for role in r.roles}, "raters": raters}
    if popularity_roles:
        summary["popularity"] = {"roles": list(popularity_roles), "covariates": list(covariates),
                                 "slopes": dict(r.popularity_slopes), "centre": dict(r.popularity_centre),
                                 "ratees": r.popularity_n}
    if r.coefficients:
        summary["adjust"] = {"slopes": dict(r.coefficients)}
    units: dict[str, dict[str, Any]] = {}
    for i, unit in enumerate(r.ratees):
        if r.n_ratings[i] == 0:
            continue
        units[unit] = {
            "ratings": int(r.n_ratings[i]), "raw": _f(r.raw[i]), "corrected": _f(r.corrected[i]),
            "popularity": _f(r.popular[i] - r.corrected[i]), "adjust": _f(r.final[i] - r.popular[i]),
            "final": _f(r.final[i]), "shift": _f(r.shift[i]),
            "roles": {role: {"raw": _f(r.role_raw[i, k]), "corrected": _f(r.role_corrected[i, k])}
                      for k, role in enumerate(r.roles) if math.isfinite(r.role_raw[i, k])},
            "raters": [r.raters[j] for j in r.ratee_raters[i]],
            "covariates": {c: _f(col[i]) for c, col in covariates.items()},
        }
    return MetricDetails(summary, units, _warnings(r, covariates))


def _warnings(r: RatingResult, covariates: Mapping[str, np.ndarray]) -> list[Problem]:
    out = [Problem("rating.weak_component", {"raters": _names(list(c))}, severity="warning") for c in r.weak_raters]
    if r.single_raters:
        out.append(Problem("rating.single_raters", {"count": len(r.single_raters), "raters": _names(r.single_raters)},
                           severity="warning"))
    if r.dropped_raters:
        out.append(Problem("rating.dropped_raters", {"raters": _names(r.dropped_raters)}, severity="warning"))
    if covariates and not r.popularity_slopes and r.n_ratings.any():
        out.append(Problem("rating.popularity_too_few", {"need": len(covariates) + 2, "n": r.popularity_n,
                                                         "covariates": ", ".join(covariates)}, severity="warning"))
    if not r.converged:
        out.append(Problem("rating.not_converged", {}, severity="warning"))
    return out


def _num(x: Any, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{float(x):+.2f}" if signed else f"{float(x):.2f}"


def explain(d: UnitDetails, lang: Lang) -> list[str]:
    """Lines for ``kaohe explain`` about one unit (from the stored details alone)."""
    if d.data is None:
        return [text("rating.unrated", lang)]
    u, s = d.data, d.summary
    method = str(s.get("method", ""))
    lines = [text("rating.summary", lang, method=text(f"rating.method.{method}", lang), ratings=u["ratings"],
                  raw=_num(u["raw"]), final=_num(u["final"]), shift=_num(u["shift"], signed=True))]
    rater_part = None if u["corrected"] is None or u["raw"] is None else u["corrected"] - u["raw"]
    steps = [text("rating.step_rater", lang, x=_num(rater_part, True))] if method != "mean" else []
    steps += [text(f"rating.step_{k}", lang, x=_num(u[k], True)) for k in ("popularity", "adjust") if s.get(k)]
    if steps:
        lines.append(text("rating.steps", lang, steps=("，" if lang == "zh" else ", ").join(steps)))
    weights = s.get("weights", {})
    role_parts = [f"{role} {_num(v['raw'])} → {_num(v['corrected'])}" + (
        f"（{weights.get(role, '—')}）" if lang == "zh" else f" ({weights.get(role, '—')})")
        for role, v in u["roles"].items()]
    lines.append(text("rating.roles", lang, roles=("；" if lang == "zh" else "; ").join(role_parts)))
    if method == "rater_effects":
        known = s.get("raters", {})
        who = sorted(u["raters"], key=lambda x: (-abs(known.get(x, {}).get("effect") or 0.0), x))
        parts = [f"{x} {_num(known[x]['effect'], True)}" if known.get(x, {}).get("estimated")
                 else f"{x}（{text('rating.not_estimated', lang)}）" for x in who[:SHOWN_RATERS]]
        if len(who) > SHOWN_RATERS:
            parts.append(text("rating.more", lang, n=len(who) - SHOWN_RATERS))
        lines.append(text("rating.raters", lang, raters="，".join(parts) if lang == "zh" else ", ".join(parts)))
    pop = s.get("popularity") or {}
    for cov, slope in pop.get("slopes", {}).items():
        value, centre = u["covariates"].get(cov), pop["centre"][cov]
        amount = None if value is None else -(value - centre) * slope
        lines.append(text("rating.popularity", lang, roles="/".join(pop["roles"]), covariate=cov,
                          slope=f"{slope:.3g}", n=pop["ratees"], value="—" if value is None else f"{value:.6g}",
                          centre=f"{centre:.4g}",
                          amount=_num(amount, True)))
    for cov, slope in (s.get("adjust") or {}).get("slopes", {}).items():
        lines.append(text("rating.adjust", lang, covariate=cov, slope=f"{slope:.3g}"))
    return lines


def tables(d: MetricDetails, lang: Lang) -> list[DetailTable]:
    """Tables for ``kaohe analyze``: corrections per ratee, rater leniencies, slopes."""
    def cols(*keys: str) -> list[tuple[str, str]]:
        return [(k, text(f"rating.col.{k}", lang)) for k in keys]

    s = d.summary
    keys = ["unit", "ratings", "raw", "corrected", *(["popularity"] if s.get("popularity") else []),
            *(["adjust"] if s.get("adjust") else []), "final", "shift"]
    rows: list[dict[str, Any]] = [{k: unit if k == "unit" else v[k] for k in keys} for unit, v in d.units.items()]
    rows.sort(key=lambda r: (-abs(r["shift"] or 0.0), r["unit"]))
    out = [DetailTable("corrections", text("rating.table.corrections", lang), cols(*keys), rows)]
    if s.get("method") == "rater_effects":
        raters = [{"rater": rid, "roles": v["roles"], "ratings": v["ratings"], "effect": v["effect"],
                   "estimated": text("rating.yes" if v["estimated"] else "rating.no", lang)}
                  for rid, v in s.get("raters", {}).items()]
        raters.sort(key=lambda r: (-abs(r["effect"] or 0.0), r["rater"]))
        out.append(DetailTable("raters", text("rating.table.raters", lang),
                               cols("rater", "roles", "ratings", "effect", "estimated"), raters))
    slopes = []
    pop = s.get("popularity") or {}
    for cov, slope in pop.get("slopes", {}).items():
        slopes.append({"step": text("rating.step.popularity", lang, roles="/".join(pop["roles"])), "covariate": cov,
                       "slope": slope, "ratees": pop["ratees"]})
    for cov, slope in (s.get("adjust") or {}).get("slopes", {}).items():
        slopes.append({"step": text("rating.step.adjust", lang), "covariate": cov, "slope": slope, "ratees": None})
    if slopes:
        out.append(DetailTable("slopes", text("rating.table.slopes", lang),
                               cols("step", "covariate", "slope", "ratees"), slopes))
    return out
