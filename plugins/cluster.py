"""``metric: cluster`` — groups units by their indicator profile (k-means).

``with: {of: [doctors, visits, cost_per_visit], k: 3}`` or, to let the data
choose, ``with: {of: [...], k_range: [2, 6]}`` (the k with the highest mean
silhouette width).  Inputs are standardised (mean 0, sd 1) unless
``standardise: false``, so a column in yuan does not outweigh one in ratios.
The value is the cluster number 1..k; clusters are numbered by their centroid
(cluster 1 has the lowest standardised profile), and a fixed ``seed`` makes
the grouping reproducible.  Units with a missing input get no value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kaohe.engine.plugins import FloatArray, Metric, MetricContext
from kaohe.plugins.cluster_core import best_k, kmeans, silhouette_samples, standardise


class ClusterParams(BaseModel):
    """Parameters of ``metric: cluster``."""

    model_config = ConfigDict(extra="forbid")
    of: list[str] = Field(min_length=1, description="facts or indicators that make up the profile")
    k: int | None = Field(default=None, ge=1, le=50, description="number of clusters; omit to choose by silhouette")
    k_range: tuple[int, int] = Field(default=(2, 6),
                                     description="[min, max] k tried when k is omitted (best mean silhouette)")
    seed: int = Field(default=0, description="random seed of the k-means++ starts (same seed, same clusters)")
    standardise: bool = Field(default=True, description="scale every input to mean 0, sd 1 first")
    n_init: int = Field(default=10, ge=1, le=100, description="number of random starts; the best is kept")

    @model_validator(mode="after")
    def _range(self) -> ClusterParams:
        lo, hi = self.k_range
        if lo < 2 or hi < lo:
            raise ValueError(f"k_range must be [min, max] with 2 <= min <= max (got [{lo}, {hi}])")
        return self


@dataclass(frozen=True)
class Clustering:
    """What :func:`clustering` found: labels (1..k, ``nan`` = left out), k, silhouettes."""

    labels: FloatArray
    k: int
    silhouette: FloatArray
    widths_by_k: dict[int, float]


def clustering(ctx: MetricContext, params: ClusterParams) -> Clustering:
    """Cluster the units with every input present; the details a report may show."""
    x = np.column_stack([ctx.column(name) for name in params.of]).astype(np.float64)
    ok = np.isfinite(x).all(axis=1)
    labels = np.full(len(ctx.units), np.nan)
    sil = np.full(len(ctx.units), np.nan)
    data = x[ok]
    if len(data) == 0:
        return Clustering(labels, 0, sil, {})
    if params.standardise:
        data = standardise(data)
    widths: dict[int, float] = {}
    if params.k is not None:
        k = min(params.k, len(data))
    else:
        k, widths = best_k(data, params.k_range[0], params.k_range[1], seed=params.seed)
    found = kmeans(data, k, seed=params.seed, n_init=params.n_init)
    labels[ok] = found.labels + 1
    if 1 < k < len(data):
        sil[ok] = silhouette_samples(data, found.labels)
    return Clustering(labels, k, sil, widths)


def compute(ctx: MetricContext, params: ClusterParams) -> FloatArray:
    """Cluster number 1..k of every unit."""
    return clustering(ctx, params).labels


METRIC = Metric(
    name="cluster",
    params=ClusterParams,
    compute=compute,
    inputs=lambda p: list(p.of),
    description="k-means cluster (1..k) of units by indicator profile; k given or chosen by silhouette",
    params_zh={"of": "构成特征的事实或指标", "k": "聚类个数；不写则按轮廓系数自动选择",
               "k_range": "不写 k 时尝试的 k 范围 [最小, 最大]（取平均轮廓系数最高者）",
               "seed": "k-means++ 初始点的随机种子（种子相同，分组相同）",
               "standardise": "先把每个输入标准化为均值 0、标准差 1", "n_init": "随机初始化次数，保留最好的一次"},
    description_zh="按指标特征对单位做 k 均值聚类（1..k）；k 可指定或按轮廓系数自动选择",
)
