"""Pydantic models for ruleset format version 1 (the contract documented in docs/ruleset.md).

These models describe one ruleset *file* after YAML parsing and after
``extends`` has been merged.  They check shapes and types; cross-references
(names resolve, weights add up, grades ordered, ...) are checked by
``engine.ruleset.checks``.  ``kaohe schema`` prints the JSON Schema generated
from :class:`RulesetModel`.
"""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kaohe.engine.i18n import register

register(
    {
        "model.linear_equal": ("linear 的 worst 与 best 不能相等", "linear.worst and linear.best must differ"),
        "model.score_one": ("score 必须且只能写一种方法：linear、bands、rank、target 之一",
                            "score needs exactly one of linear, bands, rank, target"),
        "model.formula_xor_metric": ("指标必须且只能有 formula（公式）或 metric（插件）之一",
                                     "an indicator needs exactly one of formula or metric"),
        "model.with_needs_metric": ("`with` 只用于插件指标（metric）", "`with` only applies to a plugin metric"),
        "model.effect_empty": ("then 至少需要 add、cap_grade、alert、note 之一",
                               "then needs at least one of add, cap_grade, alert, note"),
        "model.quota_format": ('quota 应写成百分比，如 "20%"', 'quota must be a percentage such as "20%"'),
        "model.quota_range": ("quota 必须在 0% 到 100% 之间", "quota must be between 0% and 100%"),
        "model.case_facts_xor_units": ("测试用例必须且只能有 facts（单个单位）或 units（多个单位）之一",
                                       "a test case needs exactly one of facts (one unit) or units (several)"),
        "model.case_needs_category": ("单个单位的测试用例需要 category", "a one-unit test case needs a category"),
        "model.suspicious_ratio": ("suspicious_ratio 应大于 1（如 10 表示超过上期 10 倍或不足 1/10），或为 0（不检查）",
                                   "suspicious_ratio must be above 1 (10: more than 10× or under 1/10 of last "
                                   "period) or 0 (off)"),
    }
)

Identifier = Annotated[str, Field(min_length=1, description="An id used in formulas (may be Chinese)")]
Number = float | int


class _Model(BaseModel):
    # Unknown keys are collected as warnings by the loader (``--strict`` makes
    # them errors), so the models themselves ignore them.
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class CategoryModel(_Model):
    """An agency or position type (机构类别 / 岗位类别)."""

    label: str = Field(description="What reports show, e.g. 民事审判庭")
    description: str | None = None


class RollupModel(_Model):
    """A fact computed from stored runs of shorter periods (the quarters of a year), not read from a file."""

    ruleset: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                                  description="the ruleset family whose runs are rolled up (an id works too)")]
    of: Annotated[str, Field(min_length=1, description="score | base_score | points | rank | grade | "
                                                       "light.<indicator> | <indicator>")]
    agg: Literal["mean", "sum", "min", "max", "last", "count"]
    value: Number | str | None = Field(default=None, description="with agg: count, count sub-periods equal to it")


class FactModel(_Model):
    """One input per unit and period."""

    label: str
    type: Literal["integer", "number", "boolean", "string"] = "number"
    min: Number | None = None
    max: Number | None = None
    required: bool = True
    default: Number | bool | str | None = None
    unit: str | None = Field(default=None, description="Unit of measure shown in reports, e.g. 件")
    description: str | None = None
    source: str | None = Field(
        default=None, description="Who supplies it (a department, e.g. 信访局); kaohe form writes a sheet per source")
    suspicious_ratio: Number | None = Field(
        default=None, ge=0, description="Override the ruleset's suspicious_ratio for this fact (0 = never)")
    rollup: RollupModel | None = Field(default=None, description="computed from stored runs of the sub-periods")

    @field_validator("suspicious_ratio")
    @classmethod
    def _ratio_above_one(cls, v: Any) -> Any:
        if v is not None and v != 0 and v <= 1:
            raise ValueError("model.suspicious_ratio")
        return v


class CheckModel(_Model):
    """A cross-field check on each unit's facts, run before anything is computed."""

    when: str = Field(description="The condition that signals a problem, e.g. satisfied > surveyed")
    message: str = Field(description="What the people filling in the data read, e.g. 满意人数不能多于调查人数")
    level: Literal["error", "warning"] = "error"
    id: str | None = None


class LinearScore(_Model):
    """``100 * clip((value - worst) / (best - worst), 0, 1)``."""

    worst: Number
    best: Number

    @model_validator(mode="after")
    def _distinct(self) -> LinearScore:
        if self.worst == self.best:
            raise ValueError("model.linear_equal")
        return self


class Band(_Model):
    """One scoring band: the first band whose bounds hold gives its score."""

    min: Number | None = None
    max: Number | None = None
    score: Number = Field(ge=0, le=100)


