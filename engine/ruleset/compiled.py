"""The loaded, checked, compiled ruleset that evaluation runs on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from kaohe.engine.errors import Location, Problem
from kaohe.engine.expr import Expression
from kaohe.engine.rules import CompiledRules
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.factchecks import CompiledCheck
from kaohe.engine.ruleset.model import RulesetModel


@dataclass
class Ruleset:
    """A ruleset ready to evaluate: the model plus everything compiled from it.

    ``order`` lists indicators in dependency order; ``weights`` has a table
    for every category (``default`` and AHP resolved); ``sha256`` hashes the
    merged ruleset, so a change in any extended file changes it too.
    """

    model: RulesetModel
    path: Path
    sha256: str
    order: list[str]
    formulas: dict[str, Expression]
    lights: dict[str, tuple[Expression | None, Expression | None]]
    metric_params: dict[str, BaseModel]
    weights: dict[str, dict[str, float]]
    rules: CompiledRules
    sources: SourceMap = field(default_factory=SourceMap)
    warnings: list[Problem] = field(default_factory=list)
    checks: list[CompiledCheck] = field(default_factory=list)

    def locate(self, path: str | tuple[str | int, ...]) -> Location:
        """Where ``path`` (``indicators.x.formula`` or a tuple) is in the ruleset files."""
        return self.sources.locate(path)

    @property
    def region_dir(self) -> Path:
        """The ruleset's folder (region templates live in its ``templates/``)."""
        return self.path.parent
