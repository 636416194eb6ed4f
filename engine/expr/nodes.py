"""The parsed form of an expression: a small immutable tree.

The parser (``engine.expr.parser``) turns text into these nodes; the columnar
evaluator, the row-wise tracer and the rule compiler (``engine.rules``) all walk
the same tree.  ``offset`` is the 0-based character offset of the node in the
expression text, used to point errors at the right column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BinOperator = Literal["+", "-", "*", "/", "**"]
CmpOperator = Literal["==", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Num:
    """A number literal."""

    value: float
    offset: int = 0


@dataclass(frozen=True)
class Str:
    """A string literal (light colours, category keys, grade names)."""

    value: str
    offset: int = 0


@dataclass(frozen=True)
class Name:
    """A reference: ``closed``, ``结案数``, or a dotted ``score.x`` / ``light.x`` /
    ``previous.light.x`` (the whole dotted text is ``id``)."""

    id: str
    offset: int = 0


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class BinOp:
    """Arithmetic: ``left op right``."""

    op: BinOperator
    left: Node
    right: Node
    offset: int = 0


@dataclass(frozen=True)
class Compare:
    """A comparison chain ``a < b <= c`` (``ops`` and ``operands[1:]`` pair up)."""

    ops: tuple[CmpOperator, ...]
    operands: tuple[Node, ...]
    offset: int = 0


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over two or more values."""

    op: Literal["and", "or"]
    values: tuple[Node, ...]
    offset: int = 0


@dataclass(frozen=True)
class Not:
    """``not x``."""

    operand: Node
    offset: int = 0


@dataclass(frozen=True)
class IfExp:
    """``body if test else orelse``."""

    test: Node
    body: Node
    orelse: Node
    offset: int = 0


@dataclass(frozen=True)
class Call:
    """A call of a function from the fixed table: ``min(a, b)``."""

    func: str
    args: tuple[Node, ...]
    offset: int = 0


Node = Num | Str | Name | Neg | BinOp | Compare | BoolOp | Not | IfExp | Call
