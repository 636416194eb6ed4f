"""Rounding that agrees with a person computing by hand (docs/ruleset.md, "Numbers")."""

from __future__ import annotations

import numpy as np

from kaohe.engine.results import FloatArray

_NUDGE = 8 * float(np.finfo(np.float64).eps)


def round_to(values: FloatArray, precision: int) -> FloatArray:
    """Round to ``precision`` decimals, half away from zero; NaN stays NaN.

    ``np.round`` rounds half to even on the binary value; appraisal offices
    round 0.5 up, so we shift by a half and truncate.  At the default 10
    decimals this only removes float noise (59.99999999999999 -> 60).
    """
    scale = 10.0**precision
    scaled = values * scale
    # A decimal like 1.005 is stored as 1.00499999999999989...; a person rounds the
    # decimal they wrote, so nudge by a few ulps before the half-up step.
    nudged = np.abs(scaled) * (1.0 + _NUDGE)
    out: FloatArray = np.sign(scaled) * np.floor(nudged + 0.5) / scale
    # Values too large to scale keep their own value (no precision to remove).
    big = ~np.isfinite(scaled) & np.isfinite(values)
    if big.any():
        out[big] = values[big]
    return out + 0.0  # turn -0.0 into 0.0 so output is byte-identical


def round_scalar(value: float, precision: int) -> float:
    """Scalar form of :func:`round_to`."""
    return float(round_to(np.array([value], dtype=np.float64), precision)[0])
