"""Helpers of the rule engine tests (tests/test_rules.py, tests/test_rule_candidates.py): not a test module.

Conditions and unit records the property tests draw from, and ``run_isolated``,
which runs the native engine in a forked child so a crash fails a test instead of
killing pytest.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from kaohe.engine.results import Firing
from kaohe.engine.rules import CompiledRules, RuleSource, compile_rules, run_rules

TYPES = {"light.x": "string", "previous.light.x": "string"}


def rules(*conds: str, types: Mapping[str, str] | None = None) -> CompiledRules:
    return compile_rules([RuleSource(f"r{i}", c) for i, c in enumerate(conds)], TYPES if types is None else types)


def fired(result: Mapping[str, list[Firing]]) -> dict[str, list[str]]:
    return {u: [f.rule_id for f in fs] for u, fs in result.items()}


def fired_values(result: Mapping[str, list[Firing]]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Each unit's firings with the values each condition read."""
    return {u: [(f.rule_id, dict(f.values)) for f in fs] for u, fs in result.items()}


def _child(conn: Any, compiled: CompiledRules, records: Sequence[Mapping[str, Any]], values: bool) -> None:
    try:
        result = run_rules(compiled, records)
        conn.send(("ok", fired_values(result) if values else fired(result)))
    except BaseException as e:  # noqa: BLE001 - report anything to the parent
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def run_isolated(compiled: CompiledRules, records: Sequence[Mapping[str, Any]], values: bool = False) -> Any:
    """``run_rules`` in a forked child: a native crash becomes an AssertionError here.

    Each unit's fired rule ids, or with ``values`` (rule id, values read) pairs.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, compiled, records, values))
    p.start()
    child.close()
    p.join(60)
    if p.is_alive():
        p.kill()
        raise AssertionError("run_rules hung")
    if p.exitcode != 0 or not parent.poll():
        raise AssertionError(
            f"run_rules crashed the interpreter (exit code {p.exitcode}) on records {list(records)!r} "
            f"with conditions {[r.expression.text for r in compiled.rules]!r}"
        )
    status, payload = parent.recv()
    if status != "ok":
        raise AssertionError(payload)
    return payload


ALLOWED = [
    "x > 1",
    "x >= y",
    "x == y",
    "x != y",
    "x < 0.5",
    "x == 0.85",
    "x != 0.85",
    "1 < x",
    "not (x > 1)",
    "not (x != y)",
    "x",
    "not x",
    "x and not y",
    "x > 1 and y < 2",
    "x > 1 or not (y <= z)",
    "not (x > 1 and y > 1)",
    "not (x > 1 or y > 1 or z > 1)",
    "0.5 <= x <= 2",
    "not (0.5 <= x < 2)",
    "x < y < z",
    "x > -y",
    "x > y + 1",
    "x <= y * 2",
    "x >= y - z",
    "x < y * z",
    "x > y / 2",
    "x > y / z",
    "not (x > y / z)",
    "x == y / z",
    "x != y / z",
    "not (x <= y / z and z > 0)",
    "x > y / (z + 1)",
    "not (x < (y + z) / 2)",
    "x > 1 / 2",
    "x <= -(y * 2) + 1",
    'light.x == "red"',
    'light.x != "red"',
    'not (light.x == "red")',
    'light.x == "red" and x > 0',
    'light.x == "red" or not (y > 1)',
    "light.x == previous.light.x",
    "light.x",
    "not light.x",
    "True",
    "not True",
]

NUMS = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1.0, -1.0, 0.5, 0.85, 2.0, 1.5, 3.0, -0.0]),
    st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False),
)
STRS = st.one_of(st.none(), st.sampled_from(["red", "green", "", "红"]))


@st.composite
def records(draw: st.DrawFn, max_size: int = 12) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=max_size))
    return [
        {"unit": f"u{i}", "x": draw(NUMS), "y": draw(NUMS), "z": draw(NUMS),
         "light.x": draw(STRS), "previous.light.x": draw(STRS)}
        for i in range(n)
    ]
