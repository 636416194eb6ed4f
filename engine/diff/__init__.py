"""``kaohe diff``: what would change before a rule change is adopted.

Three ways to get the two sides, one result:

* :func:`diff_rulesets` — two ruleset files evaluated on one facts file;
* :func:`diff_run_under` — a stored run's facts evaluated again under a new
  ruleset ("last year's data under next year's rules");
* :func:`diff_runs` — two stored runs.

Nothing is stored.  :func:`compare` is the core for callers that already
hold two :class:`Side` objects (the web what-if page).  The result's
:meth:`DiffResult.as_json` is the documented ``--json`` document
(docs/diff.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaohe.engine.diff.changes import Change, rule_changes
from kaohe.engine.diff.impact import (
    Cause,
    Flatness,
    Impact,
    Side,
    Standing,
    Transition,
    UnitDiff,
    compare_units,
)
from kaohe.engine.i18n import Lang
from kaohe.engine.ruleset.access import ExtendsPolicy

__all__ = ["Cause", "Change", "DiffResult", "Flatness", "Impact", "Side", "Standing", "Transition", "UnitDiff",
           "compare", "diff_rulesets", "diff_run_under", "diff_runs"]


@dataclass
class DiffResult:
    """The rule changes and their impact on the units."""

    old: Side
    new: Side
    changes: list[Change]
    impact: Impact

    def as_json(self, lang: Lang = "zh") -> dict[str, Any]:
        """The ``--json`` document (docs/diff.md); ``text`` fields are in ``lang``."""
        imp = self.impact
        return {
            "old": _side_json(self.old),
            "new": _side_json(self.new),
            "changes": [{"path": c.path, "old": c.old, "new": c.new, "text": c.text(lang)} for c in self.changes],
            "units": [_unit_json(u) for u in imp.units],
            "transitions": [_transition_json(t) for t in imp.transitions],
            "transitions_by_category": {c: [_transition_json(t) for t in ts] for c, ts in imp.by_category.items()},
            "flatness": [{"category": f.category, "label": f.label, "before": dict(f.before), "after": dict(f.after)}
                         for f in imp.flatness],
            "summary": {
                "units": imp.total,
                "changed": len(imp.units),
                "grade_changed": sum(1 for u in imp.units if u.grade_changed),
                "rank_changed": sum(1 for u in imp.units if u.rank_changed),
                "unchanged": imp.unchanged,
            },
        }


def _side_json(side: Side) -> dict[str, Any]:
    return {"source": side.source, "run": side.run_id, "ruleset": side.model.id, "period": side.period}


def _standing_json(s: Standing | None) -> dict[str, Any] | None:
    return None if s is None else {"score": s.score, "grade": s.grade, "rank": s.rank}


def _unit_json(u: UnitDiff) -> dict[str, Any]:
    return {"unit": u.unit, "name": u.name, "category": u.category, "old": _standing_json(u.old),
            "new": _standing_json(u.new), "delta": u.delta,
            "causes": [{"kind": c.kind, "id": c.id, "delta": c.delta} for c in u.causes]}


def _transition_json(t: Transition) -> dict[str, Any]:
    return {"from": t.old, "to": t.new, "count": t.count}


def compare(old: Side, new: Side) -> DiffResult:
    """Compare two sides: rule changes on the models, impact on the units."""
    return DiffResult(old, new, rule_changes(old.model, new.model, old.weights, new.weights),
                      compare_units(old, new))


def diff_rulesets(old_path: str | Path, new_path: str | Path, facts_path: str | Path, *,
                  period: str | None = None, sheet: str | None = None, db: str | None = None,
                  strict: bool = False, extends: ExtendsPolicy | None = None) -> DiffResult:
    """Evaluate one facts file under two rulesets (files or region folders); store nothing."""
    from kaohe.engine.diff.sides import (
        facts_for,
        load_for,
        same_facts_declarations,
        side_of_evaluation,
    )
    from kaohe.engine.inputs import evaluate_stored_inputs
    from kaohe.engine.store import Store

    old_rs = load_for(old_path, period, strict=strict, extends=extends)
    new_rs = load_for(new_path, period, strict=strict, extends=extends)
    store = Store(db)
    sides = []
    old_facts = facts_for(old_rs, facts_path, period, sheet)
    for rs, path in ((old_rs, old_path), (new_rs, new_path)):
        same = rs is old_rs or same_facts_declarations(old_rs, rs)
        facts = old_facts if same else facts_for(rs, facts_path, period, sheet)
        evaluation = evaluate_stored_inputs(rs, facts, store)
        sides.append(side_of_evaluation(rs, evaluation, str(path),
                                        period=str(facts.period) if facts.period else (period or "")))
    return compare(sides[0], sides[1])


def diff_run_under(run: str, new_path: str | Path, *, db: str | None = None, strict: bool = False,
                   extends: ExtendsPolicy | None = None) -> DiffResult:
    """A stored run against its facts evaluated again under ``new_path``; store nothing."""
    from kaohe.engine.diff.sides import load_for, side_of_evaluation, side_of_run, stored_facts_for
    from kaohe.engine.inputs import evaluate_stored_inputs
    from kaohe.engine.store import Store

    store = Store(db)
    info = store.get_run(run)
    new_rs = load_for(new_path, info.period or None, strict=strict, extends=extends)
    facts = stored_facts_for(new_rs, store, info)
    evaluation = evaluate_stored_inputs(new_rs, facts, store)
    return compare(side_of_run(store, info), side_of_evaluation(new_rs, evaluation, str(new_path), period=info.period))


def diff_runs(run_a: str, run_b: str, *, db: str | None = None) -> DiffResult:
    """Two stored runs (two periods, or a run and the run that superseded it)."""
    from kaohe.engine.diff.sides import side_of_run
    from kaohe.engine.store import Store

    store = Store(db)
    return compare(side_of_run(store, store.get_run(run_a)), side_of_run(store, store.get_run(run_b)))
