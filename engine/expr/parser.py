"""Text -> expression tree, through Python's ``ast`` and a strict whitelist.

Only the node types docs/ruleset.md ("Expressions") allows are accepted; anything else (attribute
access outside ``score.`` / ``light.`` / ``previous.``, subscripts, lambdas,
keyword arguments, ``__import__`` ...) is an :class:`ExpressionError` that
points at the offending character.  Nothing is ever evaluated here.
"""

from __future__ import annotations

import ast
import math
import warnings
from typing import Literal

from kaohe.engine.errors import Hint, Problem, RulesetError
from kaohe.engine.expr.nodes import (
    BinOp,
    BinOperator,
    BoolOp,
    Call,
    CmpOperator,
    Compare,
    IfExp,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Str,
)
from kaohe.engine.i18n import register

NAMESPACES = ("score", "light", "previous")
MAX_LENGTH = 4000

register(
    {
        "expr.syntax": ("表达式语法错误：{detail}", "syntax error in expression: {detail}"),
        "expr.empty": ("表达式为空", "the expression is empty"),
        "expr.too_long": ("表达式过长（{length} 个字符，最多 {limit}）",
                          "expression too long ({length} characters, at most {limit})"),
        "expr.forbidden": ("表达式中不允许使用 {what}", "{what} is not allowed in an expression"),
        "expr.attribute": ("只能通过 score.、light.、previous. 访问属性，`{text}` 不允许",
                           "only score., light. and previous. may be used with a dot; `{text}` is not allowed"),
        "expr.call": ("只能调用函数表中的函数名，`{text}` 不允许",
                      "only functions from the function table may be called; `{text}` is not allowed"),
        "expr.keyword": ("函数 `{func}` 不接受关键字参数", "function `{func}` takes no keyword arguments"),
        "expr.constant": ("不支持的常量 `{text}`", "unsupported constant `{text}`"),
        "expr.dunder": ("名称 `{name}` 不允许（双下划线名称被禁止）",
                        "name `{name}` is not allowed (double-underscore names are forbidden)"),
        "hint.ascii_punctuation": ("请改用半角（英文）符号：{chars}", "use ASCII symbols instead: {chars}"),
        "hint.expr_forms": (
            "可用：数字、字符串、名称、+ - * / **、比较、and or not、x if 条件 else y、函数 {functions}",
            "allowed: numbers, strings, names, + - * / **, comparisons, and or not, "
            "x if c else y, functions {functions}",
        ),
    }
)


class ExpressionError(RulesetError):
    """An expression that cannot be parsed or is not allowed; ``offset`` is its 0-based column."""

    def __init__(self, problem: Problem, offset: int = 0):
        self.offset = offset
        super().__init__(problem)


_BINOPS: dict[type[ast.operator], BinOperator] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
}
_CMPOPS: dict[type[ast.cmpop], CmpOperator] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}
# what to type instead of each full-width or mathematical symbol
_FULLWIDTH = {"（": "(", "）": ")", "＋": "+", "－": "-", "＊": "*", "／": "/", "＞": ">", "＜": "<", "＝": "=",
              "，": ",", "。": ".", "“": '"', "”": '"', "‘": "'", "’": "'", "！": "!", "≥": ">=", "≤": "<=",
              "≠": "!=", "×": "*", "÷": "/"}


