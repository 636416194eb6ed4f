"""``metric: trend`` — slope of an indicator over the last stored periods (动态监测).

``with: {of: closure_rate, periods: 4, per: period, method: ols}``.  The series
is the current period's value plus the unit's values in up to ``periods``
earlier stored runs of the same ruleset (``MetricContext.history``); the
value is the least-squares slope per period (or per year with ``per: year``),
so a negative value means the indicator is declining.  With fewer than
``min_points`` points (default 2) the value is missing (grey light).  Periods
without a stored run are gaps, not zeros: x is the real period offset.

``output: direction`` gives -1 / 0 / +1 instead (0 when ``|slope| <= tolerance``).
Lights flag a decline, e.g. ``lights: {green: ">= 0", yellow: ">= -0.02"}``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kaohe.engine.period import PER_YEAR, parse_period
from kaohe.engine.plugins import FloatArray, Metric, MetricContext
from kaohe.plugins.trend_core import ols_slopes, theil_sen_slope


class TrendParams(BaseModel):
    """Parameters of ``metric: trend``."""

    model_config = ConfigDict(extra="forbid")
    of: str = Field(min_length=1, description="the indicator whose trend is measured (history keeps indicator values)")
    periods: int = Field(default=4, ge=1, le=8,
                         description="how many earlier stored periods to use besides the current one (1-8)")
    per: Literal["period", "year"] = Field(
        default="period", description="slope per period, or per year (scaled by the periods in a year)")
    method: Literal["ols", "theil_sen"] = Field(
        default="ols", description="ols: least squares; theil_sen: median of pairwise slopes (robust)")
    min_points: int = Field(default=2, ge=2, le=9, description="fewest points that give a value")
    output: Literal["slope", "direction"] = Field(
        default="slope", description="slope, or direction -1 / 0 / +1")
    tolerance: float = Field(default=0.0, ge=0,
                             description="with output: direction, |slope| up to this counts as flat (0)")


def series(ctx: MetricContext, params: TrendParams) -> tuple[FloatArray, FloatArray]:
    """``(x, y)``: period offsets (0 = current, oldest first) and units × periods values."""
    current = parse_period(ctx.period) if ctx.period else None
    offsets: dict[str, int] = {}
    if current is not None:
        p = current
        for k in range(1, params.periods + 1):
            p = p.previous()
            offsets[str(p)] = -k
    earlier = sorted((off, per) for per, off in offsets.items() if per in ctx.history)
    x = np.array([off for off, _ in earlier] + [0], dtype=np.float64)
    y = np.full((len(ctx.units), len(x)), np.nan)
    for j, (_, per) in enumerate(earlier):
        by_unit = ctx.history[per]
        for i, unit in enumerate(ctx.units):
            v = by_unit.get(unit, {}).get(params.of)
            if v is not None:
                y[i, j] = float(v)
    y[:, -1] = ctx.column(params.of)
    return x, y


def compute(ctx: MetricContext, params: TrendParams) -> FloatArray:
    """Slope (or direction) of ``params.of`` for every unit."""
    x, y = series(ctx, params)
    if params.method == "ols":
        slope = ols_slopes(x, y, params.min_points)
    else:
        slope = np.array([
            theil_sen_slope(x, row) if np.isfinite(row).sum() >= params.min_points else np.nan
            for row in y
        ])
    if params.per == "year":
        current = parse_period(ctx.period)
        slope = slope * (PER_YEAR[current.kind] if current else 1)
    if params.output == "direction":
        direction = np.sign(slope)
        direction[np.abs(slope) <= params.tolerance] = 0.0
        direction[np.isnan(slope)] = np.nan
        return np.asarray(direction, dtype=np.float64)
    return np.asarray(slope, dtype=np.float64)


METRIC = Metric(
    name="trend",
    params=TrendParams,
    compute=compute,
    inputs=lambda p: [p.of],
    description="Least-squares (or Theil-Sen) slope of an indicator over the current and earlier stored periods",
    params_zh={"of": "要看趋势的指标（历史中保存的是指标值）",
               "periods": "除本期外使用之前多少个已保存的期间（1–8）",
               "per": "每期的斜率（period），或每年的斜率（year，按一年的期数换算）",
               "method": "ols：最小二乘；theil_sen：两两斜率的中位数（稳健）",
               "min_points": "至少需要的点数，不足则无值", "output": "输出斜率（slope），或方向 -1 / 0 / +1（direction）",
               "tolerance": "output: direction 时，|斜率| 不超过此值视为持平（0）"},
    description_zh="指标在本期及此前各期的变化趋势（最小二乘或 Theil–Sen 斜率，动态监测）",
    uses_history=True,
)
