"""Rulesets: YAML format v1 (DESIGN.md) loaded, merged, checked and compiled."""

from __future__ import annotations

from .compiled import Ruleset
from .loader import load_ruleset

__all__ = ["Ruleset", "load_ruleset"]
