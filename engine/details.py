"""What plugin metrics recorded in a run: name, parameters, inputs and the metric's own details.

Collected while the indicators are computed (:func:`record`), stored with the
run (``engine.store``), and read back by ``kaohe explain``
(:func:`explain_lines`) and ``kaohe analyze`` (:func:`analysis_tables`), so
both work from the stored run alone — a ratings file edited after the run
does not change what the run is said to have done.  The metric's optional
hooks (``details``, ``explain``, ``tables``; see :class:`engine.plugins.Metric`)
decide what is recorded and how it reads; without them a generic form is shown.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from kaohe.engine.errors import Location, Problem
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.plugins import DetailTable, Metric, MetricContext, UnitDetails, registry

__all__ = ["MetricRecord", "analysis_tables", "explain_lines", "plain", "record", "warning_problems",
           "warning_texts"]

register(
    {
        "details.table": ("{metric} 记录的数据", "figures recorded by {metric}"),
        "details.unit": ("单位", "unit"),
    }
)


@dataclass
class MetricRecord:
    """One metric indicator of one run: the metric, its resolved parameters, inputs and details.

    ``summary``/``units`` are the metric's own figures (population-wide / per
    unit id); ``warnings`` are ``{"code", "params"}`` messages.
    """

    indicator: str
    metric: str
    params: dict[str, Any]
    inputs: list[str]
    summary: dict[str, Any] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def head(self) -> dict[str, Any]:
        """Everything but the per-unit figures (stored once per run and indicator)."""
        return {"metric": self.metric, "params": self.params, "inputs": self.inputs,
                "summary": self.summary, "warnings": self.warnings}

    @classmethod
    def from_head(cls, indicator: str, head: Mapping[str, Any], units: Mapping[str, Any]) -> MetricRecord:
        """The record from its stored head and unit rows."""
        return cls(indicator, str(head.get("metric", "")), dict(head.get("params", {})),
                   list(head.get("inputs", [])), dict(head.get("summary", {})), dict(units),
                   list(head.get("warnings", [])))


def plain(x: Any) -> Any:
    """``x`` as JSON-ready data: numpy scalars and arrays to Python, non-finite floats to ``None``.

    Raises ``TypeError`` for anything else (an object, a set).
    """
    if x is None or isinstance(x, str | bool):
        return x
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple | np.ndarray):
        return [plain(v) for v in x]
    raise TypeError(f"{type(x).__name__} {x!r:.60}")


def record(metric: Metric[Any], params: BaseModel, ctx: MetricContext, values: np.ndarray,
           indicator: str) -> MetricRecord:
    """Call the metric's ``details`` hook (if any) right after ``compute``; exceptions propagate."""
    rec = MetricRecord(indicator, metric.name, plain(params.model_dump(mode="json")),
                       [str(n) for n in metric.inputs(params)])
    if metric.details is None:
        return rec
    found = metric.details(ctx, params, values)
    rec.summary = plain(dict(found.summary))
    rec.units = {str(k): plain(dict(v)) for k, v in found.units.items()}
    rec.warnings = [{"code": w.code, "params": plain(w.params)} for w in found.warnings]
    return rec


def warning_problems(records: Mapping[str, MetricRecord], locate: Callable[[str], Location | None]
                     ) -> list[Problem]:
    """The metrics' warnings as problems located at each indicator's ``metric:`` (for ``kaohe run``)."""
    return [Problem(w["code"], dict(w.get("params", {})), locate(f"indicators.{ind}.metric"), severity="warning")
            for ind, rec in records.items() for w in rec.warnings]


def warning_texts(rec: MetricRecord, lang: Lang) -> list[str]:
    """The record's warnings in ``lang``."""
    return [text(w["code"], lang, **dict(w.get("params", {}))) for w in rec.warnings]


def _hook(rec: MetricRecord, name: str) -> Callable[..., Any] | None:
    metric = registry.get(rec.metric)
    hook = getattr(metric, name, None) if metric is not None else None
    return hook if callable(hook) else None


def _fallback(error: Exception) -> None:
    """A broken hook must not break explain/analyze: the generic form is shown instead."""
    if os.environ.get("KAOHE_DEBUG"):
        raise error


def explain_lines(rec: MetricRecord, unit: str, lang: Lang) -> list[str]:
    """Lines for ``kaohe explain`` about ``unit``: the metric's ``explain`` hook, or its figures as ``key = value``."""
    hook = _hook(rec, "explain")
    details = UnitDetails(unit, rec.summary, rec.units.get(unit), rec.params)
    if hook is not None:
        try:
            return [str(line) for line in hook(details, lang)]
        except Exception as e:  # a plugin's bug: see _fallback
            _fallback(e)
    data = rec.units.get(unit) or {}
    return [f"{k} = {_short(v)}" for k, v in data.items() if not isinstance(v, dict | list)]


def analysis_tables(rec: MetricRecord, lang: Lang) -> list[DetailTable]:
    """Tables for ``kaohe analyze``: the metric's ``tables`` hook, or one row per unit of its scalar figures."""
    from kaohe.engine.plugins import MetricDetails

    hook = _hook(rec, "tables")
    if hook is not None:
        try:
            return list(hook(MetricDetails(rec.summary, rec.units), lang))
        except Exception as e:  # a plugin's bug: see _fallback
            _fallback(e)
    if not rec.units:
        return []
    keys: list[str] = []
    for data in rec.units.values():
        keys.extend(k for k, v in data.items() if not isinstance(v, dict | list) and k not in keys)
    rows = [{"unit": u, **{k: d.get(k) for k in keys}} for u, d in rec.units.items()]
    columns: Sequence[tuple[str, str]] = [("unit", text("details.unit", lang)), *((k, k) for k in keys)]
    return [DetailTable("details", text("details.table", lang, metric=rec.metric), columns, rows)]


def _short(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)
