"""The Excel report (openpyxl): results, indicators (coloured lights), rules fired, alerts.

Written in write-only mode so 10k+ units stay fast and small in memory.
Numbers are stored as numbers; text from facts is stored as text, never as
a formula (a unit named ``=HYPERLINK(...)`` stays that string).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "none": "EDEDED"}
FORMULA_START = ("=", "+", "-", "@")


def xlsx_bytes(context: dict[str, Any]) -> bytes:
    """The workbook of the report, as the bytes of an ``.xlsx`` file."""
    t = context["t"]
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fills = {k: PatternFill("solid", start_color=v, end_color=v) for k, v in FILLS.items()}
    light_text = {k: f"{context['symbols'][k]} {t[k] if k != 'none' else t['nodata']}" for k in FILLS}

    results = wb.create_sheet(t["sheet_results"])
    _header(results, [t["unit_id"], t["unit"], t["category"], t["base_score"], t["points"], t["score"],
                      t["grade"], t["rank"], t["band_grade"], t["cap_grade"], t["quota_note"],
                      t["alerts"], t["notes"]], bold)
    for u in context["units"]:
        results.append([_cell(results, v) for v in (
            u["unit"], u["name"], u["category_label"], u["base_score"], u["points"], u["score"], u["grade"],
            u["rank"], u["band_grade"], u["cap_grade"], u["quota_note"], "、".join(u["alerts"]),
            "；".join(u["notes"]))])

    indicators = wb.create_sheet(t["sheet_indicators"])
    _header(indicators, [t["unit_id"], t["unit"], t["category"], t["indicator"], t["value"],
                         t["indicator_score"], t["weight"], t["contribution"], t["category_mean"], t["light"]], bold)
    for u in context["units"]:
        for row in u["indicators"]:
            light = _cell(indicators, light_text.get(row["light"], row["light"]))
            light.fill = fills.get(row["light"], fills["none"])
            indicators.append([*(_cell(indicators, v) for v in (
                u["unit"], u["name"], u["category_label"], row["label"], row["value"], row["score"],
                row["weight"], row["contribution"], row["category_mean"])), light])

    fired = wb.create_sheet(t["sheet_fired"])
    _header(fired, [t["unit_id"], t["unit"], t["rule_id"], t["rule"], t["value_rule"]], bold)
    for u in context["units"]:
        for f in u["fired"]:
            values = "; ".join(f"{k} = {v}" for k, v in f["values"].items())
            fired.append([_cell(fired, v) for v in (u["unit"], u["name"], f["id"], f["label"], values)])

    alerts = wb.create_sheet(t["sheet_alerts"])
    _header(alerts, [t["unit_id"], t["unit"], t["kind"], t["text"]], bold)
    for u in context["units"]:
        for kind, items in ((t["alert"], u["alerts"]), (t["note"], u["notes"])):
            for item in items:
                alerts.append([_cell(alerts, v) for v in (u["unit"], u["name"], kind, item)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _header(ws: WriteOnlyWorksheet, names: list[str], bold: Font) -> None:
    cells = []
    for name in names:
        c = WriteOnlyCell(ws, value=name)
        c.font = bold
        cells.append(c)
    ws.freeze_panes = "A2"
    ws.append(cells)


def _cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        # Control characters (\x01, \x0b, …) are not allowed in the file format: show them as �.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return cell
