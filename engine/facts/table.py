"""Validate raw rows against the ruleset's ``facts:`` and build the columnar FactTable.

Every bad cell is collected (file, row, column, value, what was expected) and
reported together.  Units are sorted by id, so the order of rows in the file
never changes a result; the table's ``sha256`` is computed from the sorted,
parsed content for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kaohe.engine.errors import FactsError, Hint, Location, Problem, did_you_mean
from kaohe.engine.facts import header, provenance
from kaohe.engine.facts.provenance import Origin
from kaohe.engine.facts.readers import PercentCell, RawTable
from kaohe.engine.i18n import register
from kaohe.engine.jsoncolumns import dumps_list
from kaohe.engine.period import EXAMPLES, Period, parse_period
from kaohe.engine.ruleset.model import CategoryModel, FactModel
from kaohe.engine.visible import invisible

MAX_REPORTED = 200
KIND_ZH = {"month": "月度", "quarter": "季度", "half": "半年度", "year": "年度"}

register(
    {
        "facts.no_unit_column": ("缺少 `unit` 列（单位编号）", "the `unit` column (unit id) is missing"),
        "facts.no_category_column": ("缺少 `category` 列（单位类别），规则集有多个类别",
                                     "the `category` column is missing and the ruleset has several categories"),
        "facts.missing_column": ("缺少必填事实 `{fact}`（{label}）的列",
                                 "no column for the required fact `{fact}` ({label})"),
        "facts.duplicate_column": ("列 `{header}` 与另一列都对应事实 `{fact}`",
                                   "column `{header}` and another column both give fact `{fact}`"),
        "facts.unknown_column": ("列 `{header}` 不是规则集声明的事实，已忽略",
                                 "column `{header}` is not a fact the ruleset declares; ignored"),
        "facts.empty_unit": ("单位编号为空", "the unit id is empty"),
        "facts.duplicate_unit": ("单位 `{unit}` 重复出现（另见第 {other} 行）",
                                 "unit `{unit}` appears twice (also row {other})"),
        "facts.unknown_category": ("未知类别 `{value}`", "unknown category `{value}`"),
        "facts.required": ("缺少必填事实 `{fact}`（{label}）的值", "no value for the required fact `{fact}` ({label})"),
        "facts.not_integer": ("`{value}` 不是整数（{label} 需要整数）",
                              "`{value}` is not an integer ({label} needs a whole number)"),
        "facts.not_number": ("`{value}` 不是数字（{label} 需要数字，如 12 或 0.85）",
                             "`{value}` is not a number ({label} needs a number such as 12 or 0.85)"),
        "facts.not_boolean": ("`{value}` 不是是/否值（{label} 需要 是/否、true/false 或 1/0）",
                              "`{value}` is not yes/no ({label} needs 是/否, true/false or 1/0)"),
        "facts.below_min": ("`{value}` 小于最小值 {min}（{label}）", "`{value}` is below the minimum {min} ({label})"),
        "facts.above_max": ("`{value}` 大于最大值 {max}（{label}）", "`{value}` is above the maximum {max} ({label})"),
        "facts.bad_period": ("无法识别考核期 `{value}`（应为 {example} 这样的{kind_zh}）",
                             "cannot read period `{value}` (expected a {kind} like {example})"),
        "facts.several_periods": ("文件包含多个考核期（{periods}），请用 --period 选择一个",
                                  "the file holds several periods ({periods}); pick one with --period"),
        "facts.period_not_found": ("文件中没有考核期 {period} 的数据（文件中有：{periods}）",
                                   "no rows for period {period} (the file has: {periods})"),
        "facts.no_period": ("未指定考核期：请在文件中加 `period` 列，或使用 --period",
                            "no period: add a `period` column or pass --period"),
        "facts.too_many": ("还有 {count} 个问题未列出", "{count} more problems not shown"),
        "facts.invisible_unit": ("单位编号 `{unit}` 含有不可见字符 {codes}（双向控制符、零宽字符或控制字符）",
                                 "the unit id `{unit}` holds invisible characters {codes} (bidi controls, "
                                 "zero-width or control characters)"),
        "facts.date_not_number": ("`{value}` 是日期，不是数字（{label} 需要数字；Excel 可能把该单元格设成了日期格式）",
                                  "`{value}` is a date, not a number ({label} needs a number; Excel may have "
                                  "formatted the cell as a date)"),
        "facts.nul_byte": ("这一行含有 NUL 字节（\\0）：事实文件应是文本，该文件是否为改了扩展名的二进制文件？",
                           "this row holds a NUL byte (\\0): a facts file is text; is it a binary file renamed?"),
        "facts.no_rows": ("事实文件没有任何单位的数据（只有表头或为空）",
                          "the facts file holds no unit rows (only a header, or nothing)"),
        "hint.one_row_per_unit": ("每个单位一行，写在表头下面", "write one row per unit below the header"),
        "facts.percent_unit": ("`{value}` 不是 {unit} 数值（{label} 不是百分比，请填写数值）",
                               "`{value}` is not a value in {unit} ({label} is not a percentage; give a number)"),
        "facts.percent": ("`{value}` 是百分比，但 {label} 不是比率（没有 unit: \"%\"，max 也不 ≤ 1），请填写数值",
                          "`{value}` is a percentage, but {label} is not a rate (no unit: \"%\" and no max ≤ 1); "
                          "give a number"),
        "hint.category_keys": ("可用类别：{choices}", "categories: {choices}"),
    }
)

_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
_FALSE = {"0", "false", "no", "n", "否", "无", "×", "f"}
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class FactTable:
    """One period's facts, columnar and sorted by unit id."""

    units: list[str]
    names: list[str]
    categories: list[str]
    parents: list[str | None]
    period: Period | None
    numbers: dict[str, np.ndarray]
    strings: dict[str, list[str | None]]
    source: str
    sha256: str
    warnings: list[Problem] = field(default_factory=list)
    present: frozenset[str] = frozenset()
    origins: list[Origin] = field(default_factory=list)
    origin_lines: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.units)

    def locate(self, i: int, facts: Iterable[str] | None = None, path: str | None = None) -> Location:
        """The source row of unit ``i`` that holds ``facts`` (for messages about that unit)."""
        return provenance.location(self.origins, self.origin_lines, i, facts, path)


