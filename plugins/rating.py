"""``metric: rating`` — multi-rater reviews (360° / 群众评议) from a ratings file.

``with: {file: ratings.csv, roles: {上级: 0.4, 同级: 0.4, 服务对象: 0.2},
method: rater_effects, popularity: {covariates: [seniority], roles: [同级]}}``.
The file has one row per rating: ``period, rater, rater_role, ratee, score``
(Chinese headers 期间, 评价人, 评价人角色, 被评价人, 分数 also work; ``period``
is optional).  Rows of the run's period are used; ``ratee`` is a unit id.
See plugins/rating_core.py for the model (rater correction, role weights,
popularity, adjustment) and plugins/rating_explain.py for what is recorded
and shown by ``kaohe explain`` / ``kaohe analyze``.

**Where the file is.**  A metric does not see the ruleset's path, so ``file``
is resolved when the ruleset *loads*: an absolute path as is; a relative path
against the folder given in the validation context (``base_dir``) when the
engine passes one, otherwise against the current working directory.  The file
must exist then (a load error names the plugin otherwise), and the resolved
absolute path is what the run reads.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from kaohe.engine.i18n import register
from kaohe.engine.period import parse_period
from kaohe.engine.plugins import FloatArray, Metric, MetricContext, MetricDetails, ParamWarning
from kaohe.plugins.rating_core import Popularity, RatingResult, rate
from kaohe.plugins.rating_explain import describe, explain, tables

COLUMNS = ("period", "rater", "rater_role", "ratee", "score")
ALIASES = {
    "期间": "period", "考核期间": "period", "评价人": "rater", "评价人角色": "rater_role",
    "角色": "rater_role", "被评价人": "ratee", "被评价单位": "ratee", "分数": "score", "评分": "score",
}


class PopularityParams(BaseModel):
    """``popularity:`` — remove the extra slope some roles' ratings have on a covariate (人缘竞赛)."""

    model_config = ConfigDict(extra="forbid")
    covariates: list[str] = Field(min_length=1, description="facts such as seniority whose popularity "
                                  "bonus is removed, e.g. [seniority]")
    roles: list[str] = Field(min_length=1, description="rater roles whose ratings carry the bonus, "
                             "e.g. [同级]; compared with the other roles")


