"""The plugin boundary of a run: what a metric may see, and what it may return.

A plugin gets read-only views of the run's columns (a write fails in the
plugin, naming it, instead of changing the facts later formulas read and the
run stores), and its result is checked before anything uses it: one finite
number per unit (``nan`` = missing).  Every failure is one :class:`RunError`
naming the plugin, the indicator and what went wrong.
"""

from __future__ import annotations

import decimal
import numbers
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import numpy as np

from kaohe.engine.errors import Hint, KaoheError, Location, Problem, RunError
from kaohe.engine.i18n import Message, register
from kaohe.engine.plugins import FloatArray, Metric, MetricContext, describe_exception

register(
    {
        "run.plugin_failed": (
            "指标 `{indicator}` 的插件 `{metric}` 运行失败：{error}",
            "plugin `{metric}` failed for indicator `{indicator}`: {error}",
        ),
        "run.plugin_bad_result": (
            "指标 `{indicator}` 的插件 `{metric}` 返回了{what}；应为每个单位一个有限数值（共 {n} 个，缺失值用 nan）",
            "plugin `{metric}` returned {what} for indicator `{indicator}`; "
            "expected one finite number per unit ({n} in all, nan for a missing value)",
        ),
        "plugin.result.shape": ("形状为 {shape} 的结果", "a result of shape {shape}"),
        "plugin.result.type": ("{type} 类型的值 {value}", "a value of type {type}: {value}"),
        "plugin.result.ragged": ("长短不一的嵌套序列", "a ragged nested sequence"),
        "plugin.result.text": ("文本 {value}（单位 {unit}）", "the text {value} (unit {unit})"),
        "plugin.result.item": ("{type} 类型的值 {value}（单位 {unit}）", "a value of type {type}: {value} (unit {unit})"),
        "plugin.result.infinite": ("非有限值 {value}（单位 {units}）", "the non-finite value {value} (units {units})"),
        "hint.plugin_read_only": (
            "插件拿到的数据是只读的；需要修改时先复制：np.array(ctx.column(name))",
            "plugins receive read-only arrays; copy before changing values: np.array(ctx.column(name))",
        ),
    }
)


class BadResult(Exception):
    """A plugin's result that is not one finite number per unit; ``what`` says what it was."""

    def __init__(self, what: Message):
        super().__init__(what.render("en"))
        self.what = what


def read_only_context(
    units: Sequence[str],
    categories: Sequence[object],
    columns: Mapping[str, np.ndarray],
    period: str,
    parents: Sequence[str | None] = (),
    history: Mapping[str, Mapping[str, Mapping[str, float]]] | None = None,
) -> MetricContext:
    """A :class:`MetricContext` whose arrays and mappings cannot be written through."""
    frozen = MappingProxyType({name: read_only(col) for name, col in columns.items()})
    past = MappingProxyType({
        period_: MappingProxyType({unit: MappingProxyType(dict(values)) for unit, values in by_unit.items()})
        for period_, by_unit in (history or {}).items()
    })
    return MetricContext(
        units=tuple(units),
        categories=read_only(np.asarray(categories, dtype=object)),
        columns=frozen,
        period=period,
        parents=tuple(parents),
        history=past,
    )


def read_only(col: np.ndarray) -> np.ndarray:
    """A view of ``col`` that cannot be written through."""
    view = col.view()
    view.flags.writeable = False
    return view


def call_metric(metric: Metric[Any], ctx: MetricContext, params: Any, indicator: str,
                where: Location | None) -> FloatArray:
    """Run one plugin metric; its result checked, every failure one :class:`RunError`."""
    with plugin_boundary(metric, indicator, where):
        result = metric.compute(ctx, params)
    try:
        return check_result(result, ctx.units)
    except BadResult as e:
        raise RunError(Problem("run.plugin_bad_result", {"metric": metric.name, "indicator": indicator,
                                                         "what": e.what, "n": len(ctx.units)}, where)) from None


@contextmanager
def plugin_boundary(metric: Metric[Any], indicator: str, where: Location | None) -> Iterator[None]:
    """Plugin code runs inside: its exceptions become one :class:`RunError` naming it and the indicator.

    A :class:`KaoheError` the plugin raised itself is passed on as it is.
    """
    try:
        yield
    except KaoheError:
        raise
    except Exception as e:  # a plugin's own bug must fail the run cleanly, naming it
        read_only_write = isinstance(e, ValueError) and "read-only" in str(e)
        raise RunError(Problem("run.plugin_failed",
                               {"metric": metric.name, "indicator": indicator, "error": describe_exception(e)},
                               where, Hint("hint.plugin_read_only") if read_only_write else None)) from e


def check_result(result: object, units: Sequence[str]) -> FloatArray:
    """``result`` as float64, one value per unit, or :class:`BadResult` saying what it was.

    Accepted: a sequence or array of real numbers (``None``/``nan`` = missing).
    Refused: text (also numeric text such as ``"12"``), booleans, other types,
    a shape other than ``(len(units),)`` and infinite values.
    """
    n = len(units)
    if result is None or isinstance(result, str | bytes | Mapping):
        raise BadResult(Message("plugin.result.type", {"type": type(result).__name__, "value": _short(result)}))
    try:
        arr = np.asarray(result)
    except ValueError:
        raise BadResult(Message("plugin.result.ragged")) from None
    if arr.shape != (n,):
        raise BadResult(Message("plugin.result.shape", {"shape": str(arr.shape)}))
    if arr.dtype.kind in "iuf":
        out = arr.astype(np.float64)
    else:
        # each item as the plugin gave it (numpy would have turned [1.0, "7"] into two strings)
        items = list(result) if not isinstance(result, np.ndarray) else arr.tolist()  # type: ignore[call-overload]
        out = np.array([_number(v, units[i]) for i, v in enumerate(items)], dtype=np.float64)
    infinite = np.flatnonzero(np.isinf(out))
    if len(infinite):
        shown = ", ".join(units[i] for i in infinite[:5]) + (" …" if len(infinite) > 5 else "")
        raise BadResult(Message("plugin.result.infinite", {"value": str(out[infinite[0]]), "units": shown}))
    return out


def _number(value: object, unit: str) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real | decimal.Decimal):
        raise BadResult(_item(value, unit))
    return float(value)


def _item(value: object, unit: str) -> Message:
    if isinstance(value, str | bytes | np.str_):
        return Message("plugin.result.text", {"value": repr(str(value) if not isinstance(value, bytes) else value),
                                              "unit": unit})
    return Message("plugin.result.item", {"type": type(value).__name__, "value": _short(value), "unit": unit})


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
