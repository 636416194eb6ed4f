"""Which units a form is for: a units file (``--units``) or a stored run (``--run``).

With ``--run`` the form is for the period after the run's, and each unit's
facts in that run become the grey "last period" reference beside each input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.engine.errors import FactsError, Hint, Location, Problem, RunError
from kaohe.engine.facts import table as _messages  # noqa: F401  (registers hint.category_keys)
from kaohe.engine.i18n import register
from kaohe.engine.period import parse_period
from kaohe.engine.ruleset.model import RulesetModel

register(
    {
        "form.other_ruleset": ("运行 {run} 属于规则集 {got}，不是 {want}", "run {run} belongs to ruleset {got}, not {want}"),
        "form.unknown_category": ("未知类别 `{value}`", "unknown category `{value}`"),
        "form.no_units": ("没有要填报的单位{which}", "no units to fill in{which}"),
        "form.in_category": ("（类别 {category}）", " (category {category})"),
    }
)


@dataclass
class FormUnit:
    """One row of the form: the unit and, with ``--run``, its facts of the previous period."""

    unit: str
    name: str
    category: str
    parent: str | None = None
    previous: dict[str, Any] = field(default_factory=dict)


@dataclass
class FormUnits:
    """The units of a form and the period it collects (``None``: given later with ``--period``)."""

    units: list[FormUnit]
    period: str | None
    previous_period: str | None = None


def from_file(path: Path, model: RulesetModel, period: str | None) -> FormUnits:
    """Units from a CSV/XLSX/JSON file with ``unit``, ``name``, ``category`` (and ``parent``, ``period``)."""
    from kaohe.engine.facts.readers import read_table
    from kaohe.engine.facts.table import build_table

    raw = read_table(path)
    table = build_table(raw, {}, model.categories, period_kind=model.period, period=period, require_period=False)
    units = [FormUnit(u, n, c, p) for u, n, c, p in
             zip(table.units, table.names, table.categories, table.parents, strict=True)]
    chosen = period or (str(table.period) if table.period is not None else None)
    return FormUnits(units, chosen)


def from_run(store: Any, run: str, model: RulesetModel, period: str | None) -> FormUnits:
    """Units of a stored run, with their facts as last period's reference values."""
    from kaohe.engine.store import UnitRow

    info = store.get_run(run)
    if info.ruleset_id != model.id:
        raise RunError(Problem("form.other_ruleset", {"run": info.id, "got": info.ruleset_id, "want": model.id}))
    from sqlmodel import Session, col, select

    with Session(store.engine) as s:
        rows = s.exec(select(UnitRow).where(col(UnitRow.run_id) == info.id).order_by(col(UnitRow.unit))).all()
    units = [FormUnit(r.unit, r.name, r.category, r.parent, json.loads(r.facts_json or "{}")) for r in rows]
    ran = parse_period(info.period) if info.period else None
    chosen = period or (str(ran.next()) if ran is not None else None)
    return FormUnits(units, chosen, info.period or None)


def only_category(units: FormUnits, category: str | None, model: RulesetModel) -> FormUnits:
    """Keep the units of one category (given by id or label)."""
    if category is None:
        return units
    key = category if category in model.categories else next(
        (k for k, c in model.categories.items() if c.label == category), None)
    if key is None:
        choices = ", ".join(f"{k} ({c.label})" for k, c in model.categories.items())
        raise FactsError(Problem("form.unknown_category", {"value": category}, Location(None, None, None, "--category"),
                                 Hint("hint.category_keys", {"choices": choices})))
    kept = [u for u in units.units if u.category == key]
    if not kept:
        raise FactsError(Problem("form.no_units", {"which": {"msg": "form.in_category", "category": category}}))
    return FormUnits(kept, units.period, units.previous_period)