def parse(text: str, functions: frozenset[str]) -> Node:
    """Parse ``text`` into a tree; raise :class:`ExpressionError` for anything not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(Problem("expr.empty"))
    if len(text) > MAX_LENGTH:
        raise ExpressionError(Problem("expr.too_long", {"length": len(text), "limit": MAX_LENGTH}))
    source = text.strip()
    lead = len(text) - len(text.lstrip())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid decimal literal" SyntaxWarning
            tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        offset = _char_offset(source, e.lineno or 1, (e.offset or 1) - 1, byte_based=False)
        raise ExpressionError(
            Problem("expr.syntax", {"detail": e.msg}, hint=_syntax_hint(source, functions)),
            lead + offset,
        ) from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise ExpressionError(Problem("expr.syntax", {"detail": type(e).__name__}), lead) from None
    try:
        return _Converter(source, lead, functions).convert(tree.body)
    except RecursionError:
        raise ExpressionError(Problem("expr.syntax", {"detail": "nested too deeply"}), lead) from None


def _syntax_hint(source: str, functions: frozenset[str]) -> Hint:
    wide = sorted({c for c in source if c in _FULLWIDTH})
    if wide:
        return Hint("hint.ascii_punctuation", {"chars": ", ".join(f"{c} → {_FULLWIDTH[c]}" for c in wide)})
    return Hint("hint.expr_forms", {"functions": ", ".join(sorted(functions))})


def _char_offset(source: str, lineno: int, col: int, *, byte_based: bool = True) -> int:
    """0-based character offset of (1-based line, column) in ``source``."""
    lines = source.splitlines(keepends=True) or [""]
    lineno = max(1, min(lineno, len(lines)))
    before = sum(len(line) for line in lines[: lineno - 1])
    line = lines[lineno - 1]
    if byte_based:
        col = len(line.encode("utf-8")[: max(col, 0)].decode("utf-8", errors="ignore"))
    return before + max(0, min(col, len(line)))


class _Converter:
    """Walks a Python ``ast`` and builds our nodes, refusing everything else."""

    def __init__(self, source: str, lead: int, functions: frozenset[str]):
        self.source = source
        self.lead = lead
        self.functions = functions

    def offset(self, node: ast.AST) -> int:
        return self.lead + _char_offset(
            self.source, getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        )

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def fail(self, node: ast.AST, code: str, **params: object) -> ExpressionError:
        hint = Hint("hint.expr_forms", {"functions": ", ".join(sorted(self.functions))})
        return ExpressionError(Problem(code, dict(params), hint=hint), self.offset(node))

    def convert(self, node: ast.AST) -> Node:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, "expr.forbidden", what=f"`{self.segment(node)}`")
        result: Node = method(node)
        return result

    def _Constant(self, node: ast.Constant) -> Node:
        v = node.value
        if isinstance(v, bool):
            return Num(1.0 if v else 0.0, self.offset(node))
        if isinstance(v, int | float):
            try:
                number = float(v)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise self.fail(node, "expr.constant", text=self.segment(node))
            return Num(number, self.offset(node))
        if isinstance(v, str):
            return Str(v, self.offset(node))
        raise self.fail(node, "expr.constant", text=self.segment(node))

    def _Name(self, node: ast.Name) -> Node:
        if node.id.startswith("__"):
            raise self.fail(node, "expr.dunder", name=node.id)
        return Name(node.id, self.offset(node))

    def _Attribute(self, node: ast.Attribute) -> Node:
        parts: list[str] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name) or cur.id not in NAMESPACES:
            raise self.fail(node, "expr.attribute", text=self.segment(node))
        parts.append(cur.id)
        dotted = ".".join(reversed(parts))
        if any(p.startswith("__") for p in parts) or not _valid_namespace_path(dotted):
            raise self.fail(node, "expr.attribute", text=dotted)
        return Name(dotted, self.offset(node))

    def _UnaryOp(self, node: ast.UnaryOp) -> Node:
        operand = self.convert(node.operand)
        if isinstance(node.op, ast.USub):
            if isinstance(operand, Num):
                return Num(-operand.value, self.offset(node))
            return Neg(operand, self.offset(node))
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return Not(operand, self.offset(node))
        raise self.fail(node, "expr.forbidden", what=f"`{self.segment(node)}`")

    def _BinOp(self, node: ast.BinOp) -> Node:
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(node, "expr.forbidden", what=f"`{self.segment(node)}`")
        return BinOp(op, self.convert(node.left), self.convert(node.right), self.offset(node))

    def _BoolOp(self, node: ast.BoolOp) -> Node:
        op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(self.convert(v) for v in node.values), self.offset(node))

    def _Compare(self, node: ast.Compare) -> Node:
        ops: list[CmpOperator] = []
        for o in node.ops:
            cmp = _CMPOPS.get(type(o))
            if cmp is None:
                raise self.fail(node, "expr.forbidden", what=f"`{self.segment(node)}`")
            ops.append(cmp)
        operands = (self.convert(node.left), *(self.convert(c) for c in node.comparators))
        return Compare(tuple(ops), operands, self.offset(node))

    def _IfExp(self, node: ast.IfExp) -> Node:
        return IfExp(
            self.convert(node.test), self.convert(node.body), self.convert(node.orelse),
            self.offset(node),
        )

    def _Call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name) or node.func.id not in self.functions:
            raise self.fail(node, "expr.call", text=self.segment(node.func))
        if node.keywords:
            raise self.fail(node, "expr.keyword", func=node.func.id)
        args = tuple(self.convert(a) for a in node.args)
        return Call(node.func.id, args, self.offset(node))


def _valid_namespace_path(dotted: str) -> bool:
    parts = dotted.split(".")
    if parts[0] in ("score", "light"):
        return len(parts) == 2
    # previous.x / previous.score / previous.grade / previous.light.x / previous.score.x
    return len(parts) == 2 or (len(parts) == 3 and parts[1] in ("score", "light"))
