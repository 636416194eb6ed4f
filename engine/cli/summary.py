"""What ``kaohe run`` prints for people: every unit when there are few, a summary otherwise.

A table of a province's 100,000 units helps nobody and takes minutes to
print; above :data:`TABLE_LIMIT` units the run prints grades per category,
the best and the worst units of each category, the alerts, and the command
that writes the full report.  Everything is computed from the result
columns, never from one object per unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.table import Table

from kaohe.engine.cli.output import fmt
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.results import Evaluation, UnitResult

TABLE_LIMIT = 50
"""Up to this many units the run prints one row per unit."""
TOP = 3
"""Best and worst units shown per category in the summary."""
ALERTS_LISTED = 10

register(
    {
        "cli.summary.grades": ("各类别等次分布（共 {units} 个单位）", "grades per category ({units} units)"),
        "cli.summary.no_grade": ("无等次", "no grade"), "cli.summary.total": ("合计", "total"),
        "cli.summary.top": ("各类别前 {top} 名与后 {top} 名", "best and worst {top} of each category"),
        "cli.summary.place": ("位置", "place"), "cli.summary.best": ("前", "best"),
        "cli.summary.worst": ("后", "worst"),
        "cli.summary.alerts": ("预警：{counts}（共 {units} 个单位）", "alerts: {counts} ({units} units)"),
        "cli.summary.alert_units": ("  {units}{more}", "  {units}{more}"),
        "cli.summary.more": (" 等", " and more"),
        "cli.summary.no_alerts": ("无预警", "no alerts"),
        "cli.summary.report": ("查看每个单位的结果：{command}", "every unit's result: {command}"),
    }
)


@dataclass
class Columns:
    """The few columns a summary reads."""

    units: Sequence[str]
    names: Sequence[str]
    categories: np.ndarray
    score: np.ndarray
    grades: list[str | None]
    rank: np.ndarray
    alerts: Mapping[str, Sequence[str]]

    @classmethod
    def of(cls, source: Evaluation | Sequence[UnitResult]) -> Columns:
        """From an evaluation (its columns) or from stored per-unit results."""
        if isinstance(source, Evaluation):
            names = [*source.grade_names, None]
            return cls(source.units, source.names, np.asarray(source.categories, dtype=object), source.score,
                       [names[g] for g in source.grade.tolist()], source.rank, source.alerts)
        return cls(
            [u.unit for u in source], [u.name for u in source],
            np.asarray([u.category for u in source], dtype=object),
            np.asarray([np.nan if u.score is None else u.score for u in source], dtype=np.float64),
            [u.grade for u in source], np.asarray([u.rank or 0 for u in source], dtype=np.int64),
            {u.unit: u.alerts for u in source if u.alerts},
        )


def print_units(out: Console, units: Sequence[UnitResult], lg: Lang, labels: Mapping[str, str]) -> None:
    """One row per unit, grouped by category (the ruleset's order), best first."""
    table = Table(*(text(f"cli.col.{c}", lg) for c in ("unit", "category", "score", "grade", "rank", "alerts")))
    order = {k: i for i, k in enumerate(labels)}
    for u in sorted(units, key=lambda u: (order.get(u.category, len(order)), u.rank or 10**9, u.unit)):
        table.add_row(f"{u.unit} {u.name}", labels.get(u.category, u.category), fmt(u.score), u.grade or "—",
                      str(u.rank or "—"), " ".join(u.alerts))
    out.print(table)


def print_summary(out: Console, cols: Columns, lg: Lang, labels: Mapping[str, str],
                  grade_names: Sequence[str], report_command: str) -> None:
    """Grades per category, best and worst units, alerts, and the report command."""
    cats = [c for c in labels if bool(np.any(cols.categories == c))]
    cats += sorted({str(c) for c in cols.categories.tolist()} - set(cats))
    none = text("cli.summary.no_grade", lg)
    grades = np.asarray([g if g is not None else none for g in cols.grades], dtype=object)
    shown = [*grade_names, none]
    table = Table(text("cli.col.category", lg), *shown, text("cli.summary.total", lg),
                  title=text("cli.summary.grades", lg, units=len(cols.units)))
    masks = {c: cols.categories == c for c in cats}
    for c in cats:
        counts = Counter(grades[masks[c]].tolist())
        table.add_row(labels.get(c, c), *(str(counts.get(g, 0)) for g in shown), str(int(masks[c].sum())))
    out.print(table)

    top = Table(text("cli.col.category", lg), text("cli.summary.place", lg), text("cli.col.rank", lg),
                text("cli.col.unit", lg), text("cli.col.score", lg), text("cli.col.grade", lg),
                title=text("cli.summary.top", lg, top=TOP))
    for c in cats:
        idx = np.flatnonzero(masks[c] & ~np.isnan(cols.score))
        if len(idx) == 0:
            continue
        best = idx[np.argsort(-cols.score[idx], kind="stable")[:TOP]]  # units are sorted: ties by id
        lowest = idx[np.argsort(cols.score[idx], kind="stable")[:TOP]]
        worst = [i for i in lowest[::-1].tolist() if i not in set(best.tolist())]
        for place, rows in (("best", best), ("worst", worst)):
            for i in rows:
                top.add_row(labels.get(c, c), text(f"cli.summary.{place}", lg), str(int(cols.rank[i]) or "—"),
                            f"{cols.units[i]} {cols.names[i]}", fmt(float(cols.score[i])), cols.grades[i] or "—")
    out.print(top)

    if cols.alerts:
        counts = Counter(a for alerts in cols.alerts.values() for a in alerts)
        listed = sorted(cols.alerts)[:ALERTS_LISTED]
        out.print(text("cli.summary.alerts", lg, units=len(cols.alerts),
                       counts="，".join(f"{k} {v}" for k, v in sorted(counts.items())) if lg == "zh"
                       else ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))), markup=False)
        out.print(text("cli.summary.alert_units", lg, units=" ".join(listed),
                       more=text("cli.summary.more", lg) if len(cols.alerts) > len(listed) else ""),
                  markup=False)
    else:
        out.print(text("cli.summary.no_alerts", lg), markup=False)
    out.print(text("cli.summary.report", lg, command=report_command), markup=False)
