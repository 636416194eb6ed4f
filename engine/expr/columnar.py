"""Columnar evaluation: one pass over the tree, whole numpy arrays at once.

Numbers are float64 with ``nan`` as missing; strings are object arrays with
``None`` as missing; truth values are 1.0 / 0.0 and never missing (a
comparison with a missing value is false, docs/ruleset.md, "Expressions").  Any arithmetic result
that is not finite (division by zero, overflow) becomes missing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from kaohe.engine.expr.functions import FUNCTIONS
from kaohe.engine.expr.nodes import (
    BinOp,
    BoolOp,
    Call,
    Compare,
    IfExp,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
)

Env = Mapping[str, np.ndarray]

_OVERFLOWS: ContextVar[list[np.ndarray] | None] = ContextVar("kaohe_overflows", default=None)


@contextmanager
def watch_overflow() -> Iterator[list[np.ndarray]]:
    """Collect, while inside, a mask of the rows where arithmetic on finite numbers overflowed
    (the value is still missing; a caller may prefer to report the rows)."""
    masks: list[np.ndarray] = []
    token = _OVERFLOWS.set(masks)
    try:
        yield masks
    finally:
        _OVERFLOWS.reset(token)


def evaluate(node: Node, env: Env) -> np.ndarray:
    """The value of ``node`` for every row of ``env`` (may be 0-d when constant)."""
    if isinstance(node, Num):
        return np.asarray(node.value, dtype=np.float64)
    if isinstance(node, Str):
        return np.asarray(node.value, dtype=object)
    if isinstance(node, Name):
        return np.asarray(env[node.id])
    if isinstance(node, Neg):
        return _finite(-_numbers(evaluate(node.operand, env)))
    if isinstance(node, BinOp):
        return _arith(node.op, evaluate(node.left, env), evaluate(node.right, env))
    if isinstance(node, Compare):
        return _compare_chain(node, env)
    if isinstance(node, BoolOp):
        truths = [truthy(evaluate(v, env)) for v in node.values]
        combine = np.logical_and if node.op == "and" else np.logical_or
        combined = functools.reduce(combine, truths)
        return np.asarray(combined, dtype=np.float64)
    if isinstance(node, Not):
        return (~truthy(evaluate(node.operand, env))).astype(np.float64)
    if isinstance(node, IfExp):
        test = truthy(evaluate(node.test, env))
        body, orelse = evaluate(node.body, env), evaluate(node.orelse, env)
        if body.dtype == object or orelse.dtype == object:
            return np.where(test, body.astype(object), orelse.astype(object))
        return np.where(test, body, orelse)
    if isinstance(node, Call):
        args = [_numbers(evaluate(a, env)) for a in node.args]
        with np.errstate(all="ignore"):
            return _finite(np.asarray(FUNCTIONS[node.func].columnar(args), dtype=np.float64))
    raise TypeError(f"unknown node {node!r}")


def truthy(x: np.ndarray) -> np.ndarray:
    """Boolean mask: non-zero, non-missing numbers; non-empty strings."""
    if x.dtype == object:
        return np.asarray(np.vectorize(lambda v: bool(v) and v is not None, otypes=[bool])(x))
    return np.asarray((x != 0) & ~np.isnan(x))


def _numbers(x: np.ndarray) -> np.ndarray:
    if x.dtype == object:  # a string used as a number is missing
        return np.full(x.shape, np.nan)
    return x.astype(np.float64, copy=False)


def _finite(x: np.ndarray) -> np.ndarray:
    if x.ndim == 0:
        return x if np.isfinite(x) else np.asarray(np.nan)
    out = np.array(x, dtype=np.float64)
    out[~np.isfinite(out)] = np.nan
    return out


def _arith(op: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    a, b = _numbers(left), _numbers(right)
    with np.errstate(all="ignore"):
        if op == "+":
            out = a + b
        elif op == "-":
            out = a - b
        elif op == "*":
            out = a * b
        elif op == "/":
            out = np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        else:
            out = np.where(np.isnan(a) | np.isnan(b), np.nan, np.power(a, b))
        sink = _OVERFLOWS.get()
        if sink is not None:
            over = np.isinf(out) & np.isfinite(a) & np.isfinite(b)
            if op == "**":
                over &= a != 0  # 0 ** -1 is a division by zero, not an overflow
            if np.any(over):
                sink.append(np.asarray(over))
    return _finite(np.asarray(out, dtype=np.float64))


def _compare_chain(node: Compare, env: Env) -> np.ndarray:
    values = [evaluate(o, env) for o in node.operands]
    result: np.ndarray | None = None
    for op, left, right in zip(node.ops, values, values[1:], strict=False):
        part = compare(op, left, right)
        result = part if result is None else result & part
    assert result is not None
    return result.astype(np.float64)


def compare(op: str, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Elementwise comparison; false wherever either side is missing or the types differ."""
    if (left.dtype == object) != (right.dtype == object):
        return np.zeros(np.broadcast(left, right).shape, dtype=bool)
    if left.dtype == object:
        present = _not_none(left) & _not_none(right)
        if op not in ("==", "!="):
            return np.zeros(present.shape, dtype=bool)
        eq = np.asarray(left == right, dtype=bool)
        return np.asarray(present & (eq if op == "==" else ~eq))
    present = ~np.isnan(left) & ~np.isnan(right)
    with np.errstate(invalid="ignore"):
        raw = {
            "==": np.equal, "!=": np.not_equal, "<": np.less,
            "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        }[op](left, right)
    raw = np.asarray(raw)
    return np.asarray(present & raw)


def _not_none(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.vectorize(lambda v: v is not None, otypes=[bool])(x))
