"""The adapter to durable_rules: compile ``when`` conditions, run them per unit.

durable_rules stays behind this module.  Each rule's condition becomes a
durable_rules JSON condition over one fact per unit; facts are asserted into a
private ``Host`` created for one run (no timer thread, no global registry) and
retracted right after, so memory stays flat.  Missing values follow docs/ruleset.md ("Expressions"):
every name ``x`` a condition reads travels as a field plus a presence flag,
and each comparison is guarded by that flag, so a comparison with a missing
value is false — also under ``not`` (negation is pushed down to the leaves).

What durable_rules cannot express (a function call, arithmetic on both sides
of a comparison, ``**``, ``x if c else y``) is a load-time error that says to
make the computation an indicator.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from durable import engine as durable_engine

from kaohe.engine import interrupts
from kaohe.engine.errors import Hint, Location, Problem, RulesetError, RunError
from kaohe.engine.expr import Expression, ExpressionError, compile_expression
from kaohe.engine.expr.columnar import truthy
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
from kaohe.engine.expr.trace import evaluate_value, render
from kaohe.engine.i18n import register
from kaohe.engine.results import Firing

register(
    {
        "rules.unsupported": ("规则条件中不能使用 {what}", "{what} cannot be used in a rule condition"),
        "rules.left_side": ("`{text}` 是计算式：规则条件只能直接比较事实或指标（右边可以用 + - * /）",
                            "`{text}` is a computation: a rule condition compares facts or indicators "
                            "directly (the right-hand side may use + - * /)"),
        "rules.constant": ("条件 `{text}` 不读取任何值，结果恒定", "condition `{text}` reads no value; it never changes"),
        "hint.make_indicator": (
            "把这部分计算定义为一个指标（indicators 中加 formula），再在条件中引用该指标",
            "define the computation as an indicator (a formula under indicators) and use that indicator here",
        ),
        "rules.engine_failed": ("规则引擎运行失败（规则 {rule}）：{error}", "the rule engine failed (rule {rule}): {error}"),
        "rules.tally": ("规则 {rule} 的触发与核对不符：引擎触发 {fired} 个单位，条件成立 {expected} 个单位",
                        "rule {rule} fired for {fired} unit(s) but its condition holds for {expected}"),
    }
)

if not os.environ.get("KAOHE_DEBUG"):
    # durable_rules logs a traceback for a failure it also hands back to us; we report
    # it ourselves (a clear message), so its own logging stays quiet.
    _durable_log = logging.getLogger("durable")
    _durable_log.addHandler(logging.NullHandler())
    _durable_log.propagate = False

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul", "/": "$div"}
_ALWAYS = "one"


@dataclass(frozen=True)
class RuleSource:
    """A rule's id and ``when`` text, with where the text is (for errors)."""

    id: str
    when: str
    location: Location | None = None


@dataclass(frozen=True)
class CompiledRule:
    """One rule ready for durable_rules: its condition and the names it reads."""

    id: str
    expression: Expression
    condition: dict[str, Any]


@dataclass(frozen=True)
class CompiledRules:
    """All rules of a ruleset and the field each name travels in."""

    rules: tuple[CompiledRule, ...]
    fields: Mapping[str, str]
    derived: tuple[tuple[str, Node], ...] = ()

    def __len__(self) -> int:
        return len(self.rules)


class _Unsupported(Exception):
    def __init__(self, code: str, node: Node, **params: object):
        self.code, self.node, self.params = code, node, params


def compile_rules(rules: Sequence[RuleSource], types: Mapping[str, str] | None = None) -> CompiledRules:
    """Compile every ``when``; raise :class:`RulesetError` listing all that cannot be compiled."""
    names = sorted({n for r in rules for n in _parse(r).names} if rules else set())
    fields = {name: f"v{i}" for i, name in enumerate(names)}
    compiled: list[CompiledRule] = []
    problems: list[Problem] = []
    derived: dict[str, tuple[str, Node]] = {}
    for rule in rules:
        expr = _parse(rule)
        try:
            cond = _Compiler(fields, types or {}, derived).condition(expr.node)
            compiled.append(CompiledRule(rule.id, expr, cond))
        except _Unsupported as e:
            loc = _shift(rule.location, e.node.offset)
            problems.append(Problem(e.code, e.params, loc, Hint("hint.make_indicator")))
    if problems:
        raise RulesetError(problems)
    return CompiledRules(tuple(compiled), fields, tuple(derived.values()))


