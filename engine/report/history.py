"""Earlier periods of a run's ruleset, read from the store for trends and lights history.

Uses the store's public reading methods (``earlier_runs``, ``load_units``):
for each earlier period the current run of the same ruleset family counts.
"""

from __future__ import annotations

from typing import Any

from kaohe.engine.results import UnitResult
from kaohe.engine.store import RunInfo, Store

MAX_PERIODS = 8
"""How many earlier periods a trend shows (plus the current one)."""


def load_history(store: Store, info: RunInfo, *, max_periods: int = MAX_PERIODS) -> dict[str, Any]:
    """``{"periods": [oldest..newest earlier period], "units": {period: {unit: UnitResult}}}``.

    Empty (no periods) when nothing earlier is stored.  Periods compare as
    text, which orders ``2025Q1 < 2025Q2 < 2026Q1`` and ``2025-01 < 2025-02``.
    """
    latest = store.earlier_runs(info.family or info.ruleset_id, info.period, max_periods)
    periods = list(latest)
    units: dict[str, dict[str, UnitResult]] = {}
    for period in periods:
        units[period] = {u.unit: u for u in store.load_units(latest[period].id)}
    return {"periods": periods, "units": units}


def unit_trend(unit: UnitResult, history: dict[str, Any], indicator_ids: list[str],
               current_period: str) -> dict[str, Any] | None:
    """One unit's values, scores, lights and grades over the earlier periods and the current one."""
    periods: list[str] = list(history.get("periods", []))
    if not periods:
        return None
    runs: list[UnitResult | None] = [history["units"][p].get(unit.unit) for p in periods]
    runs.append(unit)
    indicators: dict[str, dict[str, list[Any]]] = {}
    for iid in indicator_ids:
        results = [r.indicators.get(iid) if r is not None else None for r in runs]
        indicators[iid] = {
            "values": [x.value if x is not None else None for x in results],
            "scores": [x.score if x is not None else None for x in results],
            "lights": [x.light if x is not None else "none" for x in results],
        }
    return {
        "periods": [*periods, current_period],
        "score": [r.score if r is not None else None for r in runs],
        "grade": [r.grade if r is not None else None for r in runs],
        "indicators": indicators,
    }
