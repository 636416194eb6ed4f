"""Invalid request parameters of the JSON API as problems, like the CLI's ``--json`` errors.

FastAPI checks query parameters against their declared types and bounds;
what it refuses becomes one :class:`ParameterError` problem per parameter
(its name in ``path``, what was given, what would be right), answered with
422 and the same document as ``kaohe … --json`` errors.  Exit code 2, as
the command line gives for a bad option value.  The pages keep their
friendly 404 page instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kaohe.engine.errors import Hint, KaoheError, Location, Problem
from kaohe.engine.i18n import phrase, register

register(
    {
        "serve.param.bad": ("参数 `{name}` 的值 `{value}` 无效：{expected}",
                            "parameter `{name}`: `{value}` is not valid: {expected}"),
        "serve.param.missing": ("缺少参数 `{name}`", "parameter `{name}` is missing"),
        "serve.param.int": ("应为整数", "an integer is expected"),
        "serve.param.bool": ("应为 true 或 false", "true or false is expected"),
        "serve.param.min": ("应不小于 {limit}", "it must be at least {limit}"),
        "serve.param.max": ("应不大于 {limit}", "it must be at most {limit}"),
        "serve.param.too_long": ("太长（最多 {limit} 个字符）", "it is too long (at most {limit} characters)"),
        "serve.param.other": ("{detail}", "{detail}"),
        "serve.param.hint": ("参数说明见 docs/serve.md 的 HTTP API 一节", "the parameters are listed in docs/serve.md, HTTP API"),
    }
)


class ParameterError(KaoheError):
    """A request parameter that is missing or of the wrong kind (exit code 2, like a bad CLI option)."""

    exit_code = 2


def _expected(error: Mapping[str, Any]) -> tuple[str, dict[str, object]]:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    simple = {"int_parsing": "serve.param.int", "int_from_float": "serve.param.int", "bool_parsing": "serve.param.bool"}
    if kind in simple:
        return simple[kind], {}
    bounds = {"greater_than_equal": ("serve.param.min", "ge"), "greater_than": ("serve.param.min", "gt"),
              "less_than_equal": ("serve.param.max", "le"), "less_than": ("serve.param.max", "lt"),
              "string_too_long": ("serve.param.too_long", "max_length")}
    if kind in bounds:
        code, key = bounds[kind]
        return code, {"limit": ctx.get(key)}
    return "serve.param.other", {"detail": str(error.get("msg", kind))}


def parameter_error(errors: Sequence[Mapping[str, Any]]) -> ParameterError:
    """The problems of FastAPI's validation ``errors`` (``RequestValidationError.errors()``)."""
    problems = []
    for error in errors:
        loc = [str(x) for x in error.get("loc", ())]
        name = loc[-1] if loc else "?"
        where = Location(path=".".join(loc) if loc else None)
        if error.get("type") == "missing":
            problems.append(Problem("serve.param.missing", {"name": name}, where, Hint("serve.param.hint")))
            continue
        code, params = _expected(error)
        problems.append(Problem("serve.param.bad", {"name": name, "value": str(error.get("input", ""))[:100],
                                                    "expected": phrase(code, **params)},
                                where, Hint("serve.param.hint")))
    return ParameterError(problems)
