"""The Excel report (openpyxl): results, the light board, indicators, rules fired, alerts.

Made for an office clerk who filters, sorts and prints: every sheet has a
bold frozen header row, an autofilter and column widths that fit its
contents; numbers are stored as numbers with a display format (scores with
2 decimals, indicators declared ``unit: "%"`` as percentages), grade cells
are coloured from green (best) to red (worst), and the 亮灯看板 sheet
(units × indicators, each value on its light's colour) prints landscape on
one page width with the header repeated on every page.

Written in write-only mode so 10k+ units stay fast and small in memory.
Text from facts is stored as text, never as a formula (a unit named
``=HYPERLINK(...)`` stays that string), and control characters the file
format cannot hold are shown as ``�``.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.properties import PageSetupProperties

FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "none": "EDEDED"}
GRADE_FILLS = ("C6EFCE", "DDEBF7", "FFEB9C", "FCE4D6", "FFC7CE")
"""Best grade first; the last colour always goes to the last grade."""
FORMULA_START = ("=", "+", "-", "@")
SCORE = "0.00"
PERCENT = "0.00%"
INTEGER = "0"
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Value:
    """A cell to write: its value and, optionally, a number format, a fill and bold type."""

    value: Any
    number_format: str | None = None
    fill: str | None = None
    bold: bool = False


def xlsx_bytes(context: dict[str, Any]) -> bytes:
    """The workbook of the report, as the bytes of an ``.xlsx`` file."""
    t = context["t"]
    wb = Workbook(write_only=True)
    grade_fill = _grade_fills([g["name"] for g in context["grades"]])
    for title, header, rows, freeze, board in (
        (t["sheet_results"], *_results(context, grade_fill), "C2", False),
        (t["sheet_board"], *_board(context, grade_fill), "C2", True),
        (t["sheet_indicators"], *_indicators(context), "C2", False),
        (t["sheet_fired"], *_fired(context), "C2", False),
        (t["sheet_alerts"], *_alerts(context), "C2", False),
    ):
        _sheet(wb, title, header, rows, freeze=freeze, board=board)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _results(context: dict[str, Any], grade_fill: dict[str, str]) -> tuple[list[str], list[list[Value]]]:
    t = context["t"]
    sep = t["semicolon"]
    header = [t["unit_id"], t["unit"], t["category"], t["base_score"], t["points"], t["score"], t["grade"]]
    if context["overall_ranking"]:
        header.append(t["place_overall"])
    header += [t["place_category"], t["band_grade"], t["cap_grade"], t["decision"], t["alerts"], t["notes"]]
    rows = []
    for u in context["units"]:
        row = [Value(u["unit"]), Value(u["name"]), Value(u["category_label"]), Value(u["base_score"], SCORE),
               Value(u["points"], SCORE), Value(u["score"], SCORE, bold=True),
               Value(u["grade"], fill=grade_fill.get(u["grade"] or ""))]
        if context["overall_ranking"]:
            row.append(Value(u["place"], INTEGER))
        row += [Value(u["category_place"], INTEGER), Value(u["band_grade"]), Value(u["cap_grade"]),
                Value(sep.join(d["text"] for d in u["decisions"]) or None), Value(t["list_sep"].join(u["alerts"]) or None),
                Value(sep.join(u["notes"]) or None)]
        rows.append(row)
    return header, rows


def _board(context: dict[str, Any], grade_fill: dict[str, str]) -> tuple[list[str], list[list[Value]]]:
    """Units × lit indicators: each indicator's value on its light's colour."""
    t = context["t"]
    lit = [i for i in context["indicators"] if i["lit"]]
    header = [t["unit_id"], t["unit"], t["category"], *(i["label"] for i in lit), t["score"], t["grade"]]
    rows = []
    for u in context["units"]:
        by_id = {r["id"]: r for r in u["indicators"]}
        cells = []
        for ind in lit:
            r = by_id.get(ind["id"])
            light = r["light"] if r is not None else "none"
            cells.append(Value(r["value"] if r is not None else None, _value_format(ind), FILLS[light]))
        rows.append([Value(u["unit"]), Value(u["name"]), Value(u["category_label"]), *cells,
                     Value(u["score"], SCORE, bold=True), Value(u["grade"], fill=grade_fill.get(u["grade"] or ""))])
    return header, rows


def _indicators(context: dict[str, Any]) -> tuple[list[str], list[list[Value]]]:
    t = context["t"]
    meta = {i["id"]: i for i in context["indicators"]}
    symbols = context["symbols"]
    header = [t["unit_id"], t["unit"], t["category"], t["indicator"], t["value"], t["indicator_score"], t["weight"],
              t["contribution"], t["category_mean"], t["light"]]
    rows = []
    for u in context["units"]:
        for r in u["indicators"]:
            if r["lit"]:
                light = Value(f"{symbols[r['light']]} {t[r['light']] if r['light'] != 'none' else t['nodata']}",
                              fill=FILLS[r["light"]])
            else:
                light = Value(t["no_lights"])
            rows.append([Value(u["unit"]), Value(u["name"]), Value(u["category_label"]), Value(r["label"]),
                         Value(r["value"], _value_format(meta.get(r["id"], {}))), Value(r["score"], SCORE),
                         Value(r["weight"]), Value(r["contribution"], SCORE), Value(r["category_mean"], SCORE),
                         light])
    return header, rows


def _fired(context: dict[str, Any]) -> tuple[list[str], list[list[Value]]]:
    t = context["t"]
    header = [t["unit_id"], t["unit"], t["rule"], t["effect_col"], t["value_rule"], t["rule_id"]]
    rows = [[Value(u["unit"]), Value(u["name"]), Value(f["label"]), Value(f["effect"]),
             Value(t["semicolon"].join(r["text"] for r in f["reads"])), Value(f["id"])]
            for u in context["units"] for f in u["fired"]]
    return header, rows


def _alerts(context: dict[str, Any]) -> tuple[list[str], list[list[Value]]]:
    t = context["t"]
    header = [t["unit_id"], t["unit"], t["kind"], t["text"]]
    rows = [[Value(a["unit"]), Value(a["name"]), Value(a["alert"]), Value(a["text"] or None)] for a in context["alerts"]]
    rows += [[Value(u["unit"]), Value(u["name"]), Value(t["note"]), Value(n)] for u in context["units"] for n in u["notes"]]
    return header, rows


def _value_format(indicator: dict[str, Any]) -> str | None:
    return PERCENT if indicator.get("percent") else None


def _grade_fills(grades: Sequence[str]) -> dict[str, str]:
    """Green for the best grade, red for the worst, the palette's middle colours in between."""
    if not grades:
        return {}
    if len(grades) == 1:
        return {grades[0]: GRADE_FILLS[0]}
    out = {}
    for i, g in enumerate(grades):
        out[g] = GRADE_FILLS[round(i * (len(GRADE_FILLS) - 1) / (len(grades) - 1))]
    return out


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Value]], *, freeze: str, board: bool) -> None:
    ws = wb.create_sheet(title)
    # On the board the indicator names stand upright (stacked vertical text), so columns stay narrow.
    vertical = set(range(3, len(header) - 2)) if board else set()
    widths = [4 if i in vertical else _width(h) + 2 for i, h in enumerate(header)]  # + the autofilter button
    for row in rows:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], _width(_shown(v)))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, w + 2))
    ws.freeze_panes = freeze
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    ws.print_title_rows = "1:1"
    if board:  # the whole board on one page width, as many pages down as it takes
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        if vertical:
            ws.row_dimensions[1].height = 14 * max(len(header[i]) for i in vertical) + 8
    bold = Font(bold=True)
    head = []
    for i, name in enumerate(header):
        c = _cell(ws, name)
        c.font = bold
        c.fill = PatternFill("solid", start_color="F3F3F3", end_color="F3F3F3")
        c.alignment = Alignment(vertical="bottom" if i in vertical else "center", horizontal="center",
                                text_rotation=255 if i in vertical else 0)
        head.append(c)
    ws.append(head)
    fills: dict[str, PatternFill] = {}
    for row in rows:
        out = []
        for v in row:
            c = _cell(ws, v.value)
            if v.number_format:
                c.number_format = v.number_format
            if v.fill:
                c.fill = fills.setdefault(v.fill, PatternFill("solid", start_color=v.fill, end_color=v.fill))
            if v.bold:
                c.font = bold
            out.append(c)
        ws.append(out)


def _shown(v: Value) -> str:
    """Roughly what Excel shows for the cell, to size its column."""
    if v.value is None:
        return ""
    if isinstance(v.value, float | int) and not isinstance(v.value, bool):
        return f"{v.value * 100:.2f}%" if v.number_format == PERCENT else f"{v.value:.2f}"
    return str(v.value)


def _width(text: str) -> int:
    """Display width in Excel's character units: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        # Control characters (\x01, \x0b, …) are not allowed in the file format: show them as �.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell
