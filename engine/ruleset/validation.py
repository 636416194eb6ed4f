"""Stage 2 of loading: the pydantic models, with errors translated and located.

pydantic reports *what* is wrong with a ``loc`` tuple; we map each ``loc``
back to the YAML path and the file:line:column it came from, and say it in
the user's language.  Unknown keys are warnings with a stable code
(``ruleset.unknown_key``) and a suggestion; ``--strict`` makes them errors.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from kaohe.engine.errors import Hint, Problem, RulesetError, did_you_mean
from kaohe.engine.i18n import Message, known_codes, register
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.model import RulesetModel
from kaohe.engine.ruleset.yamlload import PathKey

register(
    {
        "schema.missing": ("缺少必填键 `{key}`", "the required key `{key}` is missing"),
        "schema.literal": ("`{value}` 不是允许的值", "`{value}` is not an allowed value"),
        "schema.number": ("应为数字，实际是 `{value}`", "a number is expected, got `{value}`"),
        "schema.integer": ("应为整数，实际是 `{value}`", "a whole number is expected, got `{value}`"),
        "schema.text": ("应为文本，实际是 `{value}`", "text is expected, got `{value}`"),
        "schema.mapping": ("应为键值映射（key: value），实际是 `{value}`",
                           "a mapping (key: value) is expected, got `{value}`"),
        "schema.list": ("应为列表（- 项目），实际是 `{value}`", "a list (- item) is expected, got `{value}`"),
        "schema.bool": ("应为 true 或 false，实际是 `{value}`", "true or false is expected, got `{value}`"),
        "schema.date": ("应为日期（如 2025-01-01），实际是 `{value}`",
                        "a date (such as 2025-01-01) is expected, got `{value}`"),
        "schema.range": ("`{value}` 超出范围：{limit}", "`{value}` is out of range: {limit}"),
        "schema.pattern": ("`{value}` 格式不对：只能用字母、数字和 - _ .，且以字母或数字开头",
                           "`{value}` has the wrong form: use letters, digits and - _ ., starting with a letter or digit"),
        "schema.too_short": ("至少需要 {min} 项", "at least {min} item(s) needed"),
        "schema.too_long": ("最多 {max} 项", "at most {max} item(s)"),
        "schema.text_too_short": ("至少需要 {min} 个字符", "at least {min} character(s) needed"),
        "schema.text_too_long": ("最多 {max} 个字符", "at most {max} character(s)"),
        "schema.invalid": ("{detail}", "{detail}"),
        "schema.other": ("取值无效：{detail}", "invalid value: {detail}"),
        "ruleset.unknown_key": ("未知的键 `{key}`（已忽略）", "unknown key `{key}` (ignored)"),
        "hint.expected_values": ("可选值：{choices}", "expected one of: {choices}"),
    }
)

_SIMPLE: dict[str, str] = {
    "int_type": "schema.integer", "int_parsing": "schema.integer", "int_from_float": "schema.integer",
    "float_type": "schema.number", "float_parsing": "schema.number", "finite_number": "schema.number",
    "string_type": "schema.text", "dict_type": "schema.mapping", "model_type": "schema.mapping",
    "model_attributes_type": "schema.mapping", "list_type": "schema.list", "bool_type": "schema.bool",
    "bool_parsing": "schema.bool", "date_type": "schema.date", "date_parsing": "schema.date",
    "date_from_datetime_parsing": "schema.date", "date_from_datetime_inexact": "schema.date",
    "string_pattern_mismatch": "schema.pattern",
}
_LENGTH = {"too_short": "schema.too_short", "too_long": "schema.too_long",
           "string_too_short": "schema.text_too_short", "string_too_long": "schema.text_too_long"}
_RANGE = {"greater_than_equal": ">= {ge}", "greater_than": "> {gt}", "less_than_equal": "<= {le}",
          "less_than": "< {lt}"}


def validate_model(data: dict[str, Any], smap: SourceMap) -> RulesetModel:
    """The ruleset model, or :class:`RulesetError` with every schema problem located."""
    try:
        return RulesetModel.model_validate(data)
    except ValidationError as e:
        problems: list[Problem] = []
        seen: set[PathKey] = set()
        for err in e.errors():
            if _other_branch(data, err["loc"]):
                continue
            path, rest = data_path(data, err["loc"])
            if path in seen:
                continue  # a union reports each alternative; one message per place is enough
            seen.add(path)
            problems.append(_problem(err, path, rest, smap))
        raise RulesetError(problems) from None


def _value_at(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part]
    return data


def _other_branch(data: Any, loc: tuple[int | str, ...]) -> bool:
    """An error from the union member the value was clearly not meant as.

    A weight table is either numbers or ``{ahp: …}``; report only the errors
    of the form the author wrote.
    """
    for i, part in enumerate(loc):
        if not isinstance(part, str):
            continue
        is_ahp, is_table = part == "AhpWeights", part.startswith("dict[")
        if is_ahp or is_table:
            node = _value_at(data, data_path(data, loc[:i])[0])
            if isinstance(node, dict) and ("ahp" in node) != is_ahp:
                return True
    return False


def data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[PathKey, list[str | int]]:
    """Keep the parts of pydantic's ``loc`` that index into the data; return also the rest."""
    path: list[str | int] = []
    rest: list[str | int] = []
    cur = data
    for part in loc:
        in_dict = isinstance(cur, dict) and isinstance(part, str) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            path.append(part)
            cur = cur[part]
        elif isinstance(part, str) and part.endswith("_") and isinstance(cur, dict) and part[:-1] in cur:
            path.append(part[:-1])  # with_ -> with, from_ -> from
            cur = cur[part[:-1]]
        else:
            rest.append(part)
    return tuple(path), rest


