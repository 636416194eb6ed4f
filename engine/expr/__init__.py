"""The expression language: a safe subset of Python expression syntax.

``compile_expression(text)`` parses once (never ``eval``) into an
:class:`Expression` that evaluates columnar over numpy arrays and row-wise
over one unit's values.  ``compile_condition`` also accepts the light shorthand
``">= 0.85"`` (meaning ``value >= 0.85``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from kaohe.engine.errors import Problem
from kaohe.engine.expr import columnar
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
from kaohe.engine.expr.parser import ExpressionError, parse
from kaohe.engine.expr.trace import RowEnv, Value, evaluate_value, render
from kaohe.engine.i18n import register

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "compile_condition",
    "compile_expression",
]

register(
    {
        "expr.arity": ("函数 `{func}` 需要 {expected} 个参数，实际给了 {got} 个",
                       "function `{func}` takes {expected} argument(s), got {got}"),
        "expr.want_number": ("`{text}` 是文本，这里需要数值", "`{text}` is text; a number is expected here"),
        "expr.want_string": ("`{text}` 是数值，这里需要文本（加引号）",
                             "`{text}` is a number; text (in quotes) is expected here"),
        "expr.string_order": ("文本只能用 == 或 != 比较：`{text}`",
                              "text can only be compared with == or !=: `{text}`"),
    }
)

_SHORTHAND = re.compile(r"^\s*(>=|<=|==|!=|>|<)")


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, tree, the names it reads and functions it calls."""

    text: str
    node: Node
    names: frozenset[str] = field(default_factory=frozenset)
    functions: frozenset[str] = field(default_factory=frozenset)

    def evaluate(self, env: Mapping[str, np.ndarray]) -> np.ndarray:
        """Columnar value over the arrays in ``env`` (numbers: nan = missing)."""
        return columnar.evaluate(self.node, env)

    def evaluate_row(self, env: RowEnv) -> Value:
        """Row-wise value for one unit's values (``None`` = missing)."""
        return evaluate_value(self.node, env)

    def render(self, values: RowEnv | None = None) -> str:
        """Canonical text; with ``values`` the names are replaced by their values."""
        return render(self.node, values)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    out = [node]
    children: tuple[Node, ...] = ()
    if isinstance(node, Neg | Not):
        children = (node.operand,)
    elif isinstance(node, BinOp):
        children = (node.left, node.right)
    elif isinstance(node, Compare):
        children = node.operands
    elif isinstance(node, BoolOp):
        children = node.values
    elif isinstance(node, IfExp):
        children = (node.test, node.body, node.orelse)
    elif isinstance(node, Call):
        children = node.args
    for child in children:
        out.extend(walk(child))
    return out


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Parse ``text``; raise :class:`ExpressionError` if it is not allowed."""
    node = parse(text, frozenset(FUNCTIONS))
    nodes = walk(node)
    for n in nodes:
        if isinstance(n, Call):
            _check_arity(n)
    names = frozenset(n.id for n in nodes if isinstance(n, Name))
    functions = frozenset(n.func for n in nodes if isinstance(n, Call))
    return Expression(text, node, names, functions)


def compile_condition(text: str, subject: str = "value") -> Expression:
    """Like :func:`compile_expression`, but ``">= 0.85"`` means ``subject >= 0.85``."""
    if isinstance(text, str) and _SHORTHAND.match(text):
        expr = compile_expression(f"{subject} {text.strip()}")
        return Expression(text, expr.node, expr.names, expr.functions)
    return compile_expression(text)


def _check_arity(call: Call) -> None:
    fn = FUNCTIONS[call.func]
    n = len(call.args)
    if n < fn.min_args or (fn.max_args is not None and n > fn.max_args):
        if fn.max_args is None:
            expected = f">= {fn.min_args}"
        elif fn.min_args == fn.max_args:
            expected = str(fn.min_args)
        else:
            expected = f"{fn.min_args}-{fn.max_args}"
        raise ExpressionError(
            Problem("expr.arity", {"func": call.func, "expected": expected, "got": n}), call.offset
        )


def infer_type(node: Node, types: Mapping[str, str]) -> str:
    """``"number"`` or ``"string"``; raise :class:`ExpressionError` on a type mismatch.

    ``types`` maps each name to its type; names not in it count as numbers
    (unknown names are reported separately, with suggestions).
    """
    if isinstance(node, Str):
        return "string"
    if isinstance(node, Num):
        return "number"
    if isinstance(node, Name):
        return types.get(node.id, "number")
    if isinstance(node, Neg | BinOp | Call):
        operands: tuple[Node, ...]
        if isinstance(node, Neg):
            operands = (node.operand,)
        elif isinstance(node, BinOp):
            operands = (node.left, node.right)
        else:
            operands = node.args
        for o in operands:
            _expect(o, "number", types)
        return "number"
    if isinstance(node, Compare):
        kinds = [infer_type(o, types) for o in node.operands]
        for op, (a, b), right in zip(node.ops, zip(kinds, kinds[1:], strict=False),
                                     node.operands[1:], strict=False):
            if a != b:
                _mismatch(right, b, a)
            if a == "string" and op not in ("==", "!="):
                raise ExpressionError(Problem("expr.string_order", {"text": render(node)}), node.offset)
        return "number"
    if isinstance(node, BoolOp | Not):
        for child in walk(node)[1:]:
            infer_type(child, types)
        return "number"
    if isinstance(node, IfExp):
        infer_type(node.test, types)
        body, orelse = infer_type(node.body, types), infer_type(node.orelse, types)
        if body != orelse:
            _mismatch(node.orelse, orelse, body)
        return body
    raise TypeError(f"unknown node {node!r}")


def _expect(node: Node, expected: str, types: Mapping[str, str]) -> None:
    got = infer_type(node, types)
    if got != expected:
        _mismatch(node, got, expected)


def _mismatch(node: Node, got: str, expected: str) -> None:
    code = "expr.want_number" if expected == "number" else "expr.want_string"
    raise ExpressionError(Problem(code, {"text": render(node)}), node.offset)
