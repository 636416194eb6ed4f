"""Correlation and regression diagnostics across a run's indicators (``kaohe analyze``).

For every pair of indicators (or every indicator against a ``target`` such as
群众满意度) over the units of one or several stored runs: Pearson r and
Spearman ρ with two-sided p-values (scipy.stats), the least-squares slope,
r², n, and an effect-size label after Cohen (1988, *Statistical Power
Analysis for the Behavioral Sciences*, 2nd ed.: |r| ≥ 0.1 small, ≥ 0.3
medium, ≥ 0.5 large).  Indicators that never differentiate units — the same
value or the same score for everyone, or a spread too small to matter — are
flagged: they carry weight in the total but do not rank anyone.  Plugin
metrics add their own tables (:func:`metric_tables`), e.g. how the ``rating``
metric corrected each ratee.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import stats

from kaohe.engine.i18n import Lang
from kaohe.engine.results import UnitResult

if TYPE_CHECKING:
    from kaohe.engine.store import Store

__all__ = ["Analysis", "Correlation", "Flag", "analyze", "analyze_runs", "effect_size", "metric_tables"]

MIN_N = 3
REL_TOL = 1e-6


@dataclass(frozen=True)
class Correlation:
    """How indicator ``b`` moves with indicator ``a`` over the units both have."""

    a: str
    b: str
    n: int
    pearson_r: float
    pearson_p: float
    spearman_rho: float
    spearman_p: float
    slope: float
    intercept: float
    r2: float
    effect: str


@dataclass(frozen=True)
class Flag:
    """An indicator that does not differentiate units, and why (a stable ``code``)."""

    indicator: str
    code: str
    detail: str


@dataclass
class Analysis:
    """The diagnostics of one analysis: which runs, how many rows, the pairs and the flags."""

    runs: list[str]
    rows: int
    indicators: list[str]
    target: str | None
    correlations: list[Correlation] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """A JSON-ready document (nan becomes null)."""
        def clean(d: dict[str, object]) -> dict[str, object]:
            return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}

        return {"runs": self.runs, "rows": self.rows, "indicators": self.indicators, "target": self.target,
                "correlations": [clean(asdict(c)) for c in self.correlations],
                "flags": [asdict(f) for f in self.flags]}


def effect_size(r: float) -> str:
    """Cohen's label for a correlation: negligible, small, medium or large."""
    a = abs(r)
    if not math.isfinite(a) or a < 0.1:
        return "negligible"
    return "small" if a < 0.3 else "medium" if a < 0.5 else "large"


def _columns(runs: Sequence[Sequence[UnitResult]]) -> tuple[list[str], dict[str, npt.NDArray[np.float64]],
                                                              dict[str, npt.NDArray[np.float64]]]:
    names: list[str] = []
    for units in runs:
        for u in units:
            names.extend(k for k in u.indicators if k not in names)
    rows = [u for units in runs for u in units]
    values, scores = {}, {}
    for name in names:
        v = [u.indicators[name].value if name in u.indicators else None for u in rows]
        s = [u.indicators[name].score if name in u.indicators else None for u in rows]
        values[name] = np.array([np.nan if x is None else x for x in v], dtype=np.float64)
        scores[name] = np.array([np.nan if x is None else x for x in s], dtype=np.float64)
    return names, values, scores


def _flag(name: str, v: npt.NDArray[np.float64], s: npt.NDArray[np.float64], rel_tol: float) -> Flag | None:
    ok = v[np.isfinite(v)]
    if len(ok) < MIN_N:
        return Flag(name, "too_few_values", f"{len(ok)} unit(s) have a value")
    if np.ptp(ok) == 0:
        return Flag(name, "constant", f"every unit has the value {ok[0]:g}")
    if ok.std() <= rel_tol * max(1.0, float(np.abs(ok).mean())):
        return Flag(name, "tiny_variance", f"standard deviation {ok.std():.3g}")
    sc = s[np.isfinite(s)]
    if len(sc) >= MIN_N and np.ptp(sc) == 0:
        return Flag(name, "same_score", f"every unit scores {sc[0]:g}")
    return None