class RankScore(_Model):
    """Percentile of the value within the unit's category (or all units)."""

    within: Literal["category", "all"] = "category"


class TargetScore(_Model):
    """Completion against a target: ``100 * clip(value / target, 0, 1)`` (inverted when lower is better)."""

    value: Number


class ScoreModel(_Model):
    """Exactly one scoring method."""

    linear: LinearScore | None = None
    bands: list[Band] | None = None
    rank: RankScore | None = None
    target: TargetScore | None = None

    @field_validator("rank", mode="before")
    @classmethod
    def _rank_shorthand(cls, v: Any) -> Any:
        # ``rank: {}`` and ``rank: true`` both mean "percentile in category".
        if v is True or v == {}:
            return {}
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> ScoreModel:
        given = [k for k in ("linear", "bands", "rank", "target") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("model.score_one")
        return self

    @property
    def method(self) -> str:
        """The name of the scoring method in use."""
        for k in ("linear", "bands", "rank", "target"):
            if getattr(self, k) is not None:
                return k
        raise AssertionError("validated score has a method")


class LightsModel(_Model):
    """Conditions for green and yellow; the first that holds wins, otherwise red."""

    green: str | None = None
    yellow: str | None = None


class IndicatorModel(_Model):
    """An indicator: a formula over facts (or a plugin metric), how to score it, lights."""

    label: str
    formula: str | None = None
    metric: str | None = None
    with_: dict[str, Any] | None = Field(default=None, alias="with")
    better: Literal["higher", "lower"] = "higher"
    score: ScoreModel | None = None
    lights: LightsModel | None = None
    on_missing: Literal["exclude", "zero", "error"] = "exclude"
    unit: str | None = None
    description: str | None = None

    @field_validator("formula", mode="before")
    @classmethod
    def _formula_as_text(cls, v: Any) -> Any:
        # ``formula: 1`` is a valid constant formula.
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        return v

    @model_validator(mode="after")
    def _formula_xor_metric(self) -> IndicatorModel:
        if (self.formula is None) == (self.metric is None):
            raise ValueError("model.formula_xor_metric")
        if self.with_ is not None and self.metric is None:
            raise ValueError("model.with_needs_metric")
        return self


class AhpModel(_Model):
    """Weights derived from a pairwise comparison matrix (AHP)."""

    criteria: list[Identifier]
    matrix: list[list[Number | str]]


class AhpWeights(_Model):
    """``{ahp: {criteria: [...], matrix: [[...]]}}`` in place of a weight table."""

    ahp: AhpModel


WeightTable = dict[Identifier, Number] | AhpWeights


class EffectModel(_Model):
    """What a rule does when it fires."""

    add: Number | None = None
    cap_grade: str | None = None
    alert: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> EffectModel:
        if all(getattr(self, k) is None for k in ("add", "cap_grade", "alert", "note")):
            raise ValueError("model.effect_empty")
        return self


class RuleModel(_Model):
    """A rule run by the rule engine after scoring."""

    id: Identifier
    label: str | None = None
    when: str
    then: EffectModel
    description: str | None = None


class GradeModel(_Model):
    """A grade band; highest first, the last one has no ``min``."""

    name: str
    min: Number | None = None
    quota: str | Number | None = Field(
        default=None, description='Maximum share of units in scope: "20%" or 0.2'
    )

    @property
    def quota_fraction(self) -> float | None:
        """The quota as a fraction in 0..1 (``"20%"`` -> 0.2)."""
        return None if self.quota is None else float(parse_quota(self.quota))

    @field_validator("quota")
    @classmethod
    def _quota_readable(cls, v: Any) -> Any:
        if v is None:
            return v
        try:
            frac = parse_quota(v)
        except (ValueError, ZeroDivisionError) as e:
            raise ValueError("model.quota_format") from e
        if not 0 <= frac <= 1:
            raise ValueError("model.quota_range")
        return v


def parse_quota(value: str | float | int) -> Fraction:
    """The one reading of a grade's ``quota``, as an exact fraction.

    ``"20%"`` -> 1/5; a number is a fraction (``0.2`` -> 1/5) unless it is above 1,
    then a percentage (``20`` -> 1/5); text without ``%`` is read as written
    (``"0.2"`` -> 1/5).  ``ValueError`` when it is not a number.
    """
    if isinstance(value, str):
        s = value.strip()
        return Fraction(s[:-1].strip()) / 100 if s.endswith("%") else Fraction(s)
    f = Fraction(str(value))
    return f / 100 if f > 1 else f


class ExpectModel(_Model):
    """What a test case expects; every key is optional."""

    grade: str | None = None
    score: Number | str | None = None
    base_score: Number | str | None = None
    points: Number | str | None = None
    rank: int | None = None
    lights: dict[str, str] | None = None
    indicators: dict[str, Number | str | None] | None = None
    fired: list[str] | None = None
    alerts: list[str] | None = None
    notes: list[str] | None = None


class TestUnitModel(_Model):
    """One unit of a population test case."""

    unit: str
    name: str | None = None
    category: str
    parent: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    previous: dict[str, Any] | None = Field(
        default=None, description="what previous. reads for this unit (else the case's previous)")
    history: dict[str, dict[str, Any]] | None = Field(
        default=None, description="this unit's indicator values in earlier periods (else the case's history)")

    @field_validator("history", mode="before")
    @classmethod
    def _history_keys_as_text(cls, v: Any) -> Any:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v


class TestCaseModel(_Model):
    """An example written by policy staff; ``kaohe test`` runs it."""

    __test__ = False  # not a pytest class

    name: str
    category: str | None = None
    period: str | None = Field(default=None, description="the case's period (default: after the last history period)")
    facts: dict[str, Any] | None = None
    previous: dict[str, Any] | None = Field(
        default=None, description="what previous. reads: {fact, indicator, light.x, score.x, grade …: value}")
    history: dict[str, dict[str, Any]] | None = Field(
        default=None, description="earlier periods' indicator values, {2025Q1: {indicator: value}}, for trends")
    units: list[TestUnitModel] | None = None
    expect: dict[str, Any] = Field(default_factory=dict)

    @field_validator("period", mode="before")
    @classmethod
    def _period_as_text(cls, v: Any) -> Any:
        # ``period: 2025`` (a year) is written as a number in YAML
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("history", mode="before")
    @classmethod
    def _history_keys_as_text(cls, v: Any) -> Any:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _facts_xor_units(self) -> TestCaseModel:
        if (self.facts is None) == (self.units is None):
            raise ValueError("model.case_facts_xor_units")
        if self.facts is not None and self.category is None:
            raise ValueError("model.case_needs_category")
        return self


class EffectiveModel(_Model):
    """The dates a ruleset version is in force (inclusive)."""

    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None


class ReportOptions(_Model):
    """Switches for reports."""

    ranking: bool = True
    template: str | None = None
    order: Literal["category", "rank", "facts"] = Field(
        default="category", description="order of units in reports: category, rank (place) or facts (the facts file)")


_YEAR_SUFFIX = re.compile(r"[-_.]?(?:19|20)\d{2}$")


def default_family(ruleset_id: str) -> str:
    """The family of a ruleset id without ``family:``: the id without a trailing year.

    ``shunde-court-2025`` and ``shunde-court-2026`` are both ``shunde-court``.
    """
    stripped = _YEAR_SUFFIX.sub("", ruleset_id)
    return stripped or ruleset_id


class RulesetModel(_Model):
    """A whole ruleset, format version 1."""

    kaohe: Literal[1] = Field(description="Format version")
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    family: Annotated[str | None, Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="the versions of one appraisal over the years (previous., rollups, alerts); "
                    "default: the id without a trailing year")]
    name: str
    description: str | None = None
    extends: str | None = None
    remove: list[Identifier] = Field(default_factory=list)
    period: Literal["month", "quarter", "half", "year"]
    effective: EffectiveModel | None = None
    precision: int = Field(default=10, ge=0, le=15)
    categories: dict[Identifier, CategoryModel]
    facts: dict[Identifier, FactModel] = Field(default_factory=dict)
    indicators: dict[Identifier, IndicatorModel]
    weights: dict[Identifier, WeightTable] = Field(default_factory=dict)
    rules: list[RuleModel] = Field(default_factory=list)
    bonus_limit: Number | None = Field(default=None, ge=0)
    grades: list[GradeModel] = Field(min_length=1)
    tie_break: list[Identifier] = Field(default_factory=list)
    checks: list[CheckModel] = Field(default_factory=list)
    suspicious_ratio: Number = Field(
        default=10, ge=0,
        description="A fact more than this many times (or under 1/this) its previous period's value is a warning; 0 = off")
    quota_scope: Literal["category", "all", "parent"] = "category"
    report: ReportOptions = Field(default_factory=ReportOptions)
    tests: list[TestCaseModel] = Field(default_factory=list)

    @field_validator("suspicious_ratio")
    @classmethod
    def _ratio_above_one(cls, v: Any) -> Any:
        if v != 0 and v <= 1:
            raise ValueError("model.suspicious_ratio")
        return v

    @property
    def family_id(self) -> str:
        """``family``, or the id without a trailing year (see :func:`default_family`)."""
        return self.family or default_family(self.id)
