"""``metric: per_capita`` and ``metric: workload`` — size-fair volumes.

Units differ in size (a court with 40 judges against one with 6), so raw
volumes favour the large ones.

- ``per_capita``: ``with: {of: closed, per: judges, scale: 1}`` — ``of / per × scale``
  (e.g. cases closed per judge; ``scale: 10000`` for "per 10,000 residents").
- ``workload``: ``with: {of: closed, staff: judges, coefficient: 1.2, within: category}``
  — the per-staff volume weighted by a workload coefficient (工作量系数: a case
  type, a mountain district…), divided by the median of the same ratio in the
  unit's category (or all units): 1.0 is a median workload, 1.25 a quarter more.
  ``coefficient`` is a number, a fact/indicator id, or ``{category: number}``.

A zero or negative divisor, or a missing input, gives a missing value.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kaohe.engine.plugins import FloatArray, Metric, MetricContext


class PerCapitaParams(BaseModel):
    """Parameters of ``metric: per_capita``."""

    model_config = ConfigDict(extra="forbid")
    of: str = Field(min_length=1, description="the volume (fact or indicator), e.g. closed cases")
    per: str = Field(min_length=1, description="the headcount (fact or indicator), e.g. judges")
    scale: float = Field(default=1.0, gt=0, description="multiply by this (10000 = per 10,000)")


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    out[~np.isfinite(out)] = np.nan
    return np.asarray(out, dtype=np.float64)


def per_capita(ctx: MetricContext, params: PerCapitaParams) -> FloatArray:
    """``of / per × scale`` for every unit."""
    return _ratio(ctx.column(params.of), ctx.column(params.per)) * params.scale


class WorkloadParams(BaseModel):
    """Parameters of ``metric: workload``."""

    model_config = ConfigDict(extra="forbid")
    of: str = Field(min_length=1, description="the volume (fact or indicator), e.g. closed cases")
    staff: str = Field(min_length=1, description="the headcount (fact or indicator), e.g. judges")
    coefficient: float | str | dict[str, float] = Field(
        default=1.0, description="workload coefficient: a number, a fact/indicator id, or {category: number}")
    within: Literal["category", "all"] = Field(
        default="category", description="median taken within the unit's category or over all units")

    @field_validator("coefficient")
    @classmethod
    def _positive(cls, v: float | str | dict[str, float]) -> float | str | dict[str, float]:
        values = list(v.values()) if isinstance(v, dict) else [v] if isinstance(v, float | int) else []
        if any(not x > 0 for x in values):
            raise ValueError("workload coefficients must be > 0")
        return v


def _coefficients(ctx: MetricContext, params: WorkloadParams) -> FloatArray:
    c = params.coefficient
    n = len(ctx.units)
    if isinstance(c, dict):
        cats = [str(x) for x in np.asarray(ctx.categories, dtype=object)]
        unknown = sorted(set(cats) - set(c))
        if unknown:
            raise ValueError(f"no workload coefficient for categor{'ies' if len(unknown) > 1 else 'y'} "
                             f"{', '.join(unknown)}")
        return np.array([c[k] for k in cats], dtype=np.float64)
    if isinstance(c, str):
        return np.asarray(ctx.column(c), dtype=np.float64)
    return np.full(n, float(c))


def workload(ctx: MetricContext, params: WorkloadParams) -> FloatArray:
    """Per-staff weighted volume relative to the median of the unit's group (1.0 = median)."""
    per_staff = _ratio(ctx.column(params.of), ctx.column(params.staff) * _coefficients(ctx, params))
    groups = (np.asarray(ctx.categories, dtype=object) if params.within == "category"
              else np.zeros(len(per_staff), dtype=object))
    out = np.full(len(per_staff), np.nan)
    for key in set(groups.tolist()):
        idx = np.flatnonzero(groups == key)
        vals = per_staff[idx]
        ok = np.isfinite(vals)
        if ok.any():
            median = float(np.median(vals[ok]))
            if median > 0:
                out[idx] = vals / median
    return out


def _workload_inputs(p: WorkloadParams) -> list[str]:
    return [p.of, p.staff, *([p.coefficient] if isinstance(p.coefficient, str) else [])]


PER_CAPITA = Metric(
    name="per_capita",
    params=PerCapitaParams,
    compute=per_capita,
    inputs=lambda p: [p.of, p.per],
    description="Volume per staff member (of / per × scale)",
    params_zh={"of": "总量（事实或指标），如结案数", "per": "人数（事实或指标），如员额法官数",
               "scale": "再乘以此数（10000 即每万人）"},
    description_zh="人均量（如人均结案数 = 结案数 / 员额法官数）",
)

WORKLOAD = Metric(
    name="workload",
    params=WorkloadParams,
    compute=workload,
    inputs=_workload_inputs,
    description="Per-staff volume × workload coefficient, relative to the category median (1.0 = median)",
    params_zh={"of": "总量（事实或指标），如结案数", "staff": "人数（事实或指标），如员额法官数",
               "coefficient": "工作量系数：一个数、一个事实或指标名，或 {类别: 数}",
               "within": "在本类别内（category）还是全部单位（all）取中位数"},
    description_zh="按工作量系数折算的人均工作量，与类别中位数之比（1.0 = 中位水平）",
)
