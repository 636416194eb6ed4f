"""``metric: rating`` — multi-rater reviews (360° / 群众评议) from a ratings file.

``with: {file: ratings.csv, roles: {上级: 0.4, 同级: 0.3, 下级: 0.1, 服务对象: 0.2},
standardise: true, adjust: [seniority]}``.  The file has one row per rating:
``period, rater, rater_role, ratee, score`` (Chinese headers 期间, 评价人,
评价人角色, 被评价人, 分数 also work; ``period`` is optional).  Rows of the
run's period are used; ``ratee`` is a unit id.  See plugins/rating_core.py for
the standardisation, role weighting and adjustment.

**Where the file is.**  A metric does not see the ruleset's path, so ``file``
is resolved when the ruleset *loads*: an absolute path as is; a relative path
against the folder given in the validation context (``base_dir``) when the
engine passes one, otherwise against the current working directory.  The file
must exist then (a load error names the plugin otherwise), and the resolved
absolute path is what the run reads.

:func:`corrections` reports how much the corrections moved each ratee.
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
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from kaohe.engine.period import parse_period
from kaohe.engine.plugins import FloatArray, Metric, MetricContext
from kaohe.plugins.rating_core import RatingResult, rate

COLUMNS = ("period", "rater", "rater_role", "ratee", "score")
ALIASES = {
    "期间": "period", "考核期间": "period", "评价人": "rater", "评价人角色": "rater_role",
    "角色": "rater_role", "被评价人": "ratee", "被评价单位": "ratee", "分数": "score", "评分": "score",
}


class RatingParams(BaseModel):
    """Parameters of ``metric: rating``."""

    model_config = ConfigDict(extra="forbid")
    file: str = Field(min_length=1, description="ratings CSV (period, rater, rater_role, ratee, score); "
                      "absolute, or relative to the ruleset file's folder")
    roles: dict[str, float] | None = Field(
        default=None, description="weight of each rater_role, e.g. {上级: 0.4, 同级: 0.3}; "
        "renormalised over the roles present; omit for equal weights")
    standardise: bool = Field(default=True, description="per-rater z-scores, to correct lenient and harsh raters")
    scale: Literal["original", "z"] = Field(
        default="original", description="original: standardised scores put back on the file's scale; z: z-scores")
    adjust: list[str] = Field(default_factory=list,
                              description="facts/indicators (e.g. seniority) whose linear effect is removed")

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
    return rate([rows.rater[i] for i in take], [rows.role[i] for i in take], [rows.ratee[i] for i in take],
                rows.score[take], list(ctx.units), params.roles, standardise=params.standardise,
                rescale=params.scale == "original", covariates=cov, covariate_names=params.adjust)


def compute(ctx: MetricContext, params: RatingParams) -> FloatArray:
    """The corrected rating of every unit (missing when nobody rated it)."""
    return evaluate(ctx, params).final


def corrections(ctx: MetricContext, params: RatingParams) -> list[dict[str, object]]:
    """Per rated unit: raw score, after standardisation, final, and how far correction moved it.

    For reports and ``kaohe analyze``: ``shift = final - raw`` (positive = the
    corrections raised the unit).  Units nobody rated are left out.
    """
    r = evaluate(ctx, params)

    def f(x: float) -> float | None:
        return None if np.isnan(x) else float(x)

    return [
        {"unit": u, "ratings": int(r.n_ratings[i]), "raw": f(r.raw[i]), "standardised": f(r.standardised[i]),
         "final": f(r.final[i]), "shift": f(r.shift[i])}
        for i, u in enumerate(r.ratees) if r.n_ratings[i] > 0
    ]


METRIC = Metric(
    name="rating",
    params=RatingParams,
    compute=compute,
    inputs=lambda p: list(p.adjust),
    description="Multi-rater review score: per-rater standardisation, role weights, optional covariate adjustment",
    description_zh="多维评议（360°/群众评议）得分：评价人标准化、角色加权，可剔除资历等因素影响",
)
