"""Reports rendered from Jinja templates (sandboxed, autoescaped).

Templates are looked up first in the ruleset's region folder
(``rulesets/<region>/templates/``), then in the project's ``templates/``.
"""

from __future__ import annotations

from pathlib import Path

from engine.i18n import Lang
from engine.results import UnitResult
from engine.store import RunInfo

from .context import build_context
from .render import render_template

__all__ = ["write_report"]


def write_report(info: RunInfo, units: list[UnitResult], path: Path, *, lang: Lang = "zh",
                 region_dir: Path | None = None, history: dict | None = None) -> Path:  # type: ignore[type-arg]
    """Render the HTML report of a run to ``path``; return the path."""
    context = build_context(info, units, lang=lang, history=history or {})
    html = render_template("report.html.j2", context, region_dir=region_dir)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