def _pair(a: str, b: str, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> Correlation | None:
    ok = np.isfinite(x) & np.isfinite(y)
    n = int(ok.sum())
    if n < MIN_N or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on n == 3 and near-constant input
        pr = stats.pearsonr(x[ok], y[ok])
        sr = stats.spearmanr(x[ok], y[ok])
        lr = stats.linregress(x[ok], y[ok])
    r = float(pr.statistic)
    return Correlation(a, b, n, r, float(pr.pvalue), float(sr.statistic), float(sr.pvalue),
                       float(lr.slope), float(lr.intercept), r * r, effect_size(r))


def analyze(runs: Sequence[Sequence[UnitResult]], *, target: str | None = None, run_ids: Sequence[str] = (),
            rel_tol: float = REL_TOL) -> Analysis:
    """Diagnostics over the units of ``runs`` pooled (one row per unit and run).

    With ``target`` only pairs ``(target, other)`` are computed (regressing the
    other indicator on the target); otherwise every pair.  Pairs are sorted by
    |Pearson r|, strongest first.  Raises ``KeyError`` for an unknown target.
    """
    names, values, scores = _columns(runs)
    if target is not None and target not in values:
        raise KeyError(target)
    flags = [f for name in names if (f := _flag(name, values[name], scores[name], rel_tol))]
    flagged = {f.indicator for f in flags if f.code != "same_score"}
    usable = [n for n in names if n not in flagged]
    pairs = ([(target, n) for n in usable if n != target] if target is not None
             else [(a, b) for i, a in enumerate(usable) for b in usable[i + 1:]])
    found = [c for a, b in pairs if (c := _pair(a, b, values[a], values[b]))]
    found.sort(key=lambda c: (-abs(c.pearson_r), c.a, c.b))
    return Analysis(list(run_ids), sum(len(u) for u in runs), names, target, found, flags)


def analyze_runs(run_ids: Sequence[str], *, db: str | None = None, target: str | None = None) -> Analysis:
    """:func:`analyze` over stored runs (ids or unique prefixes), read with :class:`engine.store.Store`."""
    from kaohe.engine.store import Store

    store = Store(db)
    infos = [store.get_run(r) for r in run_ids]
    return analyze([store.load_units(i.id) for i in infos], target=target, run_ids=[i.id for i in infos])


def metric_tables(run_ids: Sequence[str], *, db: str | None = None, lang: Lang = "zh",
                  store: Store | None = None) -> list[dict[str, object]]:
    """What each plugin metric of the runs recorded, as tables (e.g. how ``rating`` corrected each ratee).

    Read from the stored runs alone (``Store.load_details``); each metric
    provides its own tables through its ``tables`` hook (a generic per-unit
    table otherwise).  One JSON-ready object per run and metric indicator:
    ``run``, ``indicator``, ``metric``, its ``warnings`` in ``lang`` and its
    ``tables`` (``id``, ``title``, ``columns`` as ``[{key, header}]``, ``rows``).
    ``store`` is an open store to use instead of opening ``db``.
    """
    from kaohe.engine.details import analysis_tables, warning_texts
    from kaohe.engine.store import Store

    store = store or Store(db)
    out: list[dict[str, object]] = []
    for run_id in run_ids:
        info = store.get_run(run_id)
        for indicator, rec in store.load_details(info.id).items():
            tables = [{"id": t.id, "title": t.title, "columns": [{"key": k, "header": h} for k, h in t.columns],
                       "rows": [dict(r) for r in t.rows]} for t in analysis_tables(rec, lang)]
            warnings = warning_texts(rec, lang)
            if tables or warnings:
                out.append({"run": info.id, "indicator": indicator, "metric": rec.metric, "warnings": warnings,
                            "tables": tables})
    return out
