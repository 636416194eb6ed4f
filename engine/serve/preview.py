"""Evaluate a ruleset being edited on stored facts, without storing anything.

The facts come from a stored run (each unit's facts as the run kept them,
read under the edited ruleset's declarations exactly as ``kaohe diff RUN
--ruleset NEW`` reads them) or from an accepted upload; the result is what
``kaohe run`` would give, minus the database write.  Used by the authoring
page's preview, and kept whole (the evaluation's columns) for its what-if.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kaohe.engine.errors import KaoheError, Problem
from kaohe.engine.facts import FactTable
from kaohe.engine.i18n import Lang, register
from kaohe.engine.results import Evaluation, UnitResult
from kaohe.engine.ruleset import Ruleset
from kaohe.engine.store import RunInfo, Store

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
    evaluation: Evaluation | None = None

    @property
    def grades(self) -> list[tuple[str, int]]:
        """How many units got each grade (in the order grades first appear by score)."""
        counts = Counter(u.grade or "—" for u in self.units)
        return [(grade, counts[grade]) for grade in dict.fromkeys(u.grade or "—" for u in self._by_score())]

    @property
    def shown(self) -> list[UnitResult]:
        """The best units first, at most :data:`MAX_SHOWN`."""
        return self._by_score()[:MAX_SHOWN]

    def _by_score(self) -> list[UnitResult]:
        return sorted(self.units, key=lambda u: (-(u.score if u.score is not None else -1e18), u.unit))

    def evaluated(self, evaluation: Evaluation) -> None:
        """Keep ``evaluation`` and its units."""
        self.evaluation = evaluation
        self.units = list(evaluation.iter_units())


def evaluate_facts(store: Store, ruleset: Ruleset, facts: FactTable) -> Evaluation:
    """What ``kaohe run`` computes (with ``previous.`` and history from the store), not stored."""
    from kaohe.engine.inputs import evaluate_stored_inputs

    return evaluate_stored_inputs(ruleset, facts, store)


def evaluate_run(store: Store, ruleset: Ruleset, info: RunInfo) -> Evaluation:
    """``ruleset`` on the facts of stored run ``info`` (the new side of ``kaohe diff RUN --ruleset``)."""
    from kaohe.engine.diff.sides import stored_facts_for

    return evaluate_facts(store, ruleset, stored_facts_for(ruleset, store, info))


def preview_run(store: Store, ruleset: Ruleset, info: RunInfo, lang: Lang) -> Preview:
    """The ruleset on the facts of stored run ``info``."""
    result = Preview(f"run:{info.id}", f"{info.ruleset_id} · {info.period} · {info.id}", info.period,
                     base_run=info)
    try:
        result.evaluated(evaluate_run(store, ruleset, info))
    except KaoheError as e:
        result.problems = [p.as_dict(lang) for p in e.problems]
    return result


def missing_source(source: str, lang: Lang) -> Preview:
    """A preview whose data could not be found."""
    return Preview(source, source, "", problems=[Problem("serve.preview.no_source", {"source": source}).as_dict(lang)])
