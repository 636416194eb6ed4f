"""Rounding that agrees with a person computing by hand (docs/ruleset.md, "Numbers").

A value is rounded as the decimal a person would write for it (its shortest
round-trip form: ``1.005``, not the binary 1.00499999999999989…), half away
from zero.  Two promises follow, and the property tests hold us to them:

- a value already exact at the precision never changes (``50000`` stays
  ``50000``, ``0.3`` stays ``0.3``), and
- float noise goes away (``59.99999999999999`` at 10 decimals is ``60``).

How, without a ``Decimal`` per element: ``x · 10^p`` is within about two
units in the last place of the exact decimal product, so rounding it is only
in doubt when it lies that close to a half.  Those few elements are rounded
with :class:`decimal.Decimal` on their shortest repr; the rest by ``floor(s + ½)``.
The integer result divided by ``10^p`` (exact for p ≤ 22) is the double nearest
to the rounded decimal, which is the value itself when it was exact already.
Values whose scaled magnitude reaches 2^52 have no binary digits below
``10^-p`` left to remove and are kept as they are.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from kaohe.engine.results import FloatArray

_WHOLE = 2.0**52  # from here on a double has no fractional bits
_DOUBT = 4.0  # units in the last place within which a half is decided on the decimal


def round_to(values: FloatArray, precision: int | float | np.ndarray) -> FloatArray:
    """Round to ``precision`` decimals (a number, or one per element; negative rounds to
    tens, hundreds …), half away from zero.

    NaN and infinities stay as they are (a missing precision gives NaN);
    ``-0.0`` becomes ``0.0`` so output is byte-identical.
    """
    values, digits = np.broadcast_arrays(np.asarray(values, dtype=np.float64),
                                         np.asarray(precision, dtype=np.float64))
    with np.errstate(all="ignore"):
        up = np.power(10.0, np.maximum(digits, 0.0))
        down = np.power(10.0, np.maximum(-digits, 0.0))
        scaled = np.abs(values) * up / down
        whole = np.floor(scaled)
        fraction = scaled - whole
        out: FloatArray = np.sign(values) * (whole + (fraction >= 0.5)) * down / up
        doubtful = np.abs(fraction - 0.5) <= _DOUBT * np.spacing(scaled)
        kept = ~(scaled < _WHOLE) | (np.abs(digits) > 22)
    out = np.where(kept, values, out)
    out = np.where(np.isnan(digits), np.nan, out)
    for i in np.flatnonzero(doubtful & ~kept):
        out.flat[i] = _decimal_round(float(values.flat[i]), int(digits.flat[i]))
    return out + 0.0  # turn -0.0 into 0.0


def _decimal_round(value: float, precision: int) -> float:
    """Round the shortest decimal form of ``value`` (``repr``) half away from zero."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP))


def round_scalar(value: float, precision: int) -> float:
    """Scalar form of :func:`round_to`."""
    return float(round_to(np.array([value], dtype=np.float64), precision)[0])
