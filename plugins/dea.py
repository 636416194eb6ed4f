"""``metric: dea`` — data envelopment analysis efficiency (docs/plugins.md, "dea").

``with: {inputs: [judges], outputs: [closed], model: ccr | bcc,
orientation: input | output, super: false, within: all | category}``.
The value is the radial efficiency in (0, 1] (output orientation: 1/φ);
with ``super: true`` efficient units get their Andersen–Petersen score (> 1;
missing when the super-efficiency programme is infeasible, as can happen
under BCC).  Units with a missing or non-positive input are left out and get
no value.  The linear programmes are solved by scipy's HiGHS (plugins/dea_core.py).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kaohe.engine.plugins import FloatArray, Metric, MetricContext
from kaohe.plugins.dea_core import dea_efficiency


class DeaParams(BaseModel):
    """Parameters of ``metric: dea``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    inputs: list[str] = Field(min_length=1, description="facts or indicators used as inputs")
    outputs: list[str] = Field(min_length=1, description="facts or indicators used as outputs")
    model: Literal["ccr", "bcc"] = Field(
        default="ccr", description="ccr: constant returns to scale; bcc: variable returns to scale")
    orientation: Literal["input", "output"] = Field(
        default="input", description="input: shrink inputs (θ in (0, 1]); output: grow outputs (1/φ)")
    super_: bool = Field(default=False, alias="super", description="Andersen–Petersen super-efficiency")
    within: Literal["all", "category"] = Field(
        default="all", description="compare each unit with all units or only its own category")


def compute(ctx: MetricContext, params: DeaParams) -> FloatArray:
    """Efficiency of every unit against the reference set."""
    x = np.column_stack([ctx.column(name) for name in params.inputs]).astype(np.float64)
    y = np.column_stack([ctx.column(name) for name in params.outputs]).astype(np.float64)
    out = np.full(len(ctx.units), np.nan)
    groups = np.asarray(ctx.categories, dtype=object) if params.within == "category" else np.zeros(len(out))
    for key in sorted(set(groups.tolist()), key=str):
        idx = np.flatnonzero(groups == key)
        scores = dea_efficiency(x[idx], y[idx], model=params.model, orientation=params.orientation,
                                super=params.super_)
        out[idx] = np.where(np.isfinite(scores), scores, np.nan)
    return out


def _inputs(params: DeaParams) -> list[str]:
    return [*params.inputs, *params.outputs]


METRIC = Metric(
    name="dea",
    params=DeaParams,
    compute=compute,
    inputs=_inputs,
    description="DEA efficiency (CCR/BCC, input/output orientation, optional super-efficiency)",
    params_zh={"inputs": "作为投入的事实或指标", "outputs": "作为产出的事实或指标",
               "model": "ccr：规模报酬不变；bcc：规模报酬可变",
               "orientation": "input：投入导向（θ 在 (0, 1]）；output：产出导向（1/φ）",
               "super": "Andersen–Petersen 超效率（有效单位得分可大于 1）",
               "within": "与全部单位比较（all），还是只与本类别单位比较（category）"},
    description_zh="数据包络分析效率（CCR/BCC，投入/产出导向，可选超效率）",
)
