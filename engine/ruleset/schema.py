"""``kaohe schema``: the JSON Schema of ruleset format v1, generated from the models."""

from __future__ import annotations

from typing import Any

from kaohe.engine.ruleset.model import RulesetModel

SCHEMA_ID = "https://kaohe.example/schema/ruleset-v1.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to autocomplete and check ruleset files."""
    schema = RulesetModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "kaohe ruleset (format 1)"
    return schema
