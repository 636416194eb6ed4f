"""The docs keep up with the code: every ruleset key is documented, every YAML example parses."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel

from kaohe.engine.ruleset.model import RulesetModel

ROOT = Path(__file__).resolve().parent.parent
RULESET_DOC = (ROOT / "docs" / "ruleset.md").read_text(encoding="utf-8")


def model_keys(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every key (alias) of ``model`` and the models it contains."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        stack = [field.annotation]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                keys |= model_keys(t, seen)
            stack.extend(typing.get_args(t))
    return keys


def yaml_keys(value: object) -> set[str]:
    """Every mapping key in a parsed YAML example."""
    if isinstance(value, dict):
        return {str(k) for k in value} | set().union(*(yaml_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(yaml_keys(v) for v in value)) if value else set()
    return set()


def test_every_ruleset_key_is_documented():
    """Each key of format v1 is named in docs/ruleset.md (in a table or prose) or shown in an example."""
    documented = set(re.findall(r"`([A-Za-z_]+)`", RULESET_DOC))
    for block in re.findall(r"```yaml\n(.*?)```", RULESET_DOC, re.S):
        documented |= yaml_keys(yaml.safe_load(block))
    missing = sorted(model_keys(RulesetModel) - documented)
    assert missing == [], f"keys of the format not in docs/ruleset.md: {missing}"


def test_every_yaml_example_in_the_docs_parses():
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            try:
                yaml.safe_load(block)
            except yaml.YAMLError as e:  # pragma: no cover - the message is the point
                raise AssertionError(f"{doc.name}, YAML example {i + 1} does not parse: {e}\n{block}") from e


def test_nothing_cites_a_document_outside_the_repository():
    """The docs in docs/ are the reference: code, tests and docs cite them, never a design file elsewhere."""
    outside = re.compile("DESIGN" + r"\.md|\.\./shared|/work/" + "shared")
    offenders = []
    for folder in ("src", "engine", "plugins", "templates", "rulesets", "examples", "docs", "tests", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".md", ".yaml", ".html", ".j2", ".toml", ".txt", ".css", ".js"}:
                for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    if outside.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    for name in ("README.md", "Makefile", "pyproject.toml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        offenders += [f"{name}: {line.strip()}" for line in text.splitlines() if outside.search(line)]
    assert offenders == []


def test_the_docs_link_only_to_files_that_exist():
    """Relative links between the docs (and from README) point at files in the repository."""
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} → {target}")
    assert broken == []
