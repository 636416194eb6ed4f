"""Which units the rule engine needs to see, and the records it sees.

durable_rules decides which rules fire, one asserted fact per unit.  The
columnar evaluator computes the same conditions on whole arrays (a property
test, tests/test_rules.py, checks that the engine fires exactly where the
columnar evaluator says a condition is true), so a unit for which no
condition is true columnar cannot fire anything: only the other units —
usually a few percent — are built into records and asserted.  The engine
still decides for each of them.  Records hold only the names rules read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kaohe.engine.expr.columnar import truthy
from kaohe.engine.results import LIGHTS, IndicatorColumns
from kaohe.engine.rules import CompiledRules

PreviousValues = Mapping[str, Mapping[str, float | str | None]]
Record = dict[str, float | str | None]


def rule_columns(
    names: Sequence[str],
    types: Mapping[str, str],
    units: Sequence[str],
    env: Mapping[str, np.ndarray],
    columns: Mapping[str, IndicatorColumns],
    base: np.ndarray,
    previous: PreviousValues,
) -> dict[str, np.ndarray]:
    """Each name a rule reads as a column: numbers float (NaN missing), text object (None missing)."""
    light_names = np.asarray(LIGHTS, dtype=object)
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name.startswith("previous."):
            key = name[len("previous."):]
            values = [previous.get(u, {}).get(key) for u in units] if previous else [None] * len(units)
            if types.get(name) == "string" or any(isinstance(v, str) for v in values):
                out[name] = np.asarray(values, dtype=object)
            else:
                out[name] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
        elif name.startswith("score."):
            out[name] = columns[name[len("score."):]].score
        elif name.startswith("light."):
            out[name] = light_names[columns[name[len("light."):]].light]
        elif name == "base_score":
            out[name] = base
        else:
            out[name] = env[name]
    return out


def candidates(rules: CompiledRules, cols: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Rows where at least one condition is true (columnar)."""
    hit = np.zeros(n, dtype=bool)
    for rule in rules.rules:
        hit |= np.broadcast_to(truthy(np.asarray(rule.expression.evaluate(cols))), (n,))
    return hit


def records(units: Sequence[str], cols: Mapping[str, np.ndarray], rows: np.ndarray) -> list[Record]:
    """One record per selected row: ``unit`` and each name (missing as None)."""
    picked = {}
    for name, col in cols.items():
        part = col[rows]
        if part.dtype == object:
            picked[name] = part.tolist()
        else:
            obj = part.astype(object)
            obj[np.isnan(part)] = None
            picked[name] = obj.tolist()
    out: list[Record] = []
    for j, i in enumerate(rows.tolist()):
        rec: Record = {"unit": units[i]}
        for name, values in picked.items():
            rec[name] = values[j]
        out.append(rec)
    return out