@dataclass
class _Context:
    raw: RawTable
    facts: Mapping[str, FactModel]
    categories: Mapping[str, CategoryModel]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    partial: bool = False

    def bad(self, code: str, line: int | None, col: int | None, path: str | None, hint: Any = None,
            **params: object) -> None:
        self.problems.append(Problem(code, dict(params), Location(self.raw.source, line, col, path), hint))


def build_table(
    raw: RawTable,
    facts: Mapping[str, FactModel],
    categories: Mapping[str, CategoryModel],
    *,
    period_kind: str,
    period: str | None,
    require_period: bool = True,
    partial: bool = False,
) -> FactTable:
    """Validate ``raw`` and return the table; raise :class:`FactsError` listing every problem.

    ``partial``: ``raw`` is one of several sources joined by unit (``engine.facts.sources``),
    so columns it lacks — category, period, required facts — are not errors here; a
    category, name or parent it does not give is left empty for the join to fill.
    """
    raw, found = header.locate(raw, facts)
    if not raw.rows:  # a run of no units is never what was meant
        raise FactsError([Problem("facts.no_rows", {}, Location(raw.source, 1 if raw.headers else None),
                                  Hint("hint.one_row_per_unit"))])
    ctx = _Context(raw, facts, categories, warnings=found, partial=partial)
    columns = _map_columns(ctx)
    if ctx.problems:
        _raise(ctx)
    rows, chosen = _select_period(ctx, columns, period_kind, period, require_period)
    if ctx.problems:
        _raise(ctx)
    table = _parse_rows(ctx, columns, rows)
    if ctx.problems:
        _raise(ctx)
    table.period = chosen
    table.warnings = ctx.warnings
    return table


