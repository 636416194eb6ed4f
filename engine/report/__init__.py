"""Reports of a stored run: HTML, Markdown, Excel, PDF and the JSON template context.

HTML and Markdown are rendered from Jinja templates (sandboxed, escaped,
strict), looked up first in the ruleset's region folder
(``rulesets/<region>/templates/``), then in the project's ``templates/``.
Excel is written with openpyxl from the same context; PDF is the HTML
printed by headless Chromium.  The context is documented in docs/templates.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kaohe.engine.errors import Problem, RunError
from kaohe.engine.i18n import Lang, register
from kaohe.engine.report.context import CONTEXT_VERSION, build_context, unit_context
from kaohe.engine.report.history import load_history
from kaohe.engine.report.output import check_target, make_folder, write_bytes, write_text
from kaohe.engine.report.render import render_template
from kaohe.engine.results import UnitResult
from kaohe.engine.store import RunInfo, Store

if TYPE_CHECKING:
    from kaohe.engine.details import MetricRecord

__all__ = ["CONTEXT_VERSION", "FORMATS", "Format", "build_context", "check_target", "load_history", "write_report"]

Format = Literal["html", "md", "xlsx", "pdf", "json"]
FORMATS: tuple[str, ...] = ("html", "md", "xlsx", "pdf", "json")
SUFFIX = {"html": ".html", "md": ".md", "xlsx": ".xlsx", "pdf": ".pdf", "json": ".json"}

register(
    {
        "report.bad_format": ("未知的报告格式 `{format}`；可选：{choices}", "unknown report format `{format}`; expected one of: {choices}"),
    }
)


def write_report(info: RunInfo, units: list[UnitResult], path: Path, *, lang: Lang = "zh",
                 region_dir: Path | None = None, history: dict[str, Any] | None = None,
                 fmt: str = "html", per_unit: bool = False,
                 details: Mapping[str, MetricRecord] | None = None) -> Path:
    """Write the report of a run to ``path`` (a folder of unit cards with ``per_unit``); return it.

    ``history`` is :func:`load_history`'s result (trends and lights history
    appear when it has earlier periods); ``details`` is what the run's plugin
    metrics recorded (``Store.load_details``: e.g. rating's corrections).
    """
    if fmt not in FORMATS:
        raise RunError(Problem("report.bad_format", {"format": fmt, "choices": ", ".join(FORMATS)}))
    path = Path(path)
    check_target(path, per_unit=per_unit, suffix=SUFFIX[fmt])
    context = build_context(info, units, lang=lang, history=history, charts=fmt in ("html", "pdf"),
                            details=details)
    if not per_unit:
        _write_one(context, path, fmt, region_dir, single=False, template=_chosen_template(info))
        return path
    make_folder(path)
    used: set[str] = set()
    for unit in context["units"]:
        stem = _file_stem(unit["unit"])
        while stem.lower() in used:  # "a/b" and "a_b" must not overwrite each other
            stem += "_"
        used.add(stem.lower())
        _write_one(unit_context(context, unit), path / f"{stem}{SUFFIX[fmt]}", fmt, region_dir, single=True)
    return path


def history_from_store(store: Store, info: RunInfo) -> dict[str, Any]:
    """Earlier periods of ``info``'s ruleset, for trends (see :func:`load_history`)."""
    return load_history(store, info)


def _chosen_template(info: RunInfo) -> str | None:
    """The ruleset's ``report: {template: …}``: another HTML template for the whole report."""
    try:
        options = json.loads(info.ruleset_json or "{}").get("report") or {}
    except ValueError:
        return None
    name = options.get("template") if isinstance(options, dict) else None
    return str(name) if name else None


def _write_one(context: dict[str, Any], path: Path, fmt: str, region_dir: Path | None, *, single: bool,
               template: str | None = None) -> None:
    kind = "unit" if single else "report"
    html_name = template or _html_template(context, kind)
    if fmt == "html":
        write_text(path, render_template(html_name, context, region_dir=region_dir))
    elif fmt == "md":
        write_text(path, render_template(f"{kind}.md.j2", context, region_dir=region_dir))
    elif fmt == "json":
        write_text(path, context_json(context))
    elif fmt == "xlsx":
        from kaohe.engine.report.excel import xlsx_bytes

        write_bytes(path, xlsx_bytes(context))
    else:
        from kaohe.engine.report.pdf import html_to_pdf

        html = render_template(html_name, context, region_dir=region_dir)
        html_to_pdf(html, path)


def _html_template(context: dict[str, Any], kind: str) -> str:
    return f"{kind}.html.j2"


def context_json(context: dict[str, Any]) -> str:
    """The template context as JSON (the ``--format json`` report; charts are HTML-only)."""
    doc = {**context, "charts": {**context["charts"], "grades": None, "histograms": [], "units": {}}}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False, default=str) + "\n"


_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def _file_stem(unit: str) -> str:
    """A file name for a unit id: unsafe characters become ``_``; never empty or hidden."""
    stem = _UNSAFE.sub("_", unit).strip("._") or "unit"
    return stem[:100]
