"""The diff as a report: HTML or Markdown through the templates (``diff.html.j2``,
``diff.md.j2``, looked up like run reports), or an Excel workbook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kaohe.engine.diff import DiffResult
from kaohe.engine.diff.context import build_context
from kaohe.engine.i18n import Lang
from kaohe.engine.report.render import render_template

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@")


def write_diff_report(result: DiffResult, path: Path, *, lang: Lang = "zh",
                      region_dir: Path | None = None) -> Path:
    """Write ``path`` (.html, .md or .xlsx by its suffix); return it."""
    context = build_context(result, lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_diff_xlsx(context, path)
    else:
        name = "diff.md.j2" if suffix == ".md" else "diff.html.j2"
        path.write_text(render_template(name, context, region_dir=region_dir), encoding="utf-8")
    return path


def _value(v: Any) -> Any:
    """A cell value: text never becomes a formula and loses control characters Excel refuses."""
    if isinstance(v, str):
        v = _CONTROL.sub("", v)
        if v.startswith(_FORMULA_START):
            return "'" + v
    return v


def write_diff_xlsx(context: dict[str, Any], path: Path) -> None:
    """Four sheets: rule changes, units with causes, grade transitions, flatness."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = context["t"]
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = title[:31]
        ws.append([_value(h) for h in header])
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        for row in rows:
            ws.append([_value(v) for v in row])

    sheet(t["sheet_changes"], ["path", t["changes"]], [[c["path"], c["text"]] for c in context["changes"]], first=True)
    sheet(t["sheet_units"], [t["unit"], t["unit"], t["category"], f"{t['old']} {t['score']}", f"{t['old']} {t['grade']}",
                       f"{t['old']} {t['rank']}", f"{t['new']} {t['score']}", f"{t['new']} {t['grade']}",
                       f"{t['new']} {t['rank']}", t["delta"], t["causes"]],
          [[u["unit"], u["name"], u["category_label"],
            *((u["old"] or {}).get(k) for k in ("score", "grade", "rank")),
            *((u["new"] or {}).get(k) for k in ("score", "grade", "rank")),
            u["delta"], u["causes_text"]] for u in [*context["units"], *context["score_only"]]])
    rows: list[list[Any]] = []
    for g in context["matrices"]:
        rows.append([g["title"]])
        rows.append([f"{t['old']} \\ {t['new']}", *g["matrix"]["columns"], t["total"]])
        rows.extend([r["grade"], *r["counts"], r["total"]] for r in g["matrix"]["rows"])
        rows.append([t["total"], *g["matrix"]["totals"], sum(g["matrix"]["totals"])])
        rows.append([])
    sheet(t["sheet_matrix"], [t["matrix"]], rows)
    sheet(t["sheet_flatness"], [t["scope"], f"{t['old']} P10", f"{t['old']} P90", f"{t['old']} {t['spread']}",
                          f"{t['new']} P10", f"{t['new']} P90", f"{t['new']} {t['spread']}"],
          [[f["label"], f["before"]["p10"], f["before"]["p90"], f["before"]["spread"],
            f["after"]["p10"], f["after"]["p90"], f["after"]["spread"]] for f in context["flatness"]])
    wb.save(path)
