"""``metric: per_judge`` — cases closed per judge, with an optional floor on headcount.

``with: {closed: closed, judges: judges, min_judges: 1}``.  A unit with fewer
than ``min_judges`` judges (or a missing value) gets no value.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kaohe import FloatArray, Metric, MetricContext

__all__ = ["PER_JUDGE", "PerJudgeParams", "per_judge"]


class PerJudgeParams(BaseModel):
    """Parameters of ``metric: per_judge`` (validated when the ruleset loads)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is a load error, not ignored
    closed: str = Field(default="closed", description="fact with the cases closed")
    judges: str = Field(default="judges", description="fact with the number of judges")
    min_judges: float = Field(default=1, gt=0, description="fewer judges than this gives no value")


def per_judge(ctx: MetricContext, params: PerJudgeParams) -> FloatArray:
    """One value per unit, aligned with ``ctx.units``; ``nan`` means missing."""
    closed = ctx.column(params.closed)
    judges = ctx.column(params.judges)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = closed / judges
    out[~(judges >= params.min_judges)] = np.nan
    return np.asarray(out, dtype=np.float64)


PER_JUDGE = Metric(
    name="per_judge",
    params=PerJudgeParams,
    compute=per_judge,
    inputs=lambda p: [p.closed, p.judges],  # checked against the ruleset's facts at load time
    description="Cases closed per judge",
    description_zh="人均结案数（结案数 / 员额法官数）",
)
