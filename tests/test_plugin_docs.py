"""Meta-tests: every built-in metric is documented, described and has described parameters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaohe.engine.plugins import registry

DOCS = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
BUILTINS = ["rank", "dea", "trend", "cluster", "rating", "per_capita", "workload"]


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_has_a_docs_section_with_an_example(name):
    section = re.search(rf"^### {name}\n(.*?)(?=^##)", DOCS, re.S | re.M)
    assert section, f"docs/plugins.md has no '### {name}' section"
    assert f"metric: {name}" in section.group(1)
    metric = registry.get(name)
    assert metric is not None and metric.description and metric.description_zh


@pytest.mark.parametrize("name", BUILTINS)
def test_every_parameter_is_described(name):
    metric = registry.get(name)
    props = metric.params.model_json_schema(by_alias=True)["properties"]
    assert props and all(p.get("description") for p in props.values()), name
    assert set(metric.params_zh) == set(props) and all(metric.params_zh.values()), name  # and in Chinese


def test_ahp_weights_are_documented():
    assert "### ahp" in DOCS and "ahp: {criteria:" in DOCS
