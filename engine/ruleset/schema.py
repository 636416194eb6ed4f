"""``kaohe schema``: the JSON Schema of ruleset format v1, generated from the models.

Each installed plugin metric adds the schema of its ``with:`` parameters (its
own pydantic model), chosen by the indicator's ``metric:`` value, so an editor
completes and checks plugin parameters too.  :func:`parameter_info` is the same
knowledge for people (``kaohe plugins``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined

from kaohe.engine.i18n import Lang
from kaohe.engine.plugins import Metric, registry
from kaohe.engine.ruleset.model import RulesetModel

SCHEMA_ID = "https://kaohe.example/schema/ruleset-v1.json"


def json_schema(metrics: Iterable[Metric[Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema editors use to autocomplete and check ruleset files.

    ``metrics`` defaults to every installed plugin metric.
    """
    schema = RulesetModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "kaohe ruleset (format 1)"
    _add_metrics(schema, list(registry.all() if metrics is None else metrics))
    return schema


def _add_metrics(schema: dict[str, Any], metrics: list[Metric[Any]]) -> None:
    defs = schema.setdefault("$defs", {})
    indicator = defs.get("IndicatorModel")
    if indicator is None or not metrics:
        return
    branches = []
    for metric in metrics:
        prefix = f"metric.{metric.name}"
        params = metric.params.model_json_schema(by_alias=True, ref_template=f"#/$defs/{prefix}." + "{model}")
        for name, sub in params.pop("$defs", {}).items():
            defs[f"{prefix}.{name}"] = sub
        params["description"] = metric.description or params.get("description", "")
        defs[prefix] = params
        branches.append({
            "if": {"properties": {"metric": {"const": metric.name}}, "required": ["metric"]},
            "then": {"properties": {"with": {"$ref": f"#/$defs/{prefix}"}}},
        })
    indicator.setdefault("allOf", []).extend(branches)
    metric_prop = indicator.get("properties", {}).get("metric")
    if isinstance(metric_prop, dict):
        metric_prop["examples"] = [m.name for m in metrics]


@dataclass(frozen=True)
class ParameterInfo:
    """One ``with:`` key of a plugin metric, for people."""

    name: str
    type: str
    required: bool
    default: object
    description: str

    def as_json(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "description": self.description}


def parameter_info(metric: Metric[Any], lang: Lang = "zh") -> list[ParameterInfo]:
    """Each parameter's key, type, whether it is required, its default and description.

    In Chinese the description comes from ``Metric.params_zh`` when the plugin gives one.
    """
    model = metric.params
    props = model.model_json_schema(by_alias=True).get("properties", {})
    out = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        described = metric.params_zh.get(key, "") if lang == "zh" else ""
        required = field.is_required()
        default: object = None
        if not required:
            default = field.default_factory() if field.default_factory is not None else field.default
            default = None if default is PydanticUndefined else _plain(default)
        out.append(ParameterInfo(key, type_name(props.get(key, {})), required, default,
                                 described or field.description or ""))
    return out


def _plain(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def type_name(prop: dict[str, Any]) -> str:
    """A short, readable type of a JSON Schema property: ``ccr | bcc``, ``list[string]``."""
    if "enum" in prop:
        return " | ".join(map(str, prop["enum"]))
    if "const" in prop:
        return str(prop["const"])
    for union in ("anyOf", "oneOf"):
        if union in prop:
            return " | ".join(type_name(p) for p in prop[union])
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("prefixItems")
        if items:
            return "[" + ", ".join(type_name(p) for p in items) + "]"
        return f"list[{type_name(prop.get('items', {}))}]"
    if kind == "object":
        values = prop.get("additionalProperties")
        return f"mapping[{type_name(values)}]" if isinstance(values, dict) else "mapping"
    return str(kind or "any")