def _raise(ctx: _Context) -> None:
    # file order: row by row, column by column (columns are parsed one at a time)
    ordered = sorted(ctx.problems, key=lambda p: (p.location.line or 0, p.location.column or 0)
                     if p.location else (0, 0))
    problems = ordered[:MAX_REPORTED]
    if len(ctx.problems) > MAX_REPORTED:
        problems.append(Problem("facts.too_many", {"count": len(ctx.problems) - MAX_REPORTED}))
    raise FactsError(problems)


def _normal(text: str) -> str:
    return header.normal(text)


def _map_columns(ctx: _Context) -> dict[str, int]:
    """Column index by reserved name or fact id."""
    by_name = header.names(ctx.facts)
    line = ctx.raw.header_line or None  # a query's columns have no line
    columns: dict[str, int] = {}
    for col, text in enumerate(ctx.raw.headers):
        target = header.target(text, by_name) if text else None
        if target is None:
            if text and not header.ignored(text):
                ctx.warnings.append(Problem("facts.unknown_column", {"header": text},
                                            Location(ctx.raw.source, line, col + 1),
                                            did_you_mean(text, list(ctx.facts)), severity="warning"))
            continue
        if target in columns:
            ctx.bad("facts.duplicate_column", line, col + 1, None, header=text, fact=target)
            continue
        columns[target] = col
    if "unit" not in columns:
        ctx.bad("facts.no_unit_column", line, None, None)
    if ctx.partial:
        return columns
    if "category" not in columns and len(ctx.categories) > 1:
        ctx.bad("facts.no_category_column", line, None, None,
                _category_hint(ctx.categories))
    for fid, fact in ctx.facts.items():
        if fid not in columns and fact.required and fact.default is None:
            ctx.bad("facts.missing_column", line, None, fid, did_you_mean(fact.label, ctx.raw.headers),
                    fact=fid, label=fact.label)
    return columns


def _category_hint(categories: Mapping[str, CategoryModel]) -> Any:
    return Hint("hint.category_keys", {"choices": ", ".join(
        f"{k} ({c.label})" for k, c in categories.items())})


def _select_period(
    ctx: _Context, columns: Mapping[str, int], kind: str, wanted: str | None, require: bool
) -> tuple[list[tuple[int, list[Any]]], Period | None]:
    rows = ctx.raw.rows
    target: Period | None = None
    if wanted is not None:
        target = parse_period(wanted)
        if target is None or target.kind != kind:
            ctx.bad("facts.bad_period", None, None, "--period", value=wanted, kind=kind,
                    kind_zh=KIND_ZH[kind], example=EXAMPLES[kind])
            return rows, None
    if "period" not in columns:
        if target is None and require:
            ctx.bad("facts.no_period", None, None, None)
        return rows, target
    col = columns["period"]
    by_period: dict[Period, list[tuple[int, list[Any]]]] = {}
    for line, cells in rows:
        value = cells[col]
        p = parse_period(value) if value not in (None, "") else target
        if p is None or p.kind != kind:
            ctx.bad("facts.bad_period", line, col + 1, "period", value=value, kind=kind,
                    kind_zh=KIND_ZH[kind], example=EXAMPLES[kind])
            continue
        by_period.setdefault(p, []).append((line, cells))
    if ctx.problems:
        return rows, None
    found = ", ".join(str(p) for p in sorted(by_period))
    if target is not None:
        if target not in by_period:
            ctx.bad("facts.period_not_found", None, None, None, period=str(target), periods=found)
            return rows, None
        return by_period[target], target
    if len(by_period) > 1:
        ctx.bad("facts.several_periods", None, None, None, periods=found)
        return rows, None
    only = next(iter(by_period), None)
    return rows, only


