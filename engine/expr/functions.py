"""The fixed function table: ``min max abs round clip coalesce``.

Each function has a columnar form (numpy arrays, ``nan`` = missing) and a
scalar form (``None`` = missing) that must agree; the property tests in
``tests/test_expr.py`` check they do.  ``min``/``max``/``abs``/``round``/``clip``
are missing when any argument is missing; ``coalesce`` returns its first
argument that is not missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Function:
    """A callable of the expression language."""

    name: str
    min_args: int
    max_args: int | None
    columnar: Callable[[Sequence[np.ndarray]], np.ndarray]
    scalar: Callable[[Sequence[float | None]], float | None]


def _round_half_away(x: np.ndarray, digits: np.ndarray | float = 0.0) -> np.ndarray:
    # one rounding for formulas and results: the decimal a person wrote, half away from zero
    from kaohe.engine.evaluate.numbers import round_to

    return round_to(np.asarray(x, dtype=np.float64), digits)


def _round_scalar(x: float, digits: float = 0.0) -> float | None:
    out = float(_round_half_away(np.asarray(x, dtype=np.float64), float(digits)))
    return out if math.isfinite(out) else None


def _all_present(args: Sequence[float | None]) -> bool:
    return all(a is not None for a in args)


def _col_min(args: Sequence[np.ndarray]) -> np.ndarray:
    out = np.asarray(args[0], dtype=np.float64)
    for a in args[1:]:
        out = np.minimum(out, a)  # nan propagates: missing if any is missing
    return out


def _col_max(args: Sequence[np.ndarray]) -> np.ndarray:
    out = np.asarray(args[0], dtype=np.float64)
    for a in args[1:]:
        out = np.maximum(out, a)
    return out


def _col_round(args: Sequence[np.ndarray]) -> np.ndarray:
    digits = np.trunc(args[1]) if len(args) > 1 else 0.0
    return _round_half_away(np.asarray(args[0], dtype=np.float64), digits)


def _col_clip(args: Sequence[np.ndarray]) -> np.ndarray:
    x, lo, hi = (np.asarray(a, dtype=np.float64) for a in args)
    return np.minimum(np.maximum(x, lo), hi)


def _col_coalesce(args: Sequence[np.ndarray]) -> np.ndarray:
    out = np.array(np.broadcast_to(np.asarray(args[0], dtype=np.float64), np.shape(args[0])))
    for a in args[1:]:
        a = np.asarray(a, dtype=np.float64)
        out = np.where(np.isnan(out), a, out)
    return out


def _sc_min(args: Sequence[float | None]) -> float | None:
    return min(args) if _all_present(args) else None  # type: ignore[type-var]


def _sc_max(args: Sequence[float | None]) -> float | None:
    return max(args) if _all_present(args) else None  # type: ignore[type-var]


def _sc_abs(args: Sequence[float | None]) -> float | None:
    return abs(args[0]) if args[0] is not None else None


def _sc_round(args: Sequence[float | None]) -> float | None:
    if not _all_present(args):
        return None
    digits = math.trunc(args[1]) if len(args) > 1 else 0  # type: ignore[arg-type]
    return _round_scalar(args[0], digits)  # type: ignore[arg-type]


def _sc_clip(args: Sequence[float | None]) -> float | None:
    if not _all_present(args):
        return None
    x, lo, hi = args
    return min(max(x, lo), hi)  # type: ignore[type-var]


def _sc_coalesce(args: Sequence[float | None]) -> float | None:
    return next((a for a in args if a is not None), None)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("min", 2, None, _col_min, _sc_min),
        Function("max", 2, None, _col_max, _sc_max),
        Function("abs", 1, 1, lambda a: np.abs(a[0]), _sc_abs),
        Function("round", 1, 2, _col_round, _sc_round),
        Function("clip", 3, 3, _col_clip, _sc_clip),
        Function("coalesce", 1, None, _col_coalesce, _sc_coalesce),
    )
}