def _parse(rule: RuleSource) -> Expression:
    try:
        return compile_expression(rule.when)
    except ExpressionError as e:
        problems = [Problem(p.code, p.params, _shift(rule.location, e.offset), p.hint) for p in e.problems]
        raise RulesetError(problems) from None


def _shift(loc: Location | None, offset: int) -> Location | None:
    if loc is None or loc.column is None:
        return loc
    return Location(loc.file, loc.line, loc.column + offset, loc.path)


class _Compiler:
    """Turns a condition tree into a durable_rules condition.

    Each comparison puts a name's field on the left.  The right-hand side is a
    string literal, another name's field, or a *derived* field: a number or
    ``+ - * /`` of names and numbers, computed per unit by kaohe's own
    evaluator (so division by zero is missing, exactly as in formulas) and
    compared by durable_rules.  Numbers never appear inside the durable_rules
    JSON, which cannot parse exponent notation.
    """

    def __init__(self, fields: Mapping[str, str], types: Mapping[str, str], derived: dict[str, tuple[str, Node]]):
        self.fields = fields
        self.types = types
        self.derived = derived

    def condition(self, node: Node, negate: bool = False) -> dict[str, Any]:
        if isinstance(node, Not):
            return self.condition(node.operand, not negate)
        if isinstance(node, BoolOp):
            op = node.op if not negate else ("or" if node.op == "and" else "and")
            parts = [self.condition(v, negate) for v in node.values]
            return {"$and" if op == "and" else "$or": parts}
        if isinstance(node, Compare):
            pairs = [self.compare(op, a, b, negate)
                     for op, a, b in zip(node.ops, node.operands, node.operands[1:], strict=False)]
            if len(pairs) == 1:
                return pairs[0]
            return {"$or" if negate else "$and": pairs}
        if isinstance(node, Name):
            zero: Node = Str("", node.offset) if self.types.get(node.id) == "string" else Num(0.0, node.offset)
            return self.compare("!=", node, zero, negate)
        if isinstance(node, Num | Str):
            truth = bool(node.value) != negate
            return {_ALWAYS: 1 if truth else 0}
        raise self.unsupported(node)

    def unsupported(self, node: Node) -> _Unsupported:
        what = {Call: "函数调用 / a function call", IfExp: "if … else", BinOp: "计算式 / arithmetic",
                Neg: "负号 / unary minus"}.get(type(node), type(node).__name__)
        if isinstance(node, Call):
            what = f"{node.func}(…)"
        elif isinstance(node, BinOp) and node.op == "**":
            what = "**"
        return _Unsupported("rules.unsupported", node, what=what)

    def compare(self, op: str, left: Node, right: Node, negate: bool) -> dict[str, Any]:
        if not isinstance(left, Name) and isinstance(right, Name):
            left, right, op = right, left, _FLIP[op]
        if not isinstance(left, Name):
            if isinstance(left, Num | Str) and isinstance(right, Num | Str):
                raise _Unsupported("rules.constant", left, text=f"{render(left)} {op} {render(right)}")
            self.check_arithmetic(left)
            raise _Unsupported("rules.left_side", left, text=render(left))
        if negate:
            op = _NEGATE[op]
        field = self.fields[left.id]
        presence = [field + "_ok"]
        rhs: Any
        if isinstance(right, Str):
            rhs = right.value
        elif isinstance(right, Name):
            rhs = {"$m": self.fields[right.id]}
            presence.append(self.fields[right.id] + "_ok")
        else:
            other = self.derive(right)
            rhs = {"$m": other}
            presence.append(other + "_ok")
        test = {field: rhs} if op == "==" else {_OPS[op]: {field: rhs}}
        if not negate:
            return {"$and": [*({p: 1} for p in presence), test]}
        # not (a op b) holds when either side is missing, or when the negated comparison holds
        return {"$or": [*({p: 0} for p in presence), {"$and": [*({p: 1} for p in presence), test]}]}

    def check_arithmetic(self, node: Node) -> None:
        if isinstance(node, Num | Name):
            return
        if isinstance(node, Neg):
            self.check_arithmetic(node.operand)
            return
        if isinstance(node, BinOp) and node.op == "/" and isinstance(node.right, Num) and node.right.value == 0:
            raise _Unsupported("rules.unsupported", node, what="/ 0")
        if isinstance(node, BinOp) and node.op in _ARITH:
            self.check_arithmetic(node.left)
            self.check_arithmetic(node.right)
            return
        raise self.unsupported(node)

    def derive(self, node: Node) -> str:
        self.check_arithmetic(node)
        key = render(node)
        if key not in self.derived:
            self.derived[key] = (f"d{len(self.derived)}", node)
        return self.derived[key][0]


