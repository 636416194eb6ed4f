"""k-means with a fixed seed, and silhouette widths.

Pure numeric functions (numpy + scipy's ``cdist``), no project imports.
Implemented here instead of depending on scikit-learn: the two algorithms are
short, a ~40 MB dependency for them is not worth it, and owning the code
keeps results reproducible across library versions (same seed, same labels).

k-means: Lloyd's algorithm from k-means++ seeds (Arthur & Vassilvitskii 2007),
best of ``n_init`` starts by within-cluster sum of squares.  Silhouette:
Rousseeuw, P. J. (1987), "Silhouettes: a graphical aid to the interpretation
and validation of cluster analysis", J. Comput. Appl. Math. 20, 53–65.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial.distance import cdist

__all__ = ["KMeansResult", "best_k", "kmeans", "silhouette_samples", "standardise"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class KMeansResult:
    """Labels ``0..k-1`` (ordered by centroid, see :func:`kmeans`), centroids and WCSS."""

    labels: IntArray
    centroids: FloatArray
    inertia: float


def standardise(x: npt.ArrayLike) -> FloatArray:
    """Columns to mean 0, standard deviation 1 (population sd); constant columns become 0."""
    a = np.asarray(x, dtype=np.float64)
    sd = a.std(axis=0)
    return np.asarray((a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0), dtype=np.float64)


def _plus_plus(x: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    centres = [x[rng.integers(len(x))]]
    d2 = ((x - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        total = d2.sum()
        idx = int(rng.integers(len(x))) if total <= 0 else int(rng.choice(len(x), p=d2 / total))
        centres.append(x[idx])
        d2 = np.minimum(d2, ((x - x[idx]) ** 2).sum(axis=1))
    return np.array(centres)


def _lloyd(x: FloatArray, centres: FloatArray, max_iter: int) -> tuple[IntArray, FloatArray, float]:
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(max_iter):
        d = cdist(x, centres, "sqeuclidean")
        new = np.argmin(d, axis=1).astype(np.int64)
        moved = centres.copy()
        for c in range(len(centres)):
            members = x[new == c]
            if len(members):
                moved[c] = members.mean(axis=0)
            else:  # an empty cluster takes the point farthest from its centre
                far = int(np.argmax(d[np.arange(len(x)), new]))
                moved[c] = x[far]
                new[far] = c
        converged = np.array_equal(new, labels) and np.allclose(moved, centres)
        labels, centres = new, moved
        if converged:
            break
    inertia = float(((x - centres[labels]) ** 2).sum())
    return labels, centres, inertia


def kmeans(x: npt.ArrayLike, k: int, *, seed: int = 0, n_init: int = 10, max_iter: int = 300) -> KMeansResult:
    """k-means of the rows of ``x``; the same seed always gives the same result.

    Labels are renumbered so that cluster 0 has the smallest centroid (compared
    by the sum of its coordinates, then lexicographically): labels then mean
    the same thing however the random starts fell.
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if not 1 <= k <= len(a):
        raise ValueError(f"k = {k} needs 1 <= k <= number of units ({len(a)})")
    rng = np.random.default_rng(seed)
    best: tuple[IntArray, FloatArray, float] | None = None
    for _ in range(n_init):
        result = _lloyd(a, _plus_plus(a, k, rng), max_iter)
        if best is None or result[2] < best[2] - 1e-12:
            best = result
    assert best is not None
    labels, centres, inertia = best
    order = sorted(range(k), key=lambda c: (round(float(centres[c].sum()), 9), tuple(centres[c])))
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    return KMeansResult(remap[labels], centres[order], inertia)


def silhouette_samples(x: npt.ArrayLike, labels: npt.ArrayLike, chunk: int = 2048) -> FloatArray:
    """Silhouette width ``s(i) = (b - a) / max(a, b)`` of every row (Euclidean distance).

    ``a`` is the mean distance to the other members of the row's cluster, ``b`` the
    smallest mean distance to another cluster; a row alone in its cluster gets 0
    (Rousseeuw 1987).  Distances are computed in chunks, so memory stays ``chunk × n``.
    """
    a_ = np.asarray(x, dtype=np.float64)
    if a_.ndim == 1:
        a_ = a_[:, None]
    lab = np.asarray(labels)
    _, inv = np.unique(lab, return_inverse=True)
    k = int(inv.max()) + 1
    onehot = np.zeros((len(a_), k))
    onehot[np.arange(len(a_)), inv] = 1.0
    sizes = onehot.sum(axis=0)
    out = np.zeros(len(a_))
    for start in range(0, len(a_), chunk):
        rows = slice(start, start + chunk)
        sums = cdist(a_[rows], a_) @ onehot  # distance sums to each cluster
        own = inv[rows]
        own_size = sizes[own]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = sums[np.arange(len(own)), own] / (own_size - 1)
            means = sums / sizes
        means[np.arange(len(own)), own] = np.inf
        b = means.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        s[own_size <= 1] = 0.0
        out[rows] = np.nan_to_num(s, nan=0.0)
    return out


def best_k(x: npt.ArrayLike, k_min: int, k_max: int, *, seed: int = 0) -> tuple[int, dict[int, float]]:
    """The k in ``[k_min, k_max]`` with the highest mean silhouette width, and every k's width."""
    a = np.asarray(x, dtype=np.float64)
    widths: dict[int, float] = {}
    for k in range(max(2, k_min), min(k_max, len(a) - 1) + 1):
        labels = kmeans(a, k, seed=seed).labels
        widths[k] = float(silhouette_samples(a, labels).mean())
    if not widths:
        return 1, widths
    return max(widths, key=lambda k: (widths[k], -k)), widths
