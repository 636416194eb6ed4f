"""Which units the rule engine needs to see, and the records it sees.

durable_rules decides which rules fire, one asserted fact per unit.  The
columnar evaluator computes the same conditions on whole arrays (a property
test, tests/test_rules.py, checks that the engine fires exactly where the
columnar evaluator says a condition is true), so a unit for which no
condition is true columnar cannot fire anything: only the other units —
usually a few percent — are built into records and asserted.  The engine
still decides for each of them.  Records hold only the names rules read.

Many candidates read the same values (a light colour, a yes/no fact, a score
on a coarse scale): what rules decide for a unit depends only on its record,
so units with equal records form one group (:func:`distinct`) and only one
record per group is asserted; every unit of the group gets the firings of
that record.  Equal means equal bit for bit (``-0.0`` is not ``0.0``; a
missing value is missing, whatever NaN), so the firings and the values they
report are exactly those of asserting every unit (property-tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaohe.engine.expr.columnar import truthy
from kaohe.engine.results import LIGHTS, IndicatorColumns, IntArray
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


def distinct(cols: Mapping[str, np.ndarray], rows: IntArray) -> tuple[IntArray, IntArray]:
    """Group ``rows`` by their record: each row's group, and each group's first row.

    Groups are numbered in the order of their first rows, so the result does
    not depend on how values sort.
    """
    key = np.zeros(len(rows), dtype=np.int64)
    for name in sorted(cols):
        codes, count = _codes(cols[name][rows])
        key = np.unique(key * count + codes, return_inverse=True)[1].reshape(-1)  # < len(rows)²: no overflow
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return renumber[group.reshape(-1)], rows[first[order]]


def _codes(values: np.ndarray) -> tuple[IntArray, int]:
    """Equal values (bit for bit; every missing value alike) get equal codes in ``0 .. count-1``."""
    if values.dtype != object:
        bits = np.where(np.isnan(values), np.nan, values).astype(np.float64).view(np.int64)
        _, codes = np.unique(bits, return_inverse=True)
        return codes.reshape(-1), int(codes.max(initial=-1)) + 1
    try:
        encoded = pa.array(values, type=pa.string()).dictionary_encode()  # text and None: pyarrow's hash
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        seen: dict[tuple[type, str], int] = {}
        mixed = [seen.setdefault((type(v), repr(v)), len(seen)) for v in values.tolist()]
        return np.asarray(mixed, dtype=np.int64), len(seen)
    size = len(encoded.dictionary)
    codes = pc.fill_null(encoded.indices, size).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, size + 1


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
