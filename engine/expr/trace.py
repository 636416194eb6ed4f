"""Row-wise evaluation of one unit's values, and the canonical text of an expression.

Walks the same tree as :mod:`kaohe.engine.expr.columnar` with plain Python
values (``None`` = missing); the rule engine adapter computes its derived
fields with it.  The property tests check the two evaluators agree.
:func:`render` writes an expression back as text, with values put in when
given (``closed / received`` → ``95 / 100``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

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

Value = float | str | None
RowEnv = Mapping[str, Value]


def render(node: Node, values: RowEnv | None = None) -> str:
    """Canonical text of ``node``; with ``values``, names are replaced by their values."""
    if isinstance(node, Num):
        return format_value(node.value)
    if isinstance(node, Str):
        return repr(node.value)
    if isinstance(node, Name):
        if values is None:
            return node.id
        return format_value(values.get(node.id))
    if isinstance(node, Neg):
        return f"-{_wrap(node.operand, values)}"
    if isinstance(node, BinOp):
        left = _wrap(node.left, values)
        if node.op == "**" and left.startswith("-"):
            left = f"({left})"  # -x ** y would read as -(x ** y)
        return f"{left} {node.op} {_wrap(node.right, values)}"
    if isinstance(node, Compare):
        parts = [_wrap(node.operands[0], values)]
        for op, operand in zip(node.ops, node.operands[1:], strict=False):
            parts += [op, _wrap(operand, values)]
        return " ".join(parts)
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_wrap(v, values) for v in node.values)
    if isinstance(node, Not):
        return f"not {_wrap(node.operand, values)}"
    if isinstance(node, IfExp):
        return (f"{_wrap(node.body, values)} if {_wrap(node.test, values)} "
                f"else {_wrap(node.orelse, values)}")
    if isinstance(node, Call):
        return f"{node.func}({', '.join(render(a, values) for a in node.args)})"
    raise TypeError(f"unknown node {node!r}")


def _wrap(node: Node, values: RowEnv | None) -> str:
    text = render(node, values)
    return f"({text})" if isinstance(node, BinOp | Compare | BoolOp | IfExp | Not) else text


def format_value(v: Value) -> str:
    """How a value is shown in a trace: missing as ``∅``, integers without ``.0``."""
    if v is None:
        return "∅"
    if isinstance(v, str):
        return repr(v)
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def evaluate_value(node: Node, env: RowEnv) -> Value:
    """The value of ``node`` for one row (``None`` = missing)."""
    return _RowEvaluator(env).eval(node)


class _RowEvaluator:
    def __init__(self, env: RowEnv):
        self.env = env

    def eval(self, node: Node) -> Value:
        return self._eval(node)

    def _eval(self, node: Node) -> Value:
        if isinstance(node, Num | Str):
            return node.value
        if isinstance(node, Name):
            v = self.env.get(node.id)
            if isinstance(v, float) and math.isnan(v):
                return None
            return v
        if isinstance(node, Neg):
            return _finite(_negate(_number(self.eval(node.operand))))
        if isinstance(node, BinOp):
            return arith(node.op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, Compare):
            values = [self.eval(o) for o in node.operands]
            ok = all(compare(op, a, b) for op, a, b in zip(node.ops, values, values[1:], strict=False))
            return 1.0 if ok else 0.0
        if isinstance(node, BoolOp):
            truths = [truthy(self.eval(v)) for v in node.values]
            return 1.0 if (all(truths) if node.op == "and" else any(truths)) else 0.0
        if isinstance(node, Not):
            return 0.0 if truthy(self.eval(node.operand)) else 1.0
        if isinstance(node, IfExp):
            test = truthy(self.eval(node.test))
            body, orelse = self.eval(node.body), self.eval(node.orelse)
            return body if test else orelse
        if isinstance(node, Call):
            args = [_number(self.eval(a)) for a in node.args]
            return _finite(FUNCTIONS[node.func].scalar(args))
        raise TypeError(f"unknown node {node!r}")


def _negate(x: float | None) -> float | None:
    return None if x is None else -x


def _number(v: Value) -> float | None:
    return None if v is None or isinstance(v, str) else float(v)


def _finite(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def truthy(v: Value) -> bool:
    """Non-zero, non-missing numbers and non-empty strings are true."""
    if v is None:
        return False
    if isinstance(v, str):
        return v != ""
    return v != 0


def arith(op: str, left: Value, right: Value) -> float | None:
    """``left op right`` with missing-value semantics (``None`` in, ``None`` out)."""
    a, b = _number(left), _number(right)
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return _finite(a + b)
        if op == "-":
            return _finite(a - b)
        if op == "*":
            return _finite(a * b)
        if op == "/":
            return None if b == 0 else _finite(a / b)
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return None
    if isinstance(result, complex):
        return None
    return _finite(result)


def compare(op: str, left: Value, right: Value) -> bool:
    """A comparison; false when either side is missing or the types differ."""
    if left is None or right is None:
        return False
    if isinstance(left, str) != isinstance(right, str):
        return False
    if isinstance(left, str) and op not in ("==", "!="):
        return False
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    a, b = float(left), float(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