class _PrivateHost(durable_engine.Host):  # type: ignore[misc]
    """A Host with no background timer thread: a run drives it synchronously."""

    def _run(self) -> None:
        return None


_counter = itertools.count()


def run_rules(
    compiled: CompiledRules,
    records: Sequence[Mapping[str, Any]],
    key: str = "unit",
) -> dict[str, list[Firing]]:
    """Assert each record as a fact; return the rules that fired per unit, in rule order."""
    if not compiled.rules or not records:
        return {}
    hits: set[tuple[int, str]] = set()

    def action_for(index: int) -> Any:
        def action(c: Any) -> None:
            hits.add((index, c.m[key]))
        return action

    name = f"kaohe_{next(_counter)}"
    definition = {
        name: {
            f"r{i}": {"all": [{"m": rule.condition}], "run": action_for(i)}
            for i, rule in enumerate(compiled.rules)
        }
    }
    host = _PrivateHost()
    # durable_rules swallows any exception inside an action, KeyboardInterrupt included:
    # Ctrl-C is held while the engine runs and raised between units (engine/interrupts.py)
    with interrupts.deferred():
        try:
            host.set_rulesets(definition)
            _assert_all(host, name, compiled, records, key)
        except (durable_engine.MessageNotHandledException, RunError, KeyboardInterrupt):
            raise
        except Exception as e:  # translate the engine's own failures at the boundary
            rule = ", ".join(r.id for r in compiled.rules)
            raise RunError(Problem("rules.engine_failed", {"rule": rule, "error": f"{type(e).__name__}: {e}"})) from e
        finally:
            _release(host, name)
    _check_tally(compiled, records, key, hits)
    return _firings(compiled, records, key, hits)


def _check_tally(compiled: CompiledRules, records: Sequence[Mapping[str, Any]], key: str,
                 hits: set[tuple[int, str]]) -> None:
    """Each rule must have fired for exactly the units where kaohe's own (columnar)
    evaluator says its condition holds: a firing lost or invented inside the engine
    stops the run instead of storing a wrong result."""
    env: dict[str, np.ndarray] = {}
    for name in compiled.fields:
        values = [r.get(name) for r in records]
        if any(isinstance(v, str) for v in values):
            env[name] = np.array(values, dtype=object)
        else:
            env[name] = np.array([math.nan if v is None or not math.isfinite(v) else float(v) for v in values],
                                 dtype=np.float64)
    fired_units: dict[int, set[str]] = {}
    for index, unit in hits:
        fired_units.setdefault(index, set()).add(unit)
    units = [str(r[key]) for r in records]
    for index, rule in enumerate(compiled.rules):
        holds = np.broadcast_to(truthy(np.asarray(rule.expression.evaluate(env))), (len(records),))
        expected = {u for u, h in zip(units, holds, strict=True) if h}
        fired = fired_units.get(index, set())
        if fired != expected:
            raise RunError(Problem("rules.tally", {"rule": rule.id, "fired": len(fired), "expected": len(expected)}))


def _assert_all(host: Any, name: str, compiled: CompiledRules, records: Sequence[Mapping[str, Any]],
                key: str) -> None:
    import durable_rules_engine as dre

    rules = host.get_ruleset(name)
    errors: list[BaseException] = []

    def complete(error: BaseException | None, state: Any) -> None:
        if error:
            errors.append(error)
        elif isinstance(state, dict) and state.get("exception"):
            # an exception inside an action, which durable_rules records and carries on from
            errors.append(RuntimeError(str(state["exception"]).splitlines()[0][:300]))

    constants = {f: n.value for f, n in compiled.derived if isinstance(n, Num)}
    computed = [(f, n) for f, n in compiled.derived if not isinstance(n, Num)]
    fixed: dict[str, Any] = {_ALWAYS: 1}
    for field, value in constants.items():
        _put(fixed, field, value)
    fixed_json = ",".join(f'"{k}":{_json_value(v)}' for k, v in fixed.items())
    fields = list(compiled.fields.items())
    for start in range(0, len(records), _CHUNK):
        chunk = records[start:start + _CHUNK]
        for text in _fact_texts(chunk, start + 1, key, fields, computed, fixed_json):
            interrupts.checkpoint()  # a Ctrl-C held by run_rules stops here, between units
            try:
                state = rules._handle_result(dre.assert_fact(rules._handle, text), text)
            except durable_engine.MessageNotHandledException:
                state = None
            if state is not None:
                rules.do_actions(state, complete)
                if errors:
                    raise errors[0]
            dre.retract_fact(rules._handle, text)


