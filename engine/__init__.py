"""kaohe (考核): rules-engine performance appraisal for government agencies.

The public API: load a ruleset, load facts, evaluate, run and store.
"""

__version__ = "0.1.0"
