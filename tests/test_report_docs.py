"""docs/templates.md documents exactly the variables a template gets."""

from __future__ import annotations

import re
from pathlib import Path

from kaohe.engine.details import MetricRecord
from kaohe.engine.report import build_context, load_history

DOC = Path(__file__).resolve().parent.parent / "docs" / "templates.md"


def documented() -> tuple[set[str], set[str]]:
    """(variables, mappings) from the tables of the doc's ``## Context`` section."""
    section = DOC.read_text(encoding="utf-8").split("\n## Context", 1)[1]
    names = re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)
    maps = {n[:-2] for n in names if n.endswith("{}")}
    return {n[:-2] if n.endswith("{}") else n for n in names}, maps


def built_paths(value: object, maps: set[str], path: str = "") -> set[str]:
    out = {path} if path and not path.endswith(("[]", "{}")) else set()
    if isinstance(value, dict):
        for k, v in value.items():
            out |= built_paths(v, maps, f"{path}{{}}" if path in maps else (f"{path}.{k}" if path else str(k)))
    elif isinstance(value, list):
        for v in value:
            out |= built_paths(v, maps, f"{path}[]")
    return out


def _population(template, values):
    """Units like ``template`` whose two indicators take ``values`` (pairs)."""
    from dataclasses import replace

    from kaohe.engine.results import IndicatorResult

    out = []
    for i, (a, b) in enumerate(values):
        inds = {"closure_rate": IndicatorResult(a, 50.0 + i, "green", 60.0),
                "expert_score": IndicatorResult(b, 50.0, "green", 40.0)}
        out.append(replace(template, unit=f"p{i:02d}", indicators=inds))
    return out


def test_documented_context_matches_built_context(mini_runs):  # noqa: F811
    store, info, units, _ = mini_runs
    context = build_context(info, units, lang="zh", history=load_history(store, info), charts=True)
    names, maps = documented()
    built = built_paths(context, maps)
    # populations where indicators correlate, or one never differentiates units
    for pairs in ([(i / 10, i * 3.0 + (i % 2)) for i in range(8)], [(i / 10, 70.0) for i in range(8)]):
        population = _population(units[0], pairs)
        built |= built_paths(build_context(info, population, lang="zh", history=load_history(store, info)), maps)
    # what a plugin metric recorded (here one that is not installed: its figures are shown as they are)
    record = MetricRecord("expert_score", "gone", {}, [], {}, {units[0].unit: {"x": 1.5}},
                          [{"code": "some.warning", "params": {}}])
    built |= built_paths(build_context(info, units, lang="zh", details={"expert_score": record}), maps)
    assert sorted(built - names) == [], "in the context but not in docs/templates.md"
    assert sorted(names - built) == [], "in docs/templates.md but not in the context"


def test_doc_states_the_context_version():
    from kaohe.engine.report import CONTEXT_VERSION

    assert f"Context version **{CONTEXT_VERSION}**" in DOC.read_text(encoding="utf-8")
