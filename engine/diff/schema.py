"""The ``kaohe diff --json`` document as pydantic models: its documented, tested shape.

``DiffDocument.model_json_schema()`` is the JSON Schema printed in
docs/diff.md; tests validate every form's output against these models
(unknown keys are errors, so the documentation cannot fall behind).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SideDoc(_Strict):
    """Where one side came from."""

    source: str = Field(description="`run <id>` or the ruleset file")
    run: str | None = Field(description="the stored run's id, null when evaluated just now")
    ruleset: str
    period: str


class ChangeDoc(_Strict):
    """One difference between the rulesets."""

    path: str = Field(description="YAML-like path, e.g. weights.general.satisfaction")
    old: Any = Field(description="null when added")
    new: Any = Field(description="null when removed")
    text: str = Field(description="the change in plain words (--lang)")


class StandingDoc(_Strict):
    """A unit's result on one side."""

    score: float | None
    grade: str | None
    rank: int | None


class CauseDoc(_Strict):
    """One cause of a unit's change; the deltas of a unit's causes add up to its delta."""

    kind: Literal["indicator", "missing", "rule", "quota", "veto"]
    id: str = Field(description="indicator id, rule id (bonus_limit for the bonus cap), grade (quota)")
    delta: float = Field(description="points of score change; 0 for quota and veto")


class UnitDoc(_Strict):
    """A unit whose score, grade or rank changed (or that is on one side only)."""

    unit: str
    name: str
    category: str
    old: StandingDoc | None = Field(description="null: the unit is only on the new side")
    new: StandingDoc | None = Field(description="null: the unit is only on the old side")
    delta: float | None = Field(description="new score − old score; null when either is missing")
    causes: list[CauseDoc]


class TransitionDoc(_Strict):
    """How many units went from one grade to another (null: absent on that side)."""

    from_: str | None = Field(alias="from")
    to: str | None
    count: int = Field(ge=1)


class SpreadDoc(_Strict):
    """Score distribution of one scope on one side."""

    n: int
    mean: float | None
    p10: float | None
    p90: float | None
    spread: float | None = Field(description="P90 − P10")
    flat: bool = Field(description="at least 5 units and a spread of 5 points or less")


class FlatnessDoc(_Strict):
    """Flatness (扁平化) before and after, for all units (category null) or one category."""

    category: str | None
    label: str
    before: SpreadDoc
    after: SpreadDoc


class SummaryDoc(_Strict):
    """Counts of units."""

    units: int
    changed: int
    grade_changed: int
    rank_changed: int
    unchanged: int


class DiffDocument(_Strict):
    """The whole ``kaohe diff --json`` document."""

    old: SideDoc
    new: SideDoc
    changes: list[ChangeDoc]
    units: list[UnitDoc]
    transitions: list[TransitionDoc]
    transitions_by_category: dict[str, list[TransitionDoc]]
    flatness: list[FlatnessDoc]
    summary: SummaryDoc
