"""Which charts a report gets, drawn into ``context["charts"]`` (HTML and PDF only)."""

from __future__ import annotations

from typing import Any

from kaohe.engine.report import charts


def draw_charts(context: dict[str, Any]) -> None:
    """Fill ``context["charts"]``: grade distribution, a histogram per category, unit cards.

    Per-unit charts (unit vs category average, trend sparklines) are drawn
    only up to ``charts.unit_limit`` units; above it the cards omit them.
    """
    t = context["t"]
    out = context["charts"]
    out["enabled"] = True
    units = context["units"]
    out["grades"] = charts.grade_distribution(context["grades"], count_label=t["count"], quota_label=t["quota"])
    scores: dict[str, list[float]] = {}
    for u in units:
        if u["score"] is not None:
            scores.setdefault(u["category"], []).append(u["score"])
    out["histograms"] = [
        {"category": c["category"], "label": c["label"],
         "svg": charts.score_histogram(scores.get(c["category"], []), title=c["label"],
                                       xlabel=t["score"], ylabel=t["units_axis"])}
        for c in context["diagnostics"]["categories"]
    ]
    if out["units_omitted"]:
        return
    labels = {i["id"]: i["label"] for i in context["indicators"]}
    percent = {i["id"] for i in context["indicators"] if i.get("percent")}
    for u in units:
        rows = u["indicators"]
        doc: dict[str, Any] = {
            "bar": charts.unit_vs_category([r["label"] for r in rows], [r["score"] for r in rows],
                                           [r["category_mean"] for r in rows],
                                           unit_label=t["this_unit"], mean_label=t["category_mean"]),
            "trend": None,
        }
        trend = u["trend"]
        if trend is not None:
            doc["trend"] = charts.trends(trend["periods"], [
                (labels.get(iid, iid) + (("（%）" if context["lang"] == "zh" else " (%)") if iid in percent else ""),
                 [v * 100 if v is not None and iid in percent else v for v in series["values"]], series["lights"])
                for iid, series in trend["indicators"].items()
            ])
        out["units"][u["unit"]] = doc
