"""The core of kaohe, installed as ``kaohe.engine``.

Its subpackages follow the pipeline (see docs/architecture.md).  The public API
is re-exported by the top-level ``kaohe`` package; import it from there::

    import kaohe
    ruleset = kaohe.load_ruleset("court.yaml")
"""

from __future__ import annotations

from kaohe import __version__

__all__ = ["__version__"]