def _parse_rows(ctx: _Context, columns: Mapping[str, int],
                rows: Sequence[tuple[int, list[Any]]]) -> FactTable:
    category_of = _category_lookup(ctx.categories)
    default_category = next(iter(ctx.categories)) if len(ctx.categories) == 1 else None
    if ctx.partial:
        default_category = ""  # the join takes the category from a source that gives one
    seen: dict[str, int] = {}
    kept: list[_Row] = []
    for line, cells in rows:
        nul = next((i for i, c in enumerate(cells) if isinstance(c, str) and "\x00" in c), None)
        if nul is not None:  # PostgreSQL cannot store it, reports would show it as nothing
            ctx.bad("facts.nul_byte", line, nul + 1, None)
            continue
        unit = _text(cells[columns["unit"]])
        if not unit:
            ctx.bad("facts.empty_unit", line, columns["unit"] + 1, "unit")
            continue
        if codes := invisible(unit):
            ctx.bad("facts.invisible_unit", line, columns["unit"] + 1, "unit", Hint("hint.visible_id"),
                    unit=unit, codes=", ".join(codes))
            continue
        if unit in seen:
            ctx.bad("facts.duplicate_unit", line, columns["unit"] + 1, "unit", unit=unit, other=seen[unit])
            continue
        seen[unit] = line
        name = _text(cells[columns["name"]]) if "name" in columns else ""
        category = default_category
        if "category" in columns:
            raw_cat = _text(cells[columns["category"]])
            category = category_of.get(_normal(raw_cat))
            if category is None and not (raw_cat == "" and default_category is not None):
                hint = _category_suggestion(raw_cat, ctx.categories)
                ctx.bad("facts.unknown_category", line, columns["category"] + 1, f"{unit}.category",
                        hint, value=raw_cat)
                continue
            category = category or default_category
        parent = _text(cells[columns["parent"]]) or None if "parent" in columns else None
        kept.append(_Row(line, cells, unit, name or ("" if ctx.partial else unit), str(category), parent))
    kept.sort(key=lambda r: r.unit)
    values = {fid: _column(ctx, fid, fact, kept, columns) for fid, fact in ctx.facts.items()}
    return _columnar(ctx, kept, values, columns)


@dataclass
class _Row:
    line: int
    cells: list[Any]
    unit: str
    name: str
    category: str
    parent: str | None


def _column(ctx: _Context, fid: str, fact: FactModel, rows: Sequence[_Row],
            columns: Mapping[str, int]) -> np.ndarray | list[Any]:
    """One fact for every row: numbers as a float array (nan = missing), text as a list.

    Numeric columns of plain, valid numbers take a vectorised path; any column
    with something to report is parsed cell by cell so every bad cell is named.
    """
    if fid not in columns:  # the whole column is absent: its default, or missing (required ones failed earlier)
        fill = _coerce_default(fact) if fact.default is not None else None
        if fact.type == "string":
            return [fill] * len(rows)
        return np.full(len(rows), np.nan if fill is None else fill, dtype=np.float64)
    if fact.type in ("integer", "number"):
        fast = _fast_numbers(fact, [r.cells[columns[fid]] for r in rows])
        if fast is not None:
            return fast
    cells = [_cell(ctx, fid, fact, r.cells, columns, r.line, r.unit) for r in rows]
    if fact.type == "string":
        return cells
    return np.array([np.nan if v is None else v for v in cells], dtype=np.float64)


