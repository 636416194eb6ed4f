"""Rulesets: YAML format v1 (docs/ruleset.md) loaded, merged, checked and compiled."""

from __future__ import annotations

from kaohe.engine.ruleset.compiled import Ruleset
from kaohe.engine.ruleset.loader import load_ruleset

__all__ = ["Ruleset", "load_ruleset"]