def _problem(err: Any, path: PathKey, rest: list[str | int], smap: SourceMap) -> Problem:
    message, hint = describe_error(err, rest)
    return Problem(message.code, dict(message.params), smap.locate(path), hint)


def describe_error(err: Any, rest: list[str | int] | None = None) -> tuple[Message, Hint | None]:
    """One pydantic error (an item of ``ValidationError.errors()``) in the user's terms.

    ``rest`` is the part of the error's ``loc`` that is not in the data (the
    name of a missing key).  pydantic's English text reaches the user only for
    error kinds without a message of ours, and never with its ``Value error,``
    prefix: a validator's own words are shown as they are.
    """
    kind = err["type"]
    value = _short(err.get("input"))
    ctx = err.get("ctx") or {}
    if kind == "missing":
        key = str(rest[-1]).rstrip("_") if rest else "?"
        return Message("schema.missing", {"key": key}), None
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "")
        choices = [c.strip() for c in expected.replace(" or ", ",").split(",") if c.strip()]
        hint = did_you_mean(str(err.get("input")), choices) or Hint("hint.expected_values",
                                                                    {"choices": expected})
        return Message("schema.literal", {"value": value}), hint
    if kind in _SIMPLE:
        return Message(_SIMPLE[kind], {"value": value}), None
    if kind in _RANGE:
        limits = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in ctx.items()}
        return Message("schema.range", {"value": value, "limit": _RANGE[kind].format(**limits)}), None
    if kind in _LENGTH:
        return Message(_LENGTH[kind], {"min": ctx.get("min_length"), "max": ctx.get("max_length")}), None
    if kind in ("value_error", "assertion_error"):
        reason = ctx.get("error")
        said = str(reason) if reason is not None else _strip_prefix(str(err.get("msg", "")))
        if said in known_codes():
            return Message(said), None
        return Message("schema.invalid", {"detail": said}), None
    return Message("schema.other", {"detail": _strip_prefix(str(err.get("msg", kind)))}), None


def _strip_prefix(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def unknown_keys(data: dict[str, Any], smap: SourceMap) -> list[Problem]:
    """Warnings for keys no model knows, each with a suggestion."""
    out: list[Problem] = []
    _walk(data, RulesetModel, (), smap, out)
    return out


def _field_names(model: type[BaseModel]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        names[f.alias or name] = f.annotation
    return names


def _walk(data: Any, model: type[BaseModel], path: PathKey, smap: SourceMap, out: list[Problem]) -> None:
    if not isinstance(data, dict):
        return
    fields = _field_names(model)
    for key, value in data.items():
        if key not in fields:
            out.append(Problem("ruleset.unknown_key", {"key": key}, smap.locate((*path, key), key=True),
                               did_you_mean(key, list(fields)), severity="warning"))
            continue
        _walk_annotation(value, fields[key], (*path, key), smap, out)


def _walk_annotation(value: Any, annotation: Any, path: PathKey, smap: SourceMap,
                     out: list[Problem]) -> None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _walk(value, annotation, path, smap, out)
    elif origin in (typing.Union, types.UnionType):
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        dicts = [a for a in args if typing.get_origin(a) is dict]
        if isinstance(value, dict) and models and any(k in _field_names(models[0]) for k in value):
            _walk(value, models[0], path, smap, out)
        elif dicts and isinstance(value, dict):
            _walk_annotation(value, dicts[0], path, smap, out)
    elif origin is dict and isinstance(value, dict) and len(args) == 2:
        for k, v in value.items():
            _walk_annotation(v, args[1], (*path, k), smap, out)
    elif origin is list and isinstance(value, list) and args:
        for i, v in enumerate(value):
            _walk_annotation(v, args[0], (*path, i), smap, out)
    elif origin is typing.Annotated and args:
        _walk_annotation(value, args[0], path, smap, out)
