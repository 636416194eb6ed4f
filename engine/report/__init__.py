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
from kaohe.engine.report.context import CONTEXT_VERSION, ORDERS, build_context, unit_context
from kaohe.engine.report.history import load_history
from kaohe.engine.report.output import check_target, make_folder, write_bytes, write_text
from kaohe.engine.report.render import check_template, render_template
from kaohe.engine.results import UnitResult
from kaohe.engine.store import RunInfo, Store

if TYPE_CHECKING:
    from kaohe.engine.details import MetricRecord

__all__ = ["CONTEXT_VERSION", "FORMATS", "ORDERS", "Format", "build_context", "card_names", "check_report",
           "check_target", "load_history", "write_report"]

Format = Literal["html", "md", "xlsx", "pdf", "json"]
FORMATS: tuple[str, ...] = ("html", "md", "xlsx", "pdf", "json")
SUFFIX = {"html": ".html", "md": ".md", "xlsx": ".xlsx", "pdf": ".pdf", "json": ".json"}

register(
    {
        "report.bad_format": ("未知的报告格式 `{format}`；可选：{choices}", "unknown report format `{format}`; expected one of: {choices}"),
        "report.bad_order": ("未知的单位排列顺序 `{order}`；可选：{choices}", "unknown unit order `{order}`; expected one of: {choices}"),
    }
)


def check_report(path: Path, *, fmt: str = "html", per_unit: bool = False, region_dir: Path | None = None,
                 template: str | None = None) -> None:
    """Everything about a report that can be wrong before there is a run: the format,
    the target (:func:`check_target`) and the templates it will use (compiled)."""
    if fmt not in FORMATS:
        raise RunError(Problem("report.bad_format", {"format": fmt, "choices": ", ".join(FORMATS)}))
    check_target(Path(path), per_unit=per_unit, suffix=SUFFIX[fmt])
    kind = "unit" if per_unit else "report"
    if fmt in ("html", "pdf"):
        check_template((None if per_unit else template) or f"{kind}.html.j2", region_dir=region_dir)
    elif fmt == "md":
        check_template(f"{kind}.md.j2", region_dir=region_dir)


def write_report(info: RunInfo, units: list[UnitResult], path: Path, *, lang: Lang = "zh",
                 region_dir: Path | None = None, history: dict[str, Any] | None = None,
                 fmt: str = "html", per_unit: bool = False, order: str | None = None,
                 details: Mapping[str, MetricRecord] | None = None,
                 sources: Mapping[str, list[str]] | None = None) -> Path:
    """Write the report of a run to ``path`` (a folder of unit cards with ``per_unit``); return it.

    ``history`` is :func:`load_history`'s result (trends, lights history and
    the biggest movers appear when it has earlier periods); ``order``
    (``category``, ``rank``, ``facts``) overrides the ruleset's ``report.order``;
    ``details`` is what the run's plugin metrics recorded (``Store.load_details``:
    e.g. rating's corrections); ``sources`` lists each unit's data sources on its card.
    """
    if fmt not in FORMATS:
        raise RunError(Problem("report.bad_format", {"format": fmt, "choices": ", ".join(FORMATS)}))
    if order is not None and order not in ORDERS:
        raise RunError(Problem("report.bad_order", {"order": order, "choices": ", ".join(ORDERS)}))
    path = Path(path)
    check_target(path, per_unit=per_unit, suffix=SUFFIX[fmt])
    context = build_context(info, units, lang=lang, history=history, charts=fmt in ("html", "pdf"), order=order,
                            details=details, sources=sources)
    if not per_unit:
        _write_one(context, path, fmt, region_dir, single=False, template=_chosen_template(info))
        return path
    make_folder(path)
    for unit, stem in zip(context["units"], card_names(context["units"]), strict=True):
        _write_one(unit_context(context, unit), path / f"{stem}{SUFFIX[fmt]}", fmt, region_dir, single=True)
    return path


def history_from_store(store: Store, info: RunInfo) -> dict[str, Any]:
    """What the store adds to a run's report: earlier periods of its family for trends
    (:func:`load_history`), its record (what it replaces, publication, correction) and the
    督办 follow-up of its family's alerts."""
    from kaohe.engine.report.followup import load_followup
    from kaohe.engine.report.record import load_record

    return {**load_history(store, info), "record": load_record(store, info), "followup": load_followup(store, info)}


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


def card_names(units: list[dict[str, Any]]) -> list[str]:
    """File names (without suffix) for per-unit cards: the unit's name, made safe and unique.

    ``南桥镇`` → ``南桥镇``; characters Windows forbids (``<>:"/\\|?*``, control
    characters) become ``_``, trailing dots and spaces go, reserved device names
    (``CON``, ``NUL``, ``COM1`` …) get a ``_``; names that collide (also
    case-insensitively, as on Windows and macOS) get the unit id appended.
    """
    stems = [safe_file_stem(u["name"]) or safe_file_stem(u["unit"]) or "unit" for u in units]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    out: list[str] = []
    used: set[str] = set()
    for unit, stem in zip(units, stems, strict=True):
        if counts[stem.casefold()] > 1:
            stem = f"{stem}_{safe_file_stem(unit['unit'])[:40] or 'unit'}"
        while stem.casefold() in used:
            stem += "_"
        used.add(stem.casefold())
        out.append(stem)
    return out


_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
MAX_STEM = 80


def safe_file_stem(name: str) -> str:
    """``name`` as a file name that Windows, macOS and Linux all accept (may be empty)."""
    stem = _FORBIDDEN.sub("_", name.strip())[:MAX_STEM].rstrip(". ").lstrip(".")
    if _RESERVED.match(stem):
        stem = f"{stem}_"
    return stem
