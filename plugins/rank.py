"""``metric: rank`` — a unit's percentile position within its category (or all units).

``with: {of: closure_rate, within: category, better: higher}``.  The value is
``100 * (units worse + 0.5 * equal others) / (n - 1)`` among units that have a
value (a unit alone gets 100): the same formula as ``score: {rank: …}``, but
as an indicator value that rules and other formulas can read.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kaohe.engine.evaluate.scoring import rank as rank_percentile
from kaohe.engine.plugins import FloatArray, Metric, MetricContext
from kaohe.engine.ruleset.model import RankScore


class RankParams(BaseModel):
    """Parameters of ``metric: rank``."""

    model_config = ConfigDict(extra="forbid")
    of: str = Field(min_length=1, description="the fact or indicator to rank")
    within: Literal["category", "all"] = Field(
        default="category", description="rank within the unit's category or among all units")
    better: Literal["higher", "lower"] = Field(default="higher", description="whether a higher value ranks better")


def compute(ctx: MetricContext, params: RankParams) -> FloatArray:
    """Percentile of ``params.of`` for every unit."""
    values = np.asarray(ctx.column(params.of), dtype=np.float64)
    groups = np.asarray(ctx.categories, dtype=object)
    return rank_percentile(values, RankScore(within=params.within), params.better, groups)


METRIC = Metric(
    name="rank",
    params=RankParams,
    compute=compute,
    inputs=lambda p: [p.of],
    description="Percentile (0-100) of a fact or indicator within the category or all units",
    params_zh={"of": "要排名的事实或指标", "within": "在本类别内（category）还是全部单位中（all）排名",
               "better": "数值越高越好（higher）还是越低越好（lower）"},
    description_zh="某事实或指标在类别内（或全体）的百分位（0–100）",
)