class RatingParams(BaseModel):
    """Parameters of ``metric: rating``."""

    model_config = ConfigDict(extra="forbid")
    file: str = Field(min_length=1, description="ratings CSV (period, rater, rater_role, ratee, score); "
                      "absolute, or relative to the ruleset file's folder")
    roles: dict[str, float] | None = Field(
        default=None, description="weight of each rater_role, e.g. {上级: 0.4, 同级: 0.3}; "
        "renormalised over the roles present; omit for equal weights")
    method: Literal["mean", "standardise", "rater_effects"] = Field(
        default="rater_effects", description="rater correction: rater_effects (each rater's leniency "
        "estimated against the others who rated the same people), standardise (per-rater z-scores) "
        "or mean (none)")
    standardise: bool | None = Field(default=None, description="older spelling: true = method: standardise, "
                                     "false = method: mean")
    scale: Literal["original", "z"] = Field(
        default="original", description="method: standardise only — original: z-scores put back on the "
        "file's scale; z: z-scores")
    popularity: PopularityParams | None = Field(
        default=None, description="remove only the extra slope these roles' ratings have on covariates "
        "compared with the other roles, e.g. {covariates: [seniority], roles: [同级]}")
    adjust: list[str] = Field(default_factory=list, description="facts whose whole linear effect is removed "
                              "from the combined score (also removes real performance; prefer popularity)")

    @model_validator(mode="after")
    def _method(self) -> RatingParams:
        if self.standardise is not None:
            implied: Literal["standardise", "mean"] = "standardise" if self.standardise else "mean"
            if "method" in self.model_fields_set and self.method != implied:
                raise ValueError(f"standardise: {str(self.standardise).lower()} contradicts method: {self.method}; "
                                 "keep only method")
            self.method = implied
        if self.scale == "z" and self.method != "standardise":
            raise ValueError("scale: z needs method: standardise")
        if self.popularity is not None and self.roles is not None:
            unknown = [r for r in self.popularity.roles if r not in self.roles]
            if unknown:
                raise ValueError(f"popularity role(s) {', '.join(unknown)} not in roles: {', '.join(self.roles)}")
            if not set(self.roles) - set(self.popularity.roles):
                raise ValueError("popularity needs at least one other role in roles to compare with")
        return self

    @field_validator("roles")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None:
            bad = [k for k, w in v.items() if not w >= 0]
            if bad or not v or sum(v.values()) <= 0:
                raise ValueError("role weights must be >= 0 and not all 0")
        return v

    @field_validator("file")
    @classmethod
    def _resolve(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir") if isinstance(info.context, dict) else None
        path = Path(v).expanduser()
        if not path.is_absolute():
            path = Path(base or os.getcwd()) / path
        if not path.is_file():
            raise ValueError(f"ratings file {path} not found")
        missing = set(COLUMNS[1:]) - set(_header(path))
        if missing:
            raise ValueError(f"ratings file {path} lacks column(s) {', '.join(sorted(missing))}")
        return str(path.resolve())


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gbk")


def _header(path: Path) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline()
    row = next(csv.reader([_decode(first)]), [])
    return [ALIASES.get(c.strip(), c.strip()) for c in row]


@dataclass(frozen=True)
class RatingRows:
    """The ratings file as columns (periods normalised, e.g. ``2025年第一季度`` → ``2025Q1``)."""

    period: tuple[str, ...]
    rater: tuple[str, ...]
    role: tuple[str, ...]
    ratee: tuple[str, ...]
    score: FloatArray


def read_ratings(path: str) -> RatingRows:
    """Read (and cache, keyed by modification time) a ratings file."""
    st = os.stat(path)
    return _read(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _read(path: str, _mtime: int, _size: int) -> RatingRows:
    with open(path, "rb") as f:
        text = _decode(f.read())
    reader = csv.reader(io.StringIO(text))
    header = [ALIASES.get(c.strip(), c.strip()) for c in next(reader)]
    pos = {c: header.index(c) for c in COLUMNS if c in header}
    cols: dict[str, list[str]] = {c: [] for c in COLUMNS}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        for c in COLUMNS:
            cols[c].append(row[pos[c]].strip() if c in pos and pos[c] < len(row) else "")
    scores = np.array([float(s) if s else np.nan for s in cols["score"]], dtype=np.float64)
    norm: dict[str, str] = {}
    periods = tuple(norm.setdefault(p, str(parse_period(p) or p)) for p in cols["period"])
    return RatingRows(periods, tuple(cols["rater"]), tuple(cols["rater_role"]), tuple(cols["ratee"]), scores)


def evaluate(ctx: MetricContext, params: RatingParams) -> RatingResult:
    """The full rating result for the run's period (see :class:`RatingResult`)."""
    rows = read_ratings(params.file)
    period = str(parse_period(ctx.period) or ctx.period) if ctx.period else ""
    # rows without a period (or a run without one) count for every period
    take = np.flatnonzero(np.fromiter((not p or not period or p == period for p in rows.period),
                                      dtype=bool, count=len(rows.period)))
    cov = (np.column_stack([ctx.column(c) for c in params.adjust]) if params.adjust else None)
    pop = params.popularity
    popularity = (Popularity(np.column_stack([ctx.column(c) for c in pop.covariates]), pop.covariates, pop.roles)
                  if pop is not None else None)
    return rate([rows.rater[i] for i in take], [rows.role[i] for i in take], [rows.ratee[i] for i in take],
                rows.score[take], list(ctx.units), params.roles, method=params.method,
                rescale=params.scale == "original", popularity=popularity, covariates=cov,
                covariate_names=params.adjust)


def compute(ctx: MetricContext, params: RatingParams) -> FloatArray:
    """The corrected rating of every unit (missing when nobody rated it)."""
    return evaluate(ctx, params).final


def details(ctx: MetricContext, params: RatingParams, _values: FloatArray) -> MetricDetails:
    """What the corrections did, stored with the run (see :mod:`kaohe.plugins.rating_explain`)."""
    pop = params.popularity
    covariates = {c: ctx.column(c) for c in pop.covariates} if pop is not None else {}
    return describe(evaluate(ctx, params), covariates, pop.roles if pop is not None else [], params.roles)


def param_warnings(params: RatingParams) -> list[ParamWarning]:
    """``adjust:`` removes real performance too; ``standardise:`` is the older spelling of ``method:``."""
    out = []
    if params.adjust:
        out.append(ParamWarning("adjust", "rating.adjust_removes_performance", {"covariates": ", ".join(params.adjust)}))
    if params.standardise is not None:
        out.append(ParamWarning("standardise", "rating.standardise_renamed", {"method": params.method}))
    return out


def _inputs(params: RatingParams) -> list[str]:
    pop = params.popularity.covariates if params.popularity is not None else []
    return list(dict.fromkeys([*params.adjust, *pop]))


register(
    {
        "rating.adjust_removes_performance": (
            "adjust: [{covariates}] 剔除综合分对 {covariates} 的全部斜率，其中也有真实业绩（如资历深的人确实干得更好）；"
            "只想去掉某些角色的“人缘分”，请用 popularity: {{covariates: [{covariates}], roles: [同级]}}",
            "adjust: [{covariates}] removes the whole slope of the score on {covariates}, including real "
            "performance (experienced staff may really do better); to remove only the popularity bonus some "
            "roles give, use popularity: {{covariates: [{covariates}], roles: [同级]}}"),
        "rating.standardise_renamed": ("standardise: 是旧写法，请改为 method: {method}",
                                       "standardise: is the older spelling; write method: {method}"),
    }
)

METRIC = Metric(
    name="rating",
    params=RatingParams,
    compute=compute,
    inputs=_inputs,
    files=lambda p: [p.file],
    description="Multi-rater review score: rater effects (leniency) by least squares, role weights, "
                "popularity correction",
    description_zh="多维评议（360°/民主测评）得分：最小二乘估计评价人宽严并校正、角色加权、人缘校正",
    params_zh={"file": "评议数据 CSV（期间、评价人、评价人角色、被评价人、分数）；绝对路径，或相对规则集文件所在文件夹",
               "roles": "各评价人角色的权重，如 {上级: 0.4, 同级: 0.3}；按实际出现的角色重新归一；不写则等权",
               "method": "评价人校正方式：rater_effects（与评价同一批人的其他评价人比较，估计每人的宽严）、"
                         "standardise（每位评价人的 z 分数）或 mean（不校正）",
               "standardise": "旧写法：true 即 method: standardise，false 即 method: mean",
               "scale": "仅 method: standardise：original 把 z 分数换回原分值尺度；z 保留 z 分数",
               "popularity": "只去除这些角色的评分相对其他角色在协变量上多出的斜率，"
                             "如 {covariates: [seniority], roles: [同级]}",
               "adjust": "从综合得分中整体去除其线性影响的事实（也会去除真实业绩；优先用 popularity）"},
    details=details,
    explain=explain,
    tables=tables,
    warnings=param_warnings,
)
