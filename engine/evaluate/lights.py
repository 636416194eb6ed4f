"""Traffic lights (亮灯预警): green, yellow, otherwise red; grey when there is no value."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kaohe.engine.expr import Expression
from kaohe.engine.results import FloatArray

NONE, GREEN, YELLOW, RED = 0, 1, 2, 3


def _holds(condition: Expression, values: FloatArray, scores: FloatArray) -> npt.NDArray[np.bool_]:
    result = np.asarray(condition.evaluate({"value": values, "score": scores}))
    return np.broadcast_to(result.astype(bool), values.shape)


def light_codes(
    values: FloatArray,
    scores: FloatArray,
    green: Expression | None,
    yellow: Expression | None,
) -> npt.NDArray[np.int8] | None:
    """Light code per unit; ``None`` when the indicator has no lights at all."""
    if green is None and yellow is None:
        return None
    codes = np.full(len(values), RED, dtype=np.int8)
    undecided = np.ones(len(values), dtype=bool)
    for cond, code in ((green, GREEN), (yellow, YELLOW)):
        if cond is None:
            continue
        hit = undecided & _holds(cond, values, scores)
        codes[hit] = code
        undecided &= ~hit
    codes[np.isnan(values)] = NONE
    return codes
