"""The layout of a 填报表: an instructions sheet, one input sheet per source, a hidden marker sheet.

Input sheet layout (what ``engine.facts`` reads back unchanged):

* row 1, hidden: column ids (``unit``, ``name``, ``category``, ``period``, fact ids;
  ``#上期.<fact>`` over a reference column, which the reader ignores);
* row 2: what people read — 单位编号 … and each fact's label with its unit of measure;
* rows 3…: one unit per row, pre-filled; the fact cells are the only unlocked
  cells, each column with Excel data validation from the fact's type and range;
  with a previous run, a grey column beside each input shows last period's value.

The hidden ``_kaohe`` sheet lists the input sheets, which is how a workbook is
recognised as a form and all of its sheets are read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kaohe.engine.facts.sources import FORM_SHEET
from kaohe.engine.form.units import FormUnits
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.ruleset.model import FactModel, RulesetModel

register(
    {
        "form.instructions": ("填报说明", "Instructions"),
        "form.title": ("{name} · 数据填报表", "{name} · data collection form"),
        "form.meta": ("考核期：{period}　　规则集：{ruleset}", "period: {period}    ruleset: {ruleset}"),
        "form.period_later": ("（运行时用 --period 指定）", "(give it with --period when running)"),
        "form.deadline": ("填报截止日期：", "deadline:"),
        "form.filled_by": ("填报单位：", "filled in by:"),
        "form.contact": ("联系人及电话：", "contact:"),
        "form.rules": ("填写须知", "How to fill in"),
        "form.rule1": ("只在白色单元格中填写；灰色单元格是单位信息或上期数值（仅供参考），不能修改。",
                       "Fill in the white cells only; grey cells are unit details or last period's values "
                       "(for reference) and cannot be changed."),
        "form.rule2": ("每个填报部门一个工作表；请勿改动表头、工作表名称和隐藏的第 1 行。",
                       "One sheet per department; do not change the headers, sheet names or the hidden row 1."),
        "form.rule3": ("单位为 % 的比率可输入 95% 或 0.95；其他列只填数值，不带单位，也不要带百分号。",
                       "Rates in % may be typed as 95% or 0.95; other columns take plain numbers, without units "
                       "or a percent sign."),
        "form.rule4": ("填好后交回考核办，由考核办运行：kaohe run 规则集 --facts 本文件。",
                       "Return the file to the appraisal office, which runs: kaohe run RULESET --facts THIS_FILE."),
        "form.col.sheet": ("工作表", "sheet"), "form.col.label": ("列名", "column"),
        "form.col.id": ("编号", "id"), "form.col.meaning": ("含义", "meaning"),
        "form.col.unit": ("计量单位", "unit of measure"), "form.col.type": ("类型", "type"),
        "form.col.range": ("允许范围", "allowed range"), "form.col.required": ("必填", "required"),
        "form.col.source": ("填报部门", "supplied by"),
        "form.type.integer": ("整数", "whole number"), "form.type.number": ("数值", "number"),
        "form.type.boolean": ("是/否", "yes/no"), "form.type.string": ("文本", "text"),
        "form.yes": ("是", "yes"), "form.no": ("否", "no"),
        "form.default": ("否（空缺按 {default}）", "no (empty means {default})"),
        "form.any": ("不限", "any"),
        "form.other_sheet": ("其他", "Other"),
        # reserved column names the facts reader knows in either language
        "form.head.unit": ("单位编号", "unit"), "form.head.name": ("单位名称", "name"),
        "form.head.category": ("类别", "category"), "form.head.period": ("考核期", "period"),
        "form.previous": ("上期 {label}", "last period: {label}"),
        "form.error_title": ("输入有误", "Invalid entry"),
        "form.error": ("{label}：应为{what}", "{label}: {what} expected"),
        "form.prompt": ("{range}{description}", "{range}{description}"),
    }
)

GREY = PatternFill("solid", fgColor="E7E6E6")
HEAD = PatternFill("solid", fgColor="DDEBF7")
OPEN = Protection(locked=False)
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_groups(model: RulesetModel, source: str | None, lang: Lang) -> dict[str, list[str]]:
    """Input sheet name -> the facts it collects: one per ``source:`` (``--source``: only that one)."""
    groups: dict[str, list[str]] = {}
    other = text("form.other_sheet", lang)
    for fid, fact in model.facts.items():
        if source is not None and fact.source != source:
            continue
        groups.setdefault(_sheet_name(fact.source or other), []).append(fid)
    return groups


def _sheet_name(name: str) -> str:
    cleaned = _BAD_SHEET.sub("_", name).strip("'") or "_"
    return cleaned[:31]


def build(model: RulesetModel, units: FormUnits, groups: dict[str, list[str]], lang: Lang) -> Workbook:
    """The whole workbook (see the module doc)."""
    wb = Workbook()
    intro = wb.active
    assert intro is not None
    intro.title = text("form.instructions", lang)
    _instructions(intro, model, units, groups, lang)
    reference = units.previous_period is not None
    for name, fids in groups.items():
        _input_sheet(wb.create_sheet(name), model, units, fids, reference, lang)
    marker = wb.create_sheet(FORM_SHEET)
    for row in (("kaohe_form", 1), ("ruleset", model.id), ("period", units.period or ""),
                *(("sheet", name) for name in groups)):
        marker.append(list(row))
    marker.sheet_state = "hidden"
    return wb


def _instructions(ws: Worksheet, model: RulesetModel, units: FormUnits, groups: dict[str, list[str]],
                  lang: Lang) -> None:
    ws.append([text("form.title", lang, name=model.name)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([text("form.meta", lang, period=units.period or text("form.period_later", lang), ruleset=model.id)])
    ws.append([])
    for code in ("form.deadline", "form.filled_by", "form.contact"):
        ws.append([text(code, lang), None])
        ws.cell(ws.max_row, 2).protection = OPEN
        ws.cell(ws.max_row, 2).fill = PatternFill(None)
    ws.append([])
    ws.append([text("form.rules", lang)])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    for k in range(1, 5):
        ws.append([f"{k}. {text(f'form.rule{k}', lang)}"])
    ws.append([])
    head = [text(f"form.col.{c}", lang) for c in ("sheet", "label", "id", "meaning", "unit", "type", "range",
                                                   "required", "source")]
    ws.append(head)
    for c in range(1, len(head) + 1):
        ws.cell(ws.max_row, c).font = Font(bold=True)
        ws.cell(ws.max_row, c).fill = HEAD
    for sheet, fids in groups.items():
        for fid in fids:
            f = model.facts[fid]
            required = (text("form.yes", lang) if f.required and f.default is None else
                        text("form.default", lang, default=f.default) if f.default is not None else
                        text("form.no", lang))
            ws.append([sheet, f.label, fid, f.description or "", f.unit or "", text(f"form.type.{f.type}", lang),
                       _range_text(f, lang), required, f.source or ""])
    for col, width in zip("ABCDEFGHI", (14, 22, 18, 40, 10, 10, 16, 18, 12), strict=True):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True


def _range_text(f: FactModel, lang: Lang) -> str:
    if f.type in ("boolean", "string"):
        return text("form.yes", lang) + "/" + text("form.no", lang) if f.type == "boolean" else ""
    lo = "" if f.min is None else _num(f.min)
    hi = "" if f.max is None else _num(f.max)
    if not lo and not hi:
        return text("form.any", lang)
    return f"≥ {lo}" if not hi else f"≤ {hi}" if not lo else f"{lo} ~ {hi}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _input_sheet(ws: Worksheet, model: RulesetModel, units: FormUnits, fids: Sequence[str], reference: bool,
                 lang: Lang) -> None:
    ids: list[str] = ["unit", "name", "category", "period"]
    heads: list[str] = [text(f"form.head.{k}", lang) for k in ids]
    inputs: list[tuple[int, str]] = []  # (column, fact id)
    for fid in fids:
        f = model.facts[fid]
        ids.append(fid)
        heads.append(f"{f.label}（{f.unit}）" if f.unit else f.label)
        inputs.append((len(ids), fid))
        if reference:
            ids.append(f"#上期.{fid}")
            heads.append(text("form.previous", lang, label=f.label))
    ws.append(ids)
    ws.append(heads)
    ws.row_dimensions[1].hidden = True
    for c in range(1, len(heads) + 1):
        cell = ws.cell(2, c)
        cell.font = Font(bold=True)
        cell.fill = HEAD
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = max(10, min(24, 2 * len(heads[c - 1]) + 2))
    labels = {k: c.label for k, c in model.categories.items()}
    for u in units.units:
        row: list[Any] = [u.unit, u.name, labels.get(u.category, u.category), units.period or ""]
        for fid in fids:
            row.append(None)
            if reference:
                row.append(u.previous.get(fid))
        ws.append(row)
    first, last = 3, max(3, ws.max_row)
    for c in range(1, 5):
        for r in range(first, last + 1):
            ws.cell(r, c).fill = GREY
    if not units.period:
        for r in range(first, last + 1):
            ws.cell(r, 4).protection = OPEN
    for col, fid in inputs:
        _input_column(ws, col, model.facts[fid], first, last, lang)
        if reference:
            for r in range(first, last + 1):
                cell = ws.cell(r, col + 1)
                cell.fill = GREY
                cell.font = Font(italic=True, color="595959")
                cell.number_format = _format(model.facts[fid])
    ws.freeze_panes = "C3"
    ws.protection.sheet = True


def _format(f: FactModel) -> str:
    if f.type in ("integer", "number") and f.unit == "%":
        return "0.00%"
    return "0" if f.type == "integer" else "General"


def _input_column(ws: Worksheet, col: int, f: FactModel, first: int, last: int, lang: Lang) -> None:
    letter = get_column_letter(col)
    for r in range(first, last + 1):
        cell = ws.cell(r, col)
        cell.protection = OPEN
        cell.number_format = _format(f)
    dv = _validation(f, lang)
    if dv is not None:
        ws.add_data_validation(dv)
        dv.add(f"{letter}{first}:{letter}{last}")


def _validation(f: FactModel, lang: Lang) -> DataValidation | None:
    what = text(f"form.type.{f.type}", lang)
    if f.type == "string":
        return None
    if f.type == "boolean":
        choices = f'"{text("form.yes", lang)},{text("form.no", lang)}"'
        dv = DataValidation(type="list", formula1=choices, allow_blank=True)
    else:
        kind = "whole" if f.type == "integer" else "decimal"
        rng = _range_text(f, lang)
        what = f"{what}（{rng}）" if rng != text("form.any", lang) else what
        if f.min is not None and f.max is not None:
            dv = DataValidation(type=kind, operator="between", formula1=_num(f.min), formula2=_num(f.max))
        elif f.min is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=_num(f.min))
        elif f.max is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=_num(f.max))
        else:
            dv = DataValidation(type=kind, operator="between", formula1="-1E+300", formula2="1E+300")
        dv.allow_blank = True
    dv.showErrorMessage = True
    dv.errorTitle = text("form.error_title", lang)
    dv.error = text("form.error", lang, label=f.label, what=what)[:255]
    dv.showInputMessage = bool(f.description)
    dv.promptTitle = f.label[:32]
    dv.prompt = (f.description or "")[:255]
    return dv
