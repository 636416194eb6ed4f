"""A Jinja sandbox with limits: a region's template cannot hang or exhaust a report run.

Jinja's :class:`~jinja2.sandbox.SandboxedEnvironment` already keeps templates
away from Python internals and refuses ``range()`` over more than 100,000
items.  What it does not bound is work: nested loops, huge powers
(``10 ** 10 ** 9``), repeated strings (``"x" * 10 ** 9``) and runaway macro
recursion.  :class:`BoundedSandbox` counts the template's steps (attribute
and item lookups, calls, loop iterations over ``range``) against a budget of
:data:`MAX_STEPS` and a wall-clock :data:`TIME_LIMIT`, bounds ``**`` and
sequence ``*``, and :func:`limits` turns each breach into :class:`TemplateLimit`
with a message saying which limit and how to stay within it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

MAX_RANGE = 100_000
"""Items one ``range()`` may produce (Jinja's own sandbox limit)."""
MAX_STEPS = 50_000_000
"""Template steps per render; a 10,000-unit report takes a few million."""
TIME_LIMIT = 300.0
"""Seconds one render may take."""
MAX_SEQUENCE = 10_000_000
"""Longest string or list a template may build with ``*``."""
MAX_BITS = 1_000_000
"""Largest integer ``**`` may build, in bits (about 300,000 digits)."""
_CHECK_EVERY = 4096


class TemplateLimit(Exception):
    """A template went over one of the sandbox's limits; ``kind`` names which."""

    def __init__(self, kind: str, limit: object):
        self.kind = kind
        self.limit = limit
        super().__init__(f"{kind} > {limit}")


@dataclass
class _Budget:
    steps: int
    deadline: float


_BUDGET: ContextVar[_Budget | None] = ContextVar("kaohe_template_budget", default=None)


@contextmanager
def limits(*, steps: int | None = None, seconds: float | None = None) -> Iterator[None]:
    """Run one render under a step budget and a deadline (defaults: the module limits)."""
    budget = _Budget(steps if steps is not None else MAX_STEPS,
                     time.monotonic() + (seconds if seconds is not None else TIME_LIMIT))
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.steps -= 1
    if budget.steps % _CHECK_EVERY == 0:
        if budget.steps <= 0:
            raise TemplateLimit("steps", MAX_STEPS)
        if time.monotonic() > budget.deadline:
            raise TemplateLimit("time", TIME_LIMIT)


class BoundedRange:
    """``range()`` for templates: at most :data:`MAX_RANGE` items, each one a counted step."""

    def __init__(self, *args: int):
        self._range = range(*args)
        if len(self._range) > MAX_RANGE:
            raise TemplateLimit("range", MAX_RANGE)

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: int) -> int:
        return self._range[index]

    def __iter__(self) -> Iterator[int]:
        for i in self._range:
            _tick()
            yield i


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox with a work budget (see the module docstring)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = BoundedRange

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Attribute lookup (``a.b``), counted."""
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Item lookup (``a[b]``), counted."""
        _tick()
        return super().getitem(obj, argument)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Any call (filters excepted), counted."""
        _tick()
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` with bounded results."""
        _tick()
        if operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 \
                    and max(left.bit_length() - 1, 0) * right > MAX_BITS:
                raise TemplateLimit("power", MAX_BITS)
            return left ** right
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | bytes | list | tuple) and isinstance(times, int) \
                    and len(seq) * times > MAX_SEQUENCE:
                raise TemplateLimit("sequence", MAX_SEQUENCE)
        return left * right
