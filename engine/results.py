"""The result of evaluating one ruleset against one period's facts.

Results are columnar (one numpy array per quantity, aligned with the fact
table's sorted unit list) so that 1M units stay fast; :meth:`Evaluation.unit`
gives a per-unit view for explain, JSON output and reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

import numpy as np
import numpy.typing as npt

from kaohe.engine.grouped import Grouped

if TYPE_CHECKING:
    from kaohe.engine.details import MetricRecord
    from kaohe.engine.errors import Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

LIGHTS: tuple[str, ...] = ("none", "green", "yellow", "red")
"""Light colours by code: 0 none (grey, no data), 1 green, 2 yellow, 3 red."""


@dataclass(frozen=True)
class Firing:
    """A rule that fired for a unit, with the values its condition read."""

    rule_id: str
    values: Mapping[str, float | str | None]


@dataclass(frozen=True)
class Tie:
    """A tie at a quota cut-off that ``tie_break`` could not decide."""

    scope: str
    grade: str
    places: int
    units: tuple[str, ...]
    score: float


@dataclass
class IndicatorColumns:
    """One indicator over all units: value, score (0..100), light code, weight."""

    value: FloatArray
    score: FloatArray
    light: npt.NDArray[np.int8]
    weight: FloatArray


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one unit."""

    value: float | None
    score: float | None
    light: str
    weight: float


@dataclass(frozen=True)
class UnitResult:
    """Everything one unit received, in the JSON contract's shape."""

    unit: str
    name: str
    category: str
    parent: str | None
    base_score: float | None
    points: float
    score: float | None
    grade: str | None
    rank: int | None
    indicators: dict[str, IndicatorResult]
    fired: list[Firing]
    alerts: list[str]
    notes: list[str]
    band_grade: str | None
    cap_grade: str | None
    quota_note: str | None

    def as_json(self) -> dict[str, object]:
        """The per-unit object of ``kaohe run --json``."""
        return {
            "unit": self.unit,
            "name": self.name,
            "category": self.category,
            "base_score": self.base_score,
            "points": self.points,
            "score": self.score,
            "grade": self.grade,
            "rank": self.rank,
            "indicators": {
                k: {"value": r.value, "score": r.score, "light": r.light, "weight": r.weight}
                for k, r in self.indicators.items()
            },
            "fired": [f.rule_id for f in self.fired],
            "alerts": list(self.alerts),
            "notes": list(self.notes),
        }


def _opt(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


@dataclass
class Evaluation:
    """The whole population's result; arrays align with ``units``.

    ``firings``, ``alerts`` and ``notes`` are shared by the units of a group
    (engine/grouped.py); ``metric_details`` maps each plugin-metric indicator
    to what its metric recorded; ``warnings`` are what the evaluation noticed (a
    formula that overflowed for some units).
    """

    units: Sequence[str]
    names: Sequence[str]
    categories: Sequence[str]
    parents: Sequence[str | None]
    indicators: dict[str, IndicatorColumns]
    base_score: FloatArray
    points: FloatArray
    score: FloatArray
    band_grade: IntArray
    cap_grade: IntArray
    grade: IntArray
    rank: IntArray
    grade_names: Sequence[str]
    firings: Grouped[list[Firing]]
    alerts: Grouped[list[str]]
    notes: Grouped[list[str]]
    quota_notes: dict[str, str] = field(default_factory=dict)
    ties: list[Tie] = field(default_factory=list)
    metric_details: dict[str, MetricRecord] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.units)

    def _grade_name(self, code: int) -> str | None:
        return None if code < 0 else self.grade_names[code]

    def unit(self, i: int) -> UnitResult:
        """The per-unit view of row ``i``."""
        uid = self.units[i]
        return UnitResult(
            unit=uid,
            name=self.names[i],
            category=self.categories[i],
            parent=self.parents[i],
            base_score=_opt(self.base_score[i]),
            points=float(self.points[i]),
            score=_opt(self.score[i]),
            grade=self._grade_name(int(self.grade[i])),
            rank=None if self.rank[i] <= 0 else int(self.rank[i]),
            indicators={
                k: IndicatorResult(
                    value=_opt(c.value[i]),
                    score=_opt(c.score[i]),
                    light=LIGHTS[int(c.light[i])],
                    weight=float(c.weight[i]),
                )
                for k, c in self.indicators.items()
            },
            fired=list(self.firings.at(i) or []),
            alerts=list(self.alerts.at(i) or []),
            notes=list(self.notes.at(i) or []),
            band_grade=self._grade_name(int(self.band_grade[i])),
            cap_grade=self._grade_name(int(self.cap_grade[i])),
            quota_note=self.quota_notes.get(uid),
        )

    def iter_units(self) -> Iterator[UnitResult]:
        """Per-unit views in unit order."""
        for i in range(len(self.units)):
            yield self.unit(i)

    def views(self) -> UnitViews:
        """A list-like of per-unit views, each built only when it is read."""
        return UnitViews(self)


class UnitViews(Sequence[UnitResult]):
    """``Evaluation`` seen as a sequence of :class:`UnitResult` (built on access).

    A million-unit run never holds a million result objects: explain, reports
    and tests read units one at a time through this view, while JSON output
    and storage read the columns directly.
    """

    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation

    def __len__(self) -> int:
        return len(self.evaluation)

    @overload
    def __getitem__(self, i: int) -> UnitResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[UnitResult]: ...

    def __getitem__(self, i: int | slice) -> UnitResult | list[UnitResult]:
        n = len(self.evaluation)
        if isinstance(i, slice):
            return [self.evaluation.unit(k) for k in range(*i.indices(n))]
        if not -n <= i < n:
            raise IndexError(i)
        return self.evaluation.unit(i % n)

    def __iter__(self) -> Iterator[UnitResult]:
        return self.evaluation.iter_units()
