"""Evaluate a ruleset being edited on stored facts, without storing anything.

The facts come from a stored run (each unit's facts as the run kept them) or
from an accepted upload; the result is what ``kaohe run`` would give, minus
the database write.  Used by the authoring page's preview (and what-if).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from kaohe.engine.errors import KaoheError, Problem
from kaohe.engine.facts import FactTable, facts_from_records
from kaohe.engine.i18n import Lang, register
from kaohe.engine.results import UnitResult
from kaohe.engine.ruleset import Ruleset
from kaohe.engine.store import RunInfo, Store, UnitRow

MAX_SHOWN = 200

register({"serve.preview.no_source": ("找不到预览数据 `{source}`", "no preview data `{source}`")})


@dataclass
class Preview:
    """The preview of one ruleset on one set of facts."""

    source: str
    label: str
    period: str
    units: list[UnitResult] = field(default_factory=list)
    problems: list[dict[str, object]] = field(default_factory=list)
    base_run: RunInfo | None = None

    @property
    def grades(self) -> list[tuple[str, int]]:
        """How many units got each grade (in the order grades first appear by score)."""
        counts = Counter(u.grade or "—" for u in self.units)
        return sorted(counts.items(), key=lambda kv: -kv[1])

    @property
    def shown(self) -> list[UnitResult]:
        """The best units first, at most :data:`MAX_SHOWN`."""
        return sorted(self.units, key=lambda u: (-(u.score if u.score is not None else -1e18), u.unit))[:MAX_SHOWN]


def stored_records(store: Store, info: RunInfo) -> list[dict[str, Any]]:
    """Each unit's row of a stored run, as a facts file would give it."""
    with Session(store.engine) as s:
        rows = [r[0] for r in s.execute(select(UnitRow).where(col(UnitRow.run_id) == info.id)
                                        .order_by(col(UnitRow.unit))).all()]
    out = []
    for u in rows:
        facts = {k: v for k, v in json.loads(u.facts_json).items() if v is not None}
        out.append({"unit": u.unit, "name": u.name, "category": u.category,
                    **({"parent": u.parent} if u.parent else {}), **facts})
    return out


def evaluate_facts(store: Store, ruleset: Ruleset, facts: FactTable) -> list[UnitResult]:
    """What ``kaohe run`` computes (with ``previous.`` and history from the store), not stored."""
    from kaohe.engine.inputs import evaluate_stored_inputs

    return list(evaluate_stored_inputs(ruleset, facts, store).iter_units())


def preview_run(store: Store, ruleset: Ruleset, info: RunInfo, lang: Lang) -> Preview:
    """The ruleset on the facts of stored run ``info``."""
    result = Preview(f"run:{info.id}", f"{info.ruleset_id} · {info.period} · {info.id}", info.period,
                     base_run=info)
    model = ruleset.model
    try:
        facts = facts_from_records(stored_records(store, info), model.facts, model.categories,
                                   period_kind=model.period, source=f"run {info.id}", period=info.period or None)
        result.units = evaluate_facts(store, ruleset, facts)
    except KaoheError as e:
        result.problems = [p.as_dict(lang) for p in e.problems]
    return result


def missing_source(source: str, lang: Lang) -> Preview:
    """A preview whose data could not be found."""
    return Preview(source, source, "", problems=[Problem("serve.preview.no_source", {"source": source}).as_dict(lang)])
