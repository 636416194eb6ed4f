"""What plugin metrics recorded in a run, for the report (``engine.details``).

The report shows the same numbers as ``kaohe analyze`` and ``kaohe explain``:
each metric's tables (e.g. ``rating``: every ratee's raw → corrected score,
the raters' estimated leniencies, the popularity slope) in the run report, and
each unit's own lines on its card.  A per-unit card gets only its own lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kaohe.engine.details import MetricRecord, analysis_tables, explain_lines, warning_texts
from kaohe.engine.i18n import Lang
from kaohe.engine.report.render import format_number

__all__ = ["add_metrics", "metric_sections", "unit_metric_lines"]


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value, 2 if abs(value) >= 0.1 else 4)
    return "—" if value is None else str(value)


def metric_sections(details: Mapping[str, MetricRecord], labels: Mapping[str, str], lang: Lang
                    ) -> list[dict[str, Any]]:
    """One entry per metric indicator with tables or warnings: label, warnings, tables as display text."""
    out = []
    for indicator, rec in details.items():
        tables = [{"id": t.id, "title": t.title, "headers": [h for _, h in t.columns],
                   "rows": [[_cell(row.get(k)) for k, _ in t.columns] for row in t.rows]}
                  for t in analysis_tables(rec, lang)]
        warnings = warning_texts(rec, lang)
        if tables or warnings:
            out.append({"indicator": indicator, "label": labels.get(indicator, indicator), "metric": rec.metric,
                        "warnings": warnings, "tables": tables})
    return out


def unit_metric_lines(details: Mapping[str, MetricRecord], labels: Mapping[str, str], unit: str, lang: Lang
                      ) -> list[dict[str, Any]]:
    """The ``kaohe explain`` lines each metric adds for ``unit`` (metrics that add none are left out)."""
    out = []
    for indicator, rec in details.items():
        lines = explain_lines(rec, unit, lang)
        if lines:
            out.append({"indicator": indicator, "label": labels.get(indicator, indicator), "lines": lines})
    return out


def add_metrics(context: dict[str, Any], details: Mapping[str, MetricRecord] | None, lang: Lang) -> None:
    """Put ``metrics`` (the run's) and ``units[].metric_lines`` (each unit's) into a built report context."""
    labels = {i["id"]: i["label"] for i in context["indicators"]}
    context["metrics"] = metric_sections(details or {}, labels, lang)
    for unit in context["units"]:
        unit["metric_lines"] = unit_metric_lines(details or {}, labels, unit["unit"], lang)