def _fast_numbers(fact: FactModel, raw: list[Any]) -> np.ndarray | None:
    """The column as floats when every cell is a valid number or an allowed blank; else None."""
    fill = _coerce_default(fact) if fact.default is not None else math.nan
    empty = np.fromiter((v is None or (isinstance(v, str) and not v.strip()) for v in raw), dtype=bool,
                        count=len(raw))
    if empty.any() and fact.required and fact.default is None:
        return None
    if any(isinstance(v, bool | PercentCell) for v in raw):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = np.asarray([fill if e else v for v, e in zip(raw, empty, strict=True)], dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return None
    given = values[~empty]
    if not np.isfinite(given).all():
        return None
    if fact.type == "integer" and not (given == np.floor(given)).all():
        return None
    if (fact.min is not None and (given < fact.min).any()) or (fact.max is not None and (given > fact.max).any()):
        return None
    return values


def _category_suggestion(value: str, categories: Mapping[str, CategoryModel]) -> Any:
    """The closest category id or label, else every category as ``id (label)``."""
    labels = {c.label: k for k, c in categories.items()}
    close = did_you_mean(value, [*categories, *labels])
    if close is not None and close.code == "hint.did_you_mean":
        return close
    return _category_hint(categories)


def _category_lookup(categories: Mapping[str, CategoryModel]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, cat in categories.items():
        lookup[_normal(key)] = key
        lookup.setdefault(_normal(cat.label), key)
    return lookup


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell(ctx: _Context, fid: str, fact: FactModel, cells: list[Any], columns: Mapping[str, int],
          line: int, unit: str) -> Any:
    col = columns.get(fid)
    raw = cells[col] if col is not None else None
    where = (line, None if col is None else col + 1, f"{unit}.{fid}")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if fact.default is not None:
            return _coerce_default(fact)
        if fact.required:
            ctx.bad("facts.required", *where, fact=fid, label=fact.label)
        return None
    if fact.type == "string":
        return _text(raw)
    if isinstance(raw, dt.date | dt.time | dt.timedelta):  # Excel formatted the cell as a date
        ctx.bad("facts.date_not_number", *where, value=_text(raw), label=f"{fact.label}（{fid}）")
        return None
    if fact.type != "boolean" and _is_percent(raw) and not percent_allowed(fact):
        shown = _text(raw) if not isinstance(raw, PercentCell) else f"{float(raw) * 100:.10g}%"
        if fact.unit:
            ctx.bad("facts.percent_unit", *where, value=shown, unit=fact.unit, label=fact.label)
        else:
            ctx.bad("facts.percent", *where, value=shown, label=f"{fact.label}（{fid}）")
        return None
    value = _parse_value(fact, raw)
    if value is None:
        code = {"integer": "facts.not_integer", "number": "facts.not_number"}.get(
            fact.type, "facts.not_boolean")
        ctx.bad(code, *where, value=_text(raw), label=f"{fact.label}（{fid}）")
        return None
    if fact.min is not None and value < fact.min:
        ctx.bad("facts.below_min", *where, value=_text(raw), min=fact.min, label=fact.label)
    elif fact.max is not None and value > fact.max:
        ctx.bad("facts.above_max", *where, value=_text(raw), max=fact.max, label=fact.label)
    return value


def percent_allowed(fact: FactModel) -> bool:
    """A rate: declared ``unit: "%"``, or bounded by ``max`` ≤ 1; only these take ``12%`` cells."""
    return fact.unit == "%" or (fact.max is not None and fact.max <= 1)


def _is_percent(raw: Any) -> bool:
    return isinstance(raw, PercentCell) or (isinstance(raw, str) and _normal(raw).endswith("%"))


def _coerce_default(fact: FactModel) -> Any:
    d = fact.default
    if fact.type == "string":
        return str(d)
    if isinstance(d, bool):
        return 1.0 if d else 0.0
    return float(d) if isinstance(d, int | float) else _parse_value(fact, d)


def _parse_value(fact: FactModel, raw: Any) -> float | None:
    if fact.type == "boolean":
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        s = _normal(_text(raw)).lower()
        return 1.0 if s in _TRUE else 0.0 if s in _FALSE else None
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number: float | None = float(raw)
    elif not isinstance(raw, str):
        return None
    else:
        number = _plain_number(raw)
        if number is None:  # full-width digits, 1,200, 95% …
            number = _parse_number_text(_normal(raw))
    if number is None or not math.isfinite(number):
        return None
    if fact.type == "integer" and not number.is_integer():
        return None
    return number


def _plain_number(s: str) -> float | None:
    """The common case, fast: an ASCII decimal such as ``95`` or ``0.85``."""
    if "_" in s or not s.isascii():
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_number_text(s: str) -> float | None:
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    try:
        value = float(s)
    except ValueError:
        return None
    if s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        return None
    return value / 100 if percent else value


def _columnar(ctx: _Context, rows: list[_Row], values: Mapping[str, np.ndarray | list[Any]],
              columns: Mapping[str, int]) -> FactTable:
    return finish_table(ctx.raw.source, [r.unit for r in rows], [r.name for r in rows],
                        [r.category for r in rows], [r.parent for r in rows], values,
                        present=frozenset(f for f in columns if f in ctx.facts),
                        lines=np.fromiter((r.line for r in rows), dtype=np.int64, count=len(rows)),
                        sheet=ctx.raw.sheet)


def finish_table(source: str, units: list[str], names: list[str], categories: list[str],
                 parents: list[str | None], values: Mapping[str, np.ndarray | list[Any]], *,
                 present: frozenset[str] = frozenset(), lines: np.ndarray | None = None,
                 sheet: str | None = None) -> FactTable:
    """The table from validated, unit-sorted columns, with its row-order-independent facts hash.

    ``present`` names the facts the file had a column for and ``lines`` the row each unit
    was read from: the table's provenance (``engine.facts.provenance``).
    """
    numbers = {fid: col for fid, col in values.items() if isinstance(col, np.ndarray)}
    strings = {fid: col for fid, col in values.items() if not isinstance(col, np.ndarray)}
    sha = content_digest(units, names, categories, parents, numbers, strings)
    return FactTable(
        units=units,
        names=names,
        categories=categories,
        parents=parents,
        period=None,
        numbers=numbers,
        strings=strings,
        source=source,
        sha256=sha,
        present=present,
        origins=[] if lines is None else [Origin(source, sheet, facts=tuple(sorted(present)), sha256=sha)],
        origin_lines=[] if lines is None else [lines],
    )


def fill_missing(facts: Mapping[str, FactModel], numbers: dict[str, np.ndarray],
                 strings: dict[str, list[str | None]]) -> None:
    """Give every missing value of a fact with a ``default`` that default (after a join)."""
    for fid, fact in facts.items():
        if fact.default is None:
            continue
        value = _coerce_default(fact)
        if fid in numbers:
            column = numbers[fid]
            column[np.isnan(column)] = value
        elif fid in strings:
            strings[fid] = [value if v is None else v for v in strings[fid]]


def content_digest(units: Sequence[str], names: Sequence[str], categories: Sequence[str],
                   parents: Sequence[str | None], numbers: Mapping[str, np.ndarray],
                   strings: Mapping[str, Sequence[str | None]]) -> str:
    """sha256 of a table's parsed content (units sorted, so row order never matters)."""
    digest = hashlib.sha256()
    for part in (units, names, categories, parents):
        digest.update(_json_list(part))
    # column by column in id order, so reordering `facts:` in the ruleset changes nothing;
    # one canonical NaN and no negative zero, so equal facts always hash alike
    for fid in sorted([*numbers, *strings]):
        digest.update(fid.encode() + b"\0")
        if fid in numbers:
            col = numbers[fid] + 0.0
            digest.update(np.where(np.isnan(col), np.nan, col).astype("<f8").tobytes())
        else:
            digest.update(_json_list(strings[fid]))
    return digest.hexdigest()


def _json_list(values: Sequence[object]) -> bytes:
    """``json.dumps(list(values), ensure_ascii=False)`` as bytes; a column of text at once."""
    try:
        return dumps_list(values)  # type: ignore[arg-type]  # anything but text and None is refused
    except (TypeError, ValueError):
        return json.dumps(list(values), ensure_ascii=False).encode()