_CHUNK = 10_000
_PLAIN = {float, int, type(None), np.float64}


def _fact_texts(records: Sequence[Mapping[str, Any]], first_id: int, key: str,
                fields: Sequence[tuple[str, str]], computed: Sequence[tuple[str, Node]],
                fixed_json: str) -> list[str]:
    """Each record as the JSON fact durable_rules reads (see :func:`fact_json`), built column by column.

    A field travels as its value (0.0 when missing) and a presence flag
    ``<field>_ok``; numbers are written without exponent notation.
    """
    n = len(records)
    parts = ['"id":%s', _json_key(key).replace("%", "%%") + ":%s"]
    cols: list[list[str]] = [[str(i) for i in range(first_id, first_id + n)],
                             [_json_value(str(r[key])) for r in records]]
    for field_name, field in fields:
        ok, text = _field_texts([r.get(field_name) for r in records])
        parts += [f'"{field}_ok":%s', f'"{field}":%s']
        cols += [ok, text]
    for field, node in computed:
        ok, text = _field_texts([evaluate_value(node, r) for r in records])
        parts += [f'"{field}_ok":%s', f'"{field}":%s']
        cols += [ok, text]
    template = "{" + ",".join(parts) + "," + fixed_json.replace("%", "%%") + "}"
    return [template % row for row in zip(*cols, strict=True)]


def _field_texts(values: list[Any]) -> tuple[list[str], list[str]]:
    """Presence flags and value texts of one field (as :func:`_put` and :func:`_json_value` write them)."""
    if {type(v) for v in values} <= _PLAIN:
        arr = np.asarray([math.nan if v is None else v for v in values], dtype=np.float64)
        present = np.isfinite(arr)
        arr = np.where(present, arr, 0.0)
        text = orjson.dumps(arr, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",") if len(arr) else []
        # orjson writes these with an exponent (1e-7, 1e+16), which durable_rules cannot read
        for i in np.flatnonzero((arr != 0) & ((np.abs(arr) < 1e-4) | (np.abs(arr) >= 1e16))).tolist():
            text[i] = _json_value(float(arr[i]))
        return np.where(present, "1", "0").tolist(), text
    ok: list[str] = []
    text = []
    for v in values:
        fact: dict[str, Any] = {}
        _put(fact, "v", v)
        ok.append(str(fact["v_ok"]))
        text.append(_json_value(fact["v"]))
    return ok, text


def _put(fact: dict[str, Any], field: str, value: Any) -> None:
    present = value is not None and not (isinstance(value, float) and not math.isfinite(value))
    fact[field + "_ok"] = 1 if present else 0
    fact[field] = value if present else 0.0


def fact_json(fact: Mapping[str, Any]) -> str:
    """A flat fact as JSON that durable_rules' parser reads: numbers never in exponent notation."""
    return "{" + ",".join(f"{_json_key(k)}:{_json_value(v)}" for k, v in fact.items()) + "}"


@functools.lru_cache(maxsize=1024)
def _json_key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)


def _json_value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    text = repr(float(v))
    if "e" in text or "inf" in text or "nan" in text:
        return np.format_float_positional(float(v), unique=True, trim="0")
    return text


def _release(host: Any, name: str) -> None:
    try:
        ruleset = host._ruleset_directory.get(name)
        if ruleset is not None:
            import durable_rules_engine

            durable_rules_engine.delete_ruleset(ruleset._handle)
    except Exception:  # freeing is best effort; the host is garbage either way
        return


def _firings(compiled: CompiledRules, records: Sequence[Mapping[str, Any]], key: str,
             hits: set[tuple[int, str]]) -> dict[str, list[Firing]]:
    by_unit = {r[key]: r for r in records}
    out: dict[str, list[Firing]] = {}
    for index, unit in sorted(hits, key=lambda h: (str(h[1]), h[0])):
        rule = compiled.rules[index]
        record = by_unit[unit]
        values = {n: _plain(record.get(n)) for n in sorted(rule.expression.names)}
        out.setdefault(unit, []).append(Firing(rule.id, values))
    return out


def _plain(value: Any) -> float | str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str) else float(value)
